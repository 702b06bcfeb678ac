//! [`Gateway`]: one request's way through the proxy. Normalise the path (400), answer `/healthz`,
//! pick the route by longest prefix (404), validate the bearer token with the route's policy (the
//! guard's 401/403), cap the body (413), rewrite the headers, and stream the exchange with the
//! upstream (502 when it fails, 504 when it is slow).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use custos_core::Clock;
use custos_guard::{FetchError, Guard};
use http::header::{CONTENT_LENGTH, HOST};
use http::{HeaderMap, HeaderValue, Method, Request, Response, Uri};
use http_body_util::BodyExt;
use hyper::body::Body;

use crate::body::{BoxError, CappedBody, ProxyBody, UpstreamBody};
use crate::config::{GatewayConfig, RouteConfig};
use crate::headers::{Hop, clean_response_headers, rewrite_for_upstream};
use crate::path::normalize;
use crate::respond::{Refusal, health};
use crate::routes::{RouteTable, upstream_path};
use crate::upstream::{UpstreamClient, UpstreamTlsError, client};

/// The gateway's own liveness path (never proxied, never authenticated).
pub const HEALTH_PATH: &str = "/healthz";

/// Why a gateway could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GatewayError {
    /// The guard could not be set up (for example an unreadable `CaFile`).
    #[error("cannot set up the guard: {0}")]
    Guard(#[from] FetchError),
    /// The upstream TLS client could not be set up.
    #[error(transparent)]
    UpstreamTls(#[from] UpstreamTlsError),
}

/// The reverse proxy: routes, guard and pooled upstream client. Share it in an [`Arc`].
#[derive(Debug)]
pub struct Gateway {
    guard: Arc<Guard>,
    routes: RouteTable,
    client: UpstreamClient,
    max_body_bytes: u64,
    upstream_timeout: Duration,
}

impl Gateway {
    /// Builds the guard and the upstream client. Nothing is fetched or connected yet.
    pub fn new(config: &GatewayConfig, clock: Arc<dyn Clock>) -> Result<Self, GatewayError> {
        let guard = Arc::new(Guard::new(config.guard().clone(), clock)?);
        Ok(Self {
            guard,
            routes: RouteTable::new(config.routes().to_vec()),
            client: client(config.upstream_ca_file())?,
            max_body_bytes: config.max_body_bytes(),
            upstream_timeout: config.upstream_timeout(),
        })
    }

    /// The guard that validates tokens (for example to [`warm_up`](Guard::warm_up) at start-up).
    pub fn guard(&self) -> &Arc<Guard> {
        &self.guard
    }

    /// Answers one request from `peer`; `tls` says whether it arrived over HTTPS.
    pub async fn handle<B>(&self, request: Request<B>, peer: SocketAddr, tls: bool) -> Response<ProxyBody>
    where
        B: Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        let path = match normalize(parts.uri.path()) {
            Ok(path) => path,
            Err(reason) => {
                tracing::debug!(%reason, "request path refused");
                return Refusal::InvalidPath.response();
            }
        };
        if path == HEALTH_PATH {
            return match parts.method {
                Method::GET | Method::HEAD => health(),
                _ => Refusal::MethodNotAllowed.response(),
            };
        }
        let Some(route) = self.routes.find(&path) else {
            return Refusal::NoRoute.response();
        };
        let principal = match self.guard.validate_with(&parts.headers, route.policy()).await {
            Ok(principal) => principal,
            Err(refusal) => return refusal.to_response(),
        };
        if content_length(&parts.headers).is_some_and(|len| len > self.max_body_bytes) {
            return Refusal::PayloadTooLarge.response();
        }
        let Some(uri) = upstream_uri(route, &path, parts.uri.query()) else {
            return Refusal::InvalidPath.response();
        };
        let host = parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
            .or_else(|| parts.headers.get(HOST).cloned());
        let hop = Hop { peer: peer.ip(), proto: if tls { "https" } else { "http" }, host };
        let (body, tripped) = self.upstream_body(body);
        let mut outbound = Request::new(body);
        *outbound.method_mut() = parts.method;
        *outbound.uri_mut() = uri;
        rewrite_for_upstream(&mut parts.headers, &hop, &principal, route.upstream().host_header());
        *outbound.headers_mut() = parts.headers;
        let result = tokio::time::timeout(self.upstream_timeout, self.client.request(outbound)).await;
        let too_large = || tripped.as_ref().is_some_and(|t| t.load(Ordering::SeqCst));
        match result {
            Ok(Ok(response)) => {
                let (mut head, body) = response.into_parts();
                clean_response_headers(&mut head.headers);
                Response::from_parts(head, body.map_err(BoxError::from).boxed_unsync())
            }
            Ok(Err(_)) | Err(_) if too_large() => Refusal::PayloadTooLarge.response(),
            Ok(Err(error)) => {
                tracing::warn!(route = route.prefix(), error = %error_chain(&error), "upstream request failed");
                Refusal::BadGateway.response()
            }
            Err(_) => {
                tracing::warn!(route = route.prefix(), "upstream did not answer in time");
                Refusal::GatewayTimeout.response()
            }
        }
    }
}

impl Gateway {
    /// The body to send upstream and, when its length is not framed, the flag its cap raises. An empty
    /// body or one of known length within the cap (hyper enforces the framing) is passed as it is.
    fn upstream_body<B>(&self, body: B) -> (UpstreamBody, Option<Arc<AtomicBool>>)
    where
        B: Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        if body.is_end_stream() {
            return (UpstreamBody::Empty, None);
        }
        let known = body.size_hint().exact().is_some_and(|len| len <= self.max_body_bytes);
        let boxed = body.map_err(Into::into).boxed_unsync();
        if known {
            return (UpstreamBody::Sized(boxed), None);
        }
        let tripped = Arc::new(AtomicBool::new(false));
        (
            UpstreamBody::Capped(CappedBody::new(boxed, self.max_body_bytes, Arc::clone(&tripped))),
            Some(tripped),
        )
    }
}

/// The declared body length, when there is exactly one well-formed `Content-Length`.
fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// `scheme://authority/base/path?query` for the route's upstream.
fn upstream_uri(route: &RouteConfig, path: &str, query: Option<&str>) -> Option<Uri> {
    let upstream = route.upstream();
    let mut path_and_query = upstream_path(route, path);
    if let Some(query) = query {
        path_and_query.push('?');
        path_and_query.push_str(query);
    }
    Uri::builder()
        .scheme(upstream.scheme().clone())
        .authority(upstream.authority().clone())
        .path_and_query(path_and_query)
        .build()
        .ok()
}

/// An error and its sources, `: `-separated (hyper's top-level errors say little on their own).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
