//! Bodies stream both ways without buffering, the request-body cap answers 413 (declared or
//! streamed), and upstream failures map to 502 (unreachable) and 504 (too slow).

mod common;

use std::time::Duration;

use common::*;
use tokio::io::AsyncWriteExt;

/// The first MiB of a 20 MiB response reaches the client while the upstream still holds the rest.
#[tokio::test]
async fn large_responses_stream_through() {
    let h = Harness::start().await;
    let client = reqwest::Client::new();
    let mut response = client
        .get(format!("http://{}/api/download", h.addr))
        .bearer_auth(h.authority.v2_token())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut received = 0usize;
    while received == 0 {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("the first chunk arrives before the upstream sends the rest")
            .unwrap()
            .expect("a chunk");
        received += chunk.len();
    }
    assert!(received <= 1024 * 1024, "only the first chunk can have arrived: {received}");
    h.upstream.state.download_gate.notify_one();
    while let Some(chunk) = response.chunk().await.unwrap() {
        received += chunk.len();
    }
    assert_eq!(received, DOWNLOAD_BYTES);
}

/// A chunked upload reaches the upstream before the client has finished sending it.
#[tokio::test]
async fn request_bodies_stream_through() {
    let h = Harness::start().await;
    let mut conn = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        h.authority.v2_token()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("4000\r\n{}\r\n", "a".repeat(0x4000));
    conn.write_all(chunk.as_bytes()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), h.upstream.state.upload_started.notified())
        .await
        .expect("the upstream reads the first chunk while the upload is still open");
    conn.write_all(chunk.as_bytes()).await.unwrap();
    conn.write_all(b"0\r\n\r\n").await.unwrap();
    let response = read_response(&mut conn).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.json()["body_len"], 2 * 0x4000);
}

#[tokio::test]
async fn declared_oversize_body_is_413_without_an_upstream_call() {
    let h = Harness::start().await;
    let mut conn = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        h.authority.v2_token(),
        MAX_BODY + 1
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let response = read_response(&mut conn).await;
    assert_eq!((response.status, response.error_code().as_str()), (413, "PayloadTooLarge"));
    assert_eq!(h.upstream.hits(), 0);
    // Exactly at the cap is fine.
    let body = vec![b'b'; MAX_BODY];
    let ok = h
        .send(
            "POST",
            "/api/upload",
            &[("Authorization", &format!("Bearer {}", h.authority.v2_token()))],
            &body,
        )
        .await;
    assert_eq!((ok.status, ok.json()["body_len"].as_u64()), (200, Some(MAX_BODY as u64)));
}

#[tokio::test]
async fn streamed_oversize_body_is_413() {
    let h = Harness::start().await;
    let mut conn = tokio::net::TcpStream::connect(h.addr).await.unwrap();
    let head = format!(
        "POST /api/upload HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
        h.authority.v2_token()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    // One chunk past the cap; the upload is never finished.
    let size = MAX_BODY + 1;
    let chunk = format!("{size:x}\r\n{}\r\n", "c".repeat(size));
    conn.write_all(chunk.as_bytes()).await.unwrap();
    let response = read_response(&mut conn).await;
    assert_eq!((response.status, response.error_code().as_str()), (413, "PayloadTooLarge"), "{response:?}");
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    let h = Harness::start().await;
    let response = h.get("/down/x", &[]).await;
    assert_eq!(response.status, 502);
    assert_eq!(
        response.json(),
        serde_json::json!({"error": {"code": "BadGateway", "message": "The upstream service is unavailable."}})
    );
    // Refusals still come first: no token, no upstream attempt, 401.
    assert_eq!(h.send("GET", "/down/x", &[], b"").await.status, 401);
}

#[tokio::test]
async fn slow_upstream_is_504() {
    let h = Harness::start_with(|c| c.with_upstream_timeout(Duration::from_millis(300))).await;
    let started = custos_core::Clock::instant(&custos_core::SystemClock);
    let response = h.get("/api/sleep", &[]).await;
    assert_eq!((response.status, response.error_code().as_str()), (504, "GatewayTimeout"));
    assert!(started.elapsed() < Duration::from_secs(4), "the gateway gave up on time");
    // A prompt answer through the same gateway is unaffected.
    assert_eq!(h.get("/api/fast", &[]).await.status, 200);
}
