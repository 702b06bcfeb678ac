//! `POST /admin/v1/tenants/{tenant}/consent` (`custos consent grant`): an installation admin
//! consents, for tenant B, to a multi-tenant application of tenant A that needs the Office 365
//! Management APIs (seed 004's permissions); single-tenant apps and other callers are refused.

mod common;

use common::{AssertGraphError, Harness};
use custos_directory::builtins::OFFICE_MANAGEMENT_APP_ID;
use http::StatusCode;
use serde_json::json;

const ACTIVITY_FEED_READ: &str = "594c1fb6-4f81-4475-ae41-0c394909246c";
const SERVICE_HEALTH_READ: &str = "e2cea78f-e743-4d8f-a16a-75b629a038ae";

fn app_body(audience: &str) -> serde_json::Value {
    json!({
        "displayName": "activity reader",
        "signInAudience": audience,
        "web": {"redirectUris": ["https://reader.example/callback"]},
        "requiredResourceAccess": [{"resourceAppId": OFFICE_MANAGEMENT_APP_ID.to_string(), "resourceAccess": [
            {"id": ACTIVITY_FEED_READ, "type": "Role"}, {"id": SERVICE_HEALTH_READ, "type": "Role"},
            {"id": ACTIVITY_FEED_READ, "type": "Scope"}, {"id": SERVICE_HEALTH_READ, "type": "Scope"}]}],
    })
}

#[tokio::test]
async fn an_installation_admin_consents_for_another_tenant() {
    let h = Harness::new().await;
    let app = h.create_app(app_body("AzureADMultipleOrgs")).await;
    let app_id = app["appId"].as_str().unwrap();
    let reply = h.post("/admin/v1/tenants/b.example/consent", "admin", json!({"appId": app_id})).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json["tenantId"], h.b.tenant.id.to_string());
    assert_eq!(reply.json["createdServicePrincipal"], true);
    assert_eq!(reply.json["oauth2PermissionGrants"][0]["scope"], "ActivityFeed.Read ServiceHealth.Read");
    assert_eq!(reply.json["oauth2PermissionGrants"][0]["consentType"], "AllPrincipals");
    assert_eq!(reply.json["appRoleAssignments"].as_array().unwrap().len(), 2);

    // Tenant B's own Graph now shows the client's service principal and its grants.
    let sp = h.get(&format!("/v1.0/servicePrincipals(appId='{app_id}')"), "admin-b").await;
    assert_eq!(sp.status, StatusCode::OK, "{}", sp.json);
    let sp_id = sp.json["id"].as_str().unwrap();
    let grants =
        h.get(&format!("/v1.0/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp_id}'"), "admin-b").await;
    assert_eq!(grants.json["value"].as_array().unwrap().len(), 1);
    let roles = h.get(&format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments"), "admin-b").await;
    assert_eq!(roles.json["value"].as_array().unwrap().len(), 2);

    let again = h.post("/admin/v1/tenants/b.example/consent", "admin", json!({"appId": app_id})).await;
    assert_eq!(again.json["createdServicePrincipal"], false, "consenting again is idempotent");
    assert_eq!(again.json["appRoleAssignments"], json!([]));
}

#[tokio::test]
async fn consent_is_refused_where_entra_refuses_it() {
    let h = Harness::new().await;
    let single = h.create_app(app_body("AzureADMyOrg")).await;
    let app_id = single["appId"].as_str().unwrap();
    let reply = h.post("/admin/v1/tenants/b.example/consent", "admin", json!({"appId": app_id})).await;
    reply.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let home = h
        .post(&format!("/admin/v1/tenants/{}/consent", h.tenant_a()), "admin", json!({"appId": app_id}))
        .await;
    assert_eq!(home.status, StatusCode::OK, "a single-tenant app in its own tenant: {}", home.json);
    let multi = h.create_app(app_body("AzureADMultipleOrgs")).await;
    let body = json!({"appId": multi["appId"]});
    let by_b = h.post("/admin/v1/tenants/b.example/consent", "admin-b", body.clone()).await;
    by_b.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let writer = h.post("/admin/v1/tenants/b.example/consent", "writer", body).await;
    writer.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let unknown =
        h.post("/admin/v1/tenants/b.example/consent", "admin", json!({"appId": uuid::Uuid::new_v4()})).await;
    unknown.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}
