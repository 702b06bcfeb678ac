//! Fetching the authority's metadata: the v1 and v2 discovery documents of the configured tenant and the
//! JWKS they point to, over https (plain http only to loopback, and only when explicitly allowed), with a
//! timeout, a response-size cap, no redirects and the configured extra trust anchor.

use std::time::Duration;

use reqwest::{Client, Url};
use serde::Deserialize;

use crate::config::GuardConfig;

/// Timeout of one metadata request.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest metadata response the guard reads.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

/// Why the authority's metadata could not be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The CA file could not be read or holds no certificate.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The configured path.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(String),
    /// A URL is not allowed (not https, or http to a non-loopback host).
    #[error("refusing to fetch {0}: https is required")]
    Insecure(String),
    /// Connection, TLS or timeout failure.
    #[error("fetching {url}: {reason}")]
    Transport {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// A status other than 200.
    #[error("fetching {url}: HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The response exceeded [`MAX_DOCUMENT_BYTES`].
    #[error("fetching {0}: response too large")]
    TooLarge(String),
    /// The document is not the expected JSON.
    #[error("fetching {url}: invalid document: {reason}")]
    Document {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// The HTTP client the guard talks to the authority with: [`FETCH_TIMEOUT`] to connect and to answer,
/// no redirects, no proxy, and the configured `CaFile` trusted besides the system roots. An API that
/// also calls the authority itself (a web API signing users in, redeeming codes) uses the same client so
/// that it trusts exactly what its guard trusts.
pub fn authority_http_client(config: &GuardConfig) -> Result<Client, FetchError> {
    let mut builder = Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy();
    if let Some(path) = config.ca_file() {
        let ca_error = |reason: String| FetchError::CaFile { path: path.display().to_string(), reason };
        let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(ca_error("no certificate found".to_owned()));
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| FetchError::Client(e.to_string()))
}

/// The parts of an OpenID discovery document the guard uses.
#[derive(Debug, Clone, Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

/// One metadata version: its issuer (tenant placeholder resolved) and its key-set URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discovered {
    pub(crate) issuer: String,
    pub(crate) jwks_uri: Url,
}

/// An HTTP client bound to one authority and tenant.
#[derive(Debug, Clone)]
pub(crate) struct MetadataClient {
    client: Client,
    authority: Url,
    tenant: String,
    allow_http_loopback: bool,
}

impl MetadataClient {
    /// Builds the client, loading the configured CA file.
    pub(crate) fn new(config: &GuardConfig) -> Result<Self, FetchError> {
        let client = authority_http_client(config)?;
        let mut authority = config.authority().clone();
        if !authority.path().ends_with('/') {
            let path = format!("{}/", authority.path());
            authority.set_path(&path);
        }
        let this = Self {
            client,
            authority,
            tenant: config.tenant_id().to_string(),
            allow_http_loopback: config.allow_http_loopback(),
        };
        this.check_url(&this.authority)?;
        Ok(this)
    }

    /// The v2 and v1 discovery documents of the tenant, in that order.
    pub(crate) async fn discover(&self) -> Result<[Discovered; 2], FetchError> {
        let v2 = self.discover_at(&format!("{}/v2.0/.well-known/openid-configuration", self.tenant)).await?;
        let v1 = self.discover_at(&format!("{}/.well-known/openid-configuration", self.tenant)).await?;
        Ok([v2, v1])
    }

    async fn discover_at(&self, relative: &str) -> Result<Discovered, FetchError> {
        let url = self.authority.join(relative).map_err(|e| FetchError::Client(e.to_string()))?;
        let body = self.get(&url).await?;
        let doc: DiscoveryDocument = serde_json::from_slice(&body)
            .map_err(|e| FetchError::Document { url: url.to_string(), reason: e.to_string() })?;
        let jwks_uri = Url::parse(&doc.jwks_uri)
            .map_err(|e| FetchError::Document { url: url.to_string(), reason: format!("jwks_uri: {e}") })?;
        self.check_url(&jwks_uri)?;
        Ok(Discovered { issuer: self.resolve_tenant(&doc.issuer), jwks_uri })
    }

    /// Replaces Entra's `{tenantid}` placeholder (multi-tenant documents and v2 key `issuer`s) with the
    /// configured tenant.
    pub(crate) fn resolve_tenant(&self, template: &str) -> String {
        template.replace("{tenantid}", &self.tenant)
    }

    /// GETs `url` and returns its body, at most [`MAX_DOCUMENT_BYTES`].
    pub(crate) async fn get(&self, url: &Url) -> Result<Vec<u8>, FetchError> {
        self.check_url(url)?;
        let transport =
            |e: reqwest::Error| FetchError::Transport { url: url.to_string(), reason: e.to_string() };
        let mut response = self.client.get(url.clone()).send().await.map_err(transport)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status { url: url.to_string(), status: response.status().as_u16() });
        }
        if response.content_length().is_some_and(|n| n > MAX_DOCUMENT_BYTES as u64) {
            return Err(FetchError::TooLarge(url.to_string()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(FetchError::TooLarge(url.to_string()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn check_url(&self, url: &Url) -> Result<(), FetchError> {
        let allowed = match url.scheme() {
            "https" => true,
            "http" => self.allow_http_loopback && is_loopback(url),
            _ => false,
        };
        if allowed { Ok(()) } else { Err(FetchError::Insecure(url.to_string())) }
    }
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else { return false };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
