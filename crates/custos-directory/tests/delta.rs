//! `delta()` on applications and service principals (`graph-fidelity.md` §4): a full first
//! round, then what changed since the delta link's token, deletions as `@removed`.

mod common;

use common::{AssertGraphError, BASE, Harness};
use http::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The round's objects by id (`@removed` ones as "removed"), and its delta link (relative).
fn round(reply: &common::Reply) -> (BTreeMap<String, Value>, String) {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert!(reply.json.get("@odata.nextLink").is_none());
    let objects = reply.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["id"].as_str().unwrap().to_owned(), o.clone()))
        .collect();
    let link = reply.json["@odata.deltaLink"].as_str().unwrap();
    (objects, link.strip_prefix(BASE).unwrap().to_owned())
}

#[tokio::test]
async fn rounds_return_changes_and_deletions_since_the_token() {
    let h = Harness::new().await;
    // Provisioning's records are older than the first round by more than the look-back.
    h.clock.advance(time::Duration::minutes(1));
    let changed = h.create_app(json!({"displayName": "changed"})).await;
    let kept = h.create_app(json!({"displayName": "kept"})).await;
    let gone = h.create_app(json!({"displayName": "gone"})).await;
    let changed_sp = h.create_sp(changed["appId"].as_str().unwrap()).await;
    let gone_sp = h.create_sp(gone["appId"].as_str().unwrap()).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();

    h.clock.advance(time::Duration::minutes(1));
    let (first, apps_link) =
        round(&h.get("/v1.0/applications/delta()?$select=displayName,notes", "reader").await);
    assert!(
        first.contains_key(&id(&changed)) && first.contains_key(&id(&kept)) && first.contains_key(&id(&gone))
    );
    assert_eq!(first[&id(&kept)], json!({"id": id(&kept), "displayName": "kept", "notes": null}));
    assert!(
        apps_link.starts_with("/v1.0/applications/delta?$select=displayName%2Cnotes&$deltatoken="),
        "{apps_link}"
    );
    let (sps_first, sps_link) = round(&h.get("/v1.0/servicePrincipals/delta", "reader").await);
    assert!(sps_first.contains_key(&id(&changed_sp)));

    h.clock.advance(time::Duration::minutes(5));
    let patched =
        h.patch(&format!("/v1.0/applications/{}", id(&changed)), "admin", json!({"notes": "new"})).await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT);
    let added = h.create_app(json!({"displayName": "added"})).await;
    assert_eq!(
        h.delete(&format!("/v1.0/applications/{}", id(&gone)), "admin").await.status,
        StatusCode::NO_CONTENT
    );
    h.clock.advance(time::Duration::minutes(1));

    let (second, next_link) = round(&h.get(&apps_link, "reader").await);
    let ids: Vec<&String> = second.keys().collect();
    let mut expected = [id(&changed), id(&added), id(&gone)];
    expected.sort();
    assert_eq!(ids, expected.iter().collect::<Vec<_>>());
    assert_eq!(second[&id(&changed)]["notes"], "new");
    assert_eq!(second[&id(&gone)], json!({"id": id(&gone), "@removed": {"reason": "deleted"}}));
    assert!(!second.contains_key(&id(&kept)));

    // The principal of a changed application changed; the deleted one's principal is removed.
    let (sps_second, _) = round(&h.get(&sps_link, "reader").await);
    assert_eq!(sps_second[&id(&changed_sp)]["appDisplayName"], "changed");
    assert_eq!(sps_second[&id(&gone_sp)]["@removed"]["reason"], "deleted");

    // Nothing changed since the last link (changes within the few seconds it looks back would
    // be sent again, as Graph may).
    h.clock.advance(time::Duration::minutes(5));
    let (third, _) = round(&h.get(&next_link, "reader").await);
    assert!(third.is_empty(), "{third:?}");
}

#[tokio::test]
async fn latest_tokens_and_refusals() {
    let h = Harness::new().await;
    h.create_app(json!({"displayName": "x"})).await;
    let (latest, link) = round(&h.get("/v1.0/applications/delta?$deltatoken=latest", "reader").await);
    assert!(latest.is_empty());
    assert!(link.starts_with("/v1.0/applications/delta?$deltatoken="));
    for path in ["/v1.0/applications/microsoft.graph.delta()", "/v1.0/servicePrincipals/delta()"] {
        assert_eq!(h.get(path, "reader").await.status, StatusCode::OK, "{path}");
    }
    let token = link.rsplit_once('=').unwrap().1;
    let message = h
        .get(&format!("/v1.0/servicePrincipals/delta?$deltatoken={token}"), "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(message, "The specified page token value is invalid.", "a token of another collection");
    h.get(&format!("/v1.0/applications/delta?$deltatoken={token}"), "admin-b")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    h.get("/v1.0/applications/delta?$orderby=displayName", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    h.get("/v1.0/applications/delta", "nobody")
        .await
        .error(StatusCode::FORBIDDEN, "Authorization_RequestDenied");
}
