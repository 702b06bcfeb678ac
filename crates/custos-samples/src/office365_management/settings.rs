//! The command line of `custos sample office365-management`, checked once into [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;

use custos_core::duration::parse_duration;

use super::auth::Trust;
use super::feed::PublicBase;
use super::graph::Credentials;
use crate::Listen;

/// The client id of the built-in "Office 365 Management APIs" application, the sample's own
/// identity by default.
pub const OFFICE_MANAGEMENT_APP_ID: &str = "c5393580-f805-4401-95e8-94b7a6ef2fc2";

/// `custos sample office365-management` options.
#[derive(Debug, Clone, clap::Args)]
pub struct Cli {
    /// Address to serve the API on (plain HTTP unless --tls-cert is given); port 0 picks a free port.
    #[arg(long, env = "CUSTOS_LISTEN")]
    pub listen: SocketAddr,
    /// Base URL of the authority whose tokens the API accepts, for every tenant.
    #[arg(long, env = "CUSTOS_AUTHORITY")]
    pub authority: String,
    /// Directory for the sample's own data (a SQLite file, and credentials/ by default).
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-sample-data")]
    pub data_dir: PathBuf,
    /// Extra trust anchor (PEM) for the authority and Graph.
    #[arg(long, env = "CUSTOS_CA")]
    pub ca: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS instead of plain HTTP.
    #[arg(long, env = "CUSTOS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "CUSTOS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The API's URL as clients reach it: the origin of contentUri and NextPageUri
    /// (default: http(s)://LISTEN).
    #[arg(long)]
    pub public_url: Option<String>,
    /// Where Graph is served (default: the authority; custos serves Graph on its public URL).
    #[arg(long)]
    pub graph_url: Option<String>,
    /// The client id the sample reads each tenant's log as (it needs the Graph application
    /// permission AuditLog.Read.All in the tenant).
    #[arg(long, default_value = OFFICE_MANAGEMENT_APP_ID)]
    pub client_id: String,
    /// Directory of the client's secrets: TENANT.secret per tenant, or default.secret for all
    /// (default: DATA_DIR/credentials).
    #[arg(long, value_name = "DIR")]
    pub credential_dir: Option<PathBuf>,
    /// Generate events for Audit.Exchange, Audit.SharePoint, Audit.General and DLP.All at RATE
    /// per minute (off by default).
    #[arg(long, value_name = "RATE")]
    pub generate_activity: Option<f64>,
    /// How often a content blob is cut (the shortest window of a blob).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub blob_interval: std::time::Duration,
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
    /// The sample's client id and secrets.
    pub credentials: Credentials,
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
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| SettingsError::Url(option))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() || url.query().is_some() {
        return Err(SettingsError::Url(option));
    }
    Ok(url)
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
        let scheme = if cli.tls_cert.is_some() { "https" } else { "http" };
        let public = match &cli.public_url {
            Some(raw) => http_url("public-url", raw)?.to_string(),
            None => format!("{scheme}://{}", cli.listen),
        };
        let graph = match &cli.graph_url {
            Some(raw) => http_url("graph-url", raw)?.to_string(),
            None => authority.to_string(),
        };
        if cli.generate_activity.is_some_and(|r| !r.is_finite() || r <= 0.0) {
            return Err(SettingsError::Rate);
        }
        if cli.blob_interval < std::time::Duration::from_secs(1) {
            return Err(SettingsError::Interval);
        }
        if cli.client_id.parse::<uuid::Uuid>().is_err() {
            return Err(SettingsError::ClientId);
        }
        Ok(Self {
            listen: Listen { addr: cli.listen, tls_cert: cli.tls_cert.clone(), tls_key: cli.tls_key.clone() },
            data_dir: cli.data_dir.clone(),
            trust: Trust {
                authority: authority.as_str().trim_end_matches('/').to_owned(),
                ca: cli.ca.clone(),
                allow_http_loopback: authority.scheme() == "http" && is_loopback(&authority),
            },
            graph_url: graph.trim_end_matches('/').to_owned(),
            public_base: PublicBase::new(&public),
            credentials: Credentials {
                client_id: cli.client_id.clone(),
                dir: cli.credential_dir.clone().unwrap_or_else(|| cli.data_dir.join("credentials")),
            },
            generate_per_minute: cli.generate_activity,
            blob_interval: time::Duration::try_from(cli.blob_interval)
                .map_err(|_| SettingsError::Interval)?,
            throttle_per_minute: cli.throttle_per_minute,
            allowed_webhook_hosts: cli.allow_webhook_host.clone(),
        })
    }
}
