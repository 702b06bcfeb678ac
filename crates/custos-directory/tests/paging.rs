//! Paging `applications` and `servicePrincipals` in the stored order (keyset `$skiptoken`s read
//! from the store a page at a time) and the key filters read by key: the same objects, in the
//! same order, as the whole-tenant read that advanced queries still use.

mod common;

use common::{AssertGraphError, Harness};
use http::StatusCode;
use serde_json::{Value, json};

/// Every page of `uri` as the reader, following `@odata.nextLink`; the ids in order and the
/// number of pages.
async fn follow(h: &Harness, uri: &str) -> (Vec<String>, usize) {
    let (values, pages) = h.follow(uri, "reader").await;
    (values.iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect(), pages)
}

/// `$filter` text as az percent-encodes it.
fn enc(filter: &str) -> String {
    filter
        .replace(' ', "%20")
        .replace('\'', "%27")
        .replace('(', "%28")
        .replace(')', "%29")
        .replace(',', "%2C")
}

/// The ids of the whole-tenant read (advanced mode), for comparison.
async fn whole(h: &Harness, set: &str) -> Vec<String> {
    let reply = h.get_eventual(&format!("/v1.0/{set}?$count=true&$top=999"), "reader").await;
    reply.json["value"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn stored_order_pages_match_the_whole_tenant_read() {
    let h = Harness::new().await;
    let mut apps = Vec::new();
    for i in 0..7 {
        let app = h.create_app(json!({"displayName": format!("p-{i}")})).await;
        h.create_sp(app["appId"].as_str().unwrap()).await;
        apps.push(app);
    }
    // A managed identity: its principal is listed, its application is not.
    let mi = h.create_managed_identity("mi").await;

    for set in ["applications", "servicePrincipals"] {
        let all = whole(&h, set).await;
        assert!(all.len() >= 8, "{set}: {all:?}");
        for top in [1, 2, 3, all.len(), 999] {
            let (ids, pages) = follow(&h, &format!("/v1.0/{set}?$top={top}&$select=id,displayName")).await;
            assert_eq!(ids, all, "{set} $top={top}");
            assert_eq!(pages, all.len().div_ceil(top).max(1), "{set} $top={top}: no empty last page");
        }
        let (ids, _) = follow(&h, &format!("/v1.0/{set}")).await;
        assert_eq!(ids, all);
    }
    let app_ids: Vec<&str> = apps.iter().map(|a| a["id"].as_str().unwrap()).collect();
    let listed = whole(&h, "applications").await;
    assert!(app_ids.iter().all(|id| listed.iter().any(|l| l == id)));
    assert!(!listed.iter().any(|l| l == mi["id"].as_str().unwrap()));
}

#[tokio::test]
async fn stored_order_tokens_are_bound_and_tamper_proof() {
    let h = Harness::new().await;
    for i in 0..3 {
        h.create_app(json!({"displayName": format!("t-{i}")})).await;
    }
    let first = h.get("/v1.0/applications?$top=1", "reader").await;
    let link = first.json["@odata.nextLink"].as_str().unwrap().trim_start_matches(common::BASE).to_owned();
    let token = link.split("$skiptoken=").nth(1).unwrap().to_owned();
    let expand =
        h.get(&format!("/v1.0/applications?$top=1&$expand=owners&$skiptoken={token}"), "reader").await;
    assert_eq!(expand.status, StatusCode::OK, "{}", expand.json);
    assert!(expand.json["value"][0]["owners"].is_array(), "{}", expand.json);
    // Another collection, an edited token (its last character changed), another tenant.
    let (kept, last) = token.split_at(token.len() - 1);
    let edited = format!("{kept}{}", if last == "A" { "B" } else { "A" });
    for uri in [
        format!("/v1.0/servicePrincipals?$skiptoken={token}"),
        format!("/v1.0/applications?$skiptoken={edited}"),
        format!("/v1.0/applications?$skiptoken={}", &token[1..]),
    ] {
        h.get(&uri, "reader").await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    }
    h.get(&link, "admin-b").await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
}

#[tokio::test]
async fn key_filters_read_only_their_objects() {
    let h = Harness::new().await;
    let mut apps: Vec<Value> = Vec::new();
    for i in 0..4 {
        let app = h.create_app(json!({"displayName": format!("k-{i}")})).await;
        h.create_sp(app["appId"].as_str().unwrap()).await;
        apps.push(app);
    }
    let names = |reply: &common::Reply| -> Vec<String> {
        reply.json["value"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["displayName"].as_str().unwrap().to_owned())
            .collect()
    };
    let app_id = apps[2]["appId"].as_str().unwrap();
    for set in ["applications", "servicePrincipals"] {
        let filter = enc(&format!("appId eq '{}'", app_id.to_uppercase()));
        let by_app_id = h.get(&format!("/v1.0/{set}?$filter={filter}"), "reader").await;
        assert_eq!(names(&by_app_id), ["k-2"], "{set}: {}", by_app_id.json);
        let none = h.get(&format!("/v1.0/{set}?$filter={}", enc("appId eq 'not-a-guid'")), "reader").await;
        assert_eq!(names(&none), Vec::<String>::new());
    }
    // `in` over ids, narrowed further by another clause, paged over the matches.
    let ids: Vec<String> = apps.iter().map(|a| format!("'{}'", a["id"].as_str().unwrap())).collect();
    let filter = format!("id in ({}) and startswith(displayName,'k-')", ids[..3].join(","));
    let first = h.get(&format!("/v1.0/applications?$filter={}&$top=2", enc(&filter)), "reader").await;
    assert_eq!(names(&first), ["k-0", "k-1"], "{}", first.json);
    let next = first.json["@odata.nextLink"].as_str().unwrap().trim_start_matches(common::BASE).to_owned();
    let second = h.get(&next, "reader").await;
    assert_eq!(names(&second), ["k-2"]);
    assert!(second.json.get("@odata.nextLink").is_none());
    // Another tenant's object is never found by key.
    let foreign = h
        .get(&format!("/v1.0/applications?$filter={}", enc(&format!("appId eq '{app_id}'"))), "admin-b")
        .await;
    assert_eq!(names(&foreign), Vec::<String>::new());
}
