//! The HTTP side of the admin CLI: an HTTPS client that trusts `--ca`, client-credentials token
//! requests (through [`custos_client`], with the connection's client secret), and authenticated
//! JSON calls to the directory and admin APIs.
//!
//! Every failure is turned into an [`AdminError`] here, in one place: server answers keep their
//! status and error code, transport failures are told apart (refused, TLS, other).

use super::connection::Connection;
use super::error::{AdminError, Caller, hint_for};
use custos_client::{AccessToken, Credential, RetryPolicy, ServerError, Target, TokenClient};
use custos_core::Secret;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::Duration;

/// The scope of the directory API.
pub(crate) const DIRECTORY_SCOPE: &str = "https://graph.microsoft.com/.default";

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest list the CLI pages through, as a guard against a server that links in circles.
const MAX_PAGES: usize = 1000;

/// A client-credentials request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenRequest {
    /// `POST /{tenant}/oauth2/v2.0/token` with `scope`.
    V2 { scope: String },
    /// `POST /{tenant}/oauth2/token` with `resource`.
    V1 { resource: String },
}

impl TokenRequest {
    fn target(&self) -> Target {
        match self {
            Self::V2 { scope } => Target::scope(scope),
            Self::V1 { resource } => Target::resource(resource),
        }
    }

    fn path(&self, tenant: &str) -> String {
        match self {
            Self::V2 { .. } => format!("/{tenant}/oauth2/v2.0/token"),
            Self::V1 { .. } => format!("/{tenant}/oauth2/token"),
        }
    }
}

/// Retries of a token request: a short wait, so that a server that is not running is reported
/// quickly.
const TOKEN_RETRY: RetryPolicy = RetryPolicy {
    max_retries: 2,
    initial_backoff: Duration::from_millis(250),
    max_backoff: Duration::from_secs(5),
};

/// An HTTPS client bound to one server and one calling application.
pub(crate) struct Http {
    client: reqwest::Client,
    tokens: TokenClient,
    conn: Connection,
}

