//! In-process HTTP: a request sent through an axum [`Router`] without a socket (`oneshot`), the
//! whole [`Reply`] read back, form bodies, and the unverified header and claims of a compact JWT.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

/// The `client-request-id` the helpers send; answers echo it as the correlation id.
pub const CORRELATION: &str = "0b6b2f2c-8d1e-4c3b-9f0a-1d2e3f4a5b6c";
/// `content-type` of a form body.
pub const FORM: &str = "application/x-www-form-urlencoded";

/// A whole response: status, headers, body text, and the body as JSON (`Null` when it is empty or
/// not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    /// The value of header `name` (panics when it is not visible ASCII).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts an Entra error response of the authority at `authority` whose clock reads
    /// `timestamp`: status, `error`, `error_codes[0]`, the [`CORRELATION`] echo, the description
    /// format, `error_uri`, `trace_id` and the no-cache headers.
    pub fn assert_entra_error(&self, status: u16, error: &str, code: u32, authority: &str, timestamp: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        assert_eq!(self.json["error"], error, "{}", self.text);
        assert_eq!(self.json["error_codes"][0], code, "{}", self.text);
        assert_eq!(self.json["correlation_id"], CORRELATION, "{}", self.text);
        let description = self.json["error_description"].as_str().unwrap();
        assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
        assert!(description.contains(&format!("Correlation ID: {CORRELATION}")), "{description}");
        assert!(description.ends_with(&format!("Timestamp: {timestamp}")), "{description}");
        assert_eq!(self.json["timestamp"], timestamp);
        assert_eq!(self.json["error_uri"], format!("{authority}/error?code={code}"));
        assert_eq!(self.json["trace_id"].as_str().unwrap().len(), 36);
        assert_eq!(self.header("cache-control"), Some("no-store, no-cache"));
        assert_eq!(self.header("pragma"), Some("no-cache"));
        assert_eq!(self.header("content-type"), Some("application/json; charset=utf-8"));
    }
}

/// Sends `request` through `router` and reads the whole reply.
pub async fn send(router: &Router, request: Request<Body>) -> Reply {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, headers, text, json }
}

/// `GET path` with the [`CORRELATION`] header.
pub async fn get(router: &Router, path: &str) -> Reply {
    send(router, Request::get(path).header("client-request-id", CORRELATION).body(Body::empty()).unwrap())
        .await
}

/// `POST path` of the form `body` with the [`CORRELATION`] header.
pub async fn post_form(router: &Router, path: &str, body: &str) -> Reply {
    send(router, post(path, FORM).body(Body::from(body.to_owned())).unwrap()).await
}

/// A POST builder with a content type and the [`CORRELATION`] header.
pub fn post(path: &str, content_type: &str) -> axum::http::request::Builder {
    Request::post(path).header("content-type", content_type).header("client-request-id", CORRELATION)
}

/// Form-encodes pairs.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// The header of a compact JWT, unverified.
pub fn jwt_header(token: &str) -> Value {
    segment(token, 0)
}

/// The claims (payload) of a compact JWT, unverified.
pub fn jwt_claims(token: &str) -> Value {
    segment(token, 1)
}

fn segment(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// The claims of the access token a token response carries (panics with the reply when it has
/// none).
pub fn token_claims(reply: &Reply) -> Value {
    jwt_claims(reply.json["access_token"].as_str().unwrap_or_else(|| panic!("{}", reply.text)))
}

/// The `WWW-Authenticate` value of a bearer refusal (RFC 6750 §3): `error` with `description`.
pub fn bearer_challenge(error: &str, description: &str) -> String {
    format!("Bearer error=\"{error}\", error_description=\"{description}\"")
}
