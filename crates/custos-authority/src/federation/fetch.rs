//! Fetching an external issuer's metadata: `{issuer}/.well-known/openid-configuration`, the
//! check that its `issuer` is exactly the expected one, then its `jwks_uri`.
//!
//! Two HTTP clients share the limits (https only, no proxy, no redirects, connect and total
//! timeouts, response size caps, the extra trust anchor): the strict client, whose resolver
//! only yields public addresses and before which every literal address is vetted
//! ([`super::address`]), and the trusted client, used only for allow-listed issuers, which
//! lifts the address rule but still requires https.

use super::address::{Refusal, vet_url};
use super::keys::IssuerKeys;
use super::resolve::{Lookup, ResolveError, SystemLookup, VettingResolver};
use super::{FederationConfig, FederationError};
use reqwest::{Client, Url};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// Largest discovery document read, in bytes.
pub(crate) const MAX_DISCOVERY_BYTES: usize = 64 * 1024;
/// Largest key set read, in bytes.
pub(crate) const MAX_JWKS_BYTES: usize = 256 * 1024;

/// Why an issuer's keys could not be obtained. Logged, never answered to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchError {
    /// The URL breaks the address rule.
    #[error("refusing to fetch {url}: {reason}")]
    Refused { url: String, reason: Refusal },
    /// Connection, TLS, DNS or timeout failure.
    #[error("fetching {url}: {reason}")]
    Transport { url: String, reason: String },
    /// A status other than 200 (redirects are not followed).
    #[error("fetching {url}: HTTP {status}")]
    Status { url: String, status: u16 },
    /// The response is larger than allowed.
    #[error("fetching {url}: the response exceeds {limit} bytes")]
    TooLarge { url: String, limit: usize },
    /// The document is not what it should be.
    #[error("fetching {url}: invalid document: {reason}")]
    Document { url: String, reason: String },
    /// The discovery document names another issuer.
    #[error("the discovery document of {expected} names the issuer {found}")]
    IssuerMismatch { expected: String, found: String },
    /// The key set holds no usable RS256 key.
    #[error("the key set at {url} holds no usable RS256 signing key")]
    NoKeys { url: String },
}

/// Where the keys of an issuer come from (the HTTP fetcher; a fake in tests).
pub(crate) trait KeySource: Send + Sync + 'static {
    /// Fetches the keys of `issuer`; `trusted` lifts the address rule (allow-listed issuer).
    fn fetch(
        &self,
        issuer: &str,
        trusted: bool,
    ) -> impl Future<Output = Result<IssuerKeys, FetchError>> + Send;
}

#[derive(Debug, Deserialize)]
struct DiscoveryDocument {
    issuer: String,
    jwks_uri: String,
}

/// The HTTP fetcher.
#[derive(Debug, Clone)]
pub(crate) struct MetadataFetcher {
    strict: Client,
    trusted: Client,
}

impl MetadataFetcher {
    /// Builds both clients with the operating system's resolver.
    pub(crate) fn new(config: &FederationConfig) -> Result<Self, FederationError> {
        Self::with_lookup(config, Arc::new(SystemLookup))
    }

    /// Builds both clients; the strict one resolves names with `lookup`.
    pub(crate) fn with_lookup(
        config: &FederationConfig,
        lookup: Arc<dyn Lookup>,
    ) -> Result<Self, FederationError> {
        let certificates = match &config.extra_ca_pem {
            Some(pem) => reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| FederationError::CaFile(e.to_string()))?,
            None => Vec::new(),
        };
        let build = |resolver: Option<VettingResolver>| {
            let mut builder = Client::builder()
                .https_only(true)
                .no_proxy()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(config.connect_timeout)
                .timeout(config.total_timeout)
                .tls_certs_merge(certificates.clone());
            if let Some(resolver) = resolver {
                builder = builder.dns_resolver(resolver);
            }
            builder.build().map_err(|e| FederationError::Client(e.to_string()))
        };
        Ok(Self { strict: build(Some(VettingResolver::new(lookup)))?, trusted: build(None)? })
    }

    async fn discover(&self, issuer: &str, trusted: bool) -> Result<Url, FetchError> {
        let url = discovery_url(issuer)?;
        let body = self.get(&url, trusted, MAX_DISCOVERY_BYTES).await?;
        let document: DiscoveryDocument = serde_json::from_slice(&body)
            .map_err(|e| FetchError::Document { url: url.to_string(), reason: e.to_string() })?;
        if document.issuer != issuer {
            return Err(FetchError::IssuerMismatch { expected: issuer.to_owned(), found: document.issuer });
        }
        Url::parse(&document.jwks_uri)
            .map_err(|e| FetchError::Document { url: url.to_string(), reason: format!("jwks_uri: {e}") })
    }

    /// GETs `url` with the client `trusted` selects, reading at most `limit` bytes.
    async fn get(&self, url: &Url, trusted: bool, limit: usize) -> Result<Vec<u8>, FetchError> {
        vet_url(url, trusted).map_err(|reason| FetchError::Refused { url: url.to_string(), reason })?;
        let client = if trusted { &self.trusted } else { &self.strict };
        let failed = |e: reqwest::Error| match refusal(&e) {
            Some(reason) => FetchError::Refused { url: url.to_string(), reason },
            None => FetchError::Transport { url: url.to_string(), reason: e.to_string() },
        };
        let mut response = client.get(url.clone()).send().await.map_err(failed)?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(FetchError::Status { url: url.to_string(), status: response.status().as_u16() });
        }
        let too_large = || FetchError::TooLarge { url: url.to_string(), limit };
        if response.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

