//! A trivial upstream for `bench/gateway-bench.sh`: answers every request with `200 ok` (2 bytes,
//! `text/plain`) as fast as it can, so that a benchmark measures the gateway and not the API behind it.
//!
//! Usage: `cargo run --release -p custos-gateway --example echo_upstream -- 127.0.0.1:9000`
//! (default `127.0.0.1:0`). Prints `echo upstream listening on http://ADDR` once bound.

use std::net::SocketAddr;

use axum::Router;
use axum::http::header::CONTENT_TYPE;

async fn ok() -> ([(axum::http::HeaderName, &'static str); 1], &'static str) {
    ([(CONTENT_TYPE, "text/plain")], "ok")
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
        None => SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    eprintln!("echo upstream listening on http://{}", listener.local_addr()?);
    axum::serve(listener, Router::new().fallback(ok)).await
}
