//! Errors of the signing-key admin API, rendered in Microsoft Graph's envelope like the rest of
//! the admin API: `{"error":{"code","message","innerError":{"date","request-id",
//! "client-request-id"}}}`, with `request-id` and `client-request-id` headers on every answer.

use crate::keys::KeyError;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest `client-request-id` echoed back; longer or non-printable ones are replaced.
const MAX_CLIENT_REQUEST_ID: usize = 128;

/// Why an admin request failed, as the client is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AdminError {
    /// 401: no bearer token.
    #[error("Access token is empty.")]
    MissingToken,
    /// 401: the token did not verify (signature, issuer, lifetime or audience).
    #[error("Access token validation failure. Invalid audience, issuer, signature or lifetime.")]
    InvalidToken,
    /// 403: not `Custos.Admin` of the installation's home tenant.
    #[error("Insufficient privileges to complete the operation.")]
    Forbidden,
    /// 400 `BadRequest`: the body is not a JSON object.
    #[error("{0}")]
    Malformed(String),
    /// 400 `Request_BadRequest`: the content of the request is refused.
    #[error("{0}")]
    BadRequest(String),
    /// 404 `Request_ResourceNotFound`: the addressed object does not exist (the message says
    /// which).
    #[error("{0}")]
    NotFound(String),
    /// 413: the body exceeds the cap.
    #[error("The request body exceeds the maximum allowed size of {0} bytes.")]
    PayloadTooLarge(usize),
    /// 503: storage or key generation failed; the client may retry.
    #[error("The service is temporarily unavailable. Please retry the request.")]
    Unavailable,
}

impl AdminError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Malformed(_) | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::MissingToken | Self::InvalidToken => "InvalidAuthenticationToken",
            Self::Forbidden => "Authorization_RequestDenied",
            Self::Malformed(_) => "BadRequest",
            Self::BadRequest(_) => "Request_BadRequest",
            Self::NotFound(_) => "Request_ResourceNotFound",
            Self::PayloadTooLarge(_) => "Request_EntityTooLarge",
            Self::Unavailable => "serviceNotAvailable",
        }
    }
}

impl From<KeyError> for AdminError {
    fn from(err: KeyError) -> Self {
        match err {
            KeyError::Activation { .. } => Self::BadRequest(err.to_string()),
            other => {
                tracing::warn!(error = %other, "signing-key admin call failed");
                Self::Unavailable
            }
        }
    }
}

impl From<custos_store::StoreError> for AdminError {
    fn from(err: custos_store::StoreError) -> Self {
        KeyError::Store(err).into()
    }
}

/// The ids every answer carries.
#[derive(Debug, Clone)]
pub(crate) struct RequestIds {
    request_id: String,
    client_request_id: String,
}

impl RequestIds {
    /// A fresh `request-id`, and the caller's `client-request-id` when it is sane.
    pub(crate) fn new(headers: &HeaderMap) -> Self {
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .filter(|v| {
                !v.is_empty() && v.len() <= MAX_CLIENT_REQUEST_ID && v.bytes().all(|b| b.is_ascii_graphic())
            })
            .map_or_else(|| Uuid::new_v4().to_string(), str::to_owned);
        Self { request_id: Uuid::new_v4().to_string(), client_request_id }
    }

    /// The answer: `body` with `status`, or the error in Graph's envelope dated `now`.
    pub(crate) fn respond(
        &self,
        result: Result<(StatusCode, Value), AdminError>,
        now: OffsetDateTime,
    ) -> Response {
        let mut response = match result {
            Ok((status, body)) => (status, axum::Json(body)).into_response(),
            Err(e) => {
                let date = now
                    .format(&time::macros::format_description!(
                        "[year]-[month]-[day]T[hour]:[minute]:[second]"
                    ))
                    .unwrap_or_default();
                let body = json!({"error": {
                    "code": e.code(),
                    "message": e.to_string(),
                    "innerError": {
                        "date": date,
                        "request-id": self.request_id,
                        "client-request-id": self.client_request_id,
                    }
                }});
                let mut response = (e.status(), axum::Json(body)).into_response();
                if e.status() == StatusCode::UNAUTHORIZED {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                }
                response
            }
        };
        for (name, value) in
            [("request-id", &self.request_id), ("client-request-id", &self.client_request_id)]
        {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_follow_graph() {
        assert_eq!(AdminError::InvalidToken.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(AdminError::InvalidToken.code(), "InvalidAuthenticationToken");
        assert_eq!(AdminError::Forbidden.code(), "Authorization_RequestDenied");
        let activation = KeyError::Activation { publish_ahead: "24h".to_owned() };
        assert!(matches!(AdminError::from(activation), AdminError::BadRequest(_)));
        assert_eq!(AdminError::from(KeyError::NoSigner), AdminError::Unavailable);
    }

    #[test]
    fn client_request_ids_are_echoed_only_when_sane() {
        let mut headers = HeaderMap::new();
        headers.insert("client-request-id", HeaderValue::from_static("abc-123"));
        assert_eq!(RequestIds::new(&headers).client_request_id, "abc-123");
        headers.insert("client-request-id", HeaderValue::from_static("has space"));
        assert_eq!(RequestIds::new(&headers).client_request_id.len(), 36);
    }
}
