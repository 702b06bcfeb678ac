//! Client credentials on a tenant read in slices, as large tenants are (a directory whose slice
//! threshold slices every tenant): the same tokens and errors as from the whole snapshot, with
//! only slices cached, and writes through the directory seen at once.

mod common;

use common::*;
use custos_store::Store;
use serde_json::json;

async fn token(fx: &Fixture, client: &App, scope: &str) -> Reply {
    post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(client, SECRET, scope)).await
}

#[tokio::test]
async fn a_client_credentials_token_carries_its_roles_from_a_slice() {
    let fx = Fixture::sliced().await;
    let reply = token(&fx, &fx.client, "api://resource-v2/.default").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let claims = token_claims(&reply);
    assert_eq!(claims["aud"], fx.resource_v2.app_id());
    assert_eq!(claims["oid"], fx.client.sp.id.to_string());
    assert_eq!(claims["roles"], json!(["Read", "Write"]));
    // The token request and its sign-in record read the same slice; nothing read the tenant whole.
    assert_eq!(fx.directory.cached_slices(fx.tenant), 1);
    assert!(!fx.directory.caches_whole_snapshot(fx.tenant));

    // The v1 resource by appId, and the directory API by its appId too.
    let reply = token(&fx, &fx.client, &format!("{}/.default", fx.resource_v1.app_id())).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(token_claims(&reply)["roles"], json!(["Read", "Write"]));
    assert_eq!(fx.directory.cached_slices(fx.tenant), 2);
    assert!(!fx.directory.caches_whole_snapshot(fx.tenant));
}

#[tokio::test]
async fn a_resource_is_found_by_identifier_uri_with_and_without_its_trailing_slash() {
    let fx = Fixture::sliced().await;
    let slash = register(fx.directory.as_ref(), fx.tenant, "Slash", Some("api://slash/"), |_, _| {}).await;
    // v1 tokens carry the resource as requested.
    for (resource, audience) in [
        ("api://resource-v1", "api://resource-v1"),
        ("api://resource-v1/", "api://resource-v1/"),
        ("api://slash", "api://slash"),
        ("api://slash/", "api://slash/"),
    ] {
        let body = form(&[
            ("client_id", &fx.client.app_id()),
            ("grant_type", "client_credentials"),
            ("resource", resource),
            ("client_secret", SECRET),
        ]);
        let reply = post_form(&fx.router, &fx.v1_token_path(), &body).await;
        assert_eq!(reply.status, 200, "{resource}: {}", reply.text);
        assert_eq!(token_claims(&reply)["aud"], audience, "{resource}");
    }
    let slash_by_app_id = format!("{}/.default", slash.app_id());
    assert_eq!(token(&fx, &fx.client, &slash_by_app_id).await.status, 200);
    // Case matters and two slashes are one too many, as in the whole snapshot.
    for unknown in ["api://RESOURCE-v2/.default", "api://resource-v2///.default", "api://nowhere/.default"] {
        let reply = token(&fx, &fx.client, unknown).await;
        reply.assert_error(400, "invalid_resource", 500011);
    }
    assert!(!fx.directory.caches_whole_snapshot(fx.tenant));
}

#[tokio::test]
async fn writes_through_the_directory_reach_sliced_tenants_at_once() {
    let fx = Fixture::sliced().await;
    let v2 = "api://resource-v2/.default";
    assert_eq!(token(&fx, &fx.client, v2).await.status, 200);

    // A disabled principal is refused at once, and an enabled one served again.
    let mut disabled = fx.client.sp.clone();
    disabled.account_enabled = false;
    fx.directory.update_service_principal(&disabled, &audit()).await.unwrap();
    token(&fx, &fx.client, v2).await.assert_error(400, "unauthorized_client", 7000112);
    fx.directory.update_service_principal(&fx.client.sp, &audit()).await.unwrap();
    assert_eq!(token(&fx, &fx.client, v2).await.status, 200);

    // A resource that starts requiring assignment, then an assignment on it.
    assert_eq!(token(&fx, &fx.client, "api://open/.default").await.status, 200);
    let mut open = fx.open.sp.clone();
    open.app_role_assignment_required = true;
    fx.directory.update_service_principal(&open, &audit()).await.unwrap();
    token(&fx, &fx.client, "api://open/.default").await.assert_error(400, "invalid_grant", 501051);
    let role = role("Open.Read", true);
    let mut open_app = fx.open.app.clone();
    open_app.app_roles = vec![role.clone()];
    fx.directory.update_application(&open_app, &audit()).await.unwrap();
    assign(fx.directory.as_ref(), fx.tenant, &fx.client, &fx.open, &role).await;
    let reply = token(&fx, &fx.client, "api://open/.default").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(token_claims(&reply)["roles"], json!(["Open.Read"]));

    // A deleted resource is unknown at once.
    fx.directory.delete_application(fx.tenant, fx.resource_v2.app.id, &audit()).await.unwrap();
    token(&fx, &fx.client, v2).await.assert_error(400, "invalid_resource", 500011);
    assert!(!fx.directory.caches_whole_snapshot(fx.tenant));
}
