//! A listener on 127.0.0.1:0 serving a small axum router, plain or TLS (a self-signed
//! certificate for `localhost`), and the clients the tests talk to it with.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this module

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use custos_listener::{Limits, Listener, load_server_config};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// How long `/slow` takes to answer.
pub const SLOW: Duration = Duration::from_millis(1500);

/// A running listener; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    /// Trusts the server's certificate (TLS servers only).
    pub connector: Option<TlsConnector>,
    _stop: oneshot::Sender<()>,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// `GET /` answers `ok`, `GET /slow` answers `slow` after [`SLOW`].
    pub async fn start(limits: Limits, tls: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (config, connector) = if tls {
            let (config, connector) = tls_pair(&dir);
            (Some(config), Some(connector))
        } else {
            (None, None)
        };
        let listener =
            Listener::bind("127.0.0.1:0".parse().unwrap(), config).await.unwrap().with_limits(limits);
        let addr = listener.local_addr().unwrap();
        let router = Router::new().route("/", get(|| async { "ok" })).route(
            "/slow",
            get(|| async {
                tokio::time::sleep(SLOW).await;
                "slow"
            }),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(listener.serve_tower(router, async move {
            let _ = stopped.await;
        }));
        Self { addr, connector, _stop: stop, _dir: dir }
    }

    /// A TCP connection from `source` (an address of the loopback network).
    pub async fn connect_from(&self, source: &str) -> TcpStream {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
        socket.connect(self.addr).await.unwrap()
    }

    /// A TLS connection whose handshake is complete (no ALPN).
    pub async fn tls_connect(&self) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let connector = self.connector.as_ref().expect("a TLS server");
        connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap()
    }

    /// A TLS connection that negotiated `h2`.
    pub async fn tls_connect_h2(&self) -> TlsStream<TcpStream> {
        let tcp = TcpStream::connect(self.addr).await.unwrap();
        let connector = self.connector.as_ref().expect("a TLS server");
        let mut config = (**connector.config()).clone();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let stream = TlsConnector::from(Arc::new(config))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        assert_eq!(stream.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));
        stream
    }
}

/// A certificate for `localhost`, the server configuration serving it and a client trusting it.
fn tls_pair(dir: &tempfile::TempDir) -> (Arc<rustls::ServerConfig>, TlsConnector) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap().self_signed(&key).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let server = load_server_config(&cert_path, &key_path).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.der().clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (server, TlsConnector::from(Arc::new(client)))
}

/// Sends one HTTP/1.1 request on `io` and reads the answer's head and body (`Connection: close`).
pub async fn http1_get<S: AsyncRead + AsyncWrite + Unpin>(io: &mut S, path: &str) -> String {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    io.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A TLS peer may close without close_notify after `Connection: close`.
    let _ = io.read_to_end(&mut answer).await;
    String::from_utf8(answer).unwrap()
}

/// Whether the server has closed `io`: a read ends (EOF, reset, or TLS without close_notify)
/// within `within`, without data.
pub async fn closed_within<S: AsyncRead + Unpin>(io: &mut S, within: Duration) -> bool {
    let mut byte = [0u8; 1];
    match tokio::time::timeout(within, io.read(&mut byte)).await {
        Ok(Ok(0) | Err(_)) => true,
        Ok(Ok(_)) => panic!("the server sent data on an idle connection"),
        Err(_) => false,
    }
}

/// An HTTP/2 client connection over `io`; the connection task's handle resolves when the
/// server closes it. The client answers the server's PINGs (hyper does so automatically).
/// The client also PINGs the server every `ping` while idle.
pub async fn h2_client<S>(
    io: S,
    ping: Duration,
) -> (hyper::client::conn::http2::SendRequest<Empty<Bytes>>, tokio::task::JoinHandle<()>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
        .timer(hyper_util::rt::TokioTimer::new())
        .keep_alive_interval(ping)
        .keep_alive_while_idle(true)
        .handshake(hyper_util::rt::TokioIo::new(io))
        .await
        .unwrap();
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    (sender, driver)
}

/// `GET path` over HTTP/2: the status, the headers and the body.
pub async fn h2_get(
    sender: &mut hyper::client::conn::http2::SendRequest<Empty<Bytes>>,
    path: &str,
) -> (http::StatusCode, http::HeaderMap, String) {
    let request = http::Request::get(format!("http://localhost{path}")).body(Empty::new()).unwrap();
    let response = sender.send_request(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, String::from_utf8(body.to_vec()).unwrap())
}
