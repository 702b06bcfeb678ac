//! The command line of `custos sample activity-consumer`, checked once into [`Settings`].

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use custos_core::Secret;
use custos_core::duration::parse_duration;
use reqwest::Url;

use crate::{Listen, TlsArgs};

/// The content types the consumer subscribes to when none are given.
pub const DEFAULT_CONTENT_TYPES: [&str; 2] = ["Audit.AzureActiveDirectory", "Audit.General"];

/// `custos sample activity-consumer` options.
#[derive(Debug, Clone, clap::Args)]
pub struct Cli {
    /// Address to serve the app on (plain HTTP unless --tls-cert is given); port 0 picks a free port.
    #[arg(long, env = "CUSTOS_LISTEN")]
    pub listen: SocketAddr,
    /// Base URL of the authority the admins consent at and the app gets tokens from (custos, or
    /// https://login.microsoftonline.com).
    #[arg(long, env = "CUSTOS_AUTHORITY")]
    pub authority: String,
    /// The app's (multi-tenant) client id.
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// The app's credential: a PEM file with its certificate and private key (PS256 client
    /// assertions), or a file holding its client secret.
    #[arg(long, value_name = "FILE")]
    pub credential: PathBuf,
    /// Directory for the app's tenant store (a SQLite file).
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-consumer-data")]
    pub data_dir: PathBuf,
    /// Base URL of the Office 365 Management Activity API (its `/api/v1.0/{tid}/activity/feed/`
    /// lives below it); contentUri values are fetched only on this origin.
    #[arg(long, value_name = "URL", default_value = "https://manage.office.com")]
    pub activity_api: String,
    /// The app's URL as browsers and the Activity API reach it: the consent redirect is
    /// PUBLIC_URL/callback and the webhook PUBLIC_URL/webhook (default: http(s)://LISTEN).
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Extra trust anchor (PEM) for the authority and the Activity API.
    #[arg(long, env = "CUSTOS_CA")]
    pub ca: Option<PathBuf>,
    /// `--tls-cert`, `--tls-key`.
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Content types to subscribe to for every tenant (repeatable; default
    /// Audit.AzureActiveDirectory and Audit.General).
    #[arg(long, value_name = "TYPE")]
    pub content_type: Vec<String>,
    /// How often to list content for every tenant, as the fallback when notifications do not come.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub poll_interval: time::Duration,
    /// Subscribe without a webhook (polling only).
    #[arg(long)]
    pub no_webhook: bool,
}

/// Why the options were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A URL option is not an absolute http(s) URL without query.
    #[error("--{0} must be an absolute http(s) URL")]
    Url(&'static str),
    /// `--client-id` is not a GUID.
    #[error("--client-id must be a GUID")]
    ClientId,
    /// The credential file is unreadable, empty, or a PEM without certificate and key.
    #[error("--credential {0}")]
    Credential(String),
    /// `--poll-interval` is under a second.
    #[error("--poll-interval must be at least one second")]
    Interval,
}

/// The app's credential.
#[derive(Clone)]
pub enum AppCredential {
    /// A client secret.
    Secret(Arc<Secret<String>>),
    /// A certificate and its key (and the PEM it was read from, for the token manager's copy).
    Certificate(Arc<custos_client::CertificateKey>, Arc<Secret<String>>),
}

impl std::fmt::Debug for AppCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("Secret(…)"),
            Self::Certificate(key, _) => write!(f, "Certificate(x5t#S256={})", key.x5t_s256()),
        }
    }
}

impl AppCredential {
    /// A PEM file (anything with `-----BEGIN`) is a certificate and key; anything else a secret.
    pub fn read(path: &std::path::Path) -> Result<Self, SettingsError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| SettingsError::Credential(format!("{shown}: {e}")))?;
        let text =
            String::from_utf8(bytes).map_err(|_| SettingsError::Credential(format!("{shown}: not text")))?;
        if text.contains("-----BEGIN") {
            let key = custos_client::CertificateKey::from_pem(text.as_bytes())
                .map_err(|e| SettingsError::Credential(format!("{shown}: {e}")))?;
            return Ok(Self::Certificate(Arc::new(key), Arc::new(Secret::new(text))));
        }
        let secret = text.trim();
        if secret.is_empty() {
            return Err(SettingsError::Credential(format!("{shown}: empty")));
        }
        Ok(Self::Secret(Arc::new(Secret::new(secret.to_owned()))))
    }

    /// The credential for the token manager.
    pub fn for_client(&self, client_id: &str) -> anyhow::Result<custos_client::Credential> {
        Ok(match self {
            Self::Secret(secret) => {
                custos_client::Credential::client_secret(client_id, secret.expose().clone())
            }
            Self::Certificate(_, pem) => custos_client::Credential::certificate(
                client_id,
                custos_client::CertificateKey::from_pem(pem.expose().as_bytes())?,
            ),
        })
    }
}

/// The checked options.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where to listen.
    pub listen: Listen,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The authority's base URL, without a trailing slash.
    pub authority: String,
    /// The app.
    pub client_id: String,
    /// Its credential.
    pub credential: AppCredential,
    /// The Activity API's base URL, without a trailing slash.
    pub activity_api: Url,
    /// The app's own base URL, without a trailing slash.
    pub public_url: String,
    /// Extra trust anchor.
    pub ca: Option<PathBuf>,
    /// Content types subscribed to.
    pub content_types: Vec<String>,
    /// The polling period.
    pub poll_interval: std::time::Duration,
    /// Whether subscriptions carry the webhook.
    pub webhook: bool,
}

