//! The command line of `custos sample office365-management`, checked once into [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;

use custos_core::duration::parse_duration;

use super::auth::Trust;
use super::feed::PublicBase;
use crate::{Listen, TlsArgs};

/// `custos sample office365-management` options.
#[derive(Debug, Clone, clap::Args)]
pub struct Cli {
    /// Address to serve the API on (plain HTTP unless --tls-cert is given); port 0 picks a free
    /// port and then needs --public-url.
    #[arg(long, env = "CUSTOS_LISTEN")]
    pub listen: SocketAddr,
    /// Base URL of the authority whose tokens the API accepts, for every tenant.
    #[arg(long, env = "CUSTOS_AUTHORITY")]
    pub authority: String,
    /// Directory for the sample's own data (a SQLite file: subscriptions, blobs, the webhook outbox).
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-sample-data")]
    pub data_dir: PathBuf,
    /// Extra trust anchor (PEM) for the authority and Graph.
    #[arg(long, env = "CUSTOS_CA")]
    pub ca: Option<PathBuf>,
    /// `--tls-cert`, `--tls-key`.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// The API's URL as clients reach it: the origin of contentUri and NextPageUri
    /// (default: http(s)://LISTEN).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Where Graph is served (default: the authority; custos serves Graph on its public URL).
    #[arg(long)]
    pub graph_url: Option<String>,
    /// The application the sample reads each tenant's log as: it needs the Graph application
    /// permission AuditLog.Read.All in every tenant it serves. Without it, Audit.AzureActiveDirectory
    /// subscriptions work but stay empty.
    #[arg(long, value_name = "ID", requires = "credential")]
    pub client_id: Option<String>,
    /// File holding that application's client secret.
    #[arg(long, value_name = "FILE", group = "credential")]
    pub client_secret_file: Option<PathBuf>,
    /// PEM file with that application's certificate and private key (PS256 client assertions).
    #[arg(long, value_name = "FILE", group = "credential")]
    pub certificate: Option<PathBuf>,
    /// Also put service-principal and managed-identity sign-ins (token requests of apps) in
    /// Audit.AzureActiveDirectory, as RecordType 15 (a custos extension: Microsoft's feed has none).
    #[arg(long)]
    pub include_workload_sign_ins: bool,
    /// Generate events for Audit.Exchange, Audit.SharePoint, Audit.General and DLP.All at RATE
    /// per minute (off by default).
    #[arg(long, value_name = "RATE")]
    pub generate_activity: Option<f64>,
    /// How often a content blob is cut (the shortest window of a blob).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub blob_interval: time::Duration,
    /// Answer 403 AF429 beyond N requests a minute per tenant (no limit by default).
    #[arg(long, value_name = "N")]
    pub throttle_per_minute: Option<u32>,
    /// DEVELOPMENT: a webhook host (name or name:port) exempt from the address rule (https only,
    /// public addresses only); it may also use plain http. Repeatable.
    #[arg(long, value_name = "HOST")]
    pub allow_webhook_host: Vec<String>,
}

/// Why the options were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A URL option is not an absolute http(s) URL.
    #[error("--{0} must be an absolute http(s) URL")]
    Url(&'static str),
    /// `--generate-activity` is not a positive number.
    #[error("--generate-activity must be a positive number of events per minute")]
    Rate,
    /// `--blob-interval` is zero.
    #[error("--blob-interval must be at least one second")]
    Interval,
    /// `--client-id` is not a GUID.
    #[error("--client-id must be a GUID")]
    ClientId,
    /// `--listen` picks a port but no `--public-url` says how clients reach it.
    #[error("--listen with port 0 needs --public-url (contentUri and NextPageUri carry it)")]
    PublicUrlNeeded,
    /// A credential option without `--client-id`.
    #[error("--client-secret-file and --certificate need --client-id")]
    CredentialWithoutClient,
    /// The secret file is unreadable or empty.
    #[error("cannot read the client secret from {0}")]
    SecretFile(String),
}

/// How the sample authenticates to read the tenants' logs.
#[derive(Debug, Clone)]
pub struct Reader {
    /// Its client id.
    pub client_id: String,
    /// Its secret or certificate.
    pub credential: ReaderCredential,
}

/// The reader's credential.
#[derive(Debug, Clone)]
pub enum ReaderCredential {
    /// A client secret (read from its file at start-up).
    Secret(std::sync::Arc<custos_core::Secret<String>>),
    /// A PEM file with certificate and key.
    Certificate(PathBuf),
}

/// The checked options.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: Listen,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The authority and how to reach it.
    pub trust: Trust,
    /// Graph's base URL.
    pub graph_url: String,
    /// The origin of contentUri and NextPageUri.
    pub public_base: PublicBase,
    /// The sample's own identity for Graph, when given.
    pub reader: Option<Reader>,
    /// Service-principal and managed-identity sign-ins in Audit.AzureActiveDirectory.
    pub include_workload_sign_ins: bool,
    /// Generated events per minute.
    pub generate_per_minute: Option<f64>,
    /// The shortest blob window.
    pub blob_interval: time::Duration,
    /// The per-tenant request budget.
    pub throttle_per_minute: Option<u32>,
    /// Webhook hosts exempt from the address rule.
    pub allowed_webhook_hosts: Vec<String>,
}

