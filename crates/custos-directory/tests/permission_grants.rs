//! Delegated permission grants (`entra-user-flows.md` §8.4): shapes, rules, `$filter`, scope
//! changes, revocation of the user's refresh tokens, and tenant isolation.

mod common;

use common::{AssertGraphError, BASE, Harness};
use custos_core::ids::GRAPH_APP_ID;
use http::StatusCode;
use serde_json::json;

const GRANTS: &str = "/v1.0/oauth2PermissionGrants";

#[tokio::test]
async fn grants_are_created_listed_changed_and_deleted() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "web app"})).await;
    let client = h.create_sp(app["appId"].as_str().unwrap()).await["id"].as_str().unwrap().to_owned();
    let graph = h
        .store
        .service_principal_by_app_id(h.tenant_a(), GRAPH_APP_ID)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let body = json!({"clientId": client, "consentType": "AllPrincipals", "resourceId": graph,
                      "scope": "openid User.Read openid"});
    let created = h.post(GRANTS, "admin", body.clone()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 43);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        created.json,
        json!({"@odata.context": format!("{BASE}/v1.0/$metadata#oauth2PermissionGrants/$entity"),
               "id": id, "clientId": client, "consentType": "AllPrincipals", "principalId": null,
               "resourceId": graph, "scope": "openid User.Read"})
    );
    let again = h.post(GRANTS, "admin", body).await;
    again.error(StatusCode::CONFLICT, "Request_MultipleObjectsWithSameKeyValue");

    let unknown_scope = json!({"clientId": client, "consentType": "AllPrincipals", "resourceId": graph, "scope": "Mail.Send"});
    assert_eq!(
        h.post(GRANTS, "admin", unknown_scope).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'scope' of resource 'OAuth2PermissionGrant'."
    );
    let no_user =
        json!({"clientId": client, "consentType": "Principal", "resourceId": graph, "scope": "User.Read"});
    h.post(GRANTS, "admin", no_user).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let bad_type =
        json!({"clientId": client, "consentType": "Everyone", "resourceId": graph, "scope": "User.Read"});
    h.post(GRANTS, "admin", bad_type).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let writer =
        json!({"clientId": client, "consentType": "AllPrincipals", "resourceId": graph, "scope": "email"});
    h.post(GRANTS, "writer", writer).await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    let alice = h.create_user("alice").await["id"].as_str().unwrap().to_owned();
    let principal = json!({"clientId": client, "consentType": "Principal", "principalId": alice,
                           "resourceId": graph, "scope": "User.Read"});
    let personal = h.post(GRANTS, "admin", principal).await;
    assert_eq!(personal.status, StatusCode::CREATED, "{}", personal.json);
    let personal_id = personal.json["id"].as_str().unwrap().to_owned();

    let filtered = h
        .get(
            &format!(
                "{GRANTS}?$filter=clientId%20eq%20'{client}'%20and%20consentType%20eq%20'AllPrincipals'"
            ),
            "admin",
        )
        .await;
    assert_eq!(filtered.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(filtered.json["value"][0]["id"], id.as_str());
    let by_resource = h.get(&format!("{GRANTS}?$filter=resourceId%20eq%20'{graph}'"), "admin").await;
    assert_eq!(by_resource.json["value"].as_array().unwrap().len(), 2);

    let patched = h.patch(&format!("{GRANTS}/{personal_id}"), "admin", json!({"scope": "openid"})).await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.json);
    assert_eq!(h.get(&format!("{GRANTS}/{personal_id}"), "admin").await.json["scope"], "openid");
    let other =
        h.patch(&format!("{GRANTS}/{personal_id}"), "admin", json!({"consentType": "AllPrincipals"})).await;
    other.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    // Tenant B sees none of it.
    assert_eq!(h.get(GRANTS, "admin-b").await.json["value"], json!([]));
    h.get(&format!("{GRANTS}/{id}"), "admin-b")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let cross = h.patch(&format!("{GRANTS}/{id}"), "admin-b", json!({"scope": "openid"})).await;
    cross.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    h.delete(&format!("{GRANTS}/{id}"), "admin-b")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let cross_create =
        json!({"clientId": client, "consentType": "AllPrincipals", "resourceId": graph, "scope": "openid"});
    h.post(GRANTS, "admin-b", cross_create).await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    assert_eq!(h.delete(&format!("{GRANTS}/{personal_id}"), "admin").await.status, StatusCode::NO_CONTENT);
    assert_eq!(h.delete(&format!("{GRANTS}/{id}"), "admin").await.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(GRANTS, "admin").await.json["value"], json!([]));
}
