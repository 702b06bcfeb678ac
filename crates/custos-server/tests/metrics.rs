//! `/metrics`: on the public router by default; with a listener of its own
//! (`serve --metrics-listen`) only there, and the public router answers 404. It carries the token
//! metrics, the client-authentication throttle and the directory API's rate limits (issue 16).

mod common;

use common::*;
use custos_server::{AppParts, build_router, metrics_router};

fn parts(fx: &Fixture, separate_metrics: bool) -> AppParts {
    AppParts {
        authority: fx.authority.clone(),
        directory: directory_state(fx, &fx.authority),
        store: fx.directory.store().clone(),
        signin: None,
        portal: None,
        separate_metrics,
    }
}

#[tokio::test]
async fn metrics_are_public_by_default_and_carry_every_counter() {
    let fx = Fixture::new().await;
    let router = build_router(parts(&fx, false));
    let refused = post_form(
        &router,
        &fx.v2_token_path(),
        &fx.v2_body(&fx.client, "wrong", "api://resource-v2/.default"),
    )
    .await;
    assert_eq!(refused.status.as_u16(), 401, "{}", refused.text);
    let reply = get(&router, "/metrics").await;
    assert_eq!(reply.status.as_u16(), 200);
    assert_eq!(reply.header("content-type"), Some("text/plain; version=0.0.4; charset=utf-8"));
    for line in [
        "custos_token_requests_total{outcome=\"invalid_client\"} 1\n",
        "custos_client_auth_failures_total 1\n",
        "custos_token_requests_throttled_total{by=\"client_id\"} 0\n",
        "custos_api_requests_throttled_total{api=\"graph\"} 0\n",
        "custos_api_requests_throttled_total{api=\"admin\"} 0\n",
    ] {
        assert!(reply.text.contains(line), "{line} in {}", reply.text);
    }
}

#[tokio::test]
async fn a_separate_metrics_listener_takes_metrics_off_the_public_router() {
    let fx = Fixture::new().await;
    let parts = parts(&fx, true);
    let metrics = metrics_router(&parts);
    let public = build_router(parts);
    assert_eq!(get(&public, "/metrics").await.status.as_u16(), 404);
    assert_eq!(get(&public, "/healthz").await.status.as_u16(), 200, "the rest stays public");
    let reply = get(&metrics, "/metrics").await;
    assert_eq!(reply.status.as_u16(), 200);
    assert!(reply.text.contains("custos_token_requests_total{outcome=\"success\"} 0\n"), "{}", reply.text);
    assert_eq!(get(&metrics, "/healthz").await.status.as_u16(), 404, "only /metrics");
    let token = format!("/{}/oauth2/v2.0/token", fx.tenant);
    assert_eq!(post_form(&metrics, &token, "").await.status.as_u16(), 404);
}
