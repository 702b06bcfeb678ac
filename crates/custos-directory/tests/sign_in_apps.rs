//! Applications' interactive sign-in properties (redirect URIs by platform, delegated
//! permissions, required resource access, sign-in audience) with Entra's validation, and the
//! built-in Office 365 Management APIs resource.

mod common;

use common::{AssertGraphError, Harness, audit};
use custos_core::FixedClock;
use custos_directory::builtins::{OFFICE_MANAGEMENT_APP_ID, ensure_builtins};
use http::StatusCode;
use serde_json::{Value, json};
use time::macros::datetime;

const SCOPE: &str = "11111111-2222-3333-4444-555555555555";

fn scope(enabled: bool) -> Value {
    json!({"id": SCOPE, "value": "Orders.Read", "type": "User", "isEnabled": enabled,
           "adminConsentDisplayName": "Read orders", "adminConsentDescription": "Reads orders",
           "userConsentDisplayName": "Read your orders", "userConsentDescription": "Reads your orders"})
}

#[tokio::test]
async fn sign_in_properties_round_trip() {
    let h = Harness::new().await;
    let app = h
        .create_app(json!({
            "displayName": "web app",
            "signInAudience": "AzureADMultipleOrgs",
            "web": {"redirectUris": ["https://app.example/callback"]},
            "publicClient": {"redirectUris": ["http://localhost", "msal0000://auth"]},
            "spa": {"redirectUris": ["http://127.0.0.1:3000/"]},
            "api": {"oauth2PermissionScopes": [scope(true)]},
            "requiredResourceAccess": [{"resourceAppId": "c5393580-f805-4401-95e8-94b7a6ef2fc2",
                "resourceAccess": [{"id": "594c1fb6-4f81-4475-ae41-0c394909246c", "type": "Role"},
                                   {"id": "594c1fb6-4f81-4475-ae41-0c394909246c", "type": "Scope"}]}],
        }))
        .await;
    let got = h.get(&format!("/v1.0/applications/{}", app["id"].as_str().unwrap()), "admin").await.json;
    assert_eq!(got["signInAudience"], "AzureADMultipleOrgs");
    assert_eq!(got["web"]["redirectUris"], json!(["https://app.example/callback"]));
    assert_eq!(got["publicClient"]["redirectUris"], json!(["http://localhost", "msal0000://auth"]));
    assert_eq!(got["spa"]["redirectUris"], json!(["http://127.0.0.1:3000/"]));
    assert_eq!(got["api"]["oauth2PermissionScopes"][0]["value"], "Orders.Read");
    assert_eq!(got["api"]["oauth2PermissionScopes"][0]["type"], "User");
    assert_eq!(got["api"]["oauth2PermissionScopes"][0]["origin"], "Application");
    assert_eq!(got["requiredResourceAccess"][0]["resourceAccess"][1]["type"], "Scope");
    let sp = h.create_sp(app["appId"].as_str().unwrap()).await;
    assert_eq!(sp["oauth2PermissionScopes"][0]["id"], SCOPE);
    assert_eq!(sp["replyUrls"].as_array().unwrap().len(), 4);
}

#[tokio::test]
async fn redirect_uris_are_checked_like_entra() {
    let h = Harness::new().await;
    let bad = "Invalid value specified for property 'redirectUris' of resource 'Application'.";
    for (platform, uri) in [
        ("web", "javascript://alert(1)"),
        ("web", "javascript:alert(1)"),
        ("spa", "data:text/html,x"),
        ("web", "http://app.example/callback"),
        ("web", "https://app.example/cb#fragment"),
        ("web", "https://app.example/cb;x"),
        ("spa", "https://*.example.com/"),
        ("web", "/relative"),
        ("publicClient", "javascript://x"),
        ("spa", "msal0000://auth"),
    ] {
        let body = json!({"displayName": "x", platform: {"redirectUris": [uri]}});
        let reply = h.post("/v1.0/applications", "admin", body).await;
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), bad, "{platform} {uri}");
    }
    let long = format!("https://app.example/{}", "a".repeat(237));
    let reply = h
        .post("/v1.0/applications", "admin", json!({"displayName": "x", "web": {"redirectUris": [long]}}))
        .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), bad);
    let many: Vec<String> = (0..257).map(|i| format!("https://app.example/{i}")).collect();
    let reply = h
        .post("/v1.0/applications", "admin", json!({"displayName": "x", "web": {"redirectUris": many}}))
        .await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "An application may have at most 256 redirect URIs."
    );
    let audience = h
        .post(
            "/v1.0/applications",
            "admin",
            json!({"displayName": "x", "signInAudience": "PersonalMicrosoftAccount"}),
        )
        .await;
    assert_eq!(
        audience.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'signInAudience' of resource 'Application'."
    );
    let rra = json!({"displayName": "x", "requiredResourceAccess": [{"resourceAppId": "c5393580-f805-4401-95e8-94b7a6ef2fc2",
                     "resourceAccess": [{"id": SCOPE, "type": "Delegated"}]}]});
    assert_eq!(
        h.post("/v1.0/applications", "admin", rra).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'type' of resource 'ResourceAccess'."
    );
    let dup = json!({"displayName": "x", "api": {"oauth2PermissionScopes": [scope(true), scope(true)]}});
    h.post("/v1.0/applications", "admin", dup).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let mut spaced = scope(true);
    spaced["value"] = json!("Orders Read");
    assert_eq!(
        h.post(
            "/v1.0/applications",
            "admin",
            json!({"displayName": "x", "api": {"oauth2PermissionScopes": [spaced]}})
        )
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'value' of resource 'PermissionScope'."
    );
}

