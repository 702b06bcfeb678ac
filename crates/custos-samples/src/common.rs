//! What every sample shares: the command-line options of `custos sample <name>` that say where
//! to listen and which authority to trust, and the [`Sample`] a sample hands to the binary to serve.

use std::net::SocketAddr;
use std::path::PathBuf;

/// `--listen ADDR --authority URL --tenant TID --data-dir DIR [--ca FILE] [--tls-cert F --tls-key F]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to serve the sample API on (plain HTTP unless --tls-cert is given); port 0 picks a free port.
    #[arg(long, env = "CUSTOS_LISTEN")]
    pub listen: SocketAddr,
    /// Base URL of the authority whose tokens the API accepts (custos, or https://login.microsoftonline.com).
    #[arg(long, env = "CUSTOS_AUTHORITY")]
    pub authority: String,
    /// The tenant (GUID) whose tokens the API accepts.
    #[arg(long, env = "CUSTOS_TENANT")]
    pub tenant: String,
    /// Directory for the sample's own data (a SQLite file).
    #[arg(long, env = "CUSTOS_DATA_DIR", default_value = "./custos-sample-data")]
    pub data_dir: PathBuf,
    /// Extra trust anchor (PEM) for fetching the authority's discovery document and keys.
    #[arg(long, env = "CUSTOS_CA")]
    pub ca: Option<PathBuf>,
    /// PEM certificate chain: serve HTTPS instead of plain HTTP.
    #[arg(long, env = "CUSTOS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "CUSTOS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl ServeArgs {
    /// Where to listen and with which TLS files.
    pub fn listen(&self) -> Listen {
        Listen { addr: self.listen, tls_cert: self.tls_cert.clone(), tls_key: self.tls_key.clone() }
    }
}

/// `[--tls-cert F --tls-key F]`: plain HTTP unless both are given. Flattened into the Activity
/// API's and the consumer's options; [`ServeArgs`] declares its own pair, because BC flattens it
/// as an `Option` and clap does not count a nested flatten towards that group's presence.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// PEM certificate chain: serve HTTPS instead of plain HTTP.
    #[arg(long, env = "CUSTOS_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "CUSTOS_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// Where to listen: `addr`, with these files.
    pub fn listen(&self, addr: SocketAddr) -> Listen {
        Listen { addr, tls_cert: self.tls_cert.clone(), tls_key: self.tls_key.clone() }
    }

    /// `https` with a certificate, else `http`: the scheme of the default public URL.
    pub fn scheme(&self) -> &'static str {
        if self.tls_cert.is_some() { "https" } else { "http" }
    }
}

/// An absolute `http(s)` URL with a host and no query (an option naming a server), else `None`.
pub(crate) fn http_url(raw: &str) -> Option<reqwest::Url> {
    let url = reqwest::Url::parse(raw.trim()).ok()?;
    let usable = matches!(url.scheme(), "http" | "https") && url.host().is_some() && url.query().is_none();
    usable.then_some(url)
}

/// Where a sample listens: the address and, for HTTPS, the certificate chain and key files.
#[derive(Debug, Clone)]
pub struct Listen {
    /// The address (port 0 picks a free port).
    pub addr: SocketAddr,
    /// PEM certificate chain (HTTPS).
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for `tls_cert`.
    pub tls_key: Option<PathBuf>,
}

/// A sample ready to serve: its routes (guard included) and where to serve them.
pub struct Sample {
    /// `business-central`, `community-training` or `office365-management`, for log lines.
    pub name: &'static str,
    /// The whole API, guard layer included.
    pub router: axum::Router,
    /// Listen address and TLS files.
    pub listen: Listen,
}
