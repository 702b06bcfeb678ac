//! The tenant settings admin API: `GET/PATCH /admin/v1/tenants/{tenant}/settings`, for the
//! installation admin only, with validation of names and values.

mod common;

use common::{AssertGraphError, Harness};
use custos_core::settings::AssertionReplayMode;
use http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn settings_show_and_patch() {
    let h = Harness::new().await;
    let path = format!("/admin/v1/tenants/{}/settings", h.tenant_a());
    let shown = h.get(&path, "admin").await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.json);
    assert_eq!(
        shown.json,
        json!({"assertionReplay": "compat", "allowUserConsent": true, "allowPasswordGrant": false, "logRetentionDays": 30})
    );

    let patched = h.patch(&path, "admin", json!({"assertionReplay": "strict"})).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.json);
    assert_eq!(
        patched.json,
        json!({"assertionReplay": "strict", "allowUserConsent": true, "allowPasswordGrant": false, "logRetentionDays": 30})
    );
    assert_eq!(
        h.store.tenant_settings(h.tenant_a()).await.unwrap().assertion_replay,
        AssertionReplayMode::Strict
    );
    let both = h.patch(&path, "admin", json!({"allowPasswordGrant": true, "allowUserConsent": false})).await;
    assert_eq!(
        both.json,
        json!({"assertionReplay": "strict", "allowUserConsent": false, "allowPasswordGrant": true, "logRetentionDays": 30})
    );
    let kept = h.patch(&path, "admin", json!({"logRetentionDays": 7})).await;
    assert_eq!(kept.json["logRetentionDays"], 7, "{}", kept.json);
    assert_eq!(h.store.tenant_settings(h.tenant_a()).await.unwrap().log_retention_days, 7);
    for bad in [json!(0), json!(3651), json!("7"), json!(-1)] {
        let refused = h.patch(&path, "admin", json!({"logRetentionDays": bad})).await;
        refused.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    let text = h.patch(&path, "admin", json!({"allowPasswordGrant": "yes"})).await;
    assert_eq!(text.status, StatusCode::BAD_REQUEST, "{}", text.json);
    // By domain name too; an empty PATCH changes nothing.
    let by_domain = h.patch("/admin/v1/tenants/a.example/settings", "admin", json!({})).await;
    assert_eq!(by_domain.json["assertionReplay"], "strict");
}

#[tokio::test]
async fn settings_refuse_unknown_names_values_and_tenants() {
    let h = Harness::new().await;
    let path = format!("/admin/v1/tenants/{}/settings", h.tenant_a());
    let bad_value = h.patch(&path, "admin", json!({"assertionReplay": "sometimes"})).await;
    assert_eq!(
        bad_value.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'assertionReplay' of resource 'TenantSettings'."
    );
    let bad_type = h.patch(&path, "admin", json!({"assertionReplay": 1})).await;
    bad_type.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let unknown = h.patch(&path, "admin", json!({"replay": "strict"})).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.json);
    h.get("/admin/v1/tenants/nowhere.example/settings", "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(
        h.store.tenant_settings(h.tenant_a()).await.unwrap().assertion_replay,
        AssertionReplayMode::Compat
    );
}

#[tokio::test]
async fn settings_are_for_the_installation_admin_only() {
    let h = Harness::new().await;
    let path = format!("/admin/v1/tenants/{}/settings", h.tenant_a());
    for token in ["writer", "admin-b"] {
        h.get(&path, token).await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
        h.patch(&path, token, json!({"assertionReplay": "strict"}))
            .await
            .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
    h.raw(http::Method::GET, &path, None, "")
        .await
        .error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}