#[tokio::test]
async fn an_enabled_scope_is_disabled_before_it_is_removed() {
    let h = Harness::new().await;
    let app =
        h.create_app(json!({"displayName": "api", "api": {"oauth2PermissionScopes": [scope(true)]}})).await;
    let path = format!("/v1.0/applications/{}", app["id"].as_str().unwrap());
    let removed = h.patch(&path, "admin", json!({"api": {"oauth2PermissionScopes": []}})).await;
    assert_eq!(
        removed.error(StatusCode::BAD_REQUEST, "CannotDeleteOrUpdateEnabledEntitlement"),
        format!(
            "Property value cannot be deleted or updated unless it is disabled first. Permission scope '{SCOPE}' is enabled."
        )
    );
    let disabled = h.patch(&path, "admin", json!({"api": {"oauth2PermissionScopes": [scope(false)]}})).await;
    assert_eq!(disabled.status, StatusCode::NO_CONTENT, "{}", disabled.json);
    let removed = h.patch(&path, "admin", json!({"api": {"oauth2PermissionScopes": []}})).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.json);
    let uris = h.patch(&path, "admin", json!({"web": {"redirectUris": ["https://a.example/cb"]}})).await;
    assert_eq!(uris.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(&path, "admin").await.json["web"]["redirectUris"], json!(["https://a.example/cb"]));
}

#[tokio::test]
async fn office_365_management_apis_are_built_in() {
    let h = Harness::new().await;
    let path = format!("/v1.0/servicePrincipals(appId='{OFFICE_MANAGEMENT_APP_ID}')");
    let sp = h.get(&path, "admin").await;
    assert_eq!(sp.status, StatusCode::OK, "{}", sp.json);
    assert_eq!(sp.json["displayName"], "Office 365 Management APIs");
    assert_eq!(sp.json["servicePrincipalNames"][1], "https://manage.office.com");
    let roles: Vec<&str> =
        sp.json["appRoles"].as_array().unwrap().iter().map(|r| r["value"].as_str().unwrap()).collect();
    assert_eq!(roles, ["ActivityFeed.Read", "ActivityFeed.ReadDlp", "ServiceHealth.Read"]);
    assert_eq!(sp.json["oauth2PermissionScopes"][0]["id"], "594c1fb6-4f81-4475-ae41-0c394909246c");
    assert_eq!(sp.json["oauth2PermissionScopes"][0]["type"], "Admin");
    let apps = h.get("/v1.0/applications", "admin").await.json;
    assert!(!apps.to_string().contains("manage.office.com"), "built-ins are not listed as applications");
    let hidden = h.get(&format!("/v1.0/applications(appId='{OFFICE_MANAGEMENT_APP_ID}')"), "admin").await;
    hidden.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let id = sp.json["id"].as_str().unwrap();
    let delete = h.delete(&format!("/v1.0/servicePrincipals/{id}"), "admin").await;
    assert_eq!(
        delete.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "A built-in resource's service principal cannot be deleted."
    );
    let disable =
        h.patch(&format!("/v1.0/servicePrincipals/{id}"), "admin", json!({"accountEnabled": false})).await;
    disable.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
}

#[tokio::test]
async fn older_tenants_gain_the_built_ins_once() {
    let h = Harness::new().await;
    let clock = FixedClock::new(datetime!(2026-03-02 12:00 UTC));
    assert_eq!(ensure_builtins(h.store.as_ref(), &clock).await.unwrap(), 0, "fresh tenants are up to date");
    // A tenant as an older version left it: no Office 365 resource, no delegated scopes, no
    // user roles on the directory API.
    let t = h.tenant_a();
    let office = h.store.application_by_app_id(t, OFFICE_MANAGEMENT_APP_ID).await.unwrap().unwrap();
    h.store.delete_application(t, office.id, &audit()).await.unwrap();
    let mut directory =
        h.store.application_by_app_id(t, custos_core::ids::GRAPH_APP_ID).await.unwrap().unwrap();
    directory.oauth2_permission_scopes.clear();
    directory.app_roles.retain(|r| !r.value.as_deref().unwrap_or_default().starts_with("User."));
    directory.app_roles.iter_mut().for_each(|r| r.is_enabled = true);
    h.store.update_application(&directory, &audit()).await.unwrap();

    assert_eq!(ensure_builtins(h.store.as_ref(), &clock).await.unwrap(), 1);
    assert_eq!(ensure_builtins(h.store.as_ref(), &clock).await.unwrap(), 0, "idempotent");
    assert!(h.store.service_principal_by_app_id(t, OFFICE_MANAGEMENT_APP_ID).await.unwrap().is_some());
    let directory = h.store.application_by_app_id(t, custos_core::ids::GRAPH_APP_ID).await.unwrap().unwrap();
    assert!(directory.scope_by_value("User.Read").is_some());
    let user_write =
        directory.app_roles.iter().find(|r| r.value.as_deref() == Some("User.ReadWrite.All")).unwrap();
    let admin_holds = h
        .store
        .assignments(t)
        .await
        .unwrap()
        .iter()
        .any(|a| a.principal_id == h.a.admin_service_principal_id && a.app_role_id == user_write.id);
    assert!(admin_holds, "the bootstrap admin holds the added roles");
    let b_directory =
        h.store.application_by_app_id(h.b.tenant.id, custos_core::ids::GRAPH_APP_ID).await.unwrap().unwrap();
    assert!(
        b_directory.app_roles.iter().all(|r| r.value.as_deref() != Some("Custos.Admin")),
        "never Custos.Admin"
    );
}
