//! Calls of the Graph, admin and token routes, in process, on behalf of the signed-in
//! administrator: a request is built as a script would send it (bearer token, JSON body) and
//! handed to the server's router, so every rule and every error text is the API's.

use crate::state::Portal;
use axum::body::Body;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use custos_listener::ConnectionInfo;
use serde_json::Value;
use tower::ServiceExt;

/// Largest API answer the portal reads (a page of a list is far smaller).
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;

/// An API refusal, as the API worded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The API's status.
    pub status: StatusCode,
    /// Graph's `error.code` or OAuth's `error`.
    pub code: String,
    /// Graph's `error.message` or OAuth's `error_description`.
    pub message: String,
}

impl ApiError {
    fn of(status: StatusCode, body: &[u8]) -> Self {
        let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let (code, message) = match &json["error"] {
            Value::Object(error) => (error.get("code"), error.get("message")),
            code @ Value::String(_) => (Some(code), json.get("error_description")),
            _ => (None, None),
        };
        let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
        Self {
            status,
            code: text(code).unwrap_or_default(),
            message: text(message)
                .unwrap_or_else(|| status.canonical_reason().unwrap_or("The request failed").to_owned()),
        }
    }

    /// An error the portal itself found in a form, worded as the API would.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self { status: StatusCode::BAD_REQUEST, code: "Request_BadRequest".into(), message: message.into() }
    }
}

/// The API, as one signed-in administrator calls it.
pub struct Api<'a> {
    portal: &'a Portal,
    token: Option<&'a str>,
    peer: Option<ConnectionInfo>,
}

impl<'a> Api<'a> {
    /// Calls made with the delegated access token `token`, from the browser at `peer`.
    pub(crate) fn bearer(portal: &'a Portal, token: &'a str, peer: Option<ConnectionInfo>) -> Self {
        Self { portal, token: Some(token), peer }
    }

    /// Calls without a token (the token endpoint).
    pub(crate) fn anonymous(portal: &'a Portal, peer: Option<ConnectionInfo>) -> Self {
        Self { portal, token: None, peer }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<Value, ApiError> {
        self.send(Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: Value) -> Result<Value, ApiError> {
        self.send(Method::POST, path, Some(body)).await
    }

    /// `PATCH path` with a JSON body.
    pub async fn patch(&self, path: &str, body: Value) -> Result<Value, ApiError> {
        self.send(Method::PATCH, path, Some(body)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Result<Value, ApiError> {
        self.send(Method::DELETE, path, None).await
    }

    /// `POST path` with a form body, as OAuth clients send it; the JSON answer either way.
    pub async fn post_form(&self, path: &str, form: &str) -> Result<Value, ApiError> {
        let request = self.request(Method::POST, path, "application/x-www-form-urlencoded", form.to_owned());
        self.exchange(request).await
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, ApiError> {
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let request = self.request(method, path, "application/json", text);
        self.exchange(request).await
    }

    fn request(&self, method: Method, path: &str, content_type: &'static str, body: String) -> Request<Body> {
        let mut request = Request::new(Body::from(body));
        *request.method_mut() = method;
        *request.uri_mut() = path.parse().unwrap_or_default();
        let headers = request.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(header::USER_AGENT, HeaderValue::from_static("custos-portal"));
        if let Some(token) = self.token
            && let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}"))
        {
            headers.insert(header::AUTHORIZATION, value);
        }
        if let Some(peer) = &self.peer {
            request.extensions_mut().insert(*peer);
        }
        request
    }

    async fn exchange(&self, request: Request<Body>) -> Result<Value, ApiError> {
        let path = request.uri().path().to_owned();
        let response = match self.portal.api.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let text = response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
        let body = axum::body::to_bytes(response.into_body(), MAX_ANSWER_BYTES).await.map_err(|e| {
            tracing::warn!(%path, error = %e, "portal: unreadable API answer");
            ApiError {
                status: StatusCode::BAD_GATEWAY,
                code: String::new(),
                message: "The API's answer could not be read.".into(),
            }
        })?;
        if !status.is_success() {
            let error = ApiError::of(status, &body);
            tracing::debug!(%path, %status, code = %error.code, "portal: API refused the call");
            return Err(error);
        }
        if body.is_empty() {
            return Ok(Value::Null);
        }
        if text {
            return Ok(Value::String(String::from_utf8_lossy(&body).into_owned()));
        }
        serde_json::from_slice(&body).map_err(|_| ApiError {
            status: StatusCode::BAD_GATEWAY,
            code: String::new(),
            message: "The API's answer was not JSON.".into(),
        })
    }
}

/// `value` percent-encoded for a URL path segment or query value.
pub fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>().replace('+', "%20")
}

/// `value` as an OData string literal (`'` doubled).
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_graph_and_oauth_shapes() {
        let graph = ApiError::of(
            StatusCode::BAD_REQUEST,
            br#"{"error":{"code":"Request_BadRequest","message":"Invalid value specified for property 'displayName' of resource 'Application'."}}"#,
        );
        assert_eq!(graph.code, "Request_BadRequest");
        assert_eq!(
            graph.message,
            "Invalid value specified for property 'displayName' of resource 'Application'."
        );
        let oauth = ApiError::of(
            StatusCode::BAD_REQUEST,
            br#"{"error":"invalid_grant","error_description":"AADSTS70008: expired."}"#,
        );
        assert_eq!((oauth.code.as_str(), oauth.message.as_str()), ("invalid_grant", "AADSTS70008: expired."));
        let empty = ApiError::of(StatusCode::NOT_FOUND, b"");
        assert_eq!((empty.code.as_str(), empty.message.as_str()), ("", "Not Found"));
    }

    #[test]
    fn values_are_encoded_for_urls_and_odata() {
        assert_eq!(encode("a b/c?d&e"), "a%20b%2Fc%3Fd%26e");
        assert_eq!(literal("O'Neil"), "'O''Neil'");
    }
}