impl KeySource for MetadataFetcher {
    async fn fetch(&self, issuer: &str, trusted: bool) -> Result<IssuerKeys, FetchError> {
        let jwks_uri = self.discover(issuer, trusted).await?;
        let body = self.get(&jwks_uri, trusted, MAX_JWKS_BYTES).await?;
        let keys = IssuerKeys::parse(&body)
            .map_err(|e| FetchError::Document { url: jwks_uri.to_string(), reason: e.to_string() })?;
        if keys.len() == 0 {
            return Err(FetchError::NoKeys { url: jwks_uri.to_string() });
        }
        Ok(keys)
    }
}

/// `{issuer}/.well-known/openid-configuration`, without a double slash when the issuer ends
/// with one (`https://host/tenant/` → `https://host/tenant/.well-known/openid-configuration`).
pub(crate) fn discovery_url(issuer: &str) -> Result<Url, FetchError> {
    let base = issuer.trim_end_matches('/');
    let text = format!("{base}/.well-known/openid-configuration");
    let url =
        Url::parse(&text).map_err(|e| FetchError::Document { url: text.clone(), reason: e.to_string() })?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(FetchError::Document {
            url: text,
            reason: "an issuer has no query or fragment".to_owned(),
        });
    }
    Ok(url)
}

/// The address-rule refusal behind a failed request, if that is why it failed.
fn refusal(error: &reqwest::Error) -> Option<Refusal> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(ResolveError::Refused(reason)) = e.downcast_ref::<ResolveError>() {
            return Some(*reason);
        }
        source = e.source();
    }
    None
}

/// Default connect and total timeout of one metadata request.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::resolve::tests::TableLookup;

    /// A fetcher whose strict client resolves names from a fixed table.
    fn fetcher() -> MetadataFetcher {
        let lookup = TableLookup::with(&[
            ("internal.example", &["127.0.0.1"]),
            ("metadata.example", &["169.254.169.254"]),
            ("rebind.example", &["93.184.215.14", "10.0.0.1"]),
        ]);
        MetadataFetcher::with_lookup(&FederationConfig::default(), Arc::new(lookup)).unwrap()
    }

    #[tokio::test]
    async fn the_strict_client_never_connects_to_a_non_public_address() {
        let fetcher = fetcher();
        for issuer in [
            "https://internal.example:9/t",
            "https://metadata.example/latest",
            "https://rebind.example/",
            "https://127.0.0.1:9/t",
            "https://0x7f000001:9/t",
            "https://[::1]:9/t",
            "https://localhost.:9/t",
        ] {
            let error = fetcher.fetch(issuer, false).await.unwrap_err();
            assert!(matches!(error, FetchError::Refused { .. }), "{issuer}: {error}");
        }
        for issuer in ["http://internal.example/t", "http://127.0.0.1:9/t"] {
            let error = fetcher.fetch(issuer, true).await.unwrap_err();
            assert!(
                matches!(error, FetchError::Refused { reason: Refusal::NotHttps, .. }),
                "{issuer}: {error}"
            );
        }
    }

    #[test]
    fn discovery_urls_never_get_a_double_slash() {
        let cases = [
            ("https://issuer.example/t/", "https://issuer.example/t/.well-known/openid-configuration"),
            (
                "https://issuer.example/t/v2.0",
                "https://issuer.example/t/v2.0/.well-known/openid-configuration",
            ),
            (
                "https://token.actions.githubusercontent.com",
                "https://token.actions.githubusercontent.com/.well-known/openid-configuration",
            ),
            ("https://issuer.example//", "https://issuer.example/.well-known/openid-configuration"),
        ];
        for (issuer, url) in cases {
            assert_eq!(discovery_url(issuer).unwrap().as_str(), url, "{issuer}");
        }
        assert!(discovery_url("https://issuer.example/?x=1").is_err());
        assert!(discovery_url("not a url").is_err());
    }
}
