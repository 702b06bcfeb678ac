//! `custos serve`: runs the authority and the directory API.

use crate::datadir::{DataDir, from_file_env};
use crate::init::{InitArgs, initialize, print_summary};
use crate::limits::LimitArgs;
use crate::process::{LogFormat, init_logging, shutdown_signal};
use crate::public_url::origins;
use crate::throttle::ThrottleArgs;
use anyhow::Context;
use custos_authority::{Authority, AuthorityConfig, FederationConfig, KeyManager, KeyPolicy};
use custos_core::duration::parse_duration;
use custos_core::{Clock, SystemClock};
use custos_directory::{CallerLimits, DirectoryState};
use custos_jose::secret::SecretHasher;
use custos_listener::{Listener, load_server_config};
use custos_server::admin::{AuthorityEndpointSecrets, AuthoritySigningKeys};
use custos_server::caller::AuthorityCallers;
use custos_server::tls::ensure_dev_tls;
use custos_server::{AppParts, build_router, metrics_router};
use custos_store::{Directory, SignInLog, WriterOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

/// With a shared (PostgreSQL) database, how old a tenant's cached directory snapshot may get: the
/// fallback for a change notification that was lost.
const SHARED_DATABASE_CACHE_AGE: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Where custos keeps its database, keys and certificates (initialised when empty).
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-data")]
    data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port (default: 127.0.0.1:8443, or
    /// 127.0.0.1:443 with --entra-hosts unless --insecure-http).
    #[arg(long, env = "CUSTOS_LISTEN")]
    listen: Option<SocketAddr>,
    /// The external https URL clients use (default: https://localhost:PORT).
    #[arg(long, env = "CUSTOS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Answer as Microsoft's cloud: issuers, discovery, instance discovery and Graph on
    /// login.microsoftonline.com, sts.windows.net and graph.microsoft.com (port 443, or behind a
    /// proxy), for applications configured for Microsoft's cloud once those names resolve to
    /// this server and its CA is trusted. Only inside networks you control. Excludes
    /// --public-url.
    #[arg(long, env = "CUSTOS_ENTRA_HOSTS")]
    entra_hosts: bool,
    /// `sqlite://PATH` or `postgres://...` (default: SQLite in the data directory).
    #[arg(long, env = "CUSTOS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Domain name of the first tenant, when the data directory is initialised by this run.
    #[arg(long, env = "CUSTOS_TENANT_DOMAIN", default_value = "default.custos.local")]
    tenant_domain: String,
    /// Also register a sample resource API and daemon client, and print a token request for them.
    #[arg(long, env = "CUSTOS_DEMO")]
    demo: bool,
    /// PEM certificate chain to serve instead of the development certificate.
    #[arg(long, env = "CUSTOS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "CUSTOS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Serve plain HTTP, for running behind a TLS-terminating proxy (--public-url must then be
    /// the external https URL).
    #[arg(long, env = "CUSTOS_INSECURE_HTTP", conflicts_with_all = ["tls_cert", "tls_key"])]
    insecure_http: bool,
    /// Log format.
    #[arg(long, env = "CUSTOS_LOG_FORMAT", value_enum, default_value = "human")]
    log_format: LogFormat,
    /// How long a token-signing key signs before the next one takes over (e.g. 30d).
    #[arg(long, env = "CUSTOS_KEY_ROTATION_INTERVAL", default_value = "30d", value_parser = parse_duration)]
    key_rotation_interval: time::Duration,
    /// How long a scheduled signing key is published before it signs (e.g. 24h).
    #[arg(long, env = "CUSTOS_KEY_PUBLISH_AHEAD", default_value = "24h", value_parser = parse_duration)]
    key_publish_ahead: time::Duration,
    /// Lifetime (`expires_in`) of tokens issued to managed identities, in seconds (Entra's ≈ 24 h).
    #[arg(long, env = "CUSTOS_MI_TOKEN_LIFETIME", value_name = "SECS",
          default_value_t = custos_authority::DEFAULT_MI_TOKEN_LIFETIME_SECS,
          value_parser = clap::value_parser!(i64).range(600..=7 * 86_400))]
    mi_token_lifetime: i64,
    /// Workload identity federation: an issuer whose discovery document and keys may be fetched
    /// from a loopback, private or link-local address (https is still required). Repeatable;
    /// the value must equal the issuer exactly, as its tokens' `iss` and its federated
    /// credentials name it.
    #[arg(
        long = "federation-allow-issuer",
        env = "CUSTOS_FEDERATION_ALLOW_ISSUER",
        value_name = "URL",
        value_delimiter = ','
    )]
    federation_allow_issuer: Vec<String>,
    /// PEM file of extra trust anchors for fetching external issuers' metadata (in addition to
    /// the system roots).
    #[arg(long, env = "CUSTOS_FEDERATION_CA", value_name = "FILE")]
    federation_ca: Option<PathBuf>,
    /// Also serve the managed-identity protocols (GET /msi/token, GET
    /// /metadata/identity/oauth2/token) for identities given an endpoint secret with
    /// `custos mi endpoint-secret create`. For development: in production run `custos agent`.
    #[arg(long, env = "CUSTOS_DEV_MANAGED_IDENTITY_ENDPOINTS")]
    dev_managed_identity_endpoints: bool,
    /// Sign-in logging: `on` records every token and sign-in decision (written in batches at
    /// least every second; a crash loses at most the last second, a clean shutdown nothing),
    /// `off` records none (for measuring its cost).
    #[arg(long, env = "CUSTOS_SIGN_IN_LOG", value_enum, default_value = "on")]
    sign_in_log: Switch,
    /// Serve GET /metrics on its own plain-HTTP listener at this address instead of on the
    /// public one (which then answers 404 there). A bare port means loopback (`9464` is
    /// `127.0.0.1:9464`); any other address is written as IP:PORT.
    #[arg(long, env = "CUSTOS_METRICS_LISTEN", value_name = "ADDR", value_parser = metrics_address)]
    metrics_listen: Option<SocketAddr>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    throttle: ThrottleArgs,
}

