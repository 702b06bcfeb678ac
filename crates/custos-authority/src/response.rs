//! The one mapping from token-endpoint outcomes to HTTP: Entra's success bodies (v2 numbers,
//! v1 strings, `entra-wire.md` §5) and error bodies (§8), with the no-cache headers, 401 +
//! `WWW-Authenticate` for Basic clients, 503 + `Retry-After` for storage failures and 429 +
//! `Retry-After` when throttled.

use crate::issue::{Endpoint, Issued};
use crate::user_flow::UserIssued;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_core::aadsts::{OAuthError, TokenError};
use serde::Serialize;
use time::OffsetDateTime;
use time::macros::format_description;
use uuid::Uuid;

/// Seconds a client should wait after a 503.
pub(crate) const RETRY_AFTER_SECS: &str = "5";

const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store, no-cache");
const NO_CACHE: HeaderValue = HeaderValue::from_static("no-cache");

/// The request's correlation id: its `client-request-id` when that is a GUID, else a new one.
pub(crate) fn correlation_id(headers: &HeaderMap) -> Uuid {
    headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() == 36)
        .and_then(|v| Uuid::try_parse(v).ok())
        .unwrap_or_else(Uuid::new_v4)
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, JSON_UTF8);
    headers.insert(header::CACHE_CONTROL, NO_STORE);
    headers.insert(header::PRAGMA, NO_CACHE);
    response
}

#[derive(Serialize)]
struct V2Body<'a> {
    token_type: &'static str,
    expires_in: i64,
    ext_expires_in: i64,
    access_token: &'a str,
}

#[derive(Serialize)]
struct V1Body<'a> {
    token_type: &'static str,
    expires_in: String,
    ext_expires_in: String,
    expires_on: String,
    not_before: String,
    resource: &'a str,
    access_token: &'a str,
}

/// The 200 response for an issued token, shaped by the endpoint that was called.
pub(crate) fn token_success(endpoint: Endpoint, issued: &Issued) -> Response {
    let body = match endpoint {
        Endpoint::V2 => serde_json::to_vec(&V2Body {
            token_type: "Bearer",
            expires_in: issued.expires_in,
            ext_expires_in: issued.expires_in,
            access_token: &issued.access_token,
        }),
        Endpoint::V1 => serde_json::to_vec(&V1Body {
            token_type: "Bearer",
            expires_in: issued.expires_in.to_string(),
            ext_expires_in: issued.expires_in.to_string(),
            expires_on: issued.expires_on.to_string(),
            not_before: issued.not_before.to_string(),
            resource: &issued.resource,
            access_token: &issued.access_token,
        }),
    };
    match body {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a token response");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, RETRY_AFTER_SECS)]).into_response()
        }
    }
}

/// A v2 user-flow response, in the key order of a real capture (`entra-user-flows.md` §3.3).
#[derive(Serialize)]
struct V2UserBody<'a> {
    token_type: &'static str,
    scope: &'a str,
    expires_in: i64,
    ext_expires_in: i64,
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_info: Option<&'a str>,
}

/// A v1 user-flow response: numbers as strings, in seed 004's key order.
#[derive(Serialize)]
struct V1UserBody<'a> {
    expires_in: String,
    token_type: &'static str,
    scope: &'a str,
    expires_on: String,
    not_before: String,
    resource: &'a str,
    access_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_info: Option<&'a str>,
}

/// The 200 response of a user flow (authorization code, refresh token, password).
pub(crate) fn user_token_success(endpoint: Endpoint, issued: &UserIssued) -> Response {
    let access = &issued.access;
    let body = match endpoint {
        Endpoint::V2 => serde_json::to_vec(&V2UserBody {
            token_type: "Bearer",
            scope: &issued.scope,
            expires_in: access.expires_in,
            ext_expires_in: access.expires_in,
            access_token: &access.access_token,
            refresh_token: issued.refresh_token.as_deref(),
            id_token: issued.id_token.as_deref(),
            client_info: issued.client_info.as_deref(),
        }),
        Endpoint::V1 => serde_json::to_vec(&V1UserBody {
            expires_in: access.expires_in.to_string(),
            token_type: "Bearer",
            scope: &issued.scope,
            expires_on: access.expires_on.to_string(),
            not_before: access.not_before.to_string(),
            resource: &access.resource,
            access_token: &access.access_token,
            refresh_token: issued.refresh_token.as_deref(),
            id_token: issued.id_token.as_deref(),
            client_info: issued.client_info.as_deref(),
        }),
    };
    match body {
        Ok(body) => json_response(StatusCode::OK, body),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a token response");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, RETRY_AFTER_SECS)]).into_response()
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'static str,
    error_description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    suberror: Option<&'static str>,
    error_codes: [u32; 1],
    timestamp: &'a str,
    trace_id: String,
    correlation_id: String,
    error_uri: String,
}

/// What an error response needs besides the error.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ErrorContext<'a> {
    /// The server's public URL (for `error_uri`).
    pub(crate) public_url: &'a str,
    /// When the error happened.
    pub(crate) now: OffsetDateTime,
    /// Echoed as `correlation_id`.
    pub(crate) correlation_id: Uuid,
    /// Whether the client authenticated with the `Authorization` header.
    pub(crate) used_basic: bool,
}

/// Entra's `yyyy-mm-dd hh:mm:ssZ`.
fn entra_timestamp(at: OffsetDateTime) -> String {
    at.format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z")).unwrap_or_default()
}

/// The error response for `error`.
pub(crate) fn token_error(error: &TokenError, ctx: &ErrorContext<'_>) -> Response {
    let code = error.code();
    let timestamp = entra_timestamp(ctx.now);
    let trace_id = Uuid::new_v4().hyphenated().to_string();
    let correlation_id = ctx.correlation_id.hyphenated().to_string();
    let body = ErrorBody {
        error: error.oauth_error().as_str(),
        suberror: error.suberror(),
        error_description: format!(
            "AADSTS{code}: {error} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {timestamp}"
        ),
        error_codes: [code],
        timestamp: &timestamp,
        trace_id,
        correlation_id,
        error_uri: format!("{}/error?code={code}", ctx.public_url),
    };
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = match serde_json::to_vec(&body) {
        Ok(body) => json_response(status, body),
        Err(_) => json_response(status, Vec::new()),
    };
    let headers = response.headers_mut();
    if error.oauth_error() == OAuthError::InvalidClient && ctx.used_basic {
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"custos\""));
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        // An overloaded server sheds early and asks for a quick retry.
        let retry_after = if matches!(error, TokenError::Overloaded) { "1" } else { RETRY_AFTER_SECS };
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(retry_after));
    }
    if let TokenError::Throttled { retry_after_secs } = error {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(*retry_after_secs));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_has_entra_format() {
        let at = OffsetDateTime::from_unix_timestamp(1_452_304_932).unwrap();
        assert_eq!(entra_timestamp(at), "2016-01-09 02:02:12Z");
    }

    #[test]
    fn correlation_id_echoes_only_guids() {
        let mut headers = HeaderMap::new();
        headers.insert("client-request-id", HeaderValue::from_static("6F3C1D2E-0000-4000-8000-000000000001"));
        assert_eq!(correlation_id(&headers).to_string(), "6f3c1d2e-0000-4000-8000-000000000001");
        headers.insert("client-request-id", HeaderValue::from_static("not-a-guid"));
        assert_ne!(correlation_id(&headers).to_string(), "not-a-guid");
    }
}
