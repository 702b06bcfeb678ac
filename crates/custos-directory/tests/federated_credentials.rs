//! Federated identity credentials through the Graph API (`applications/{id}` and
//! `applications(appId='…')`) and the managed identity admin API: shapes, addressing by id or
//! name, every validation rule with its error, the collection rules, and who may call.

mod common;

use common::{AssertGraphError, BASE, Harness};
use http::StatusCode;
use serde_json::{Value, json};

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:contoso/orders:ref:refs/heads/main";

fn fic(name: &str, subject: &str) -> Value {
    json!({"name": name, "issuer": ISSUER, "subject": subject})
}

/// An application's credential collection path, and the application's object id.
async fn app_path(h: &Harness) -> (String, String) {
    let app = h.create_app(json!({"displayName": "deployer"})).await;
    let id = app["id"].as_str().unwrap().to_owned();
    (format!("/v1.0/applications/{id}/federatedIdentityCredentials"), id)
}

/// Asserts a 400 `Request_BadRequest` whose message names `property` and contains `fragment`.
fn assert_invalid(reply: &common::Reply, property: &str, fragment: &str) {
    let message = reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert!(
        message.starts_with(&format!(
            "Invalid value specified for property '{property}' of resource 'FederatedIdentityCredential'"
        )),
        "{message}"
    );
    assert!(message.contains(fragment), "{message} lacks {fragment}");
}

#[tokio::test]
async fn create_list_show_update_and_delete() {
    let h = Harness::new().await;
    let (path, app_id) = app_path(&h).await;
    let context = format!("{BASE}/v1.0/$metadata#applications('{app_id}')/federatedIdentityCredentials");

    let created = h.post(&path, "writer", fic("github-main", SUBJECT)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created.json,
        json!({
            "@odata.context": format!("{context}/$entity"),
            "id": id, "name": "github-main", "issuer": ISSUER, "subject": SUBJECT,
            "description": null, "audiences": ["api://AzureADTokenExchange"],
        })
    );

    let listed = h.get(&path, "reader").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.json["@odata.context"], context);
    let mut entity = created.json.clone();
    entity.as_object_mut().unwrap().remove("@odata.context");
    assert_eq!(listed.json["value"], json!([entity]));

    // By id and by name (any case).
    for key in [id.as_str(), "github-main", "GitHub-Main"] {
        let shown = h.get(&format!("{path}/{key}"), "reader").await;
        assert_eq!(shown.json, created.json, "{key}");
    }

    // PATCH changes what it names (the same name may be sent) and keeps the rest.
    let patched = h
        .patch(
            &format!("{path}/github-main"),
            "writer",
            json!({"name": "github-main", "subject": "repo:contoso/orders:environment:prod",
                   "audiences": ["api://custom"], "description": "prod deployments"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.json);
    assert_eq!(patched.json, Value::Null);
    let shown = h.get(&format!("{path}/{id}"), "reader").await.json;
    assert_eq!(shown["subject"], "repo:contoso/orders:environment:prod");
    assert_eq!(shown["audiences"], json!(["api://custom"]));
    assert_eq!(shown["description"], "prod deployments");
    assert_eq!(shown["issuer"], ISSUER);

    let deleted = h.delete(&format!("{path}/GITHUB-MAIN"), "writer").await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.json);
    h.get(&format!("{path}/{id}"), "reader").await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    h.delete(&format!("{path}/github-main"), "writer")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert_eq!(h.get(&path, "reader").await.json["value"], json!([]));
}

