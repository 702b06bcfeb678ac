//! Workload identity federation (`entra-wire.md` §10): a client authenticates with a token an
//! external OpenID Connect issuer (Kubernetes, a CI system, another custos) minted, trusted
//! through one of the application's federated identity credentials.
//!
//! An assertion is federated when its unverified `iss` is not the client's own id and the client
//! has federated credentials, or has neither federated nor certificate credentials (then nothing
//! can match: 70021). It is accepted when, in this order: it parses strictly (`token`, RS256
//! only); a credential names its `iss` (else 700211), then its `sub` (else 700213), then one of
//! its `aud` values (else 700212), all exact, case-sensitive string compares; it is an app-only
//! token, carrying no `scp` and no `idtyp` other than `app`, whatever its issuer (a user token is
//! never a workload's identity; else 700229); it is inside its `exp`/`nbf` window with [`CLOCK_SKEW_SECS`] of skew (700024); the issuer's keys can be fetched
//! (90061, `fetch`, under the SSRF rules of `address`; cached by `cache`); its `kid` is among
//! them (7000272, after at most one refresh per cooldown); and the RS256 signature verifies
//! (700027). Keys are fetched only for issuers an administrator registered, never for an
//! arbitrary `iss`.
//!
//! Replay: like Entra, a federated token may be presented again until it expires (Kubernetes
//! projects one token for an hour and azure-identity re-reads the file for every request), so
//! no replay marker is recorded for it, in either replay mode.

mod address;
mod cache;
mod fetch;
mod keys;
mod resolve;
mod token;

pub use cache::CacheOptions;

use crate::form::require_jwt_bearer;
use cache::IssuerCache;
use custos_core::aadsts::TokenError;
use custos_core::model::{Application, FederatedIdentityCredential};
use custos_core::{AppId, Clock};
use fetch::MetadataFetcher;
use keys::KeyLookup;
use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use token::ExternalClaims;

/// Clock skew tolerated on a federated token's `exp` and `nbf`, in seconds.
pub(crate) const CLOCK_SKEW_SECS: i64 = 60;
/// Longest issuer, subject or audience echoed in an error message (Graph's limit on each).
const MAX_ECHOED_CHARS: usize = 600;

/// Settings of federated-assertion validation.
#[derive(Debug, Clone)]
pub struct FederationConfig {
    /// Issuers whose metadata may be fetched from any address (loopback, private): the address
    /// rule is lifted for exactly these issuer strings and their `jwks_uri`; https stays required.
    pub allowed_issuers: Vec<String>,
    /// PEM certificates trusted for metadata fetches in addition to the system roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Connect timeout of one metadata request.
    pub connect_timeout: Duration,
    /// Total timeout of one metadata request.
    pub total_timeout: Duration,
    /// Issuer-cache timing and size.
    pub cache: CacheOptions,
}

impl Default for FederationConfig {
    fn default() -> Self {
        Self {
            allowed_issuers: Vec::new(),
            extra_ca_pem: None,
            connect_timeout: fetch::DEFAULT_TIMEOUT,
            total_timeout: fetch::DEFAULT_TIMEOUT,
            cache: CacheOptions::default(),
        }
    }
}

impl FederationConfig {
    /// Adds an allow-listed issuer; it must be an absolute https URL.
    pub fn allow_issuer(mut self, issuer: impl Into<String>) -> Result<Self, FederationError> {
        let issuer = issuer.into();
        let https =
            reqwest::Url::parse(&issuer).is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some());
        if !https {
            return Err(FederationError::AllowedIssuer(issuer));
        }
        self.allowed_issuers.push(issuer);
        Ok(self)
    }

    /// Reads a PEM file of extra trust anchors.
    pub fn with_ca_file(mut self, path: &Path) -> Result<Self, FederationError> {
        let pem =
            std::fs::read(path).map_err(|e| FederationError::CaFile(format!("{}: {e}", path.display())))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| FederationError::CaFile(format!("{}: {e}", path.display())))?;
        if certificates.is_empty() {
            return Err(FederationError::CaFile(format!("{}: no certificate found", path.display())));
        }
        self.extra_ca_pem = Some(pem);
        Ok(self)
    }
}

