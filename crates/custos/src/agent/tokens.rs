//! Tokens from the authority for `custos agent`, through [`custos_client`]: a client-credentials
//! request on the v1 token endpoint (`resource=`) with a client assertion signed with the
//! identity's certificate (RS256 with `x5t`, as MSAL sends given a thumbprint), cached per
//! resource and refreshed at half its lifetime (never handed out with less than five minutes
//! left); when a refresh fails, a cached token that still has more than five minutes is served.
//!
//! This module only adapts [`custos_client::TokenClient`] to what the protocol handlers need (the
//! identity's object id read from the token, errors as the protocols report them).

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_client::{Error, Target, TokenClient};
use custos_core::Secret;

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

impl From<Error> for FetchError {
    fn from(error: Error) -> Self {
        match error {
            Error::Refused(refused) => {
                Self::Refused { error: refused.error, description: refused.description }
            }
            other => Self::Unavailable(other.to_string()),
        }
    }
}

/// Where the protocol handlers get tokens from.
#[async_trait]
pub(crate) trait TokenProvider: Send + Sync + std::fmt::Debug {
    /// A token for `resource` with at least [`custos_client::MIN_REMAINING_SECS`] left.
    async fn token(&self, resource: &str) -> Result<Token, FetchError>;
}

/// The `oid` claim of a JWT's payload (the token comes from the authority over TLS; the
/// workload's API verifies it).
fn object_id_of(access_token: &str) -> Option<String> {
    let payload = access_token.split('.').nth(1)?;
    let claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("oid")?.as_str().map(str::to_owned)
}

/// Tokens from a custos (or Entra) authority, cached per resource by the token client.
#[derive(Debug)]
pub(crate) struct AuthorityTokens {
    client: TokenClient,
}

impl AuthorityTokens {
    /// A provider over `client` (built with the identity's certificate credential).
    pub(crate) fn new(client: TokenClient) -> Self {
        Self { client }
    }
}

#[async_trait]
impl TokenProvider for AuthorityTokens {
    async fn token(&self, resource: &str) -> Result<Token, FetchError> {
        let token = self.client.token(&Target::resource(resource)).await?;
        Ok(Token {
            object_id: object_id_of(token.secret()),
            access_token: Secret::new(token.secret().to_owned()),
            expires_on: token.expires_on(),
            not_before: token.not_before().unwrap_or(token.obtained_at()),
            resource: resource.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn failures_other_than_refusals_are_unavailability() {
        // Refusals (`invalid_resource`, ...) are checked end to end in tests/agent.rs.
        let config = FetchError::from(Error::Config("x".to_owned()));
        assert_eq!(config, FetchError::Unavailable("invalid configuration: x".to_owned()));
    }
}