#[tokio::test]
async fn applications_are_also_addressed_by_app_id() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "ci"})).await;
    let (id, app_id) = (app["id"].as_str().unwrap(), app["appId"].as_str().unwrap());
    let path = format!("/v1.0/applications(appId='{app_id}')/federatedIdentityCredentials");
    let created = h.post(&path, "admin", fic("k8s", "system:serviceaccount:ns:sa")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    assert_eq!(
        created.json["@odata.context"],
        format!("{BASE}/v1.0/$metadata#applications('{id}')/federatedIdentityCredentials/$entity")
    );
    assert_eq!(h.get(&path, "reader").await.json["value"][0]["name"], "k8s");
    assert_eq!(h.get(&format!("{path}/k8s"), "reader").await.json["subject"], "system:serviceaccount:ns:sa");
    let by_object_id =
        h.get(&format!("/v1.0/applications/{id}/federatedIdentityCredentials/k8s"), "reader").await;
    assert_eq!(by_object_id.json["id"], created.json["id"]);
    assert_eq!(h.delete(&format!("{path}/k8s"), "admin").await.status, StatusCode::NO_CONTENT);

    let sp_path = format!("/v1.0/servicePrincipals(appId='{app_id}')/federatedIdentityCredentials");
    let message = h.get(&sp_path, "admin").await.error(StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(message, "Resource not found for the segment 'federatedIdentityCredentials'.");
}

#[tokio::test]
async fn every_property_is_validated() {
    let h = Harness::new().await;
    let (path, _) = app_path(&h).await;
    let long = "x".repeat(601);
    let with = |changes: Value| {
        let mut body = fic("valid-name", SUBJECT);
        for (k, v) in changes.as_object().unwrap() {
            if v.is_null() && k != "description" {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let cases = [
        (json!({"name": null}), "name", "a value is required"),
        (json!({"name": "ab"}), "name", "between 3 and 120 characters"),
        (json!({"name": "x".repeat(121)}), "name", "between 3 and 120 characters"),
        (json!({"name": "has space"}), "name", "only letters, digits, '-' and '_'"),
        (json!({"name": "a.b/c"}), "name", "only letters, digits, '-' and '_'"),
        (json!({"name": "-leading"}), "name", "start with a letter or digit"),
        (json!({"name": 42}), "name", ""),
        (json!({"issuer": null}), "issuer", "a value is required"),
        (json!({"issuer": format!("https://x.example/{long}")}), "issuer", "at most 600 characters"),
        (json!({"issuer": "not a url"}), "issuer", "absolute https:// or http:// URL"),
        (json!({"issuer": "ftp://x.example"}), "issuer", "absolute https:// or http:// URL"),
        (json!({"issuer": format!(" {ISSUER}")}), "issuer", "must not begin or end with whitespace"),
        (json!({"issuer": format!("{ISSUER}\t")}), "issuer", "must not begin or end with whitespace"),
        (json!({"subject": null}), "subject", "a value is required"),
        (json!({"subject": ""}), "subject", "must not be empty"),
        (json!({"subject": long}), "subject", "at most 600 characters"),
        (json!({"subject": "repo:contoso/*"}), "subject", "wildcard"),
        (json!({"audiences": []}), "audiences", "exactly one audience"),
        (json!({"audiences": ["a", "b"]}), "audiences", "exactly one audience"),
        (json!({"audiences": [""]}), "audiences", "1 to 600 characters"),
        (json!({"audiences": [long]}), "audiences", "1 to 600 characters"),
        (json!({"audiences": "api://AzureADTokenExchange"}), "audiences", ""),
        (json!({"description": long}), "description", "at most 600 characters"),
    ];
    for (changes, property, fragment) in cases {
        let body = with(changes.clone());
        assert_invalid(&h.post(&path, "writer", body).await, property, fragment);
    }
    let unknown = h.post(&path, "writer", with(json!({"colour": "red"}))).await;
    let message = unknown.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(message, "Property 'colour' does not exist as a declared property or extension property.");
    h.raw(http::Method::POST, &path, Some("writer"), "{").await.error(StatusCode::BAD_REQUEST, "BadRequest");
    // Nothing was created by any refused request; a description of 600 characters is fine.
    assert_eq!(h.get(&path, "reader").await.json["value"], json!([]));
    let ok =
        h.post(&path, "writer", with(json!({"description": "d".repeat(600), "audiences": ["aud"]}))).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.json);

    // PATCH follows the same rules, and the name cannot change.
    let one = format!("{path}/valid-name");
    assert_invalid(&h.patch(&one, "writer", json!({"name": "renamed"})).await, "name", "cannot be changed");
    assert_invalid(&h.patch(&one, "writer", json!({"subject": "a*"})).await, "subject", "wildcard");
    assert_invalid(&h.patch(&one, "writer", json!({"audiences": []})).await, "audiences", "exactly one");
    assert_eq!(h.get(&one, "reader").await.json["subject"], SUBJECT);
}

#[tokio::test]
async fn collection_rules_hold() {
    let h = Harness::new().await;
    let (path, _) = app_path(&h).await;
    assert_eq!(h.post(&path, "writer", fic("first", SUBJECT)).await.status, StatusCode::CREATED);

    let message = h
        .post(&path, "writer", fic("second", SUBJECT))
        .await
        .error(StatusCode::BAD_REQUEST, "Request_MultipleObjectsWithSameKeyValue");
    assert_eq!(
        message,
        format!(
            "The combination of issuer and subject must be unique for the application. Issuer '{ISSUER}' \
             and subject '{SUBJECT}' already exist."
        )
    );
    let message = h
        .post(&path, "writer", fic("FIRST", "other"))
        .await
        .error(StatusCode::BAD_REQUEST, "Request_MultipleObjectsWithSameKeyValue");
    assert_eq!(
        message,
        "A federated identity credential with the name 'FIRST' already exists on the application."
    );

    // Subjects are compared case-sensitively; a PATCH onto another pair is refused too.
    assert_eq!(
        h.post(&path, "writer", fic("upper", &SUBJECT.to_uppercase())).await.status,
        StatusCode::CREATED
    );
    h.patch(&format!("{path}/upper"), "writer", json!({"subject": SUBJECT}))
        .await
        .error(StatusCode::BAD_REQUEST, "Request_MultipleObjectsWithSameKeyValue");

    for n in 2..20 {
        let reply = h.post(&path, "writer", fic(&format!("fic-{n}"), &format!("subject-{n}"))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{n}: {}", reply.json);
    }
    let message = h
        .post(&path, "writer", fic("one-too-many", "s-21"))
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(message, "An application can hold at most 20 federated identity credentials.");
    assert_eq!(h.get(&path, "reader").await.json["value"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn callers_need_the_application_roles_and_stay_in_their_tenant() {
    let h = Harness::new().await;
    let (path, _) = app_path(&h).await;
    assert_eq!(h.post(&path, "admin", fic("one", SUBJECT)).await.status, StatusCode::CREATED);
    for token in ["reader", "nobody", "assigner"] {
        h.post(&path, token, fic("two", "s2"))
            .await
            .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
        h.patch(&format!("{path}/one"), token, json!({"subject": "x"}))
            .await
            .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
        h.delete(&format!("{path}/one"), token)
            .await
            .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    }
    h.get(&path, "nobody").await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    h.raw(http::Method::GET, &path, None, "")
        .await
        .error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    h.get(&path, "admin-b").await.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    h.get(&format!("{path}/missing"), "reader")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    let message = h
        .get(&format!("{path}?$filter=name%20eq%20'one'"), "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    assert_eq!(message, "Query option '$filter' is not supported on federatedIdentityCredentials.");
}

#[tokio::test]
async fn managed_identities_have_them_through_the_admin_api() {
    let h = Harness::new().await;
    let base = format!("/admin/v1/tenants/{}/managedIdentities", h.tenant_a());
    let mi = h.post(&base, "admin", json!({"displayName": "worker"})).await.json;
    let (mi_id, app_id) = (mi["id"].as_str().unwrap(), mi["appId"].as_str().unwrap());
    let path = format!("{base}/{mi_id}/federatedIdentityCredentials");

    let created = h.post(&path, "admin", fic("aks", "system:serviceaccount:prod:worker")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap();
    assert_eq!(
        created.json,
        json!({"id": id, "name": "aks", "issuer": ISSUER, "subject": "system:serviceaccount:prod:worker",
               "description": null, "audiences": ["api://AzureADTokenExchange"]})
    );
    // The identity is also named by its client id, and the tenant by its domain.
    let by_app_id =
        format!("/admin/v1/tenants/a.example/managedIdentities/{app_id}/federatedIdentityCredentials");
    assert_eq!(h.get(&by_app_id, "admin").await.json, json!({"value": [created.json.clone()]}));
    assert_eq!(h.get(&format!("{by_app_id}/aks"), "admin").await.json, created.json);
    assert_invalid(&h.post(&path, "admin", fic("x", "s")).await, "name", "between 3 and 120");
    assert_invalid(
        &h.patch(&format!("{path}/aks"), "admin", json!({"name": "other"})).await,
        "name",
        "cannot be changed",
    );
    let patched = h.patch(&format!("{path}/{id}"), "admin", json!({"description": "pods"})).await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.json);
    assert_eq!(h.get(&format!("{path}/aks"), "admin").await.json["description"], "pods");

    // Graph does not show the application behind the identity; other tenants' admins are refused.
    let app = h.store.application_by_app_id(h.tenant_a(), app_id.parse().unwrap()).await.unwrap().unwrap();
    h.get(&format!("/v1.0/applications/{}/federatedIdentityCredentials", app.id), "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    h.get(&path, "admin-b").await.error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
    h.get(&format!("{base}/{}/federatedIdentityCredentials", h.a.admin_service_principal_id), "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    assert_eq!(h.delete(&format!("{path}/aks"), "admin").await.status, StatusCode::NO_CONTENT);
    assert_eq!(h.get(&path, "admin").await.json, json!({"value": []}));
}
