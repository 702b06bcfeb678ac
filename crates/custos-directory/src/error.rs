//! Graph error responses: the one mapping from directory errors to HTTP status, Graph error
//! code and message, and the middleware that wraps them in Graph's envelope
//! `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`.
//!
//! Handlers return [`GraphError`]; its `IntoResponse` sets the status (and `WWW-Authenticate`
//! on 401) and leaves a marker in the response extensions. [`envelope`] then renders the body,
//! because only it knows the request's ids and reads the injected clock.

use crate::DirectoryState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custos_store::StoreError;
use http::{HeaderMap, HeaderValue, StatusCode, header};
use uuid::Uuid;

/// The Graph message for an unknown object.
fn not_found_message(id: &str) -> String {
    format!(
        "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
    )
}

/// Why a directory request failed, as the client is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// 401: no bearer token.
    #[error("Access token is empty.")]
    MissingToken,
    /// 401: the bearer token did not verify (signature, issuer, expiry or audience).
    #[error("Access token validation failure. Invalid audience, issuer, signature or lifetime.")]
    InvalidToken,
    /// 403: the caller lacks the app role the route requires.
    #[error("Insufficient privileges to complete the operation.")]
    Forbidden,
    /// 403 `Authentication_MSGraphPermissionMissing`: the caller lacks the permission (named)
    /// a log route requires (Graph's answer on `auditLogs`).
    #[error("Calling principal does not have required MSGraph permissions {0}")]
    PermissionMissing(&'static str),
    /// 405 `Request_BadRequest`: the path exists but not for this method (the read-only logs);
    /// Graph's text (microsoftgraph/microsoft-graph-docs#119).
    #[error("Specified HTTP method is not allowed for the request target.")]
    MethodNotAllowed,
    /// 404: the addressed object does not exist in the caller's tenant.
    #[error("{}", not_found_message(.0))]
    NotFound(String),
    /// 404 `Request_ResourceNotFound` with its own message: the object exists but lacks the
    /// addressed part (a managed identity without an endpoint secret).
    #[error("{0}")]
    Missing(String),
    /// 400 `Request_BadRequest`: the request is well-formed but its content is refused.
    #[error("{0}")]
    BadRequest(String),
    /// 400 `Authorization_RequestDenied`: the proof-of-possession JWT of `addKey`/`removeKey`
    /// does not verify; the text names why.
    #[error("{0}")]
    ProofRejected(String),
    /// 400 `BadRequest`: the request could not be read (malformed JSON, query syntax).
    #[error("{0}")]
    Malformed(String),
    /// 400 `Request_UnsupportedQuery`: a query option or filter this API does not support.
    #[error("{0}")]
    UnsupportedQuery(String),
    /// 400 `ExpandNotSupported`: `$expand` names a relationship that cannot be expanded.
    #[error("Expand is not allowed for property '{0}' according to the entity schema.")]
    ExpandNotSupported(String),
    /// 400 `Request_MultipleObjectsWithSameKeyValue`: the object would duplicate a unique key.
    #[error("{0}")]
    DuplicateKey(String),
    /// 400 `CannotDeleteOrUpdateEnabledEntitlement`: an enabled app role was removed.
    #[error(
        "Property value cannot be deleted or updated unless it is disabled first. App role '{0}' is enabled."
    )]
    EnabledAppRoleRemoved(String),
    /// 400 `Request_BadRequest` with a `details` entry of code `ObjectConflict`: another object
    /// has the same value for this unique property (Graph's answer to a duplicate
    /// `userPrincipalName`).
    #[error("Another object with the same value for property {0} already exists.")]
    ObjectConflict(&'static str),
    /// 400 `BadRequest`: `/me` called with an app-only token.
    #[error("/me request is only valid with delegated authentication flow.")]
    NotDelegated,
    /// 400 `CannotDeleteOrUpdateEnabledEntitlement`: an enabled delegated permission was removed.
    #[error(
        "Property value cannot be deleted or updated unless it is disabled first. Permission scope '{0}' is enabled."
    )]
    EnabledPermissionScopeRemoved(String),
    /// 409 `Request_MultipleObjectsWithSameKeyValue`: a create collides with an existing object
    /// (admin API).
    #[error("{0}")]
    Conflict(String),
    /// 413: the request body exceeds the cap.
    #[error("The request body exceeds the maximum allowed size of {0} bytes.")]
    PayloadTooLarge(usize),
    /// 429 `TooManyRequests` with `Retry-After`: the caller went over its request rate
    /// ([`crate::rate_limit`]); Graph's wording.
    #[error(
        "Too many requests from Identifier:{app_id}+{tenant} under category:custos.directory. Please try again later."
    )]
    TooManyRequests {
        /// The calling application.
        app_id: String,
        /// The caller's tenant.
        tenant: String,
        /// Seconds until the caller's window ends.
        retry_after_secs: u64,
    },
    /// 503 with `Retry-After`: storage failed; the client may retry. Never a 500.
    #[error("The service is temporarily unavailable. Please retry the request.")]
    Unavailable,
}

