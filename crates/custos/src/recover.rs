//! `custos recover-admin`: gives a tenant a working administrator again and prints a new admin
//! client secret, working offline on the data directory (which is the root of trust: whoever
//! can read its keys and database can do anything anyway). For a tenant that locked itself out
//! over Graph, or an installation whose `admin.json` is lost. It adds a secret and removes
//! none. Run it with the server stopped, or restart the server afterwards: a server on SQLite
//! keeps its directory cache until its own next write (one sharing PostgreSQL rereads within
//! 30 s).
//!
//! The domain work is `custos_directory::provision::recover_admin`; this module finds the
//! store, prints the result once and, for the home tenant, rewrites `DIR/admin.json` (0600).

use crate::datadir::{DataDir, from_file_env};
use crate::init::{DEFAULT_PUBLIC_URL, Profile};
use anyhow::Context;
use custos_core::SystemClock;
use custos_directory::provision::{RecoveredAdmin, recover_admin};
use custos_jose::secret::SecretHasher;
use custos_server::tls::write_file;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub(crate) struct RecoverArgs {
    /// The installation's data directory (the one `custos init` created).
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-data")]
    data_dir: PathBuf,
    /// The tenant (GUID or domain) whose administrator to recover; default: the home tenant,
    /// whose admin also administers the installation (`Custos.Admin`).
    #[arg(long, env = "CUSTOS_TENANT")]
    tenant: Option<String>,
    /// `sqlite://PATH` or `postgres://...` (default: SQLite in the data directory).
    #[arg(long, env = "CUSTOS_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The public URL to record in the profile (default: the one `admin.json` holds, else
    /// https://localhost:8443).
    #[arg(long, env = "CUSTOS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Print exactly one JSON object on stdout (the fields of `admin.json`).
    #[arg(long)]
    json: bool,
}

pub(crate) async fn run(args: RecoverArgs) -> anyhow::Result<()> {
    let dir = DataDir::new(&args.data_dir);
    let hash_key = dir.root.join("keys/secret-hash");
    anyhow::ensure!(
        hash_key.exists(),
        "{} is not an initialised custos data directory ({} is missing): run `custos init` there first",
        dir.root.display(),
        hash_key.display()
    );
    let database_url = from_file_env(args.database_url.clone(), "CUSTOS_DATABASE_URL")?
        .unwrap_or_else(|| dir.default_database_url());
    let store = custos_store::open(&database_url).await.context("cannot open the database")?;
    let hasher = SecretHasher::new(&dir.secret_hash_key()?);
    let home = store.tenants().await?.into_iter().next().map(|t| t.id);
    let recovered = recover_admin(store.as_ref(), &hasher, &SystemClock, args.tenant.as_deref())
        .await
        .context("cannot recover an administrator")?;
    let is_home = home == Some(recovered.tenant.id);
    let profile = profile(&dir, &args, recovered)?;
    if is_home {
        write_file(&dir.admin_profile(), &serde_json::to_vec_pretty(&profile)?, 0o600)?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&profile)?);
    } else {
        println!("A new administrator secret for tenant {} ({}).", profile.tenant_id, profile.tenant_domain);
        println!("  admin client id   {}", profile.admin_client_id);
        if let Some(secret) = &profile.admin_client_secret {
            println!("  admin secret      {secret}   (shown once)");
        }
        if is_home {
            println!("  written to        {}", dir.admin_profile().display());
        }
        println!("Restart `custos serve` if it is running on this data directory.");
    }
    Ok(())
}

/// The admin profile for the recovered administrator.
fn profile(dir: &DataDir, args: &RecoverArgs, recovered: RecoveredAdmin) -> anyhow::Result<Profile> {
    let public_url = match &args.public_url {
        Some(url) => url.clone(),
        None => existing_public_url(dir).unwrap_or_else(|| DEFAULT_PUBLIC_URL.to_owned()),
    };
    let public_url = crate::public_url::normalize_public_url(&public_url)?;
    Ok(Profile {
        graph_base_url: format!("{public_url}/v1.0"),
        public_url,
        tenant_id: recovered.tenant.id.to_string(),
        tenant_domain: recovered.tenant.domain,
        admin_client_id: recovered.admin.app_id.to_string(),
        admin_client_secret: Some(recovered.secret.expose().clone()),
        ca_cert_path: dir.tls.ca_cert.display().to_string(),
    })
}

/// The public URL of the existing `admin.json`, when it can be read.
fn existing_public_url(dir: &DataDir) -> Option<String> {
    let text = std::fs::read_to_string(dir.admin_profile()).ok()?;
    serde_json::from_str::<Profile>(&text).ok().map(|p| p.public_url)
}
