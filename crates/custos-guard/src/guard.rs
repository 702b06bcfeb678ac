//! [`Guard`]: the framework-neutral entry point. It reads the bearer token from a request's headers,
//! validates it against the cached keys, applies the app-or-user, `ClientType` and [`Policy`] rules, and
//! logs every refusal with a correlation id (never the token).

use std::sync::Arc;

use custos_core::Clock;
use http::HeaderMap;

use crate::bearer::bearer_token;
use crate::cache::{DEFAULT_TOKEN_CACHE_CAPACITY, Lifetime, Lookup, TokenCache};
use crate::config::GuardConfig;
use crate::error::{Forbidden, GuardError};
use crate::keys::{CacheOptions, FetchError, KeyCache};
use crate::policy::Policy;
use crate::principal::{Principal, PrincipalKind};
use crate::token::{Expectations, check_header, verify};

/// The header seed 000 requires on service calls, and its value.
pub const CLIENT_TYPE_HEADER: &str = "clienttype";
const CLIENT_TYPE_SERVICE: &str = "Service";
/// Request headers whose value is used as the correlation id of a refusal, when well-formed.
const CORRELATION_HEADERS: [&str; 2] = ["client-request-id", "x-ms-client-request-id"];

/// Validates bearer tokens for one API. Cheap to share: wrap it in an [`Arc`].
///
/// Tokens that pass the signature and claim checks are cached (by SHA-256 of the token, up to
/// [`DEFAULT_TOKEN_CACHE_CAPACITY`] entries by default, see [`with_token_cache`](Self::with_token_cache)):
/// a repeated token only has its `exp`/`nbf` re-checked against the clock. The app-or-user, `ClientType`
/// and [`Policy`] rules are evaluated on every request. A cached token stays accepted until its `exp` even
/// if its signing key is rotated out of the JWKS meanwhile (its signature was valid when checked).
#[derive(Debug)]
pub struct Guard {
    config: GuardConfig,
    keys: Arc<KeyCache>,
    clock: Arc<dyn Clock>,
    tokens: Option<TokenCache>,
}

impl Guard {
    /// A guard with the default cache timing. Reads the CA file; fetches nothing yet.
    pub fn new(config: GuardConfig, clock: Arc<dyn Clock>) -> Result<Self, FetchError> {
        Self::with_cache_options(config, clock, CacheOptions::default())
    }

    /// A guard with explicit cache timing.
    pub fn with_cache_options(
        config: GuardConfig,
        clock: Arc<dyn Clock>,
        options: CacheOptions,
    ) -> Result<Self, FetchError> {
        let keys = Arc::new(KeyCache::new(&config, Arc::clone(&clock), options)?);
        let tokens = TokenCache::new(DEFAULT_TOKEN_CACHE_CAPACITY);
        Ok(Self { config, keys, clock, tokens })
    }

    /// Caches up to `capacity` validated tokens (0 disables the cache; default
    /// [`DEFAULT_TOKEN_CACHE_CAPACITY`]). Replaces any tokens cached so far.
    #[must_use]
    pub fn with_token_cache(mut self, capacity: usize) -> Self {
        self.tokens = TokenCache::new(capacity);
        self
    }

    /// The configuration the guard enforces.
    pub fn config(&self) -> &GuardConfig {
        &self.config
    }

    /// Fetches discovery and keys now (otherwise the first request does), e.g. to fail fast at start-up.
    pub async fn warm_up(&self) -> Result<(), FetchError> {
        self.keys.warm_up().await
    }

    /// Validates the request's bearer token and applies the configured [`Policy`].
    pub async fn validate(&self, headers: &HeaderMap) -> Result<Principal, GuardError> {
        self.validate_with(headers, self.config.policy()).await
    }

    /// Validates the request's bearer token and applies `policy` instead of the configured one (a gateway
    /// route with its own roles and allow-lists).
    pub async fn validate_with(&self, headers: &HeaderMap, policy: &Policy) -> Result<Principal, GuardError> {
        let result = self.check(headers, policy).await;
        if let Err(error) = &result {
            let correlation_id = correlation_id(headers);
            let status = error.status().as_u16();
            if matches!(error, GuardError::KeysUnavailable(_)) {
                tracing::warn!(%correlation_id, status, reason = %error, "request refused by guard");
            } else {
                tracing::info!(%correlation_id, status, reason = %error, "request refused by guard");
            }
        }
        result
    }

