//! Issue 15 item 2 end to end: a token asked for with the public origin as the Graph resource —
//! `https://{host}/.default` as msgraph-sdk derives it, `{publicUrl}//.default` as the Azure CLI
//! asks — is accepted by the directory API as the server wires it; a token for another resource
//! is not.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};

async fn call(fx: &Fixture, token: &str) -> Reply {
    let request = Request::builder()
        .uri("/v1.0/applications?$select=displayName")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send(&fx.router, request).await
}

async fn token(fx: &Fixture, scope: &str) -> String {
    let reply = post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, scope)).await;
    assert_eq!(reply.status, 200, "{scope}: {}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_public_origin_gets_directory_api_tokens() {
    let mut fx = Fixture::new().await;
    fx.router = fx.router.clone().merge(directory_routes(&fx, &fx.authority));
    let store = fx.directory.store().clone();
    let graph =
        register(store.as_ref(), fx.tenant, "Microsoft Graph", Some(GRAPH_IDENTIFIER_URI), |a, sp| {
            a.app_id = GRAPH_APP_ID;
            sp.app_id = GRAPH_APP_ID;
            a.app_roles = vec![role("Application.Read.All", true)];
        })
        .await;
    assign(store.as_ref(), fx.tenant, &fx.client, &graph, &graph.app.app_roles[0]).await;
    fx.directory.invalidate(fx.tenant);
    let host = PUBLIC_URL.rsplit_once(':').unwrap().0;
    for scope in [format!("{host}/.default"), format!("{PUBLIC_URL}//.default")] {
        let token = token(&fx, &scope).await;
        let reply = call(&fx, &token).await;
        assert_eq!(reply.status, 200, "{scope}: {}", reply.text);
        assert!(reply.json["value"].as_array().unwrap().len() >= 2, "{}", reply.json);
    }
    let other = token(&fx, "api://resource-v2/.default").await;
    assert_eq!(call(&fx, &other).await.status, 401);
}
