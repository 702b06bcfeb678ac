//! The two local token protocols `custos agent` serves, with their exact request and response
//! shapes (entra-wire.md §9):
//!
//! - App Service: `GET /msi/token?resource=R&api-version=2019-08-01` with `X-IDENTITY-HEADER`
//!   equal to the agent's `IDENTITY_HEADER`; answers `access_token`, `expires_on` (string),
//!   `resource`, `token_type`, `client_id` (+ `expires_in`, `not_before`); errors
//!   `{"statusCode","message","correlationId"}`.
//! - IMDS: `GET /metadata/identity/oauth2/token?resource=R&api-version=2018-02-01` with
//!   `Metadata: true`; answers all-string fields; errors `{"error","error_description"}`.
//!
//! Paths are matched without case and with an optional trailing slash (MSAL Node lower-cases
//! and appends `/`). An identity selector (`client_id`, `object_id`/`principal_id`,
//! `mi_res_id`/`msi_res_id`) must name the agent's own identity; custos identities have no
//! Azure resource id, so `mi_res_id`/`msi_res_id` never match.

use super::tokens::{FetchError, Token, TokenProvider};
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use custos_core::Clock;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

/// The App Service protocol's path.
pub(crate) const APP_SERVICE_PATH: &str = "/msi/token";
/// The IMDS protocol's path.
pub(crate) const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
const APP_SERVICE_API_VERSION: &str = "2019-08-01";
const IMDS_API_VERSION: &str = "2018-02-01";
/// The identity-selecting query parameters either protocol's clients send.
const SELECTORS: [&str; 5] = ["client_id", "object_id", "principal_id", "mi_res_id", "msi_res_id"];

/// The per-host secret App Service clients send as `X-IDENTITY-HEADER`. Never printed by `Debug`.
#[derive(Clone)]
pub(crate) struct IdentityHeader(String);

impl IdentityHeader {
    /// Wraps a secret.
    pub(crate) fn new(secret: String) -> Self {
        Self(secret)
    }

    /// The secret, for the `export IDENTITY_HEADER=` line.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// Compares in constant time (for equal lengths).
    fn matches(&self, presented: &[u8]) -> bool {
        aws_lc_rs::constant_time::verify_slices_are_equal(self.0.as_bytes(), presented).is_ok()
    }
}

impl std::fmt::Debug for IdentityHeader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityHeader(<redacted>)")
    }
}

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct AgentState {
    /// Source of tokens.
    pub(crate) tokens: Arc<dyn TokenProvider>,
    /// `IDENTITY_HEADER`.
    pub(crate) identity_header: IdentityHeader,
    /// The identity's client id (appId).
    pub(crate) client_id: String,
    /// The time.
    pub(crate) clock: Arc<dyn Clock>,
}

/// The agent's routes: both protocols, everything else 404.
pub(crate) fn router(state: Arc<AgentState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    AppService,
    Imds,
}

/// A refused request, rendered in the protocol's own error shape.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    error: String,
    /// App Service's `message`.
    message: String,
    /// IMDS's `error_description` (the message without the error code).
    description: String,
}

impl Failure {
    fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self { status, error: error.to_owned(), description: message.clone(), message }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    fn render(self, protocol: Protocol) -> Response {
        let body = match protocol {
            Protocol::Imds => json!({"error": self.error, "error_description": self.description}),
            Protocol::AppService => json!({
                "statusCode": self.status.as_u16(),
                "message": self.message,
                "correlationId": Uuid::new_v4().to_string(),
            }),
        };
        (self.status, no_store(), Json(body)).into_response()
    }
}

impl From<FetchError> for Failure {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Refused { error, description } => Self {
                status: StatusCode::BAD_REQUEST,
                message: format!("{error}: {description}"),
                error,
                description,
            },
            FetchError::Unavailable(detail) => {
                tracing::warn!(%detail, "no token: the authority is unavailable");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "service_unavailable",
                    "The token service is temporarily unavailable; retry later.",
                )
            }
        }
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 1] {
    [(header::CACHE_CONTROL, "no-store")]
}

