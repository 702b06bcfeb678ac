//! The Azure portal API's admin-consent route as `custos serve` wires it (`build_router`): it
//! takes the authority's tokens for the portal's API (appId `74658136-…`, as the Azure CLI asks
//! for them) and refuses Graph's; Graph refuses the portal API's. The consent itself and its
//! refusals are tested in custos-directory (`tests/portal_consent.rs`).

mod common;

use axum::body::Body;
use axum::http::{Request, header};
use common::*;
use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
use custos_directory::builtins::PORTAL_API_APP_ID;
use custos_server::{AppParts, build_router};

async fn token(fx: &Fixture, router: &axum::Router, scope: &str) -> String {
    let reply = post_form(router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, scope)).await;
    assert_eq!(reply.status, 200, "{scope}: {}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_owned()
}

async fn call(router: &axum::Router, method: &str, uri: &str, token: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send(router, request).await
}

#[tokio::test]
async fn the_consent_route_takes_portal_api_tokens_only() {
    let fx = Fixture::new().await;
    let store = fx.directory.store().clone();
    let graph =
        register(store.as_ref(), fx.tenant, "Microsoft Graph", Some(GRAPH_IDENTIFIER_URI), |a, sp| {
            a.app_id = GRAPH_APP_ID;
            sp.app_id = GRAPH_APP_ID;
            a.app_roles = vec![role("Custos.Admin", true), role("Application.Read.All", true)];
        })
        .await;
    register(store.as_ref(), fx.tenant, "ADIbizaUX", None, |a, sp| {
        a.app_id = PORTAL_API_APP_ID;
        sp.app_id = PORTAL_API_APP_ID;
    })
    .await;
    for role in &graph.app.app_roles {
        assign(store.as_ref(), fx.tenant, &fx.client, &graph, role).await;
    }
    fx.directory.invalidate(fx.tenant);
    let router = build_router(AppParts {
        authority: fx.authority.clone(),
        directory: directory_state(&fx, &fx.authority),
        store: store.clone(),
        signin: None,
        portal: None,
        separate_metrics: false,
    });

    let portal = token(&fx, &router, &format!("{PORTAL_API_APP_ID}/.default")).await;
    let graph_token = token(&fx, &router, "https://graph.microsoft.com/.default").await;
    let consent = format!("/api/RegisteredApplications/{}/Consent?onBehalfOfAll=true", fx.client.app_id());
    let refused = call(&router, "POST", &consent, &graph_token).await;
    assert_eq!(refused.status, 401, "a Graph token: {}", refused.text);
    assert_eq!(refused.json["error"]["code"], "InvalidAuthenticationToken");
    let granted = call(&router, "POST", &consent, &portal).await;
    assert_eq!(granted.status, 204, "{}", granted.text);
    assert_eq!(granted.text, "");
    let listed = call(&router, "GET", "/v1.0/applications", &portal).await;
    assert_eq!(listed.status, 401, "Graph refuses a portal API token: {}", listed.text);
    assert_eq!(call(&router, "GET", "/v1.0/applications", &graph_token).await.status, 200);
}
