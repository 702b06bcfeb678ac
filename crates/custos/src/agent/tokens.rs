//! Tokens from the authority for `custos agent`: a client-credentials request on the v1 token
//! endpoint (`resource=`) authenticated with a client assertion the agent signs itself, and a
//! per-resource cache that refreshes a token once half its lifetime has passed (and never hands
//! out one with less than five minutes left). When a refresh fails, a cached token that still has
//! more than five minutes is served.

use super::credential::Credential;
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::{Clock, Secret};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A token is not handed out with less than this many seconds left.
pub(crate) const MIN_REMAINING_SECS: i64 = 300;
/// At most this many resources are cached (the resource names come from the workload).
const MAX_CACHED_RESOURCES: usize = 64;
/// Largest token response read.
const MAX_RESPONSE: usize = 256 * 1024;

/// An access token for one resource.
#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub(crate) access_token: Secret<String>,
    /// Unix seconds.
    pub(crate) expires_on: i64,
    /// Unix seconds.
    pub(crate) not_before: i64,
    /// The resource as requested.
    pub(crate) resource: String,
    /// The `oid` claim: the identity's object id.
    pub(crate) object_id: Option<String>,
}

/// Why no token could be obtained.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum FetchError {
    /// The authority answered with an OAuth error (e.g. `invalid_resource`).
    #[error("{error}: {description}")]
    Refused { error: String, description: String },
    /// The authority could not be reached or answered with something else than a token.
    #[error("the authority is unavailable: {0}")]
    Unavailable(String),
}

/// Where the protocol handlers get tokens from.
#[async_trait]
pub(crate) trait TokenProvider: Send + Sync + std::fmt::Debug {
    /// A token for `resource` with at least [`MIN_REMAINING_SECS`] left.
    async fn token(&self, resource: &str) -> Result<Token, FetchError>;
}

/// The `oid` claim of a JWT's payload (the token comes from the authority over TLS; the
/// workload's API verifies it).
fn object_id_of(access_token: &str) -> Option<String> {
    let payload = access_token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("oid")?.as_str().map(str::to_owned)
}

/// Seconds from a v1 response field (a string, or a number from other servers).
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(i64),
    Text(String),
}

impl Seconds {
    fn value(&self) -> Option<i64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(t) => t.parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
    expires_in: Option<Seconds>,
    expires_on: Option<Seconds>,
    not_before: Option<Seconds>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Clone)]
struct Cached {
    token: Token,
    refresh_at: i64,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// Tokens from a custos (or Entra) authority, cached per resource.
#[derive(Debug)]
pub(crate) struct AuthorityTokens {
    http: reqwest::Client,
    /// `{authority}/{tenant}/oauth2/token`.
    token_endpoint: String,
    credential: Credential,
    clock: Arc<dyn Clock>,
    slots: Mutex<HashMap<String, Slot>>,
}

impl AuthorityTokens {
    /// A provider for `tenant` at `authority` (an https base URL).
    pub(crate) fn new(
        http: reqwest::Client,
        authority: &str,
        tenant: &str,
        credential: Credential,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let token_endpoint = format!("{}/{tenant}/oauth2/token", authority.trim_end_matches('/'));
        Self { http, token_endpoint, credential, clock, slots: Mutex::new(HashMap::new()) }
    }

    fn slot(&self, resource: &str) -> Option<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get(resource) {
            return Some(slot.clone());
        }
        if slots.len() >= MAX_CACHED_RESOURCES {
            return None;
        }
        let slot = Slot::default();
        slots.insert(resource.to_owned(), slot.clone());
        Some(slot)
    }