/// Why the federation settings cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FederationError {
    /// An allow-listed issuer is not an absolute https URL.
    #[error("--federation-allow-issuer '{0}' must be an absolute https URL")]
    AllowedIssuer(String),
    /// The extra CA file cannot be read or holds no certificate.
    #[error("--federation-ca {0}")]
    CaFile(String),
    /// The HTTP client could not be built.
    #[error("the federation HTTP client cannot be built: {0}")]
    Client(String),
}

/// Federated-assertion validation: the allow-list and the issuer key cache.
#[derive(Debug)]
pub(crate) struct Federation {
    allowed: HashSet<String>,
    /// `None` when the HTTP client could not be built: every federated request then gets 90061.
    cache: Option<IssuerCache<MetadataFetcher>>,
    clock: Arc<dyn Clock>,
}

impl Federation {
    pub(crate) fn new(config: &FederationConfig, clock: Arc<dyn Clock>) -> Result<Self, FederationError> {
        let fetcher = MetadataFetcher::new(config)?;
        Ok(Self {
            allowed: config.allowed_issuers.iter().cloned().collect(),
            cache: Some(IssuerCache::new(fetcher, Arc::clone(&clock), config.cache)),
            clock,
        })
    }

    /// Default settings; when even those cannot be used, federation answers 90061.
    pub(crate) fn with_defaults(clock: Arc<dyn Clock>) -> Self {
        Self::new(&FederationConfig::default(), Arc::clone(&clock)).unwrap_or_else(|e| {
            tracing::error!(error = %e, "workload identity federation is unavailable");
            Self { allowed: HashSet::new(), cache: None, clock }
        })
    }

    /// Whether `raw`, presented by `client`, is to be validated as a federated assertion: its
    /// `iss` is not the client's id (in any GUID spelling: the certificate path judges those).
    pub(crate) fn is_federated(client: &Application, raw: &str) -> bool {
        let has_federated = !client.federated_identity_credentials.is_empty();
        if !has_federated && !client.key_credentials.is_empty() {
            return false;
        }
        token::peek_issuer(raw).is_some_and(|iss| iss.parse::<AppId>().ok() != Some(client.app_id))
    }

    /// Validates a federated assertion for `client`; returns the credential it matched.
    pub(crate) async fn authenticate<'c>(
        &self,
        client: &'c Application,
        raw: &str,
        assertion_type: Option<&str>,
    ) -> Result<&'c FederatedIdentityCredential, TokenError> {
        require_jwt_bearer(assertion_type)?;
        let token = token::parse(raw)?;
        let credential = matching_credential(&client.federated_identity_credentials, &token.claims)?;
        if token.claims.user_token {
            return Err(TokenError::FederatedUserToken { issuer: echoed(&credential.issuer) });
        }
        token.claims.check_time(self.clock.unix(), CLOCK_SKEW_SECS)?;

        let issuer = credential.issuer.as_str();
        let unavailable = || TokenError::FederatedMetadataUnavailable { issuer: echoed(issuer) };
        let cache = self.cache.as_ref().ok_or_else(unavailable)?;
        let kid = token.kid.as_deref();
        let keys = cache.keys(issuer, self.allowed.contains(issuer), kid).await.map_err(|_| unavailable())?;
        keys.verify(kid, token.signing_input.as_bytes(), &token.signature).map_err(|e| match e {
            KeyLookup::NotFound => TokenError::FederatedKeyNotFound {
                key_id: echoed(kid.unwrap_or_default()),
                issuer: echoed(issuer),
            },
            KeyLookup::BadSignature => TokenError::AssertionBadSignature,
        })?;
        tracing::info!(
            app_id = %client.app_id, credential = %credential.name, issuer, subject = %credential.subject,
            "federated assertion accepted"
        );
        Ok(credential)
    }
}

