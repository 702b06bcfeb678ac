//! Issue 10: one client address cannot take every connection slot.

mod common;

use std::time::Duration;

use common::TestServer;
use custos_listener::Limits;
use custos_testkit::raw::{closed_within, http1_get};
use tokio::io::AsyncWriteExt;

const PER_ADDRESS: usize = 3;

/// Connection N+1 from one address is closed at once, while another address still connects
/// and is served; a closed connection gives its slot back.
#[tokio::test]
async fn the_per_address_cap_refuses_one_more_connection_from_that_address_only() {
    let limits = Limits { max_connections_per_address: PER_ADDRESS, ..Limits::default() };
    let server = TestServer::start(limits, false).await;

    let mut held = Vec::new();
    for _ in 0..PER_ADDRESS {
        held.push(admitted(&server, "127.0.0.1").await);
    }
    let mut refused = server.connect_from("127.0.0.1").await;
    assert!(
        closed_within(&mut refused, Duration::from_secs(2)).await,
        "connection N+1 must be closed at once"
    );

    let mut other = server.connect_from("127.0.0.2").await;
    let answer = http1_get(&mut other, "/").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");

    // Give one slot back: the next connection from the first address is served again (the
    // server notices the close asynchronously, hence the bounded retry).
    drop(held.pop());
    for attempt in 0.. {
        let mut conn = server.connect_from("127.0.0.1").await;
        if http1_get(&mut conn, "/").await.starts_with("HTTP/1.1 200 OK\r\n") {
            break;
        }
        assert!(attempt < 200, "the freed slot was never given back");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn every_request_carries_its_connections_peer_address() {
    let server = TestServer::start(Limits::default(), false).await;
    let mut conn = server.connect_from("127.0.0.9").await;
    let answer = http1_get(&mut conn, "/peer").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.ends_with("127.0.0.9 false"), "{answer}");

    let tls = TestServer::start(Limits::default(), true).await;
    let answer = http1_get(&mut tls.tls_connect().await, "/peer").await;
    assert!(answer.ends_with("127.0.0.1 true"), "{answer}");
}

/// A keep-alive connection from `source` that the server has admitted (it answered a request).
async fn admitted(server: &TestServer, source: &str) -> tokio::net::TcpStream {
    let mut conn = server.connect_from(source).await;
    conn.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").await.unwrap();
    let mut answer = [0u8; 17];
    tokio::io::AsyncReadExt::read_exact(&mut conn, &mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200 OK\r\n");
    conn
}