    /// One token request to the authority.
    async fn fetch(&self, resource: &str) -> Result<Token, FetchError> {
        let now = self.clock.unix();
        let assertion = self
            .credential
            .assertion(&self.token_endpoint, now)
            .map_err(|e| FetchError::Unavailable(e.to_string()))?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", self.credential.client_id()),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
            ("resource", resource),
        ];
        let unavailable = |e: reqwest::Error| FetchError::Unavailable(e.to_string());
        let response = self.http.post(&self.token_endpoint).form(&form).send().await.map_err(unavailable)?;
        let status = response.status();
        let body = response.bytes().await.map_err(unavailable)?;
        if body.len() > MAX_RESPONSE {
            return Err(FetchError::Unavailable(format!("the token response is {} bytes", body.len())));
        }
        let parsed: TokenResponse = serde_json::from_slice(&body).map_err(|_| {
            FetchError::Unavailable(format!("the token endpoint answered {status} without a JSON body"))
        })?;
        if let Some(error) = parsed.error {
            if status.is_server_error() {
                return Err(FetchError::Unavailable(format!("{error} ({status})")));
            }
            return Err(FetchError::Refused {
                error,
                description: parsed.error_description.unwrap_or_default(),
            });
        }
        let access_token = parsed.access_token.filter(|_| status.is_success()).ok_or_else(|| {
            FetchError::Unavailable(format!("the token endpoint answered {status} without a token"))
        })?;
        let expires_on = match (parsed.expires_on.as_ref().and_then(Seconds::value), parsed.expires_in) {
            (Some(on), _) => on,
            (None, Some(within)) => now + within.value().unwrap_or(0),
            (None, None) => now,
        };
        Ok(Token {
            object_id: object_id_of(&access_token),
            access_token: Secret::new(access_token),
            expires_on,
            not_before: parsed.not_before.as_ref().and_then(Seconds::value).unwrap_or(now),
            resource: resource.to_owned(),
        })
    }
}

/// When a token fetched at `now` should be replaced: after half its remaining lifetime, and
/// at the latest [`MIN_REMAINING_SECS`] before it expires.
pub(crate) fn refresh_at(now: i64, expires_on: i64) -> i64 {
    let half = now + (expires_on - now).max(0) / 2;
    half.min(expires_on - MIN_REMAINING_SECS)
}

#[async_trait]
impl TokenProvider for AuthorityTokens {
    async fn token(&self, resource: &str) -> Result<Token, FetchError> {
        let Some(slot) = self.slot(resource) else {
            return self.fetch(resource).await;
        };
        // One request per resource at a time: concurrent callers wait for the same refresh.
        let mut cached = slot.lock().await;
        let now = self.clock.unix();
        if let Some(current) = cached.as_ref()
            && now < current.refresh_at
        {
            return Ok(current.token.clone());
        }
        match self.fetch(resource).await {
            Ok(token) if token.expires_on - now > MIN_REMAINING_SECS => {
                let refresh = refresh_at(now, token.expires_on);
                *cached = Some(Cached { token: token.clone(), refresh_at: refresh });
                tracing::info!(resource, expires_on = token.expires_on, "token obtained");
                Ok(token)
            }
            Ok(token) => {
                tracing::warn!(
                    resource,
                    expires_on = token.expires_on,
                    "the authority issued a token that expires within five minutes"
                );
                Ok(token)
            }
            Err(error) => match cached.as_ref() {
                Some(current) if current.token.expires_on - now > MIN_REMAINING_SECS => {
                    tracing::warn!(resource, %error, "token refresh failed; serving the cached token");
                    Ok(current.token.clone())
                }
                _ => Err(error),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_refreshed_at_half_life_and_five_minutes_before_expiry_at_the_latest() {
        assert_eq!(refresh_at(1_000, 1_000 + 86_399), 1_000 + 43_199);
        assert_eq!(refresh_at(1_000, 1_000 + 3_599), 1_000 + 1_799);
        assert_eq!(refresh_at(1_000, 1_000 + 400), 1_000 + 100);
    }

    #[test]
    fn the_object_id_is_read_from_the_payload() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"oid":"abc","sub":"abc"}"#);
        assert_eq!(object_id_of(&format!("h.{payload}.s")), Some("abc".to_owned()));
        assert_eq!(object_id_of("garbage"), None);
        assert_eq!(object_id_of("a.!!.c"), None);
    }

    #[test]
    fn token_debug_hides_the_token() {
        let token = Token {
            access_token: Secret::new("secret-token".to_owned()),
            expires_on: 5,
            not_before: 1,
            resource: "api://r".to_owned(),
            object_id: None,
        };
        assert!(!format!("{token:?}").contains("secret-token"));
    }
}
