//! The listener's test harness: a `custos_listener::Listener` on 127.0.0.1:0 serving a small axum
//! router, plain or TLS (a `custos_testkit::tls` certificate for `localhost`, loaded from PEM
//! files as `custos serve` loads one). The tests talk to it with `custos_testkit::raw`'s
//! HTTP/1.1 and HTTP/2 clients.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this module

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::{Extension, Router};
use custos_listener::{ConnectionInfo, Limits, Listener, load_server_config};
use custos_testkit::tls::TestTls;
use rustls::pki_types::ServerName;
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
    /// `GET /` answers `ok`, `GET /slow` answers `slow` after [`SLOW`], `GET /peer` the request's
    /// [`ConnectionInfo`] as `{ip} {tls}`.
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
        let router = Router::new()
            .route("/", get(|| async { "ok" }))
            .route(
                "/slow",
                get(|| async {
                    tokio::time::sleep(SLOW).await;
                    "slow"
                }),
            )
            .route(
                "/peer",
                get(|Extension(info): Extension<ConnectionInfo>| async move {
                    format!("{} {}", info.peer.ip(), info.tls)
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

/// A `custos_testkit::tls` certificate for `localhost`, the server configuration the listener
/// loads from its PEM files, and a client trusting it.
fn tls_pair(dir: &tempfile::TempDir) -> (Arc<rustls::ServerConfig>, TlsConnector) {
    let tls = TestTls::localhost();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, &tls.chain_pem).unwrap();
    std::fs::write(&key_path, &tls.key_pem).unwrap();
    (load_server_config(&cert_path, &key_path).unwrap(), tls.connector())
}
