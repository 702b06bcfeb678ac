//! `custos gateway`: a reverse proxy that puts the custos guard in front of any HTTP API.
//!
//! A [`GatewayConfig`] (the TOML of `interface.md`: `listen`, a `[guard]` table, `[[routes]]`) builds a
//! [`Gateway`], which for each request normalises the path ([`normalize`]), answers its own
//! [`HEALTH_PATH`], picks the route by longest prefix, validates the bearer token with the route's
//! policy through `custos-guard`, strips hop-by-hop and spoofable headers, adds `X-Forwarded-*` and the
//! `X-Custos-*` identity headers, and streams the exchange with the upstream under a body cap and a
//! timeout. [`serve`] runs it on a `custos-listener` [`Listener`](custos_listener::Listener) (HTTP or
//! HTTPS), which also adds `X-Content-Type-Options: nosniff` (and `Strict-Transport-Security` over
//! TLS) to every response that lacks them: the gateway's own answers and proxied ones alike, an
//! upstream's own values being kept.
//!
//! Among the custos crates this depends only on `custos-core`, `custos-guard` and
//! `custos-listener`.

mod body;
mod config;
mod headers;
mod path;
mod proxy;
mod respond;
mod routes;
mod serve;
mod upstream;

pub use body::{BoxError, ProxyBody};
pub use config::{
    ConfigError, DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES, DEFAULT_UPSTREAM_TIMEOUT, GatewayConfig,
    RouteConfig, Upstream,
};
pub use headers::{CLIENT_ID_HEADER, OBJECT_ID_HEADER, ROLES_HEADER, TENANT_ID_HEADER};
pub use path::{PathError, normalize};
pub use proxy::{Gateway, GatewayError, HEALTH_PATH};
pub use serve::serve;
pub use upstream::UpstreamTlsError;
