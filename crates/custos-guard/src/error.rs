//! Why a request was refused, and the one place that maps a refusal to an HTTP response
//! (RFC 6750 §3: status and `WWW-Authenticate`). Descriptions never echo token content.

use http::header::{CONTENT_LENGTH, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, Response, StatusCode};

use crate::keys::FetchError;

/// Why a bearer token is not acceptable (401 `invalid_token`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidToken {
    /// More than one `Authorization` header.
    #[error("more than one Authorization header")]
    MultipleAuthorizationHeaders,
    /// Not `Bearer <token>` with exactly one space and a b64token.
    #[error("the Authorization header is not a well-formed Bearer credential")]
    MalformedAuthorization,
    /// The token is longer than the guard accepts.
    #[error("the token is too large")]
    TooLarge,
    /// Not a compact JWS with a JSON header and claims.
    #[error("the token is not a well-formed JWT")]
    Malformed,
    /// `alg` is neither RS256 nor ES256, or is not the algorithm of the key it names (an RSA key
    /// verifies RS256 only, an EC P-256 key ES256 only).
    #[error("the token algorithm is not allowed")]
    Algorithm,
    /// `typ` names another kind of JWT.
    #[error("the token type is not an access token")]
    Type,
    /// `crit` lists extensions the guard does not understand.
    #[error("the token has unsupported critical header parameters")]
    Critical,
    /// The header carries its own key or a key URL (`jwk`, `jku`, `x5u`).
    #[error("the token header carries an untrusted key reference")]
    EmbeddedKey,
    /// No published key has the token's `kid`.
    #[error("the signing key is not known")]
    UnknownKey,
    /// The signature does not verify, or the key may not sign for this issuer.
    #[error("the signature is invalid")]
    Signature,
    /// A claim has the wrong JSON type, or a claim appears twice.
    #[error("the claim '{0}' is malformed")]
    ClaimFormat(&'static str),
    /// A required claim is missing.
    #[error("the claim '{0}' is missing")]
    MissingClaim(&'static str),
    /// `iss` is not an issuer of the configured tenant.
    #[error("the issuer is not trusted")]
    Issuer,
    /// `aud` does not name this API.
    #[error("the audience is invalid")]
    Audience,
    /// `tid` is not the configured tenant.
    #[error("the tenant is not trusted")]
    Tenant,
    /// `ver` does not match the issuer's token version.
    #[error("the token version does not match its issuer")]
    Version,
    /// `now >= exp + leeway`.
    #[error("the token is expired")]
    Expired,
    /// `nbf` (or `iat`) is later than now + leeway.
    #[error("the token is not yet valid")]
    NotYetValid,
    /// Carries `nonce`: an ID token, not an access token.
    #[error("ID tokens are not accepted")]
    IdToken,
    /// `idtyp: app` together with `scp`, or `appid` and `azp` disagree.
    #[error("the token claims are inconsistent")]
    Inconsistent,
}

/// Why a valid token is not allowed in (403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Forbidden {
    /// The token lacks the required app role.
    #[error("the token does not carry a required role")]
    MissingRole,
    /// The delegated token's `scp` holds none of the scopes the route requires (or no scope at all).
    #[error("the token does not carry a required scope")]
    MissingScope,
    /// The client application is not in the allow-list.
    #[error("the client application is not allowed")]
    ApplicationNotAllowed,
    /// App tokens are refused (`ServiceAuthEnabled = false`).
    #[error("app-only tokens are not accepted")]
    AppTokensDisabled,
    /// Delegated tokens are refused.
    #[error("delegated (user) tokens are not accepted")]
    UserTokensDisabled,
}

/// Everything that can stop a request at the guard.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// No `Authorization` header at all.
    #[error("no bearer token")]
    MissingToken,
    /// The token was refused.
    #[error(transparent)]
    InvalidToken(#[from] InvalidToken),
    /// The token is fine but the caller is not allowed.
    #[error(transparent)]
    Forbidden(#[from] Forbidden),
    /// `RequireClientTypeHeader` is on and the app token came without `ClientType: Service`: 401 with
    /// an `invalid_request` challenge (resource-apis.md §4.1: Community Training does not document the
    /// answer; custos refuses the call as unauthenticated, so clients see the same status as for a
    /// token problem).
    #[error("app tokens require the header ClientType: Service")]
    MissingClientType,
    /// No signing keys could be obtained from the authority yet.
    #[error("signing keys are unavailable: {0}")]
    KeysUnavailable(#[source] FetchError),
    /// A handler extracted a [`Principal`](crate::Principal) but neither the layer nor a guard was installed.
    #[error("no guard is installed for this route")]
    NotInstalled,
}

impl GuardError {
    /// The HTTP status of the refusal.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) | Self::MissingClientType => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::KeysUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotInstalled => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `WWW-Authenticate` challenge, when the refusal has one (RFC 6750 §3).
    pub fn www_authenticate(&self) -> Option<String> {
        let challenge = |code: &str, description: &str| {
            format!("Bearer error=\"{code}\", error_description=\"{description}\"")
        };
        match self {
            Self::MissingToken => Some("Bearer".to_owned()),
            Self::InvalidToken(reason) => Some(challenge("invalid_token", &reason.to_string())),
            Self::Forbidden(reason) => Some(challenge("insufficient_scope", &reason.to_string())),
            Self::MissingClientType => Some(challenge("invalid_request", &self.to_string())),
            Self::KeysUnavailable(_) | Self::NotInstalled => None,
        }
    }

    /// The response for this refusal: status, `WWW-Authenticate` (when any), `Retry-After` on 503 and an
    /// empty body.
    pub fn to_response<B: Default>(&self) -> Response<B> {
        let mut response = Response::new(B::default());
        *response.status_mut() = self.status();
        let headers = response.headers_mut();
        if let Some(value) = self.www_authenticate().and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(WWW_AUTHENTICATE, value);
        }
        if matches!(self, Self::KeysUnavailable(_)) {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("5"));
        }
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("0"));
        response
    }
}

impl axum::response::IntoResponse for GuardError {
    fn into_response(self) -> axum::response::Response {
        self.to_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges() {
        assert_eq!(GuardError::MissingToken.www_authenticate().as_deref(), Some("Bearer"));
        assert_eq!(
            GuardError::from(InvalidToken::Expired).www_authenticate().as_deref(),
            Some("Bearer error=\"invalid_token\", error_description=\"the token is expired\"")
        );
        assert_eq!(
            GuardError::from(Forbidden::MissingRole).www_authenticate().as_deref(),
            Some(
                "Bearer error=\"insufficient_scope\", error_description=\"the token does not carry a required role\""
            )
        );
        let response: Response<String> = GuardError::MissingClientType.to_response();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[WWW_AUTHENTICATE],
            "Bearer error=\"invalid_request\", error_description=\"app tokens require the header ClientType: Service\""
        );
    }
}
