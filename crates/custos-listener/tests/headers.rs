//! Issue 10: every response carries `X-Content-Type-Options: nosniff`; responses over TLS carry
//! `Strict-Transport-Security`, responses over plain HTTP never do; on HTTP/1.1 and HTTP/2.

mod common;

use std::time::Duration;

use common::TestServer;
use custos_listener::Limits;
use custos_testkit::raw::{h2_client, h2_get, http1_get};

const HSTS: &str = "strict-transport-security: max-age=31536000\r\n";
const NOSNIFF: &str = "x-content-type-options: nosniff\r\n";

#[tokio::test]
async fn tls_responses_carry_hsts_and_nosniff_on_http1_and_http2() {
    let server = TestServer::start(Limits::default(), true).await;

    let mut conn = server.tls_connect().await;
    let answer = http1_get(&mut conn, "/").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains(HSTS) && answer.contains(NOSNIFF), "{answer}");

    let (mut sender, _closed) = h2_client(server.tls_connect_h2().await, Duration::from_secs(60)).await;
    let (status, headers, _) = h2_get(&mut sender, "/").await;
    assert_eq!(status, 200);
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
    assert_eq!(headers["x-content-type-options"], "nosniff");

    // Also on responses the router itself generates (no route).
    let (status, headers, _) = h2_get(&mut sender, "/nothing-here").await;
    assert_eq!(status, 404);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["strict-transport-security"], "max-age=31536000");
}

#[tokio::test]
async fn plain_http_responses_carry_nosniff_but_never_hsts() {
    let server = TestServer::start(Limits::default(), false).await;

    let mut conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let answer = http1_get(&mut conn, "/").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(answer.contains(NOSNIFF), "{answer}");
    assert!(!answer.to_ascii_lowercase().contains("strict-transport-security"), "{answer}");

    let conn = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, _closed) = h2_client(conn, Duration::from_secs(60)).await;
    let (status, headers, _) = h2_get(&mut sender, "/").await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(!headers.contains_key("strict-transport-security"));
}
