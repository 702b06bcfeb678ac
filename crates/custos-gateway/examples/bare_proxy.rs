//! A minimal pass-through reverse proxy for `bench/gateway-bench.sh`: the same listener
//! (`custos-listener`) and pooled hyper client as `custos gateway`, with no guard, no path normalisation and no header rewriting. It
//! only points each request at the upstream and streams both bodies, so its throughput is the ceiling of
//! "any proxy hop on this machine", against which the gateway's own overhead is judged.
//!
//! Usage: `cargo run --release -p custos-gateway --example bare_proxy -- LISTEN UPSTREAM`, for example
//! `127.0.0.1:9001 127.0.0.1:9000`. Prints `bare proxy listening on http://ADDR` once bound.

use std::convert::Infallible;
use std::net::SocketAddr;

use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Empty, combinators::UnsyncBoxBody};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Body = UnsyncBoxBody<Bytes, BoxError>;

fn arg(index: usize, default: &str) -> std::io::Result<String> {
    Ok(std::env::args().nth(index).unwrap_or_else(|| default.to_owned()))
}

fn invalid(e: impl std::error::Error + Send + Sync + 'static) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, e)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let listen: SocketAddr = arg(1, "127.0.0.1:0")?.parse().map_err(invalid)?;
    let upstream: Authority = arg(2, "127.0.0.1:9000")?.parse().map_err(invalid)?;
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: Client<HttpConnector, Incoming> =
        Client::builder(TokioExecutor::new()).pool_timer(TokioTimer::new()).build(connector);
    let listener = custos_listener::Listener::bind(listen, None).await?;
    eprintln!("bare proxy listening on http://{}", listener.local_addr()?);
    let make_service = move |_| {
        let (client, upstream) = (client.clone(), upstream.clone());
        service_fn(move |request: Request<Incoming>| {
            let (client, upstream) = (client.clone(), upstream.clone());
            async move { Ok::<_, Infallible>(forward(&client, upstream, request).await) }
        })
    };
    listener.serve(make_service, std::future::pending()).await;
    Ok(())
}

/// Sends `request` to `upstream` unchanged except for its URI; 502 when the exchange fails.
async fn forward(
    client: &Client<HttpConnector, Incoming>,
    upstream: Authority,
    mut request: Request<Incoming>,
) -> Response<Body> {
    let path = request.uri().path_and_query().cloned().unwrap_or_else(|| PathAndQuery::from_static("/"));
    let uri = Uri::builder().scheme(Scheme::HTTP).authority(upstream).path_and_query(path).build();
    match uri {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => return status(StatusCode::BAD_REQUEST),
    }
    match client.request(request).await {
        Ok(response) => response.map(|body| body.map_err(BoxError::from).boxed_unsync()),
        Err(_) => status(StatusCode::BAD_GATEWAY),
    }
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Empty::new().map_err(|e| match e {}).boxed_unsync());
    *response.status_mut() = code;
    response
}