/// The address to listen on: `--listen`, else loopback on 443 for Entra host names served over
/// TLS, else on 8443.
fn listen_address(args: &ServeArgs) -> SocketAddr {
    let port = if args.entra_hosts && !args.insecure_http { 443 } else { 8443 };
    args.listen.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], port)))
}

/// `--metrics-listen`: `HOST:PORT`, or a bare port on loopback.
fn metrics_address(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.parse().map_err(|_| format!("'{text}' is neither a port nor an address such as 127.0.0.1:9464"))
}

/// An on/off option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}

/// How often the signing keys are maintained (scheduled rotation, promotion, retirement, and
/// picking up other nodes' rotations).
const KEY_TICK: std::time::Duration = std::time::Duration::from_secs(60);

pub(crate) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let _log_flush = init_logging(args.log_format);
    if args.insecure_http
        && !args.entra_hosts
        && !args.public_url.as_deref().is_some_and(|u| u.starts_with("https://"))
    {
        anyhow::bail!(
            "--insecure-http needs --public-url set to the external https:// URL of the TLS-terminating proxy"
        );
    }
    // Checked before anything is bound or written; the default public URL's port is known
    // only once bound (below).
    let configured = origins(args.public_url.as_deref(), args.entra_hosts, crate::init::DEFAULT_PUBLIC_URL)?;
    let listen = listen_address(&args);
    let dir = DataDir::new(&args.data_dir);
    let database_url = from_file_env(args.database_url.clone(), "CUSTOS_DATABASE_URL")?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let tls = if args.insecure_http {
        None
    } else if let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) {
        Some(load_server_config(cert, key)?)
    } else {
        ensure_dev_tls(&dir.tls, &configured.host_names(), clock.now())?;
        Some(load_server_config(&dir.tls.server_cert, &dir.tls.server_key)?)
    };
    let listener = Listener::bind(listen, tls)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?
        .with_limits(args.limits.limits());
    let bound = listener.local_addr()?;
    let metrics_listener = match args.metrics_listen {
        Some(addr) => Some(
            Listener::bind(addr, None)
                .await
                .with_context(|| format!("cannot listen on {addr} for metrics"))?,
        ),
        None => None,
    };
    let origins = origins(
        args.public_url.as_deref(),
        args.entra_hosts,
        &format!("https://localhost:{}", bound.port()),
    )?;
    let public_url = origins.public().to_owned();
    // Initialise after binding, so that the profile records the port actually in use.
    if !dir.is_initialized() {
        let profile = initialize(&InitArgs {
            data_dir: args.data_dir.clone(),
            public_url: (!origins.is_entra()).then(|| public_url.clone()),
            entra_hosts: origins.is_entra(),
            tenant_domain: args.tenant_domain.clone(),
            database_url: database_url.clone(),
            json: false,
        })
        .await?;
        print_summary(&profile);
    }

    let database_url = database_url.unwrap_or_else(|| dir.default_database_url());
    let store = custos_store::open(&database_url).await.context("cannot open the database")?;
    // Several servers may share a PostgreSQL database: their changes are announced through the
    // database (below); the age bound covers a lost notification.
    let directory = if database_url.starts_with("postgres") {
        Directory::new(store.clone()).with_max_age(SHARED_DATABASE_CACHE_AGE, clock.clone())
    } else {
        Directory::new(store.clone())
    };
    let directory = Arc::new(directory);
    // Data directories made by an older version gain the built-in resources added since.
    custos_directory::builtins::ensure_builtins(directory.as_ref(), clock.as_ref())
        .await
        .context("cannot bring the built-in resources up to date")?;
    let policy = KeyPolicy {
        rotate_every: args.key_rotation_interval,
        publish_ahead: args.key_publish_ahead,
        ..KeyPolicy::default()
    };
    let keys = KeyManager::load_with_policy(store.clone(), dir.key_encryption_key()?, clock.clone(), policy)
        .await
        .context("cannot load the token-signing keys")?;
    let hasher = SecretHasher::new(&dir.secret_hash_key()?);
    let sign_in_log = match args.sign_in_log {
        Switch::On => SignInLog::start(store.clone(), WriterOptions::default()),
        Switch::Off => SignInLog::off(),
    };
    let authority_config = AuthorityConfig {
        mi_token_lifetime_secs: args.mi_token_lifetime,
        managed_identity_endpoints: args.dev_managed_identity_endpoints,
        throttle: args.throttle.client_auth(),
        admission: args.throttle.admission(),
        ..AuthorityConfig::for_origins(origins.clone())
    };
    let authority = Arc::new(
        Authority::new(authority_config, directory.clone(), hasher.clone(), keys, clock.clone())
            .with_federation(&federation_config(&args)?)?
            .with_sign_in_log(sign_in_log.clone()),
    );
    let directory_state = DirectoryState {
        store: directory.clone(),
        authenticator: Arc::new(AuthorityCallers(authority.clone())),
        signing_keys: Arc::new(AuthoritySigningKeys(authority.clone())),
        endpoint_secrets: Arc::new(AuthorityEndpointSecrets(authority.clone())),
        hasher,
        clock: clock.clone(),
        origins: origins.clone(),
        paging_key: dir.paging_key()?,
        rate_limits: Arc::new(CallerLimits::new(args.throttle.rate_limits())),
        whole_reads: Default::default(),
    };
    // Every tenant's portal registration answers at this server's public URL.
    custos_directory::portal_app::ensure_portal(directory.as_ref(), clock.as_ref(), &public_url)
        .await
        .context("cannot register the admin portal")?;
    if args.demo {
        crate::demo::register_and_print(&dir, directory.as_ref(), &directory_state, &public_url).await?;
    }
    // Sign-ins and directory audits past their tenant's retention, and dead sign-in state.
    let retention = tokio::spawn(custos_store::retention::run(
        store.clone(),
        clock.clone(),
        custos_store::retention::PURGE_INTERVAL,
    ));
    // Other servers sharing the database announce their changes (PostgreSQL LISTEN/NOTIFY).
    let changes = custos_store::Store::change_feed(directory.as_ref())
        .await
        .context("cannot listen for the database's changes")?
        .map(|feed| tokio::spawn(custos_server::follow_changes(feed, directory.clone(), authority.clone())));
    let key_schedule = tokio::spawn({
        let authority = authority.clone();
        async move { authority.keys().run_schedule(KEY_TICK).await }
    });
    let scheduling = tokio::spawn({
        let authority = authority.clone();
        async move {
            if let Err(e) = authority.watch_scheduling().await {
                tracing::warn!(error = %e, "cannot measure the request queue: load shedding counts only waits for a turn");
            }
        }
    });
    let signin_config =
        custos_signin::SigninConfig { origins: origins.clone(), csrf_key: dir.csrf_key()?.into() };
    let signin = custos_signin::SignIn::new(&signin_config, directory.clone(), clock.clone())
        .context("cannot start the sign-in endpoints")?
        .with_sign_in_log(sign_in_log.clone());
    let parts = AppParts {
        authority,
        directory: directory_state,
        store,
        signin: Some(Arc::new(signin)),
        portal: Some(custos_portal::PortalConfig {
            public_url: public_url.clone(),
            session_key: dir.portal_key()?.into(),
            csrf_key: dir.csrf_key()?.into(),
            clock: clock.clone(),
        }),
        separate_metrics: metrics_listener.is_some(),
    };
    // Stops with the public listener (dropping the sender resolves its shutdown future).
    let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
    let metrics_server = match metrics_listener {
        Some(metrics) => {
            let addr = metrics.local_addr()?;
            if !addr.ip().is_loopback() {
                tracing::warn!(%addr, "metrics are served over plain HTTP on a non-loopback address");
            }
            tracing::info!("metrics listening on http://{addr}/metrics");
            let router = metrics_router(&parts);
            Some(tokio::spawn(metrics.serve_tower(router, async move {
                let _ = metrics_stopped.await;
            })))
        }
        None => None,
    };
    let router = build_router(parts);

    if args.dev_managed_identity_endpoints {
        tracing::warn!(
            "managed-identity development endpoints are on: anyone holding an endpoint secret gets that identity's tokens"
        );
    }
    let shutdown = shutdown_signal();
    tracing::info!(public_url = %public_url, "listening on {}://{}", listener.scheme(), bound);
    listener.serve_tower(router, shutdown).await;
    drop(stop_metrics);
    if let Some(metrics_server) = metrics_server {
        let _ = metrics_server.await;
    }
    // Every request has been answered: what they recorded is written before the process ends.
    sign_in_log.close().await;
    key_schedule.abort();
    scheduling.abort();
    if let Some(changes) = changes {
        changes.abort();
    }
    retention.abort();
    tracing::info!("stopped");
    Ok(())
}

