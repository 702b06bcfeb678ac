//! The gateway's own answers: `/healthz`, and refusals that are not the guard's (bad path, no route,
//! body too large, upstream failures), each with a small JSON body `{"error":{"code","message"}}`.

use bytes::Bytes;
use http::header::{ALLOW, CONTENT_TYPE};
use http::{HeaderValue, Response, StatusCode};
use http_body_util::{BodyExt, Full};

use crate::body::ProxyBody;

/// Why the gateway itself answered instead of the upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The path could not be normalised safely.
    InvalidPath,
    /// No route matches the path.
    NoRoute,
    /// `/healthz` with a method other than GET or HEAD.
    MethodNotAllowed,
    /// The request body is larger than `max_body_bytes`.
    PayloadTooLarge,
    /// The upstream could not be reached or broke the exchange.
    BadGateway,
    /// The upstream did not answer in time.
    GatewayTimeout,
}

impl Refusal {
    fn parts(self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::InvalidPath => {
                (StatusCode::BAD_REQUEST, "InvalidPath", "The request path is not acceptable.")
            }
            Self::NoRoute => (StatusCode::NOT_FOUND, "NotFound", "No route matches the request path."),
            Self::MethodNotAllowed => {
                (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Only GET and HEAD are allowed here.")
            }
            Self::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "PayloadTooLarge", "The request body is too large.")
            }
            Self::BadGateway => {
                (StatusCode::BAD_GATEWAY, "BadGateway", "The upstream service is unavailable.")
            }
            Self::GatewayTimeout => (
                StatusCode::GATEWAY_TIMEOUT,
                "GatewayTimeout",
                "The upstream service did not answer in time.",
            ),
        }
    }

    /// The JSON error response.
    pub(crate) fn response(self) -> Response<ProxyBody> {
        let (status, code, message) = self.parts();
        let body = serde_json::json!({ "error": { "code": code, "message": message } });
        let mut response = json_response(status, &body);
        if self == Self::MethodNotAllowed {
            response.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        response
    }
}

/// `200 {"status":"ok"}`: the gateway's own liveness answer.
pub(crate) fn health() -> Response<ProxyBody> {
    json_response(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<ProxyBody> {
    let bytes = Bytes::from(body.to_string());
    let mut response = Response::new(Full::new(bytes).map_err(|e| match e {}).boxed_unsync());
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies() {
        let response = Refusal::GatewayTimeout.response();
        assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/json");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(
            body,
            r#"{"error":{"code":"GatewayTimeout","message":"The upstream service did not answer in time."}}"#
        );
        assert_eq!(Refusal::MethodNotAllowed.response().headers()[ALLOW], "GET, HEAD");
    }
}