impl Http {
    /// Builds the client; with `--ca` that CA is the only trust anchor.
    pub(crate) fn new(conn: Connection) -> Result<Self, AdminError> {
        let mut builder = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(path) = &conn.ca {
            let ca_error = |detail: String| AdminError::CaFile { path: path.clone(), detail };
            let pem = std::fs::read(path).map_err(|e| ca_error(e.to_string()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| ca_error(e.to_string()))?;
            if certs.is_empty() {
                return Err(ca_error("it holds no PEM certificate".to_owned()));
            }
            builder = builder.tls_certs_only(certs);
        }
        let transport = |detail: String| AdminError::Transport { server: conn.server.clone(), detail };
        let client = builder.build().map_err(|e| transport(e.to_string()))?;
        let credential = Credential::client_secret(&conn.client_id, conn.client_secret.expose().clone());
        let tokens = TokenClient::builder(credential)
            .authority(&conn.server)
            .tenant(&conn.tenant)
            .http_client(client.clone())
            .retry(TOKEN_RETRY)
            .build()
            .map_err(|e| transport(e.to_string()))?;
        Ok(Self { client, tokens, conn })
    }

    /// Runs a client-credentials request with the connection's credentials.
    pub(crate) async fn request_token(&self, request: &TokenRequest) -> Result<AccessToken, AdminError> {
        self.tokens.token(&request.target()).await.map_err(|e| self.token_error(request, e))
    }

    /// Acquires a directory-API token and returns an authenticated API client.
    pub(crate) async fn into_api(self) -> Result<Api, AdminError> {
        let token = self.request_token(&TokenRequest::V2 { scope: DIRECTORY_SCOPE.to_owned() }).await?;
        Ok(Api { token: Secret::new(token.secret().to_owned()), http: self })
    }

    /// A token client's failure as the CLI reports it.
    fn token_error(&self, request: &TokenRequest, error: custos_client::Error) -> AdminError {
        let server = self.conn.server.clone();
        match error {
            custos_client::Error::Refused(refused)
            | custos_client::Error::Unavailable { error: refused, .. } => {
                self.api_error(Method::POST, &request.path(&self.conn.tenant), &refused)
            }
            custos_client::Error::Transport { source, .. } => transport_error(&server, &source),
            custos_client::Error::Malformed { status, .. } => AdminError::UnexpectedBody { server, status },
            other => AdminError::Transport { server, detail: other.to_string() },
        }
    }

    fn api_error(&self, method: Method, path: &str, error: &ServerError) -> AdminError {
        let caller = Caller { client_id: &self.conn.client_id, profile: self.conn.profile.as_deref() };
        let message = if error.description.is_empty() { "(no details)" } else { error.message() };
        AdminError::Api {
            server: self.conn.server.clone(),
            status: error.status,
            hint: hint_for(error.status, &error.error, method.as_str(), path, caller),
            code: error.error.clone(),
            message: message.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.conn.server)
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, AdminError> {
        let server = &self.conn.server;
        let response = request.send().await.map_err(|e| transport_error(server, &e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| transport_error(server, &e))?;
        if status.is_success() {
            if body.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&body)
                .map_err(|_| AdminError::UnexpectedBody { server: server.clone(), status: status.as_u16() });
        }
        let (code, message) = error_parts(status, &body);
        let caller = Caller { client_id: &self.conn.client_id, profile: self.conn.profile.as_deref() };
        Err(AdminError::Api {
            server: server.clone(),
            status: status.as_u16(),
            hint: hint_for(status.as_u16(), &code, method.as_str(), path, caller),
            code,
            message,
        })
    }
}

/// A client holding a directory-API bearer token.
pub(crate) struct Api {
    http: Http,
    token: Secret<String>,
}

impl Api {
    /// `GET path` (path starts with `/`, e.g. `/v1.0/applications`).
    pub(crate) async fn get(&self, path: &str) -> Result<Value, AdminError> {
        self.call(Method::GET, path, &[], None).await
    }

    /// `GET path?query` (e.g. `$select`).
    pub(crate) async fn get_with_query(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value, AdminError> {
        self.call(Method::GET, path, query, None).await
    }

    /// `GET path`, with 404 as `None`.
    pub(crate) async fn get_optional(&self, path: &str) -> Result<Option<Value>, AdminError> {
        match self.get(path).await {
            Ok(value) => Ok(Some(value)),
            Err(AdminError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Result<Value, AdminError> {
        self.call(Method::POST, path, &[], Some(body)).await
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Result<Value, AdminError> {
        self.call(Method::PATCH, path, &[], Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Result<(), AdminError> {
        self.call(Method::DELETE, path, &[], None).await.map(drop)
    }

    /// Every item of a collection, following `@odata.nextLink` on the same server. Accepts a
    /// Graph collection (`{"value": [...]}`) or a bare array.
    pub(crate) async fn list(&self, path: &str, query: &[(&str, &str)]) -> Result<Vec<Value>, AdminError> {
        self.list_at_most(path, query, usize::MAX).await
    }

    /// The first `max` items of a collection (see [`Api::list`]): no further page is read once
    /// `max` items arrived.
    pub(crate) async fn list_at_most(
        &self,
        path: &str,
        query: &[(&str, &str)],
        max: usize,
    ) -> Result<Vec<Value>, AdminError> {
        let mut items = Vec::new();
        let mut page = self.call(Method::GET, path, query, None).await?;
        for _ in 0..MAX_PAGES {
            let next = match page {
                Value::Array(values) => {
                    items.extend(values);
                    None
                }
                Value::Object(mut object) => {
                    if let Some(Value::Array(values)) = object.remove("value") {
                        items.extend(values);
                    }
                    object.remove("@odata.nextLink").and_then(|v| v.as_str().map(str::to_owned))
                }
                _ => return Err(self.unexpected()),
            };
            if items.len() >= max {
                items.truncate(max);
                return Ok(items);
            }
            let Some(next) = next else { return Ok(items) };
            // The bearer token goes only to the server it was issued for.
            let Some(next_path) =
                next.strip_prefix(self.http.conn.server.as_str()).filter(|p| p.starts_with('/'))
            else {
                return Err(AdminError::Transport {
                    server: self.http.conn.server.clone(),
                    detail: "the next page of the list is on another server; not following it".to_owned(),
                });
            };
            page = self.call(Method::GET, next_path, &[], None).await?;
        }
        Err(AdminError::Transport {
            server: self.http.conn.server.clone(),
            detail: format!("the list did not end after {MAX_PAGES} pages"),
        })
    }

    fn unexpected(&self) -> AdminError {
        AdminError::UnexpectedBody { server: self.http.conn.server.clone(), status: 200 }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, AdminError> {
        let mut url = reqwest::Url::parse(&self.http.url(path)).map_err(|e| AdminError::Transport {
            server: self.http.conn.server.clone(),
            detail: format!("invalid request URL: {e}"),
        })?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut request = self.http.client.request(method.clone(), url).bearer_auth(self.token.expose());
        if let Some(body) = body {
            request = request.json(body);
        }
        let path_only = path.split('?').next().unwrap_or(path);
        self.http.send(method, path_only, request).await
    }
}

/// The error code and message of a failed answer: Graph (`{"error":{"code","message"}}`),
/// OAuth (`{"error","error_description"}`) or anything else.
fn error_parts(status: StatusCode, body: &[u8]) -> (String, String) {
    let fallback_code = status.canonical_reason().unwrap_or("error").to_owned();
    let Ok(json) = serde_json::from_slice::<Value>(body) else {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        let message =
            if text.is_empty() { "(no details)".to_owned() } else { text.chars().take(300).collect() };
        return (fallback_code, message);
    };
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    match json.get("error") {
        Some(Value::Object(graph)) => {
            (text(graph.get("code")).unwrap_or(fallback_code), text(graph.get("message")).unwrap_or_default())
        }
        Some(Value::String(code)) => {
            // Entra descriptions end in "Trace ID: ... Correlation ID: ..." (after a line break
            // or a space); the part before says it all.
            let description = text(json.get("error_description")).unwrap_or_default();
            let first_line = description.lines().next().unwrap_or_default();
            let message = first_line.split(" Trace ID:").next().unwrap_or_default().trim().to_owned();
            (code.clone(), message)
        }
        _ => (fallback_code, json.to_string().chars().take(300).collect()),
    }
}

/// Tells a refused connection and a TLS failure apart from other transport errors.
fn transport_error(server: &str, error: &reqwest::Error) -> AdminError {
    let server = server.to_owned();
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return AdminError::Tls { server, detail: tls.to_string() };
        }
        current = match e.downcast_ref::<std::io::Error>() {
            Some(io) if io.get_ref().is_none() && is_refusal(io.kind()) => {
                return AdminError::Unreachable { server, detail: io.to_string() };
            }
            // `io::Error::source` skips the wrapped error itself; step into it instead.
            Some(io) => match io.get_ref() {
                Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
                None => None,
            },
            None => e.source(),
        };
    }
    if error.is_timeout() {
        return AdminError::Transport { server, detail: "the request timed out".to_owned() };
    }
    if error.is_connect() {
        return AdminError::Unreachable { server, detail: innermost(error) };
    }
    AdminError::Transport { server, detail: innermost(error) }
}

fn is_refusal(kind: std::io::ErrorKind) -> bool {
    use std::io::ErrorKind::{ConnectionRefused, ConnectionReset, HostUnreachable, NetworkUnreachable};
    matches!(kind, ConnectionRefused | ConnectionReset | HostUnreachable | NetworkUnreachable)
}

/// The most specific message in an error chain.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
