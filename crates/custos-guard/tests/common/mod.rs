//! The guard's own fixtures around the shared test authority (`custos_testkit`): guards configured
//! for it, a guarded axum router and its challenge values.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use custos_core::FixedClock;
use custos_guard::{CacheOptions, Guard, GuardConfig, GuardLayer, Principal};
use time::OffsetDateTime;

pub use custos_testkit::authority::{Authority, Shape};
use custos_testkit::http::bearer_challenge;
pub use custos_testkit::ids::*;

/// A second tenant, for cross-tenant refusals.
pub const TENANT_B: &str = "9b5e6e1c-1111-4d7a-8a3b-0c2f4e5d6a7b";

/// Guards in front of the shared test [`Authority`].
pub trait GuardFixture {
    /// A guard for [`TENANT`] with `extra` TOML keys, a clock at [`NOW`] and default cache timing.
    fn guard(&self, extra: &str) -> (Arc<Guard>, Arc<FixedClock>) {
        self.guard_with(extra, |c| c)
    }

    /// As [`GuardFixture::guard`], with the parsed configuration passed through `adjust`.
    fn guard_with(
        &self,
        extra: &str,
        adjust: impl FnOnce(GuardConfig) -> GuardConfig,
    ) -> (Arc<Guard>, Arc<FixedClock>);
}

impl GuardFixture for Authority {
    fn guard_with(
        &self,
        extra: &str,
        adjust: impl FnOnce(GuardConfig) -> GuardConfig,
    ) -> (Arc<Guard>, Arc<FixedClock>) {
        let toml = format!(
            "Authority = \"{}\"\nServiceAuthTenantId = \"{TENANT}\"\nServiceAuthAudience = \"{API_URI}\"\n{extra}",
            self.base
        );
        let config = adjust(GuardConfig::from_toml_str(&toml).unwrap().danger_allow_http_loopback());
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
        let guard = Guard::with_cache_options(config, clock.clone(), CacheOptions::default()).unwrap();
        (Arc::new(guard), clock)
    }
}

/// What a guarded handler answers: a summary of the principal.
async fn whoami(principal: Principal) -> String {
    format!(
        "{:?} {:?} client={} oid={} roles={}",
        principal.kind,
        principal.token_version,
        principal.client_app_id,
        principal.object_id,
        principal.roles.join(",")
    )
}

/// A router whose `/api` is behind [`GuardLayer`].
pub fn app(guard: &Arc<Guard>) -> Router {
    Router::new().route("/api", get(whoami)).layer(GuardLayer::new(Arc::clone(guard)))
}

/// Status, `WWW-Authenticate` and body of `GET {path}` with the given headers.
pub async fn send(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let reply = custos_testkit::http::send(app, request.body(Body::empty()).unwrap()).await;
    let challenge = reply.header("www-authenticate").map(str::to_owned);
    (reply.status, challenge, reply.text)
}

/// Sends `token` as `Authorization: Bearer` to `/api`.
pub async fn call(app: &Router, token: &str) -> (StatusCode, Option<String>, String) {
    send(app, "/api", &[("authorization", &format!("Bearer {token}"))]).await
}

/// The `WWW-Authenticate` value of an `invalid_token` refusal with `description`.
pub fn invalid(description: &str) -> Option<String> {
    Some(bearer_challenge("invalid_token", description))
}

/// The `WWW-Authenticate` value of an `insufficient_scope` refusal with `description`.
pub fn insufficient(description: &str) -> Option<String> {
    Some(bearer_challenge("insufficient_scope", description))
}
