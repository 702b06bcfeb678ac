//! Applications through the Graph API: CRUD, addressing by appId, validation and secrets.

mod common;

use common::{AssertGraphError, BASE, Harness};
use custos_core::ObjectId;
use http::{Method, StatusCode};
use serde_json::json;

const ROLE: &str = "11111111-2222-3333-4444-555555555555";

#[tokio::test]
async fn create_get_list_patch_delete() {
    let h = Harness::new().await;
    let app = h
        .create_app(json!({
            "displayName": "orders api",
            "identifierUris": ["api://orders"],
            "api": {"requestedAccessTokenVersion": 2},
            "appRoles": [{"id": ROLE, "allowedMemberTypes": ["Application"], "value": "Orders.Read",
                          "displayName": "Read orders", "description": "read", "isEnabled": true}]
        }))
        .await;
    assert_eq!(app["@odata.context"], format!("{BASE}/v1.0/$metadata#applications/$entity"));
    assert_eq!(app["displayName"], "orders api");
    assert_eq!(app["publisherDomain"], "a.example");
    assert_eq!(app["signInAudience"], "AzureADMyOrg");
    assert_eq!(app["api"]["requestedAccessTokenVersion"], 2);
    assert_eq!(app["appRoles"][0]["origin"], "Application");
    assert_eq!(app["keyCredentials"], json!([]));
    assert_eq!(app["passwordCredentials"], json!([]));
    assert_eq!(app["requiredResourceAccess"], json!([]));
    assert_eq!(app["createdDateTime"], "2026-03-01T12:00:00Z");
    let id = app["id"].as_str().unwrap();
    let app_id = app["appId"].as_str().unwrap();

    let got = h.get(&format!("/v1.0/applications/{id}"), "reader").await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.json["appId"], app_id);
    let by_app_id = h.get(&format!("/v1.0/applications(appId='{app_id}')"), "reader").await;
    assert_eq!(by_app_id.json["id"], id);

    let list = h.get("/v1.0/applications", "reader").await;
    assert_eq!(list.json["@odata.context"], format!("{BASE}/v1.0/$metadata#applications"));
    let names: Vec<&str> =
        list.json["value"].as_array().unwrap().iter().map(|a| a["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["custos admin", "orders api"], "the built-in directory application is not listed");

    let patched = h
        .patch(
            &format!("/v1.0/applications/{id}"),
            "writer",
            json!({"displayName": "orders", "description": null}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    assert_eq!(patched.json, serde_json::Value::Null);
    let patched = h
        .patch(
            &format!("/v1.0/applications(appId='{app_id}')"),
            "writer",
            json!({"signInAudience": "AzureADMultipleOrgs"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let got = h.get(&format!("/v1.0/applications/{id}"), "reader").await;
    assert_eq!(got.json["displayName"], "orders");
    assert_eq!(got.json["signInAudience"], "AzureADMultipleOrgs");
    assert_eq!(got.json["identifierUris"], json!(["api://orders"]));

    assert_eq!(h.delete(&format!("/v1.0/applications/{id}"), "writer").await.status, StatusCode::NO_CONTENT);
    let gone = h.get(&format!("/v1.0/applications/{id}"), "reader").await;
    let message = gone.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(
        message,
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        )
    );
    let gone = h.delete(&format!("/v1.0/applications(appId='{app_id}')"), "writer").await;
    gone.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn identifier_uris_are_unique_per_tenant() {
    let h = Harness::new().await;
    h.create_app(json!({"displayName": "one", "identifierUris": ["api://shared"]})).await;
    let conflict = "Another object with the same value for property identifierUris already exists.";
    for uri in ["api://shared", "API://shared/", "https://graph.microsoft.com"] {
        let reply = h
            .post("/v1.0/applications", "admin", json!({"displayName": "two", "identifierUris": [uri]}))
            .await;
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), conflict, "{uri}");
    }
    let two = h.create_app(json!({"displayName": "two"})).await;
    let reply = h
        .patch(
            &format!("/v1.0/applications/{}", two["id"].as_str().unwrap()),
            "admin",
            json!({"identifierUris": ["api://shared"]}),
        )
        .await;
    assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), conflict);
    // Another tenant may use the same URI.
    let other = h
        .post(
            "/v1.0/applications",
            "admin-b",
            json!({"displayName": "b", "identifierUris": ["api://shared"]}),
        )
        .await;
    assert_eq!(other.status, StatusCode::CREATED);
}

#[tokio::test]
async fn bodies_are_read_strictly() {
    let h = Harness::new().await;
    let malformed = h.raw(Method::POST, "/v1.0/applications", Some("admin"), "{\"displayName\":").await;
    assert_eq!(
        malformed.error(StatusCode::BAD_REQUEST, "BadRequest"),
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."
    );
    let not_object = h.raw(Method::POST, "/v1.0/applications", Some("admin"), "[1]").await;
    not_object.error(StatusCode::BAD_REQUEST, "BadRequest");
    let unknown = h.post("/v1.0/applications", "admin", json!({"displayName": "x", "colour": "red"})).await;
    assert_eq!(
        unknown.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Property 'colour' does not exist as a declared property or extension property."
    );
    let wrong_type = h.post("/v1.0/applications", "admin", json!({"displayName": 5})).await;
    assert_eq!(
        wrong_type.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'displayName' of resource 'Application'."
    );
    let missing = h.post("/v1.0/applications", "admin", json!({"description": "x"})).await;
    assert_eq!(
        missing.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'displayName' of resource 'Application'."
    );
    let secrets =
        h.post("/v1.0/applications", "admin", json!({"displayName": "x", "passwordCredentials": []})).await;
    secrets.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let version = h
        .post(
            "/v1.0/applications",
            "admin",
            json!({"displayName": "x", "api": {"requestedAccessTokenVersion": 3}}),
        )
        .await;
    version.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let api_field =
        h.post("/v1.0/applications", "admin", json!({"displayName": "x", "api": {"colour": true}})).await;
    api_field.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let bad_uri = h
        .post("/v1.0/applications", "admin", json!({"displayName": "x", "identifierUris": ["not a uri"]}))
        .await;
    assert_eq!(
        bad_uri.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'identifierUris' of resource 'Application'."
    );
    let big = format!("{{\"displayName\":\"{}\"}}", "x".repeat(custos_directory::MAX_BODY_BYTES));
    let too_large = h.raw(Method::POST, "/v1.0/applications", Some("admin"), &big).await;
    too_large.error(StatusCode::PAYLOAD_TOO_LARGE, "Request_EntityTooLarge");
    let bad_id = h.get("/v1.0/applications/not-a-guid", "admin").await;
    assert_eq!(
        bad_id.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid object identifier 'not-a-guid'."
    );
    let segment = h.get("/v1.0/groups", "admin").await;
    assert_eq!(
        segment.error(StatusCode::BAD_REQUEST, "BadRequest"),
        "Resource not found for the segment 'groups'."
    );
}

#[tokio::test]
async fn app_roles_are_validated() {
    let h = Harness::new().await;
    let role =
        |id: &str, value: &str| json!({"id": id, "allowedMemberTypes": ["Application"], "value": value});
    let other = "99999999-2222-3333-4444-555555555555";
    for roles in [
        json!([role(ROLE, "has space")]),
        json!([role(ROLE, &"x".repeat(121))]),
        json!([role(ROLE, "A"), role(ROLE, "B")]),
        json!([role(ROLE, "A"), role(other, "A")]),
        json!([role("not-a-guid", "A")]),
        json!([{"id": ROLE, "allowedMemberTypes": ["Robot"], "value": "A"}]),
    ] {
        let reply =
            h.post("/v1.0/applications", "admin", json!({"displayName": "x", "appRoles": roles})).await;
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    let app = h.create_app(json!({"displayName": "x", "appRoles": [role(ROLE, "A")]})).await;
    let uri = format!("/v1.0/applications/{}", app["id"].as_str().unwrap());
    let removed = h.patch(&uri, "admin", json!({"appRoles": []})).await;
    removed.error(StatusCode::BAD_REQUEST, "CannotDeleteOrUpdateEnabledEntitlement");
    let mut disabled = role(ROLE, "A");
    disabled["isEnabled"] = json!(false);
    assert_eq!(h.patch(&uri, "admin", json!({"appRoles": [disabled]})).await.status, StatusCode::NO_CONTENT);
    assert_eq!(h.patch(&uri, "admin", json!({"appRoles": []})).await.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn add_and_remove_passwords() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "daemon"})).await;
    let id = app["id"].as_str().unwrap();
    let app_id = app["appId"].as_str().unwrap();

    let added = h
        .post(
            &format!("/v1.0/applications/{id}/addPassword"),
            "writer",
            json!({"passwordCredential": {"displayName": "ci"}}),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.json);
    let secret = added.json["secretText"].as_str().unwrap();
    assert_eq!(secret.len(), 44);
    assert_eq!(added.json["hint"], &secret[..3]);
    assert_eq!(added.json["displayName"], "ci");
    assert_eq!(added.json["customKeyIdentifier"], serde_json::Value::Null);
    assert_eq!(added.json["startDateTime"], "2026-03-01T12:00:00Z");
    assert_eq!(added.json["endDateTime"], "2028-02-29T12:00:00Z");
    assert_eq!(
        added.json["@odata.context"],
        format!("{BASE}/v1.0/$metadata#microsoft.graph.passwordCredential")
    );
    let key_id = added.json["keyId"].as_str().unwrap().to_owned();

    let stored = h.store.application(h.tenant_a(), id.parse::<ObjectId>().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.password_credentials.len(), 1);
    assert!(h.hasher.verify(secret, stored.password_credentials[0].secret_hash.expose()));

    let listed = h.get(&format!("/v1.0/applications/{id}"), "reader").await;
    let listed_secret = &listed.json["passwordCredentials"][0];
    assert_eq!(listed_secret["secretText"], serde_json::Value::Null);
    assert_eq!(listed_secret["keyId"], key_id.as_str());
    assert!(!listed.json.to_string().contains(secret));

    let dated = h
        .post(
            &format!("/v1.0/applications(appId='{app_id}')/addPassword"),
            "writer",
            json!({"passwordCredential": {"startDateTime": "2026-04-01T00:00:00Z", "endDateTime": "2026-05-01T00:00:00Z"}}),
        )
        .await;
    assert_eq!(dated.status, StatusCode::OK);
    assert_eq!(dated.json["endDateTime"], "2026-05-01T00:00:00Z");
    let no_body =
        h.raw(Method::POST, &format!("/v1.0/applications/{id}/addPassword"), Some("writer"), "").await;
    assert_eq!(no_body.status, StatusCode::OK);
    let backwards = h
        .post(
            &format!("/v1.0/applications/{id}/addPassword"),
            "writer",
            json!({"passwordCredential": {"startDateTime": "2026-05-01T00:00:00Z", "endDateTime": "2026-04-01T00:00:00Z"}}),
        )
        .await;
    backwards.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    let unknown = uuid::Uuid::new_v4();
    let reply =
        h.post(&format!("/v1.0/applications/{id}/removePassword"), "writer", json!({"keyId": unknown})).await;
    assert_eq!(
        reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        format!("No password credential with keyId '{unknown}' exists on the application.")
    );
    let removed =
        h.post(&format!("/v1.0/applications/{id}/removePassword"), "writer", json!({"keyId": key_id})).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let stored = h.store.application(h.tenant_a(), id.parse::<ObjectId>().unwrap()).await.unwrap().unwrap();
    assert_eq!(stored.password_credentials.len(), 2);
    assert!(stored.password_credentials.iter().all(|p| p.key_id.to_string() != key_id));
}
