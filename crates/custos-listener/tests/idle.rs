//! Connections that send nothing, or nothing more, are closed: the defect of issue 10 where
//! handshaken-but-silent TLS connections and idle HTTP/2 connections answering PINGs stayed open
//! forever and, 4,096 of them, starved every other client.

#![allow(clippy::disallowed_methods)] // real sockets: these tests time the server's real timers

mod common;

use std::time::Duration;

use common::TestServer;
use custos_listener::Limits;
use custos_testkit::raw::{closed_within, h2_client, h2_get, http1_get};
use tokio::time::Instant;

/// Idle TLS connections opened by one attacker.
const IDLE_CONNECTIONS: usize = 500;

/// Issue 10: 500 TLS connections that complete the handshake and send nothing are each closed
/// once the header timeout has passed, and meanwhile a fresh client is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_tls_connections_are_closed_after_the_header_timeout() {
    let header_timeout = Duration::from_secs(2);
    let limits = Limits {
        header_read_timeout: header_timeout,
        max_connections_per_address: 2 * IDLE_CONNECTIONS,
        ..Limits::default()
    };
    let server = TestServer::start(limits, true).await;

    let mut handshakes = tokio::task::JoinSet::new();
    for _ in 0..IDLE_CONNECTIONS {
        let connector = server.connector.clone();
        let addr = server.addr;
        handshakes.spawn(async move {
            let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
            let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
            let stream = connector.unwrap().connect(name, tcp).await.unwrap();
            (stream, Instant::now())
        });
    }
    let idle = handshakes.join_all().await;
    assert_eq!(idle.len(), IDLE_CONNECTIONS);

    // The silent connections hold their slots; a fresh client is still served.
    let mut fresh = server.tls_connect().await;
    let answer = http1_get(&mut fresh, "/").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nok"), "{answer}");

    let mut checks = tokio::task::JoinSet::new();
    for (mut stream, handshaken) in idle {
        checks.spawn(async move {
            let closed = closed_within(&mut stream, header_timeout * 3).await;
            (closed, handshaken.elapsed())
        });
    }
    for (closed, after) in checks.join_all().await {
        assert!(closed, "a silent connection was still open {after:?} after its handshake");
        // (Measured from the client's side of the handshake, give or take scheduling.)
        assert!(after >= header_timeout * 3 / 4, "closed after {after:?}, before the header timeout");
    }
}

/// Issue 10: an HTTP/2 connection with no request in flight is closed after the idle timeout,
/// although both sides keep PINGing each other.
#[tokio::test]
async fn an_idle_http2_connection_is_closed_despite_pings() {
    let idle_timeout = Duration::from_millis(800);
    let limits = Limits {
        idle_timeout,
        http2_keep_alive_interval: Some(Duration::from_millis(100)),
        ..Limits::default()
    };
    let server = TestServer::start(limits, true).await;
    let (mut sender, closed) = h2_client(server.tls_connect_h2().await, Duration::from_millis(100)).await;
    let (status, _, body) = h2_get(&mut sender, "/").await;
    assert_eq!((status.as_u16(), body.as_str()), (200, "ok"));
    let last_response = Instant::now();

    tokio::time::timeout(idle_timeout * 4, closed).await.expect("the idle connection is closed").unwrap();
    let after = last_response.elapsed();
    // (Measured from the client's side, give or take scheduling.)
    assert!(
        after >= idle_timeout * 3 / 4,
        "closed {after:?} after the last response, before the idle timeout"
    );
}

/// A request that takes longer than the idle timeout is not idleness: it is answered, on
/// HTTP/2 and HTTP/1.1.
#[tokio::test]
async fn a_request_in_flight_keeps_its_connection_open() {
    let limits =
        Limits { idle_timeout: common::SLOW / 3, header_read_timeout: common::SLOW / 3, ..Limits::default() };
    let server = TestServer::start(limits, false).await;
    let (mut sender, _closed) =
        h2_client(tokio::net::TcpStream::connect(server.addr).await.unwrap(), Duration::from_secs(60)).await;
    let h1 = async {
        let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
        http1_get(&mut conn, "/slow").await
    };
    let ((status, _, body), h1) = tokio::join!(h2_get(&mut sender, "/slow"), h1);
    assert_eq!((status.as_u16(), body.as_str()), (200, "slow"));
    assert!(h1.starts_with("HTTP/1.1 200 OK\r\n") && h1.ends_with("slow"), "{h1}");
}

/// A plain-HTTP client that sends nothing at all (not even the first byte hyper sniffs the HTTP
/// version from) is closed after the header timeout.
#[tokio::test]
async fn a_silent_plain_connection_is_closed_after_the_header_timeout() {
    let header_timeout = Duration::from_millis(500);
    let server =
        TestServer::start(Limits { header_read_timeout: header_timeout, ..Limits::default() }, false).await;
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let mut partial_preface = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut partial_preface, b"PRI * HTTP/2.0\r\n").await.unwrap();
    assert!(closed_within(&mut silent, header_timeout * 4).await);
    assert!(closed_within(&mut partial_preface, header_timeout * 4).await);
}

/// A client that trickles its headers is cut off after the header timeout (slowloris), and a
/// well-behaved client on a new connection is still served.
#[tokio::test]
async fn slow_headers_are_cut_off() {
    let header_timeout = Duration::from_millis(300);
    let server =
        TestServer::start(Limits { header_read_timeout: header_timeout, ..Limits::default() }, false).await;
    let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut conn, b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut reply = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        tokio::io::AsyncReadExt::read_to_end(&mut conn, &mut reply),
    )
    .await;
    assert!(read.is_ok(), "the server must close a connection whose headers never finish");
    assert!(!String::from_utf8_lossy(&reply).contains("200 OK"));

    let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert!(http1_get(&mut conn, "/").await.starts_with("HTTP/1.1 200 OK\r\n"));
}