impl GraphError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::Forbidden | Self::PermissionMissing(_) => StatusCode::FORBIDDEN,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::NotFound(_) | Self::Missing(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::BadRequest(_)
            | Self::ProofRejected(_)
            | Self::Malformed(_)
            | Self::UnsupportedQuery(_)
            | Self::ExpandNotSupported(_)
            | Self::DuplicateKey(_)
            | Self::ObjectConflict(_)
            | Self::NotDelegated
            | Self::EnabledAppRoleRemoved(_)
            | Self::EnabledPermissionScopeRemoved(_) => StatusCode::BAD_REQUEST,
        }
    }

    /// The Graph `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingToken | Self::InvalidToken => "InvalidAuthenticationToken",
            Self::Forbidden | Self::ProofRejected(_) => "Authorization_RequestDenied",
            Self::PermissionMissing(_) => "Authentication_MSGraphPermissionMissing",
            Self::MethodNotAllowed => "Request_BadRequest",
            Self::NotFound(_) | Self::Missing(_) => "Request_ResourceNotFound",
            Self::BadRequest(_) | Self::ObjectConflict(_) => "Request_BadRequest",
            Self::Malformed(_) | Self::NotDelegated => "BadRequest",
            Self::UnsupportedQuery(_) => "Request_UnsupportedQuery",
            Self::ExpandNotSupported(_) => "ExpandNotSupported",
            Self::DuplicateKey(_) | Self::Conflict(_) => "Request_MultipleObjectsWithSameKeyValue",
            Self::EnabledAppRoleRemoved(_) | Self::EnabledPermissionScopeRemoved(_) => {
                "CannotDeleteOrUpdateEnabledEntitlement"
            }
            Self::PayloadTooLarge(_) => "Request_EntityTooLarge",
            Self::TooManyRequests { .. } => "TooManyRequests",
            Self::Unavailable => "serviceNotAvailable",
        }
    }

    /// Maps a storage failure that no handler expects: the backend is down or inconsistent
    /// (logged here, without client data; the client sees only a 503), or the store refused input
    /// that the body parser should already have refused (a 400, never a 503).
    pub(crate) fn storage(err: StoreError) -> Self {
        if let StoreError::InvalidInput(why) = err {
            return Self::BadRequest(format!("Invalid value: {why}."));
        }
        tracing::warn!(error = %err, "directory storage call failed");
        Self::Unavailable
    }
}

impl From<StoreError> for GraphError {
    fn from(err: StoreError) -> Self {
        Self::storage(err)
    }
}