/// The workload identity federation settings of `--federation-allow-issuer` and `--federation-ca`.
fn federation_config(args: &ServeArgs) -> anyhow::Result<FederationConfig> {
    let mut config = FederationConfig::default();
    for issuer in &args.federation_allow_issuer {
        config = config.allow_issuer(issuer.as_str())?;
    }
    if let Some(path) = &args.federation_ca {
        config = config.with_ca_file(path)?;
    }
    Ok(config)
}

#[cfg(test)]
mod key_flag_tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    #[test]
    fn key_rotation_flags_take_operator_durations() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(cli.serve.key_rotation_interval, time::Duration::days(30));
        assert_eq!(cli.serve.key_publish_ahead, time::Duration::hours(24));
        let cli =
            Cli::try_parse_from(["serve", "--key-rotation-interval", "7d", "--key-publish-ahead", "90m"])
                .unwrap();
        assert_eq!(cli.serve.key_rotation_interval, time::Duration::days(7));
        assert_eq!(cli.serve.key_publish_ahead, time::Duration::minutes(90));
        let err = Cli::try_parse_from(["serve", "--key-publish-ahead", "1 day"]).unwrap_err();
        assert!(err.to_string().contains("'1 day' is not a duration"), "{err}");
    }

    #[test]
    fn entra_host_names_listen_on_443_unless_told_otherwise() {
        let parse = |argv: &[&str]| Cli::try_parse_from(argv).unwrap().serve;
        assert_eq!(listen_address(&parse(&["serve"])), "127.0.0.1:8443".parse().unwrap());
        let entra = parse(&["serve", "--entra-hosts"]);
        assert!(entra.entra_hosts);
        assert_eq!(listen_address(&entra), "127.0.0.1:443".parse().unwrap());
        let proxied = parse(&["serve", "--entra-hosts", "--insecure-http"]);
        assert_eq!(listen_address(&proxied), "127.0.0.1:8443".parse().unwrap());
        let given = parse(&["serve", "--entra-hosts", "--listen", "0.0.0.0:8443"]);
        assert_eq!(listen_address(&given), "0.0.0.0:8443".parse().unwrap());
    }

    #[test]
    fn metrics_listen_takes_an_address_or_a_bare_port_on_loopback() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert_eq!(cli.serve.metrics_listen, None);
        let cli = Cli::try_parse_from(["serve", "--metrics-listen", "9464"]).unwrap();
        assert_eq!(cli.serve.metrics_listen, Some("127.0.0.1:9464".parse().unwrap()));
        let cli = Cli::try_parse_from(["serve", "--metrics-listen", "[::]:9464"]).unwrap();
        assert_eq!(cli.serve.metrics_listen, Some("[::]:9464".parse().unwrap()));
        let err = Cli::try_parse_from(["serve", "--metrics-listen", "localhost:9464"]).unwrap_err();
        assert!(
            err.to_string()
                .contains("'localhost:9464' is neither a port nor an address such as 127.0.0.1:9464"),
            "{err}"
        );
    }

    #[test]
    fn federation_flags_repeat_and_are_checked() {
        let cli = Cli::try_parse_from(["serve"]).unwrap();
        assert!(federation_config(&cli.serve).unwrap().allowed_issuers.is_empty());
        let cli = Cli::try_parse_from([
            "serve",
            "--federation-allow-issuer",
            "https://127.0.0.1:9443/t/v2.0",
            "--federation-allow-issuer",
            "https://localhost:9443/u/",
        ])
        .unwrap();
        assert_eq!(
            federation_config(&cli.serve).unwrap().allowed_issuers,
            ["https://127.0.0.1:9443/t/v2.0", "https://localhost:9443/u/"]
        );
        let cli =
            Cli::try_parse_from(["serve", "--federation-allow-issuer", "http://127.0.0.1:9443/t/"]).unwrap();
        let err = federation_config(&cli.serve).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--federation-allow-issuer 'http://127.0.0.1:9443/t/' must be an absolute https URL"
        );
        let cli = Cli::try_parse_from(["serve", "--federation-ca", "/nonexistent/ca.pem"]).unwrap();
        assert!(
            federation_config(&cli.serve)
                .unwrap_err()
                .to_string()
                .starts_with("--federation-ca /nonexistent/ca.pem")
        );
    }
}
