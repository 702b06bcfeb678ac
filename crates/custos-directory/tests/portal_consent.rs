//! `POST /api/RegisteredApplications/{appId}/Consent?onBehalfOfAll=true`, the Azure portal's API
//! call behind `az ad app permission admin-consent`: the admin portal's consent for the caller's
//! tenant, for callers holding what `/admin/v1/tenants/{tenant}/consent` needs on the directory
//! API (read from their assignments, never from the portal API token's roles).

mod common;

use common::{ALL_ROLES, AssertGraphError, Harness};
use custos_core::users::GLOBAL_ADMINISTRATOR;
use custos_directory::Caller;
use custos_directory::builtins::OFFICE_MANAGEMENT_APP_ID;
use http::{Method, StatusCode};
use serde_json::json;

const ACTIVITY_FEED_READ: &str = "594c1fb6-4f81-4475-ae41-0c394909246c";

fn consent_path(app_id: &str) -> String {
    format!("/api/RegisteredApplications/{app_id}/Consent?onBehalfOfAll=true")
}

/// An application of tenant A asking the Office 365 Management APIs' ActivityFeed.Read as an
/// application and a delegated permission; its appId.
async fn reader(h: &Harness) -> String {
    let app = h
        .create_app(json!({
            "displayName": "activity reader",
            "requiredResourceAccess": [{"resourceAppId": OFFICE_MANAGEMENT_APP_ID.to_string(), "resourceAccess": [
                {"id": ACTIVITY_FEED_READ, "type": "Role"}, {"id": ACTIVITY_FEED_READ, "type": "Scope"}]}],
        }))
        .await;
    app["appId"].as_str().unwrap().to_owned()
}

/// The app role assignments and delegated grants of `app_id`'s service principal in tenant A.
async fn granted(h: &Harness, app_id: &str) -> (Vec<String>, Vec<(String, String)>) {
    let sp = h.get(&format!("/v1.0/servicePrincipals(appId='{app_id}')"), "admin").await;
    assert_eq!(sp.status, StatusCode::OK, "{}", sp.json);
    let sp_id = sp.json["id"].as_str().unwrap();
    let roles = h.get(&format!("/v1.0/servicePrincipals/{sp_id}/appRoleAssignments"), "admin").await;
    let roles = roles.json["value"].as_array().unwrap().iter().map(|a| a["appRoleId"].to_string()).collect();
    let grants =
        h.get(&format!("/v1.0/oauth2PermissionGrants?$filter=clientId%20eq%20'{sp_id}'"), "admin").await;
    let grants = grants.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["consentType"].as_str().unwrap().to_owned(), g["scope"].as_str().unwrap().to_owned()))
        .collect();
    (roles, grants)
}

#[tokio::test]
async fn an_administrator_application_grants_tenant_wide_consent() {
    let h = Harness::new().await;
    let app_id = reader(&h).await;
    let reply = h.raw(Method::POST, &consent_path(&app_id), Some("admin"), "").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    let (roles, grants) = granted(&h, &app_id).await;
    assert_eq!(roles, [format!("\"{ACTIVITY_FEED_READ}\"")]);
    assert_eq!(grants, [("AllPrincipals".to_owned(), "ActivityFeed.Read".to_owned())]);
    let again = h.raw(Method::POST, &consent_path(&app_id), Some("admin"), "").await;
    assert_eq!(again.status, StatusCode::NO_CONTENT, "consenting again is idempotent: {}", again.json);
    assert_eq!(granted(&h, &app_id).await.0.len(), 1);
}

#[tokio::test]
async fn refusals_are_graph_errors() {
    let h = Harness::new().await;
    let app_id = reader(&h).await;
    let path = consent_path(&app_id);
    let missing = h.raw(Method::POST, &path, None, "").await;
    assert_eq!(
        missing.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"),
        "Access token is empty."
    );
    let bad = h.raw(Method::POST, &path, Some("not-a-token"), "").await;
    assert_eq!(
        bad.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken"),
        "Access token validation failure. Invalid audience, issuer, signature or lifetime."
    );

    // A service principal without Custos.Admin on the directory API: the roles its portal API
    // token carries do not count.
    let plain = h.create_app(json!({"displayName": "plain"})).await;
    let plain_sp = h.create_sp(plain["appId"].as_str().unwrap()).await;
    h.add_token(
        "plain",
        Caller {
            tenant_id: h.tenant_a(),
            app_id: plain["appId"].as_str().unwrap().parse().unwrap(),
            object_id: plain_sp["id"].as_str().unwrap().parse().unwrap(),
            roles: ALL_ROLES.iter().map(|r| (*r).to_owned()).collect(),
            scopes: None,
            origin: Default::default(),
        },
    );
    let forbidden = h.raw(Method::POST, &path, Some("plain"), "").await;
    assert_eq!(
        forbidden.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied"),
        "Insufficient privileges to complete the operation."
    );

    let unknown = uuid::Uuid::new_v4().to_string();
    let not_found = h.raw(Method::POST, &consent_path(&unknown), Some("admin"), "").await;
    assert_eq!(
        not_found.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
        format!(
            "Resource '{unknown}' does not exist or one of its queried reference-property objects are not present."
        )
    );
    let for_one = format!("/api/RegisteredApplications/{app_id}/Consent?onBehalfOfAll=false");
    let bad_request = h.raw(Method::POST, &for_one, Some("admin"), "").await;
    assert_eq!(
        bad_request.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "custos grants admin consent for every user of the tenant only: onBehalfOfAll=true is required."
    );
    let sp = h.get(&format!("/v1.0/servicePrincipals(appId='{app_id}')"), "admin").await;
    assert_eq!(sp.status, StatusCode::NOT_FOUND, "nothing was granted, not even the service principal");
}

#[tokio::test]
async fn a_signed_in_global_administrator_consents_through_user_impersonation() {
    let h = Harness::new().await;
    let app_id = reader(&h).await;
    let admin = h.create_user("grace").await;
    let admin = admin["id"].as_str().unwrap();
    h.assign_role(admin, &GLOBAL_ADMINISTRATOR.to_string()).await;
    let plain = h.create_user("henry").await;
    let plain = plain["id"].as_str().unwrap();
    h.add_user_token("grace-other", admin, &["Directory.ReadWrite.All"], &[]);
    h.add_user_token("henry", plain, &["user_impersonation"], &[]);
    h.add_user_token("grace", admin, &["user_impersonation"], &[]);
    let path = consent_path(&app_id);
    for token in ["grace-other", "henry"] {
        let refused = h.raw(Method::POST, &path, Some(token), "").await;
        refused.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
    let reply = h.raw(Method::POST, &path, Some("grace"), "").await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    assert_eq!(granted(&h, &app_id).await.1, [("AllPrincipals".to_owned(), "ActivityFeed.Read".to_owned())]);
}
