//! The sample as a confidential web client at the authority's v2 token endpoint: redeeming the
//! sign-in's code (authorization code + PKCE) and refreshing (refresh-token grant), with the client
//! secret in the body. The HTTP client is the guard's ([`custos_guard::authority_http_client`]): the
//! same trust anchor, timeouts, no redirects, no proxy. Answers are read up to
//! [`custos_guard::MAX_DOCUMENT_BYTES`].

use custos_core::{AppId, Secret};
use custos_guard::MAX_DOCUMENT_BYTES;
use custos_jose::compact::{self, Jws, Padding};
use reqwest::{Client, Url};
use serde::Deserialize;

/// The tokens of a successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// `access_token`.
    pub access_token: String,
    /// `refresh_token` (the sign-in asks for `offline_access`, so it is required).
    pub refresh_token: String,
    /// `expires_in`, seconds.
    pub expires_in: u64,
    /// `id_token`, when the grant returned one.
    pub id_token: Option<String>,
}

/// Why the authority gave no tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorityError {
    /// The authority refused the grant: its OAuth error, description and AADSTS codes, passed on.
    #[error("the authority refused the request: {error}: {description}")]
    Refused {
        /// `error` (`invalid_grant`, `invalid_client`, ...).
        error: String,
        /// `error_description` (`AADSTS70008: ...`).
        description: String,
        /// `error_codes`.
        codes: Vec<u32>,
    },
    /// No answer (connection, TLS, timeout).
    #[error("the authority could not be reached: {0}")]
    Unreachable(String),
    /// An answer that is not a token response.
    #[error("the authority's answer is not usable: {0}")]
    Malformed(String),
}

#[derive(Debug, Deserialize)]
struct Success {
    access_token: String,
    refresh_token: Option<String>,
    expires_in: Option<NumberOrString>,
    id_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    Text(String),
}

#[derive(Debug, Deserialize)]
struct Failure {
    error: String,
    #[serde(default)]
    error_description: String,
    #[serde(default)]
    error_codes: Vec<u32>,
}

/// The token endpoint of one tenant, with the sample's client credentials.
#[derive(Debug, Clone)]
pub struct TokenEndpoint {
    client: Client,
    url: Url,
    client_id: AppId,
    client_secret: Secret<String>,
}

impl TokenEndpoint {
    /// `url` is `{authority}/{tenant}/oauth2/v2.0/token`.
    pub fn new(client: Client, url: Url, client_id: AppId, client_secret: Secret<String>) -> Self {
        Self { client, url, client_id, client_secret }
    }

    /// Redeems a sign-in's code.
    pub async fn redeem_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
        scope: &str,
    ) -> Result<Tokens, AuthorityError> {
        self.post(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("scope", scope),
        ])
        .await
    }

    /// Exchanges a refresh token for a new pair.
    pub async fn refresh(&self, refresh_token: &str, scope: &str) -> Result<Tokens, AuthorityError> {
        self.post(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token), ("scope", scope)])
            .await
    }

    async fn post(&self, grant: &[(&str, &str)]) -> Result<Tokens, AuthorityError> {
        let client_id = self.client_id.to_string();
        let mut form: Vec<(&str, &str)> =
            vec![("client_id", client_id.as_str()), ("client_secret", self.client_secret.expose().as_str())];
        form.extend_from_slice(grant);
        let unreachable = |e: reqwest::Error| AuthorityError::Unreachable(e.without_url().to_string());
        let mut response =
            self.client.post(self.url.clone()).form(&form).send().await.map_err(unreachable)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(AuthorityError::Malformed("the answer is too large".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            return Err(match serde_json::from_slice::<Failure>(&body) {
                Ok(f) => AuthorityError::Refused {
                    error: f.error,
                    description: f.error_description,
                    codes: f.error_codes,
                },
                Err(_) => AuthorityError::Malformed(format!("HTTP {status} without an OAuth error")),
            });
        }
        let success: Success = serde_json::from_slice(&body)
            .map_err(|e| AuthorityError::Malformed(format!("not a token response: {e}")))?;
        let refresh_token = success.refresh_token.filter(|t| !t.is_empty()).ok_or_else(|| {
            AuthorityError::Malformed("no refresh_token (was offline_access granted?)".to_owned())
        })?;
        let expires_in = match success.expires_in {
            Some(NumberOrString::Number(n)) => n,
            Some(NumberOrString::Text(text)) => text
                .parse()
                .map_err(|_| AuthorityError::Malformed("expires_in is not a number".to_owned()))?,
            None => return Err(AuthorityError::Malformed("no expires_in".to_owned())),
        };
        Ok(Tokens {
            access_token: success.access_token,
            refresh_token,
            expires_in,
            id_token: success.id_token,
        })
    }
}

/// The `nonce` of an ID token received directly from the token endpoint over TLS. Its signature is not
/// checked (OpenID Connect Core §3.1.3.7: the TLS server validation of the token endpoint may be used
/// instead); only the payload is read.
pub fn id_token_nonce(id_token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Claims {
        nonce: Option<String>,
    }
    let jws = Jws::split(id_token).ok()?;
    let payload = compact::decode(jws.payload, Padding::Refused).ok()?;
    serde_json::from_slice::<Claims>(&payload).ok()?.nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nonce_of_an_id_token() {
        use base64::Engine as _;
        let encode = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let token = |claims: &str| format!("{}.{}.sig", encode(r#"{"alg":"RS256"}"#), encode(claims));
        assert_eq!(id_token_nonce(&token(r#"{"nonce":"n-1","sub":"s"}"#)).as_deref(), Some("n-1"));
        assert_eq!(id_token_nonce(&token(r#"{"sub":"s"}"#)), None);
        assert_eq!(id_token_nonce(&token(r#"{"nonce":7}"#)), None);
        assert_eq!(id_token_nonce("not-a-jwt"), None);
    }
}
