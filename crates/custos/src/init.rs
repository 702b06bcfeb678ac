//! `custos init`: creates what a fresh installation needs. Idempotent.

use crate::datadir::{DataDir, from_file_env};
use crate::public_url::origins;
use anyhow::Context;
use custos_core::{Clock, SystemClock};
use custos_jose::secret::SecretHasher;
use custos_server::tls::{ensure_dev_tls, write_file};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// Default public URL when none is given.
pub(crate) const DEFAULT_PUBLIC_URL: &str = "https://localhost:8443";

#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// Where custos keeps its database, keys and certificates.
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-data")]
    pub(crate) data_dir: PathBuf,
    /// The external https URL clients use (issuer and endpoints are derived from it).
    #[arg(long, env = "CUSTOS_PUBLIC_URL")]
    pub(crate) public_url: Option<String>,
    /// Answer as Microsoft's cloud: the server certificate also names login.microsoftonline.com,
    /// login.windows.net, sts.windows.net, graph.microsoft.com, manage.office.com,
    /// management.azure.com and main.iam.ad.ext.azure.com, and the admin profile points at
    /// https://login.microsoftonline.com (see `serve --entra-hosts`).
    #[arg(long, env = "CUSTOS_ENTRA_HOSTS")]
    pub(crate) entra_hosts: bool,
    /// Domain name of the first tenant.
    #[arg(long, env = "CUSTOS_TENANT_DOMAIN", default_value = "default.custos.local")]
    pub(crate) tenant_domain: String,
    /// `sqlite://PATH` or `postgres://...` (default: SQLite in the data directory).
    #[arg(long, env = "CUSTOS_DATABASE_URL", hide_env_values = true)]
    pub(crate) database_url: Option<String>,
    /// Print exactly one JSON object on stdout.
    #[arg(long)]
    pub(crate) json: bool,
}

/// What `init` prints, and the admin CLI profile it writes (`DIR/admin.json`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Profile {
    pub(crate) public_url: String,
    pub(crate) tenant_id: String,
    pub(crate) tenant_domain: String,
    pub(crate) admin_client_id: String,
    pub(crate) admin_client_secret: Option<String>,
    pub(crate) ca_cert_path: String,
    pub(crate) graph_base_url: String,
}

pub(crate) async fn run(args: InitArgs) -> anyhow::Result<()> {
    let json = args.json;
    let profile = initialize(&args).await?;
    if json {
        println!("{}", serde_json::to_string(&profile)?);
    } else {
        print_summary(&profile);
    }
    Ok(())
}

/// Prints what a person needs after `init` (used by `serve` on a fresh directory too).
pub(crate) fn print_summary(p: &Profile) {
    println!("custos is initialised.");
    println!("  public URL        {}", p.public_url);
    println!("  tenant            {} ({})", p.tenant_id, p.tenant_domain);
    println!("  admin client id   {}", p.admin_client_id);
    match &p.admin_client_secret {
        Some(secret) => println!("  admin secret      {secret}   (shown once; also in admin.json)"),
        None => println!("  admin secret      (shown when it was created; see admin.json)"),
    }
    println!("  trust this CA     {}", p.ca_cert_path);
}

/// Creates the data directory, TLS material, keys, database, first tenant and bootstrap admin
/// unless they exist. Returns the profile; its secret is `None` when it was created earlier.
pub(crate) async fn initialize(args: &InitArgs) -> anyhow::Result<Profile> {
    let clock = SystemClock;
    let dir = DataDir::new(&args.data_dir);
    dir.create()?;
    let origins = origins(args.public_url.as_deref(), args.entra_hosts, DEFAULT_PUBLIC_URL)?;
    ensure_dev_tls(&dir.tls, &origins.host_names(), clock.now())?;
    let public_url = origins.public().to_owned();
    let graph_base_url = format!("{}/v1.0", origins.graph());

    let database_url = from_file_env(args.database_url.clone(), "CUSTOS_DATABASE_URL")?
        .unwrap_or_else(|| dir.default_database_url());
    let store = custos_store::open(&database_url).await.with_context(|| "cannot open the database")?;
    let clock: Arc<dyn Clock> = Arc::new(clock);
    // Loading the key manager creates (and publishes) the first signing key.
    custos_authority::keys::KeyManager::load(store.clone(), dir.key_encryption_key()?, clock.clone())
        .await
        .context("cannot prepare the token-signing key")?;

    let ca_cert_path = dir.tls.ca_cert.display().to_string();
    if dir.admin_profile().exists() && !store.tenants().await?.is_empty() {
        let text = std::fs::read_to_string(dir.admin_profile())?;
        let mut profile: Profile = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a custos admin profile", dir.admin_profile().display()))?;
        profile.admin_client_secret = None;
        return Ok(profile);
    }

    let hasher = SecretHasher::new(&dir.secret_hash_key()?);
    if let Some(home) = store.tenants().await?.into_iter().next() {
        // Provisioned, but the profile was never written (a crash) or was deleted.
        return recover_profile(
            store.as_ref(),
            &hasher,
            clock.as_ref(),
            &dir,
            home,
            Urls { public_url, graph_base_url },
            ca_cert_path,
        )
        .await;
    }
    let context = custos_core::audit::AuditContext::installation(clock.now());
    let provisioned = custos_directory::provision::provision_tenant(
        store.as_ref(),
        &context,
        &hasher,
        clock.as_ref(),
        &args.tenant_domain,
        "Default tenant",
        custos_directory::provision::AdminScope::Installation,
    )
    .await
    .context("cannot create the first tenant")?;
    let profile = Profile {
        graph_base_url,
        public_url,
        tenant_id: provisioned.tenant.id.to_string(),
        tenant_domain: provisioned.tenant.domain.clone(),
        admin_client_id: provisioned.admin_app_id.to_string(),
        admin_client_secret: Some(provisioned.admin_secret.expose().clone()),
        ca_cert_path,
    };
    write_file(&dir.admin_profile(), &serde_json::to_vec_pretty(&profile)?, 0o600)?;
    Ok(profile)
}

/// The profile's URLs: the server's and Graph's.
struct Urls {
    public_url: String,
    graph_base_url: String,
}

/// Writes a new admin profile for an installation whose `admin.json` is missing: the home
/// tenant's administrator is recovered (as `custos recover-admin` does) with a new client
/// secret (the old one exists only as a hash).
async fn recover_profile(
    store: &dyn custos_store::Store,
    hasher: &SecretHasher,
    clock: &dyn Clock,
    dir: &DataDir,
    home: custos_core::model::Tenant,
    urls: Urls,
    ca_cert_path: String,
) -> anyhow::Result<Profile> {
    let tenant = home.id.to_string();
    let recovered = custos_directory::provision::recover_admin(store, hasher, clock, Some(&tenant))
        .await
        .context("cannot give the home tenant's administrator a new secret")?;
    eprintln!(
        "warning: {} was missing; the bootstrap admin of tenant {} got a new client secret",
        dir.admin_profile().display(),
        home.id
    );
    let profile = Profile {
        graph_base_url: urls.graph_base_url,
        public_url: urls.public_url,
        tenant_id: tenant,
        tenant_domain: recovered.tenant.domain,
        admin_client_id: recovered.admin.app_id.to_string(),
        admin_client_secret: Some(recovered.secret.expose().clone()),
        ca_cert_path,
    };
    write_file(&dir.admin_profile(), &serde_json::to_vec_pretty(&profile)?, 0o600)?;
    Ok(profile)
}
