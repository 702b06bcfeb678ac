//! Users through the Graph API (`entra-user-flows.md` §8.1, §8.2): create with Entra's rules and
//! exact errors, read with Graph's default properties, `$filter`/`$select`, update, password
//! reset, delete, `/me` for delegated tokens only, and tenant isolation.

mod common;

use common::{AssertGraphError, BASE, Harness};
use http::StatusCode;
use serde_json::{Value, json};

fn user_body(upn: &str, password: &str) -> Value {
    json!({"accountEnabled": true, "displayName": "Adele Vance", "userPrincipalName": upn,
           "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": password}})
}

#[tokio::test]
async fn create_returns_graph_s_default_properties_and_never_the_password() {
    let h = Harness::new().await;
    let reply = h.post("/v1.0/users", "admin", user_body("AdeleV@a.example", "Passw0rd!")).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    let user = reply.json;
    assert_eq!(user["@odata.context"], format!("{BASE}/v1.0/$metadata#users/$entity"));
    let mut keys: Vec<&str> = user.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "@odata.context",
            "businessPhones",
            "displayName",
            "givenName",
            "id",
            "jobTitle",
            "mail",
            "mobilePhone",
            "officeLocation",
            "preferredLanguage",
            "surname",
            "userPrincipalName"
        ]
    );
    assert_eq!(user["userPrincipalName"], "AdeleV@a.example");
    assert!(!reply.text.contains("Passw0rd!"));
    let id = user["id"].as_str().unwrap();

    let by_upn = h.get("/v1.0/users/adelev@a.example", "admin").await;
    assert_eq!(by_upn.json["id"], id, "UPNs compare case-insensitively");
    let selected = h.get(&format!("/v1.0/users/{id}?$select=accountEnabled,mailNickname"), "reader").await;
    assert_eq!(selected.status, StatusCode::FORBIDDEN, "Application.Read.All does not read users");
    let selected = h.get(&format!("/v1.0/users/{id}?$select=accountEnabled,mailNickname"), "admin").await;
    assert_eq!(
        selected.json,
        json!({"@odata.context": format!("{BASE}/v1.0/$metadata#users(accountEnabled,mailNickname)/$entity"),
               "accountEnabled": true, "mailNickname": "AdeleV"}),
        "mailNickname defaults to the UPN's local part"
    );
}

#[tokio::test]
async fn create_refuses_what_entra_refuses_with_its_texts() {
    let h = Harness::new().await;
    h.create_user("alice").await;
    let dup = h.post("/v1.0/users", "admin", user_body("ALICE@a.example", "Passw0rd!")).await;
    let message = dup.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(message, "Another object with the same value for property userPrincipalName already exists.");
    assert_eq!(
        dup.json["error"]["details"],
        json!([{"code": "ObjectConflict", "message": message, "target": "userPrincipalName"}])
    );

    let weak = h.post("/v1.0/users", "admin", user_body("bob@a.example", "password1")).await;
    assert_eq!(
        weak.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "The specified password does not comply with password complexity requirements. Please provide a different password."
    );
    assert!(weak.json["error"].get("details").is_none());
    let short = h.post("/v1.0/users", "admin", user_body("bob@a.example", "Pa1!")).await;
    short.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    let other_domain = h.post("/v1.0/users", "admin", user_body("bob@b.example", "Passw0rd!")).await;
    assert_eq!(
        other_domain.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization."
    );
    for bad in ["bob", "bo b@a.example", "bob.@a.example", "a@b@a.example"] {
        let reply = h.post("/v1.0/users", "admin", user_body(bad, "Passw0rd!")).await;
        assert_eq!(
            reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
            "{bad}"
        );
    }
    let mut body = user_body("bob@a.example", "Passw0rd!");
    body["mailNickname"] = json!("bob smith");
    assert_eq!(
        h.post("/v1.0/users", "admin", body).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "Invalid value specified for property 'mailNickname' of resource 'User'."
    );
    let mut body = user_body("bob@a.example", "Passw0rd!");
    body.as_object_mut().unwrap().remove("displayName");
    assert_eq!(
        h.post("/v1.0/users", "admin", body).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
        "A value is required for property 'displayName' of resource 'User'."
    );
    let mut body = user_body("bob@a.example", "Passw0rd!");
    body.as_object_mut().unwrap().remove("accountEnabled");
    h.post("/v1.0/users", "admin", body).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let mut body = user_body("bob@a.example", "Passw0rd!");
    body["password"] = json!("x");
    h.post("/v1.0/users", "admin", body).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let writer = h.post("/v1.0/users", "writer", user_body("bob@a.example", "Passw0rd!")).await;
    writer.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}