async fn dispatch(
    State(state): State<Arc<AgentState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path().to_ascii_lowercase();
    let path = path.strip_suffix('/').unwrap_or(&path);
    let protocol = match path {
        APP_SERVICE_PATH => Protocol::AppService,
        IMDS_PATH => Protocol::Imds,
        _ => return (StatusCode::NOT_FOUND, "not found\n").into_response(),
    };
    if method != Method::GET {
        let refused =
            Failure::new(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "Only GET is supported.");
        return refused.render(protocol);
    }
    match serve(&state, protocol, uri.query(), &headers).await {
        Ok(body) => (StatusCode::OK, no_store(), Json(body)).into_response(),
        Err(failure) => {
            tracing::info!(status = failure.status.as_u16(), error = %failure.error, message = %failure.message, "token request refused");
            failure.render(protocol)
        }
    }
}

/// The query parameters; a repeated one is refused (it would be ambiguous).
fn parameters(query: Option<&str>) -> Result<HashMap<String, String>, Failure> {
    let mut out = HashMap::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if out.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(Failure::bad_request(format!(
                "The query parameter '{name}' is given more than once."
            )));
        }
    }
    Ok(out)
}

fn check_caller(state: &AgentState, protocol: Protocol, headers: &HeaderMap) -> Result<(), Failure> {
    match protocol {
        Protocol::Imds => {
            let metadata = headers.get("metadata").and_then(|v| v.to_str().ok());
            if !metadata.is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
                return Err(Failure::bad_request("Required metadata header not specified"));
            }
        }
        Protocol::AppService => {
            let presented = headers.get("x-identity-header").map(|v| v.as_bytes());
            if !presented.is_some_and(|p| state.identity_header.matches(p)) {
                return Err(Failure::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.",
                ));
            }
        }
    }
    Ok(())
}

/// Runs one token request; the success body in the protocol's shape.
async fn serve(
    state: &AgentState,
    protocol: Protocol,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Value, Failure> {
    check_caller(state, protocol, headers)?;
    let params = parameters(query)?;
    let expected = match protocol {
        Protocol::AppService => APP_SERVICE_API_VERSION,
        Protocol::Imds => IMDS_API_VERSION,
    };
    match params.get("api-version").map(String::as_str) {
        Some(v) if v == expected => {}
        Some(v) => {
            return Err(Failure::bad_request(format!(
                "The api-version '{v}' is not supported; use api-version={expected}."
            )));
        }
        None => {
            return Err(Failure::bad_request(format!(
                "Required query variable 'api-version' is missing; use api-version={expected}."
            )));
        }
    }
    let resource = params
        .get("resource")
        .filter(|r| !r.trim().is_empty())
        .ok_or_else(|| Failure::bad_request("Required query variable 'resource' is missing"))?;
    let selectors: Vec<(&str, &str)> =
        SELECTORS.iter().filter_map(|name| params.get(*name).map(|v| (*name, v.as_str()))).collect();
    if selectors.len() > 1 {
        return Err(Failure::bad_request(
            "Only one of client_id, object_id, principal_id, mi_res_id and msi_res_id may be given.",
        ));
    }
    let not_found = || Failure::bad_request("Identity not found");
    let object_id = match selectors.first() {
        None => None,
        Some(("client_id", id)) if id.eq_ignore_ascii_case(&state.client_id) => None,
        Some(("object_id" | "principal_id", id)) => Some(*id),
        Some(_) => return Err(not_found()),
    };
    let token = state.tokens.token(resource).await?;
    if let Some(wanted) = object_id
        && !token.object_id.as_deref().is_some_and(|oid| oid.eq_ignore_ascii_case(wanted))
    {
        return Err(not_found());
    }
    Ok(body(protocol, &token, &state.client_id, state.clock.unix()))
}

fn body(protocol: Protocol, token: &Token, client_id: &str, now: i64) -> Value {
    let expires_in = (token.expires_on - now).max(0).to_string();
    let mut body = json!({
        "access_token": token.access_token,
        "expires_in": expires_in,
        "expires_on": token.expires_on.to_string(),
        "not_before": token.not_before.to_string(),
        "resource": token.resource,
        "token_type": "Bearer",
        "client_id": client_id,
    });
    if protocol == Protocol::Imds {
        body["refresh_token"] = json!("");
    }
    body
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