/// The credential whose issuer, subject and one audience match the claims exactly.
fn matching_credential<'c>(
    credentials: &'c [FederatedIdentityCredential],
    claims: &ExternalClaims,
) -> Result<&'c FederatedIdentityCredential, TokenError> {
    let audience = || echoed(&claims.aud.join(", "));
    if credentials.is_empty() {
        return Err(TokenError::NoMatchingFederatedIdentity {
            issuer: echoed(&claims.iss),
            subject: echoed(&claims.sub),
            audience: audience(),
        });
    }
    let mut by_issuer = credentials.iter().filter(|c| c.issuer == claims.iss).peekable();
    if by_issuer.peek().is_none() {
        return Err(TokenError::FederatedIssuerNotFound { issuer: echoed(&claims.iss) });
    }
    let mut by_subject = by_issuer.filter(|c| c.subject == claims.sub).peekable();
    if by_subject.peek().is_none() {
        return Err(TokenError::FederatedSubjectNotFound { subject: echoed(&claims.sub) });
    }
    by_subject
        .find(|c| c.audiences.iter().any(|a| claims.aud.contains(a)))
        .ok_or_else(|| TokenError::FederatedAudienceNotFound { audience: audience() })
}

/// A token value as an error message may show it: without control characters, at most
/// [`MAX_ECHOED_CHARS`] characters.
fn echoed(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).take(MAX_ECHOED_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::model::FEDERATION_DEFAULT_AUDIENCE;
    use uuid::Uuid;

    fn credential(issuer: &str, subject: &str, audience: &str) -> FederatedIdentityCredential {
        FederatedIdentityCredential {
            id: Uuid::new_v4(),
            name: format!("fic-{subject}"),
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
            audiences: vec![audience.to_owned()],
            description: None,
        }
    }

    fn claims(iss: &str, sub: &str, aud: &[&str]) -> ExternalClaims {
        ExternalClaims {
            iss: iss.to_owned(),
            sub: sub.to_owned(),
            aud: aud.iter().map(|a| (*a).to_owned()).collect(),
            exp: 10,
            nbf: None,
            iat: None,
            user_token: false,
        }
    }

    #[test]
    fn credentials_match_issuer_then_subject_then_audience_exactly() {
        let credentials = [
            credential("https://i", "sub-a", FEDERATION_DEFAULT_AUDIENCE),
            credential("https://i", "sub-b", "custom-audience"),
        ];
        let ok = matching_credential(&credentials, &claims("https://i", "sub-b", &["x", "custom-audience"]));
        assert_eq!(ok.unwrap().subject, "sub-b");
        let cases = [
            (claims("https://i/", "sub-a", &[FEDERATION_DEFAULT_AUDIENCE]), 700211),
            (claims("https://I", "sub-a", &[FEDERATION_DEFAULT_AUDIENCE]), 700211),
            (claims("https://i", "SUB-A", &[FEDERATION_DEFAULT_AUDIENCE]), 700213),
            (claims("https://i", "sub-a", &["custom-audience"]), 700212),
            (claims("https://i", "sub-a", &["api://azureadtokenexchange"]), 700212),
        ];
        for (claims, code) in cases {
            assert_eq!(matching_credential(&credentials, &claims).unwrap_err().code(), code, "{claims:?}");
        }
        let none = matching_credential(&[], &claims("https://i", "s", &["a", "b"])).unwrap_err();
        assert_eq!(
            none,
            TokenError::NoMatchingFederatedIdentity {
                issuer: "https://i".into(),
                subject: "s".into(),
                audience: "a, b".into()
            }
        );
    }

    #[test]
    fn echoed_values_lose_control_characters_and_length() {
        assert_eq!(echoed("a\r\nb\u{7}c"), "abc");
        assert_eq!(echoed(&"x".repeat(5000)).len(), MAX_ECHOED_CHARS);
    }

    #[test]
    fn allow_listed_issuers_must_be_https_urls() {
        let config = FederationConfig::default().allow_issuer("https://127.0.0.1:9443/t/v2.0").unwrap();
        assert_eq!(config.allowed_issuers, ["https://127.0.0.1:9443/t/v2.0"]);
        for bad in ["http://127.0.0.1:9443/t/", "127.0.0.1", "file:///x", ""] {
            assert_eq!(
                FederationConfig::default().allow_issuer(bad).unwrap_err(),
                FederationError::AllowedIssuer(bad.to_owned())
            );
        }
        let missing = FederationConfig::default().with_ca_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(matches!(missing, FederationError::CaFile(_)));
    }
}
