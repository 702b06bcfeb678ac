//! The managed identity admin API: `/admin/v1/tenants/{tenant}/managedIdentities` (create,
//! list, get, delete, credentials), its visibility in Graph (a read-only `ManagedIdentity`
//! principal, no application) and who may call it.

mod common;

use common::{AssertGraphError, Harness};
use custos_core::ObjectId;
use custos_core::model::ServicePrincipalType;
use custos_testkit::certs::TestCert;
use http::StatusCode;
use serde_json::json;
use time::macros::datetime;

fn path(h: &Harness) -> String {
    format!("/admin/v1/tenants/{}/managedIdentities", h.tenant_a())
}

async fn create(h: &Harness, name: &str) -> serde_json::Value {
    let reply = h.post(&path(h), "admin", json!({"displayName": name})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    reply.json
}

#[tokio::test]
async fn create_list_get_and_delete() {
    let h = Harness::new().await;
    let mi = create(&h, "  billing-worker ").await;
    let mut keys: Vec<&String> = mi.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["appId", "displayName", "id"]);
    assert_eq!(mi["displayName"], "billing-worker");
    let id: ObjectId = mi["id"].as_str().unwrap().parse().unwrap();
    let sp = h.store.service_principal(h.tenant_a(), id).await.unwrap().unwrap();
    assert_eq!(sp.service_principal_type, ServicePrincipalType::ManagedIdentity);
    assert_eq!(sp.app_id.to_string(), mi["appId"]);

    let listed = h.get(&path(&h), "admin").await;
    assert_eq!(listed.json, json!({"value": [mi.clone()]}));
    // By object id, by appId, and with the tenant named by its domain.
    assert_eq!(h.get(&format!("{}/{}", path(&h), mi["id"].as_str().unwrap()), "admin").await.json, mi);
    let by_app_id =
        format!("/admin/v1/tenants/a.example/managedIdentities/{}", mi["appId"].as_str().unwrap());
    assert_eq!(h.get(&by_app_id, "admin").await.json, mi);
    // An ordinary principal is no managed identity.
    let admin_sp = format!("{}/{}", path(&h), h.a.admin_service_principal_id);
    h.get(&admin_sp, "admin").await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    let deleted = h.delete(&by_app_id, "admin").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.json);
    assert!(h.store.service_principal(h.tenant_a(), id).await.unwrap().is_none());
    assert!(h.store.application_by_app_id(h.tenant_a(), sp.app_id).await.unwrap().is_none());
    assert_eq!(h.get(&path(&h), "admin").await.json, json!({"value": []}));
    h.delete(&by_app_id, "admin").await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn names_are_checked() {
    let h = Harness::new().await;
    for body in [
        json!({}),
        json!({"displayName": "  "}),
        json!({"displayName": "x".repeat(129)}),
        json!({"displayName": 5}),
    ] {
        let reply = h.post(&path(&h), "admin", body.clone()).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {}", reply.json);
    }
    let unknown = h.post(&path(&h), "admin", json!({"displayName": "a", "appId": "b"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.json);
    h.post("/admin/v1/tenants/nowhere.example/managedIdentities", "admin", json!({"displayName": "a"}))
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn graph_shows_the_principal_read_only_and_hides_the_application() {
    let h = Harness::new().await;
    let mi = create(&h, "worker").await;
    let (id, app_id) = (mi["id"].as_str().unwrap(), mi["appId"].as_str().unwrap());

    let sp = h.get(&format!("/v1.0/servicePrincipals/{id}"), "admin").await;
    assert_eq!(sp.status, StatusCode::OK, "{}", sp.json);
    assert_eq!(sp.json["servicePrincipalType"], "ManagedIdentity");
    assert_eq!(sp.json["appId"], app_id);
    let patched =
        h.patch(&format!("/v1.0/servicePrincipals/{id}"), "admin", json!({"accountEnabled": false})).await;
    assert_eq!(patched.status, StatusCode::BAD_REQUEST, "{}", patched.json);

    let apps = h.get("/v1.0/applications", "admin").await;
    assert!(apps.json["value"].as_array().unwrap().iter().all(|a| a["appId"] != app_id), "{}", apps.json);
    h.get(&format!("/v1.0/applications(appId='{app_id}')"), "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let app = h.store.application_by_app_id(h.tenant_a(), app_id.parse().unwrap()).await.unwrap().unwrap();
    h.get(&format!("/v1.0/applications/{}", app.id), "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let second_sp = h.post("/v1.0/servicePrincipals", "admin", json!({"appId": app_id})).await;
    assert_eq!(
        second_sp.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        format!(
            "The appId '{app_id}' of the service principal does not reference a valid application object."
        )
    );
}

#[tokio::test]
async fn credentials_register_a_certificate() {
    let h = Harness::new().await;
    let mi = create(&h, "worker").await;
    let url = format!("{}/{}/credentials", path(&h), mi["id"].as_str().unwrap());
    let cert = TestCert::new("worker", datetime!(2026-01-01 0:00 UTC), datetime!(2027-01-01 0:00 UTC));
    let reply = h.post(&url, "admin", json!({"key": cert.base64()})).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    assert_eq!(reply.json["type"], "AsymmetricX509Cert");
    assert_eq!(reply.json["usage"], "Verify");
    assert_eq!(reply.json["displayName"], "CN=worker");
    assert_eq!(reply.json["key"], json!(null));
    let app =
        h.store.application_by_app_id(h.tenant_a(), mi["appId"].as_str().unwrap().parse().unwrap()).await;
    let app = app.unwrap().unwrap();
    assert_eq!(app.key_credentials.len(), 1);
    assert_eq!(app.key_credentials[0].certificate_der, cert.der);

    // The same certificate twice, an expired one, junk and a missing key are refused.
    let again = h.post(&url, "admin", json!({"key": cert.base64()})).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "{}", again.json);
    let expired = TestCert::new("old", datetime!(2025-01-01 0:00 UTC), datetime!(2026-01-01 0:00 UTC));
    let msg = h
        .post(&url, "admin", json!({"key": expired.base64()}))
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert!(msg.starts_with("The certificate expired on"), "{msg}");
    let junk = h.post(&url, "admin", json!({"key": "aGVsbG8="})).await;
    assert_eq!(junk.status, StatusCode::BAD_REQUEST, "{}", junk.json);
    let missing = h.post(&url, "admin", json!({})).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.json);
    // Only managed identities: an application's principal is not addressable here.
    let other = format!("{}/{}/credentials", path(&h), h.a.admin_service_principal_id);
    h.post(&other, "admin", json!({"key": cert.base64()}))
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn only_the_installation_admin_manages_identities() {
    let h = Harness::new().await;
    let mi = create(&h, "worker").await;
    let one = format!("{}/{}", path(&h), mi["id"].as_str().unwrap());
    for token in ["writer", "admin-b"] {
        h.get(&path(&h), token).await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
        h.post(&path(&h), token, json!({"displayName": "x"}))
            .await
            .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
        h.delete(&one, token).await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
        h.post(&format!("{one}/credentials"), token, json!({"key": "x"}))
            .await
            .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
    h.raw(http::Method::GET, &path(&h), None, "")
        .await
        .error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}
