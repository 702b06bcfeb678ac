//! Regression tests for issue 10 on request and response bodies of the Graph and admin APIs:
//! duplicate JSON members and U+0000 are refused with a 400 naming the property before anything
//! is written (one parser for every route), responses that carry a secret are `no-store`, and
//! an oversized body is Graph's 413.

mod common;

use common::{AssertGraphError, Harness};
use http::{Method, StatusCode, header};
use serde_json::json;

async fn application_count(h: &Harness) -> usize {
    h.store.applications(h.tenant_a()).await.unwrap().len()
}

#[tokio::test]
async fn duplicate_members_are_refused_on_every_route_naming_the_property() {
    let h = Harness::new().await;
    let before = application_count(&h).await;
    let mi = format!("/admin/v1/tenants/{}/managedIdentities", h.tenant_a());
    let app = h.create_app(json!({"displayName": "x"})).await;
    let id = app["id"].as_str().unwrap();
    let cases = [
        (
            Method::POST,
            "/v1.0/applications".to_owned(),
            r#"{"displayName":"a","displayName":"b"}"#,
            "displayName",
        ),
        (Method::POST, mi, r#"{"displayName":"a","displayName":"b"}"#, "displayName"),
        (
            Method::PATCH,
            format!("/v1.0/applications/{id}"),
            r#"{"api":{"requestedAccessTokenVersion":2,"requestedAccessTokenVersion":1}}"#,
            "requestedAccessTokenVersion",
        ),
        (
            Method::POST,
            "/admin/v1/tenants".to_owned(),
            r#"{"domain":"c.example","domain":"d.example"}"#,
            "domain",
        ),
    ];
    for (method, uri, body, property) in cases {
        let reply = h.raw(method.clone(), &uri, Some("admin"), body).await;
        assert_eq!(
            reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
            format!("Property '{property}' is specified more than once."),
            "{method} {uri}"
        );
    }
    assert_eq!(application_count(&h).await, before + 1, "nothing but the setup's application was created");
    assert_eq!(h.store.tenants().await.unwrap().len(), 2);
}

#[tokio::test]
async fn nul_characters_are_a_400_naming_the_property_and_nothing_is_stored() {
    let h = Harness::new().await;
    let before = application_count(&h).await;
    let message =
        |p: &str| format!("Invalid value specified for property '{p}': the character U+0000 is not allowed.");
    let reply =
        h.raw(Method::POST, "/v1.0/applications", Some("admin"), r#"{"displayName":"a\u0000b"}"#).await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), message("displayName"));
    let reply = h
        .raw(
            Method::POST,
            "/v1.0/applications",
            Some("admin"),
            r#"{"displayName":"a","identifierUris":["api://x\u0000"]}"#,
        )
        .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), message("identifierUris"));
    let reply = h
        .raw(
            Method::POST,
            "/admin/v1/tenants",
            Some("admin"),
            r#"{"domain":"e.example","displayName":"\u0000"}"#,
        )
        .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), message("displayName"));
    assert_eq!(application_count(&h).await, before);
    assert_eq!(h.store.tenants().await.unwrap().len(), 2);
}

#[tokio::test]
async fn responses_with_secrets_are_not_cacheable() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "x"})).await;
    let (id, app_id) = (app["id"].as_str().unwrap(), app["appId"].as_str().unwrap());
    let with_secret = [
        h.post(&format!("/v1.0/applications/{id}/addPassword"), "admin", json!({})).await,
        h.post(&format!("/v1.0/applications(appId='{app_id}')/addPassword"), "admin", json!({})).await,
        h.post("/admin/v1/tenants", "admin", json!({"domain": "f.example"})).await,
    ];
    for reply in with_secret {
        assert!(reply.status.is_success(), "{}", reply.json);
        assert_eq!(reply.headers[header::CACHE_CONTROL], "no-store", "{}", reply.json);
    }
    let without = h.get(&format!("/v1.0/applications/{id}"), "admin").await;
    assert_eq!(without.headers.get(header::CACHE_CONTROL), None);
}

#[tokio::test]
async fn an_oversized_body_is_graphs_413() {
    let h = Harness::new().await;
    let body = format!(r#"{{"displayName":"{}"}}"#, "x".repeat(custos_directory::MAX_BODY_BYTES));
    let reply = h.raw(Method::POST, "/v1.0/applications", Some("admin"), &body).await;
    assert_eq!(
        reply.error(StatusCode::PAYLOAD_TOO_LARGE, "Request_EntityTooLarge"),
        "The request body exceeds the maximum allowed size of 1048576 bytes."
    );
}
