//! `GET /admin/v1/openapi.json`: the admin API described in OpenAPI 3.0 (`openapi.json`, kept
//! beside the routes it describes; a test checks that every documented operation is routed), for
//! client generators and for schemathesis, which CI runs against it.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The document.
pub const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /admin/v1/openapi.json` (no token needed: it describes, it discloses nothing).
pub(crate) async fn document() -> Response {
    let mut response = DOCUMENT.into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