#[tokio::test]
async fn lists_filter_on_upn_and_display_name() {
    let h = Harness::new().await;
    h.create_user("alice").await;
    h.create_user("bob").await;
    let all = h.get("/v1.0/users", "admin").await;
    assert_eq!(all.json["value"].as_array().unwrap().len(), 2);
    assert_eq!(all.json["@odata.context"], format!("{BASE}/v1.0/$metadata#users"));
    let one = h.get("/v1.0/users?$filter=userPrincipalName%20eq%20'BOB@a.example'", "admin").await;
    assert_eq!(one.json["value"].as_array().unwrap().len(), 1);
    assert_eq!(one.json["value"][0]["userPrincipalName"], "bob@a.example");
    let named =
        h.get("/v1.0/users?$filter=displayName%20eq%20'alice'&$select=id,accountEnabled", "admin").await;
    assert_eq!(named.json["value"][0]["accountEnabled"], true);
    let top = h.get("/v1.0/users?$top=1", "admin").await;
    assert!(top.json["@odata.nextLink"].as_str().unwrap().starts_with(&format!("{BASE}/v1.0/users?$top=1")));
    let bad = h.get("/v1.0/users?$filter=mobilePhone%20eq%20'x'", "admin").await;
    bad.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    let injected = h.get("/v1.0/users?$filter=displayName%20eq%20'a'%20or%201%20eq%201", "admin").await;
    assert_eq!(injected.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn patch_reset_and_delete() {
    let h = Harness::new().await;
    let id = h.create_user("alice").await["id"].as_str().unwrap().to_owned();
    let path = format!("/v1.0/users/{id}");
    let reply = h
        .patch(&path, "admin", json!({"displayName": "Alice A", "givenName": "Alice", "surname": "A"}))
        .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{}", reply.json);
    let got = h.get(&path, "admin").await;
    assert_eq!(
        (got.json["displayName"].as_str(), got.json["surname"].as_str()),
        (Some("Alice A"), Some("A"))
    );

    let before = h.store.user_password_hash(h.tenant_a(), id.parse().unwrap()).await.unwrap().unwrap();
    let weak = h.patch(&path, "admin", json!({"passwordProfile": {"password": "short"}})).await;
    weak.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let reset = h.patch(&path, "admin", json!({"passwordProfile": {"password": "N3w-Passw0rd"}})).await;
    assert_eq!(reset.status, StatusCode::NO_CONTENT, "{}", reset.json);
    let after = h.store.user_password_hash(h.tenant_a(), id.parse().unwrap()).await.unwrap().unwrap();
    assert_ne!(before, after);
    assert!(custos_jose::password::verify("N3w-Passw0rd", &after));
    let unknown = h.patch(&path, "admin", json!({"userPrincipalName": "x@a.example"})).await;
    unknown.error(StatusCode::BAD_REQUEST, "Request_BadRequest");

    let revoke = h.post(&format!("{path}/revokeSignInSessions"), "admin", json!({})).await;
    assert_eq!(revoke.json["value"], true, "{}", revoke.json);

    assert_eq!(h.delete(&path, "admin").await.status, StatusCode::NO_CONTENT);
    let gone = h.get(&path, "admin").await;
    assert_eq!(
        gone.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound"),
        format!(
            "Resource '{id}' does not exist or one of its queried reference-property objects are not present."
        )
    );
}

#[tokio::test]
async fn me_needs_a_delegated_token() {
    let h = Harness::new().await;
    let id = h.create_user("alice").await["id"].as_str().unwrap().to_owned();
    let app = h.get("/v1.0/me", "admin").await;
    assert_eq!(
        app.error(StatusCode::BAD_REQUEST, "BadRequest"),
        "/me request is only valid with delegated authentication flow."
    );
    h.add_user_token("alice", &id, &["openid", "User.Read"], &[]);
    let me = h.get("/v1.0/me", "alice").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    assert_eq!(me.json["id"], id.as_str());
    assert_eq!(me.json["@odata.context"], format!("{BASE}/v1.0/$metadata#users/$entity"));
    h.add_user_token("alice-openid", &id, &["openid"], &[]);
    h.get("/v1.0/me", "alice-openid").await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    let others = h.get("/v1.0/users", "alice").await;
    others.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");

    let disable = h.patch(&format!("/v1.0/users/{id}"), "admin", json!({"accountEnabled": false})).await;
    assert_eq!(disable.status, StatusCode::NO_CONTENT);
    h.get("/v1.0/me", "alice").await.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}

#[tokio::test]
async fn another_tenant_never_sees_a_s_users() {
    let h = Harness::new().await;
    let id = h.create_user("alice").await["id"].as_str().unwrap().to_owned();
    let list = h.get("/v1.0/users", "admin-b").await;
    assert_eq!(list.json["value"], json!([]));
    for key in [id.as_str(), "alice@a.example"] {
        h.get(&format!("/v1.0/users/{key}"), "admin-b")
            .await
            .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
        let patch = h.patch(&format!("/v1.0/users/{key}"), "admin-b", json!({"displayName": "x"})).await;
        patch.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
        h.delete(&format!("/v1.0/users/{key}"), "admin-b")
            .await
            .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    }
    let in_b = h.post("/v1.0/users", "admin-b", user_body("alice@b.example", "Passw0rd!")).await;
    assert_eq!(in_b.status, StatusCode::CREATED, "the same local part in another tenant");
}