fn http_url(option: &'static str, raw: &str) -> Result<reqwest::Url, SettingsError> {
    crate::common::http_url(raw).ok_or(SettingsError::Url(option))
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Settings {
    /// Checks every option.
    pub fn from_cli(cli: &Cli) -> Result<Self, SettingsError> {
        let authority = http_url("authority", &cli.authority)?;
        let scheme = cli.tls.scheme();
        let public = match &cli.public_url {
            Some(raw) => http_url("public-url", raw)?.to_string(),
            None if cli.listen.port() == 0 => return Err(SettingsError::PublicUrlNeeded),
            None => format!("{scheme}://{}", cli.listen),
        };
        let graph = match &cli.graph_url {
            Some(raw) => http_url("graph-url", raw)?.to_string(),
            None => authority.to_string(),
        };
        if cli.generate_activity.is_some_and(|r| !r.is_finite() || r <= 0.0) {
            return Err(SettingsError::Rate);
        }
        if cli.blob_interval < time::Duration::seconds(1) {
            return Err(SettingsError::Interval);
        }
        let reader = match (&cli.client_id, &cli.client_secret_file, &cli.certificate) {
            (None, None, None) => None,
            (None, _, _) => return Err(SettingsError::CredentialWithoutClient),
            (Some(id), _, _) if id.parse::<uuid::Uuid>().is_err() => return Err(SettingsError::ClientId),
            (Some(id), Some(file), _) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|_| SettingsError::SecretFile(file.display().to_string()))?;
                let secret = text.trim();
                if secret.is_empty() {
                    return Err(SettingsError::SecretFile(file.display().to_string()));
                }
                let secret = std::sync::Arc::new(custos_core::Secret::new(secret.to_owned()));
                Some(Reader { client_id: id.clone(), credential: ReaderCredential::Secret(secret) })
            }
            (Some(id), None, Some(pem)) => {
                Some(Reader { client_id: id.clone(), credential: ReaderCredential::Certificate(pem.clone()) })
            }
            (Some(_), None, None) => return Err(SettingsError::CredentialWithoutClient),
        };
        Ok(Self {
            listen: cli.tls.listen(cli.listen),
            data_dir: cli.data_dir.clone(),
            trust: Trust {
                authority: authority.as_str().trim_end_matches('/').to_owned(),
                ca: cli.ca.clone(),
                allow_http_loopback: authority.scheme() == "http" && is_loopback(&authority),
            },
            graph_url: graph.trim_end_matches('/').to_owned(),
            public_base: PublicBase::new(&public),
            reader,
            include_workload_sign_ins: cli.include_workload_sign_ins,
            generate_per_minute: cli.generate_activity,
            blob_interval: time::Duration::try_from(cli.blob_interval)
                .map_err(|_| SettingsError::Interval)?,
            throttle_per_minute: cli.throttle_per_minute,
            allowed_webhook_hosts: cli.allow_webhook_host.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Command {
        #[command(flatten)]
        cli: Cli,
    }

    fn parse(args: &[&str]) -> Result<Settings, String> {
        let mut argv = vec!["sample", "--listen", "127.0.0.1:7050"];
        if !args.contains(&"--authority") {
            argv.extend(["--authority", "https://localhost:8443"]);
        }
        argv.extend_from_slice(args);
        let command = Command::try_parse_from(argv).map_err(|e| e.kind().to_string())?;
        Settings::from_cli(&command.cli).map_err(|e| e.to_string())
    }

    #[test]
    fn options_are_checked_once() {
        let settings = parse(&["--blob-interval", "5s", "--generate-activity", "30"]).unwrap();
        assert_eq!(settings.blob_interval, time::Duration::seconds(5));
        assert_eq!(settings.public_base, PublicBase::new("http://127.0.0.1:7050"));
        assert_eq!(settings.graph_url, "https://localhost:8443");
        assert!(settings.reader.is_none() && !settings.trust.allow_http_loopback);
        assert_eq!(parse(&["--blob-interval", "0s"]).unwrap_err(), SettingsError::Interval.to_string());
        assert_eq!(parse(&["--generate-activity=-1"]).unwrap_err(), SettingsError::Rate.to_string());
        assert!(
            parse(&["--client-id", "c5393580-f805-4401-95e8-94b7a6ef2fc2"]).is_err(),
            "a client needs a credential"
        );
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("reader.secret");
        std::fs::write(&secret, "s3cret\n").unwrap();
        let path = secret.to_str().unwrap();
        assert_eq!(
            parse(&["--client-id", "nope", "--client-secret-file", path]).unwrap_err(),
            SettingsError::ClientId.to_string()
        );
        let settings =
            parse(&["--client-id", "c5393580-f805-4401-95e8-94b7a6ef2fc2", "--client-secret-file", path])
                .unwrap();
        match settings.reader.unwrap().credential {
            ReaderCredential::Secret(secret) => assert_eq!(secret.expose(), "s3cret"),
            ReaderCredential::Certificate(_) => panic!("a secret was given"),
        }
        let local =
            parse(&["--authority", "http://127.0.0.1:9000", "--public-url", "https://manage.contoso.test/"]);
        let local = local.unwrap();
        assert!(local.trust.allow_http_loopback);
        assert_eq!(local.public_base, PublicBase::new("https://manage.contoso.test"));
    }
}