/// What [`envelope`] needs to render an error body, left in the response extensions.
#[derive(Debug, Clone)]
struct ErrorMarker {
    code: &'static str,
    message: String,
    /// Graph's `details` array, when the error has one.
    details: Option<serde_json::Value>,
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        match self.status() {
            StatusCode::UNAUTHORIZED => {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET"));
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECS));
            }
            _ => {}
        }
        if let Self::TooManyRequests { retry_after_secs, .. } = &self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
        }
        let details = match &self {
            Self::ObjectConflict(property) => Some(serde_json::json!([{
                "code": "ObjectConflict",
                "message": self.to_string(),
                "target": property,
            }])),
            _ => None,
        };
        response.extensions_mut().insert(ErrorMarker {
            code: self.code(),
            message: self.to_string(),
            details,
        });
        response
    }
}

/// `Retry-After` of a 503, in seconds (the token endpoint's value).
const RETRY_AFTER_SECS: &str = "5";

/// Longest `client-request-id` echoed back; longer or non-printable ones are replaced.
const MAX_CLIENT_REQUEST_ID: usize = 128;

fn client_request_id(headers: &HeaderMap) -> String {
    headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= MAX_CLIENT_REQUEST_ID && v.bytes().all(|b| b.is_ascii_graphic())
        })
        .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned)
}

/// Middleware for every directory route: gives each response `request-id` and
/// `client-request-id` headers (echoing the caller's), and renders [`GraphError`] bodies.
pub(crate) async fn envelope(State(state): State<DirectoryState>, request: Request, next: Next) -> Response {
    let client_request_id = client_request_id(request.headers());
    let request_id = Uuid::new_v4().to_string();
    let mut response = next.run(request).await;
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && response.extensions().get::<ErrorMarker>().is_none()
    {
        // The router's own answer to a known path with another method: Graph's body too.
        let allow = response.headers().get(header::ALLOW).cloned();
        response = GraphError::MethodNotAllowed.into_response();
        match allow {
            Some(allow) => response.headers_mut().insert(header::ALLOW, allow),
            None => response.headers_mut().remove(header::ALLOW),
        };
    }
    if let Some(marker) = response.extensions_mut().remove::<ErrorMarker>() {
        let date = state
            .clock
            .now()
            .format(&time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]"))
            .unwrap_or_default();
        let mut body = serde_json::json!({
            "error": {
                "code": marker.code,
                "message": marker.message,
                "innerError": {
                    "date": date,
                    "request-id": request_id,
                    "client-request-id": client_request_id,
                }
            }
        });
        if let Some(details) = marker.details {
            body["error"]["details"] = details;
        }
        *response.body_mut() = Body::from(body.to_string());
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }
    for (name, value) in [("request-id", request_id), ("client-request-id", client_request_id)] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_graph() {
        let e = GraphError::NotFound("abc".into());
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        assert_eq!(e.code(), "Request_ResourceNotFound");
        assert_eq!(
            e.to_string(),
            "Resource 'abc' does not exist or one of its queried reference-property objects are not present."
        );
        assert_eq!(GraphError::Forbidden.code(), "Authorization_RequestDenied");
        assert_eq!(GraphError::Unavailable.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(GraphError::from(StoreError::Backend("x".into())), GraphError::Unavailable);
        assert!(matches!(GraphError::from(StoreError::InvalidInput("no NUL")), GraphError::BadRequest(_)));
    }

    /// Issue 10: the README promises `Retry-After` on every 503.
    #[test]
    fn unavailable_carries_retry_after() {
        let response = GraphError::Unavailable.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "5");
        let response = GraphError::NotFound("x".into()).into_response();
        assert_eq!(response.headers().get(header::RETRY_AFTER), None);
    }

    #[test]
    fn client_request_ids_are_echoed_only_when_sane() {
        let mut headers = HeaderMap::new();
        headers.insert("client-request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(client_request_id(&headers), "abc-123");
        headers.insert("client-request-id", HeaderValue::from_static("has space"));
        assert_eq!(client_request_id(&headers).len(), 36);
    }
}