    async fn check(&self, headers: &HeaderMap, policy: &Policy) -> Result<Principal, GuardError> {
        let token = bearer_token(headers)?;
        let principal = self.validate_token(token).await?;
        match principal.kind {
            PrincipalKind::App if !self.config.service_auth_enabled() => {
                return Err(Forbidden::AppTokensDisabled.into());
            }
            PrincipalKind::User if !self.config.accept_user_tokens() => {
                return Err(Forbidden::UserTokensDisabled.into());
            }
            PrincipalKind::App if self.config.require_client_type_header() && !is_service_call(headers) => {
                return Err(GuardError::MissingClientType);
            }
            _ => {}
        }
        policy.authorize(&principal)?;
        Ok(principal)
    }

    /// Validates a bare token (no header, kind or policy rules), from the token cache when it holds it.
    pub async fn validate_token(&self, token: &str) -> Result<Principal, GuardError> {
        let leeway_secs = self.config.leeway().as_secs_f64();
        // The full check (which may fetch keys) is boxed: it runs once per token, and keeping its large
        // future out of this one keeps every request's future small.
        let Some(tokens) = &self.tokens else {
            return Box::pin(self.verify_token(token, leeway_secs, self.clock.unix()))
                .await
                .map(|(principal, _)| principal);
        };
        let key = TokenCache::key(token);
        match tokens.get(&key, self.clock.unix(), leeway_secs) {
            Lookup::Hit(principal) => return Ok(principal),
            Lookup::Refused(error) => return Err(error.into()),
            Lookup::Miss => {}
        }
        let now = self.clock.unix();
        let (principal, lifetime) = Box::pin(self.verify_token(token, leeway_secs, now)).await?;
        tokens.insert(key, principal.clone(), lifetime, now, leeway_secs);
        Ok(principal)
    }

    /// The full header, key, signature and claim checks.
    async fn verify_token(
        &self,
        token: &str,
        leeway_secs: f64,
        now: i64,
    ) -> Result<(Principal, Lifetime), GuardError> {
        let (kid, algorithm) = check_header(token)?;
        let snapshot = self.keys.snapshot_for(&kid).await.map_err(GuardError::KeysUnavailable)?;
        let expect = Expectations {
            tenant_id: self.config.tenant_id(),
            audiences: self.config.audiences(),
            leeway_secs,
            now,
        };
        Ok(verify(token, &kid, algorithm, &snapshot, &expect)?)
    }
}

/// Exactly one `ClientType` header, equal to `Service` (ASCII case-insensitive).
fn is_service_call(headers: &HeaderMap) -> bool {
    let mut values = headers.get_all(CLIENT_TYPE_HEADER).iter();
    match (values.next(), values.next()) {
        (Some(value), None) => value.as_bytes().eq_ignore_ascii_case(CLIENT_TYPE_SERVICE.as_bytes()),
        _ => false,
    }
}

/// The caller's request id when it is a short token of `[A-Za-z0-9-]`, else a fresh one.
fn correlation_id(headers: &HeaderMap) -> String {
    CORRELATION_HEADERS
        .iter()
        .filter_map(|name| headers.get(*name)?.to_str().ok())
        .find(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn client_type_header() {
        let mut headers = HeaderMap::new();
        assert!(!is_service_call(&headers));
        headers.insert("ClientType", HeaderValue::from_static("service"));
        assert!(is_service_call(&headers));
        headers.append("ClientType", HeaderValue::from_static("Service"));
        assert!(!is_service_call(&headers));
    }

    #[test]
    fn correlation_ids_are_sanitised() {
        let mut headers = HeaderMap::new();
        headers.insert("client-request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(correlation_id(&headers), "abc-123");
        headers.insert("client-request-id", HeaderValue::from_static("a\"b"));
        assert_eq!(correlation_id(&headers).len(), 36);
    }
}