fn http_url(option: &'static str, raw: &str) -> Result<Url, SettingsError> {
    crate::common::http_url(raw).ok_or(SettingsError::Url(option))
}

fn trimmed(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_owned()
}

impl Settings {
    /// Checks every option.
    pub fn from_cli(cli: &Cli) -> Result<Self, SettingsError> {
        let authority = http_url("authority", &cli.authority)?;
        let activity_api = http_url("activity-api", &cli.activity_api)?;
        let scheme = cli.tls.scheme();
        let public_url = match &cli.public_url {
            Some(raw) => trimmed(&http_url("public-url", raw)?),
            None => format!("{scheme}://{}", cli.listen),
        };
        if cli.client_id.parse::<uuid::Uuid>().is_err() {
            return Err(SettingsError::ClientId);
        }
        let poll_interval = std::time::Duration::try_from(cli.poll_interval)
            .ok()
            .filter(|d| *d >= std::time::Duration::from_secs(1))
            .ok_or(SettingsError::Interval)?;
        let content_types = if cli.content_type.is_empty() {
            DEFAULT_CONTENT_TYPES.map(str::to_owned).to_vec()
        } else {
            cli.content_type.clone()
        };
        Ok(Self {
            listen: cli.tls.listen(cli.listen),
            data_dir: cli.data_dir.clone(),
            authority: trimmed(&authority),
            client_id: cli.client_id.clone(),
            credential: AppCredential::read(&cli.credential)?,
            activity_api,
            public_url,
            ca: cli.ca.clone(),
            content_types,
            poll_interval,
            webhook: !cli.no_webhook,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(dir: &std::path::Path, credential: &str) -> Cli {
        let path = dir.join("credential");
        std::fs::write(&path, credential).unwrap();
        Cli {
            listen: "127.0.0.1:7060".parse().unwrap(),
            authority: "https://localhost:8443/".to_owned(),
            client_id: "11111111-2222-3333-4444-555555555555".to_owned(),
            credential: path,
            data_dir: dir.join("data"),
            activity_api: "https://manage.office.com".to_owned(),
            public_url: None,
            ca: None,
            tls: TlsArgs::default(),
            content_type: Vec::new(),
            poll_interval: time::Duration::seconds(60),
            no_webhook: false,
        }
    }

    #[derive(Debug, clap::Parser)]
    struct Command {
        #[command(flatten)]
        cli: Cli,
    }

    #[test]
    fn the_command_line_parses_into_the_options() {
        use clap::Parser as _;
        let parsed = Command::try_parse_from([
            "activity-consumer",
            "--listen",
            "127.0.0.1:0",
            "--authority",
            "https://localhost:8443",
            "--client-id",
            "11111111-2222-3333-4444-555555555555",
            "--credential",
            "app.pem",
            "--poll-interval",
            "5s",
            "--content-type",
            "Audit.General",
            "--content-type",
            "DLP.All",
            "--no-webhook",
        ])
        .unwrap();
        assert_eq!(parsed.cli.poll_interval, time::Duration::seconds(5));
        assert_eq!(parsed.cli.content_type, ["Audit.General", "DLP.All"]);
        assert_eq!(parsed.cli.activity_api, "https://manage.office.com");
        assert!(parsed.cli.no_webhook);
        let defaults = Command::try_parse_from([
            "activity-consumer",
            "--listen",
            "127.0.0.1:0",
            "--authority",
            "https://a",
            "--client-id",
            "x",
            "--credential",
            "f",
        ])
        .unwrap();
        assert_eq!(defaults.cli.poll_interval, time::Duration::seconds(60));
    }

    #[test]
    fn options_are_checked_once() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings::from_cli(&cli(dir.path(), " the secret \n")).unwrap();
        assert!(matches!(&settings.credential, AppCredential::Secret(s) if s.expose() == "the secret"));
        assert_eq!(format!("{:?}", settings.credential), "Secret(…)", "nothing secret in logs");
        assert_eq!(settings.authority, "https://localhost:8443");
        assert_eq!(settings.public_url, "http://127.0.0.1:7060");
        assert_eq!(settings.content_types, ["Audit.AzureActiveDirectory", "Audit.General"]);
        assert!(settings.webhook);

        let refused = |change: &dyn Fn(&mut Cli)| {
            let mut options = cli(dir.path(), "s");
            change(&mut options);
            Settings::from_cli(&options).unwrap_err()
        };
        assert_eq!(refused(&|c| c.client_id = "app".to_owned()), SettingsError::ClientId);
        assert_eq!(refused(&|c| c.activity_api = "ftp://x".to_owned()), SettingsError::Url("activity-api"));
        assert_eq!(
            refused(&|c| c.public_url = Some("http://x/?a=1".to_owned())),
            SettingsError::Url("public-url")
        );
        assert_eq!(refused(&|c| c.poll_interval = time::Duration::ZERO), SettingsError::Interval);
        let empty = Settings::from_cli(&cli(dir.path(), "\n")).unwrap_err();
        assert!(matches!(empty, SettingsError::Credential(ref m) if m.ends_with(": empty")), "{empty}");
        let bad_pem = Settings::from_cli(&cli(dir.path(), "-----BEGIN CERTIFICATE-----\nxx\n")).unwrap_err();
        assert!(matches!(bad_pem, SettingsError::Credential(_)), "{bad_pem}");
    }
}
