//! Concurrent credential changes through the Graph API: a removed secret never works again, a
//! secret returned by `addPassword` is always stored, and a PATCH never undoes either.

mod common;

use common::{AssertGraphError, Harness};
use custos_core::ObjectId;
use custos_core::model::Application;
use http::StatusCode;
use serde_json::{Value, json};

const ROUNDS: usize = 20;

async fn stored(h: &Harness, id: &str) -> Application {
    h.store.application(h.tenant_a(), id.parse::<ObjectId>().unwrap()).await.unwrap().unwrap()
}

/// Checks an `addPassword` reply and returns its `(keyId, secretText)`.
fn added(reply: &common::Reply) -> (String, String) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let text = |name: &str| reply.json[name].as_str().unwrap().to_owned();
    (text("keyId"), text("secretText"))
}

/// Whether `secret` is stored under `key_id` (so a client presenting it would be accepted).
fn works(app: &Application, key_id: &str, secret: &str, h: &Harness) -> bool {
    app.password_credentials
        .iter()
        .any(|p| p.key_id.to_string() == key_id && h.hasher.verify(secret, p.secret_hash.expose()))
}

#[tokio::test]
async fn remove_password_racing_add_password_loses_nothing() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "daemon"})).await;
    let id = app["id"].as_str().unwrap();
    let add_uri = format!("/v1.0/applications/{id}/addPassword");
    let remove_uri = format!("/v1.0/applications/{id}/removePassword");
    let mut kept: Vec<(String, String)> = Vec::new();
    for round in 0..ROUNDS {
        let (doomed, doomed_secret) = added(&h.post(&add_uri, "writer", json!({})).await);
        let (removed, first, second) = tokio::join!(
            h.post(&remove_uri, "writer", json!({"keyId": doomed})),
            h.post(&add_uri, "writer", json!({"passwordCredential": {"displayName": "a"}})),
            h.post(&add_uri, "writer", json!({"passwordCredential": {"displayName": "b"}})),
        );
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "round {round}: {}", removed.json);
        kept.push(added(&first));
        kept.push(added(&second));

        let app = stored(&h, id).await;
        assert!(!works(&app, &doomed, &doomed_secret, &h), "round {round}: a removed secret works again");
        for (key_id, secret) in &kept {
            assert!(works(&app, key_id, secret, &h), "round {round}: a returned secret was lost");
        }
        assert_eq!(app.password_credentials.len(), kept.len(), "round {round}");
    }
}

#[tokio::test]
async fn patch_racing_credential_changes_keeps_them() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "daemon"})).await;
    let id = app["id"].as_str().unwrap();
    let uri = format!("/v1.0/applications/{id}");
    let add_uri = format!("{uri}/addPassword");
    let mut kept: Vec<(String, String)> = Vec::new();
    for round in 0..ROUNDS {
        let name = format!("daemon {round}");
        let (patched, first) = tokio::join!(
            h.patch(&uri, "writer", json!({"displayName": name, "keyCredentials": []})),
            h.post(&add_uri, "writer", json!({})),
        );
        assert_eq!(patched.status, StatusCode::NO_CONTENT, "round {round}: {}", patched.json);
        kept.push(added(&first));

        let app = stored(&h, id).await;
        assert_eq!(app.display_name, name);
        for (key_id, secret) in &kept {
            assert!(works(&app, key_id, secret, &h), "round {round}: a PATCH undid addPassword");
        }
        assert_eq!(app.password_credentials.len(), kept.len(), "round {round}");
    }
    let listed = h.get(&uri, "reader").await;
    let listed: Vec<&Value> = listed.json["passwordCredentials"].as_array().unwrap().iter().collect();
    assert_eq!(listed.len(), ROUNDS);
}

#[tokio::test]
async fn the_secret_limit_holds_under_concurrency() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "daemon"})).await;
    let id = app["id"].as_str().unwrap();
    let add_uri = format!("/v1.0/applications/{id}/addPassword");
    for _ in 0..98 {
        added(&h.post(&add_uri, "writer", json!({})).await);
    }
    let (a, b, c) = tokio::join!(
        h.post(&add_uri, "writer", json!({})),
        h.post(&add_uri, "writer", json!({})),
        h.post(&add_uri, "writer", json!({})),
    );
    let mut refused = 0;
    for reply in [a, b, c] {
        if reply.status == StatusCode::OK {
            continue;
        }
        refused += 1;
        assert_eq!(
            reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"),
            "An application can hold at most 100 password credentials."
        );
    }
    assert_eq!(refused, 1);
    assert_eq!(stored(&h, id).await.password_credentials.len(), 100);
}
