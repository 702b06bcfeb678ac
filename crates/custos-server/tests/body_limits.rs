//! Regression test for issue 10: a Graph or admin request body over the cap is Graph's 413
//! (`Request_EntityTooLarge` in Graph's error envelope) over HTTP/1.1 and HTTP/2 alike, on a real
//! socket (it was tower-http's plain text on HTTP/1.1 and a stream reset on HTTP/2). Other routes
//! keep the global cap.

mod common;

use axum::body::Bytes;
use common::*;
use custos_listener::Listener;
use custos_server::{AppParts, build_router};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use std::net::SocketAddr;
use tokio::net::TcpStream;

/// The whole `custos serve` router over the fixture, on 127.0.0.1 (plain HTTP, both versions).
async fn server() -> SocketAddr {
    let fx = Fixture::new().await;
    let parts = AppParts {
        authority: fx.authority.clone(),
        directory: directory_state(&fx, &fx.authority),
        store: fx.directory.store().clone(),
        signin: None,
        portal: None,
        separate_metrics: false,
    };
    let listener = Listener::bind("127.0.0.1:0".parse().unwrap(), None).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(listener.serve_tower(build_router(parts), std::future::pending()));
    addr
}

fn oversized(path: &str) -> Request<Full<Bytes>> {
    let body = format!(r#"{{"displayName":"{}"}}"#, "x".repeat(custos_server::app::MAX_BODY_BYTES));
    Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .header("authorization", "Bearer not-checked-before-the-size")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}

/// Status, `content-type` and JSON body of a response.
async fn read(response: hyper::Response<hyper::body::Incoming>) -> (u16, String, Value) {
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, content_type, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn assert_graph_413(status: u16, content_type: &str, body: &Value) {
    assert_eq!(status, 413, "{body}");
    assert_eq!(content_type, "application/json");
    assert_eq!(body["error"]["code"], "Request_EntityTooLarge", "{body}");
    assert_eq!(
        body["error"]["message"],
        "The request body exceeds the maximum allowed size of 1048576 bytes."
    );
    assert_eq!(body["error"]["innerError"]["request-id"].as_str().unwrap().len(), 36);
}

const PATHS: [&str; 2] = ["/v1.0/applications", "/admin/v1/tenants"];

#[tokio::test]
async fn oversized_graph_bodies_are_graph_413s_over_http1() {
    let addr = server().await;
    for path in PATHS {
        let stream = TokioIo::new(TcpStream::connect(addr).await.unwrap());
        let (mut sender, connection) = hyper::client::conn::http1::handshake(stream).await.unwrap();
        tokio::spawn(connection);
        let (status, content_type, body) = read(sender.send_request(oversized(path)).await.unwrap()).await;
        assert_graph_413(status, &content_type, &body);
    }
}

#[tokio::test]
async fn oversized_graph_bodies_are_graph_413s_over_http2() {
    let addr = server().await;
    let stream = TokioIo::new(TcpStream::connect(addr).await.unwrap());
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), stream).await.unwrap();
    tokio::spawn(connection);
    for path in PATHS {
        let (status, content_type, body) = read(sender.send_request(oversized(path)).await.unwrap()).await;
        assert_graph_413(status, &content_type, &body);
    }
}

#[tokio::test]
async fn other_routes_keep_the_global_cap() {
    let addr = server().await;
    let stream = TokioIo::new(TcpStream::connect(addr).await.unwrap());
    let (mut sender, connection) = hyper::client::conn::http1::handshake(stream).await.unwrap();
    tokio::spawn(connection);
    let response = sender.send_request(oversized("/some-tenant/oauth2/v2.0/token")).await.unwrap();
    assert_eq!(response.status().as_u16(), 413);
}
