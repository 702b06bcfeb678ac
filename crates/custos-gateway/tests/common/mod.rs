//! The gateway's own fixtures around the shared test authority (`custos_testkit`): an echo upstream
//! (method, path, query, headers, body length as JSON; plus slow, streaming-download and
//! streaming-upload endpoints), a gateway in front of it, and requests sent to it with their
//! targets exactly as written (read back with `custos_testkit::raw`).
#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use custos_core::FixedClock;
use custos_gateway::{Gateway, GatewayConfig};
use futures_util::StreamExt as _;
use serde_json::json;
use time::OffsetDateTime;
use tokio::io::AsyncWriteExt;
use tokio::sync::Notify;

pub use custos_testkit::authority::{Authority, Shape};
use custos_testkit::http::bearer_challenge;
pub use custos_testkit::ids::*;
pub use custos_testkit::raw::{RawResponse, read_response};

/// An application no route but `/partners/` admits.
pub const OTHER_APP_ID: &str = "99999999-6a7b-4c3d-8e9f-1a2b3c4d5e6f";
/// The request-body cap of the test gateway.
pub const MAX_BODY: usize = 64 * 1024;
/// Size of the streamed download.
pub const DOWNLOAD_BYTES: usize = 20 * 1024 * 1024;
const CHUNK: usize = 1024 * 1024;

/// Signals shared between a test and the echo upstream.
#[derive(Default)]
pub struct UpstreamState {
    /// Requests the upstream received.
    pub hits: AtomicUsize,
    /// Released by the test once the first download chunk arrived through the gateway.
    pub download_gate: Notify,
    /// Notified by the upstream when the first upload chunk arrived.
    pub upload_started: Notify,
}

/// The echo upstream on 127.0.0.1:0.
pub struct Upstream {
    pub addr: SocketAddr,
    pub state: Arc<UpstreamState>,
}

impl Upstream {
    pub async fn start() -> Self {
        let state = Arc::new(UpstreamState::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().fallback(echo).with_state(Arc::clone(&state));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, state }
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }
}

async fn echo(State(state): State<Arc<UpstreamState>>, request: Request) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let path = request.uri().path().to_owned();
    if path.ends_with("/sleep") {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    if path.ends_with("/download") {
        return download(state);
    }
    let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in request.headers() {
        headers.entry(name.as_str().to_owned()).or_default().push(value.to_str().unwrap_or("?").to_owned());
    }
    let echo = json!({
        "method": request.method().as_str(),
        "path": path,
        "query": request.uri().query(),
        "headers": headers,
    });
    let mut body = request.into_body().into_data_stream();
    let mut length = 0usize;
    while let Some(chunk) = body.next().await {
        let Ok(chunk) = chunk else { return StatusCode::BAD_REQUEST.into_response() };
        if length == 0 && !chunk.is_empty() {
            state.upload_started.notify_one();
        }
        length += chunk.len();
    }
    let mut echo = echo;
    echo["body_len"] = json!(length);
    axum::Json(echo).into_response()
}

/// 20 MiB in 1 MiB chunks; everything after the first chunk waits for the test's gate.
fn download(state: Arc<UpstreamState>) -> Response {
    let stream = futures_util::stream::unfold(0usize, move |sent| {
        let state = Arc::clone(&state);
        async move {
            if sent >= DOWNLOAD_BYTES {
                return None;
            }
            if sent == CHUNK {
                state.download_gate.notified().await;
            }
            Some((Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b'x'; CHUNK])), sent + CHUNK))
        }
    });
    Response::new(Body::from_stream(stream))
}

/// The routes of the test gateway; `{up}` is the echo upstream's address.
pub fn gateway_toml(authority: &Authority, upstream: SocketAddr, extra: &str) -> String {
    let dead = dead_address();
    format!(
        r#"listen = "127.0.0.1:0"
max_body_bytes = {MAX_BODY}
{extra}
[guard]
Authority = "{authority}"
ServiceAuthTenantId = "{TENANT}"
ServiceAuthAudience = "{API_URI}"
ServiceAuthRole = "{ROLE}"

[[routes]]
prefix = "/api/"
upstream = "http://{upstream}"

[[routes]]
prefix = "/admin/"
upstream = "http://{upstream}"
roles = ["Admin"]

[[routes]]
prefix = "/partners/"
upstream = "http://{upstream}"
applications = ["{OTHER_APP_ID}"]

[[routes]]
prefix = "/mi/"
upstream = "http://{upstream}"
roles = ["Nobody"]
object_ids = ["{MI_OID}"]

[[routes]]
prefix = "/strip/"
upstream = "http://{upstream}/base"
strip_prefix = true

[[routes]]
prefix = "/down/"
upstream = "http://{dead}"
"#,
        authority = authority.base
    )
}

/// An address nothing listens on.
fn dead_address() -> SocketAddr {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap()
}

/// A running gateway in front of the echo upstream.
pub struct Harness {
    pub authority: Authority,
    pub upstream: Upstream,
    pub addr: SocketAddr,
    /// The gateway's clock (starts at [`NOW`]).
    pub clock: Arc<FixedClock>,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(|c| c).await
    }

    pub async fn start_with(adjust: impl FnOnce(GatewayConfig) -> GatewayConfig) -> Self {
        let authority = Authority::start(Shape::Custos).await;
        let upstream = Upstream::start().await;
        let config = GatewayConfig::from_toml_str(&gateway_toml(&authority, upstream.addr, "")).unwrap();
        let config = adjust(config.map_guard(|g| g.danger_allow_http_loopback()));
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
        let gateway = Arc::new(Gateway::new(&config, Arc::clone(&clock) as _).unwrap());
        let listener = custos_listener::Listener::bind(config.listen(), None).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(custos_gateway::serve(gateway, listener, std::future::pending()));
        Self { authority, upstream, addr, clock }
    }

    /// `GET target` with the standard token and `extra` header lines.
    pub async fn get(&self, target: &str, extra: &[(&str, &str)]) -> RawResponse {
        let bearer = format!("Bearer {}", self.authority.v2_token());
        let mut headers = vec![("Authorization", bearer.as_str())];
        headers.extend_from_slice(extra);
        self.send("GET", target, &headers, b"").await
    }

    /// Sends one request exactly as written and reads the whole answer.
    pub async fn send(
        &self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> RawResponse {
        let mut head = format!("{method} {target} HTTP/1.1\r\nHost: gw.example\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("connection")) {
            head.push_str("Connection: close\r\n");
        }
        if !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut conn = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        conn.write_all(head.as_bytes()).await.unwrap();
        conn.write_all(body).await.unwrap();
        read_response(&mut conn).await
    }
}

/// What the gateway's answers carry beyond a plain [`RawResponse`].
pub trait GatewayResponse {
    /// The single value of `name` as the echo upstream saw it.
    fn upstream_header(&self, name: &str) -> Option<String>;
    /// The `{"error":{"code"}}` of a gateway refusal.
    fn error_code(&self) -> String;
}

impl GatewayResponse for RawResponse {
    fn upstream_header(&self, name: &str) -> Option<String> {
        let values = self.json()["headers"][name].clone();
        let values = values.as_array()?;
        assert_eq!(values.len(), 1, "{name}: {values:?}");
        values[0].as_str().map(str::to_owned)
    }

    fn error_code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_owned()
    }
}

/// The `WWW-Authenticate` value of an `insufficient_scope` refusal.
pub fn insufficient(description: &str) -> String {
    bearer_challenge("insufficient_scope", description)
}
