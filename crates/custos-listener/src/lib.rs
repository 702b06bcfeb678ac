//! Accepting HTTP connections for every custos server: the authority (`custos serve`), the
//! gateway, the managed-identity agent and the samples.
//!
//! This crate owns what happens between a listening socket and a request handler:
//!
//! - binding and the accept loop ([`Listener`]), with graceful shutdown that lets in-flight
//!   exchanges finish within a bound;
//! - TLS termination with rustls on aws-lc-rs ([`load_server_config`]);
//! - HTTP/1.1 and HTTP/2 on one port (hyper-util's auto builder: the version is sniffed from the
//!   first bytes, so h2c works on plain HTTP too);
//! - the connection [`Limits`]: a cap on open connections and a cap per client address, the TLS
//!   handshake timeout, a first-request and header timeout, an idle timeout that closes a
//!   connection with no request in flight even if it answers HTTP/2 PINGs, HTTP/2 keep-alive and
//!   the HTTP/2 stream cap;
//! - the security headers every response carries: `X-Content-Type-Options: nosniff`, and
//!   `Strict-Transport-Security` on TLS listeners (values a handler set are kept).
//!
//! A handler is any hyper [`Service`](hyper::service::Service), made once per connection
//! ([`Listener::serve`]), or a cloneable tower service such as an axum `Router`
//! ([`Listener::serve_tower`]). The listener wraps the handler's future and response body in
//! place: no allocation or boxing per request.
//!
//! It must not depend on any custos crate, nor on axum: it knows nothing of what it serves.

mod activity;
mod connection;
mod headers;
mod limits;
mod listener;
mod per_address;
mod service;
mod tls;

pub use limits::Limits;
pub use listener::{ConnectionInfo, Listener};
pub use service::{BoxError, HttpService, ResponseBody};
pub use tls::{TlsError, load_server_config};
