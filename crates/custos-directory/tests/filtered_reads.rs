//! Filtered lists read page by page (keyset) or by key (pinned) answer as the whole-tenant read
//! (advanced mode, `$count=true`) does: the same objects, in the same order, across pages; and
//! `users` are paged in the stored order like applications.

mod common;

use common::Harness;
use http::StatusCode;
use serde_json::{Value, json};

/// `$filter` text percent-encoded.
fn enc(filter: &str) -> String {
    form_urlencoded::byte_serialize(filter.as_bytes()).collect()
}

/// The whole-tenant read's answer to `filter` (advanced mode, one page). An `or` with a clause
/// that matches nothing keeps the filter from pinning a key, which would read only those objects.
async fn whole(h: &Harness, set: &str, filter: &str, token: &str) -> Vec<Value> {
    let filter = format!("({filter}) or displayName eq 'no such name'");
    let uri = format!("/v1.0/{set}?$filter={}&$count=true&$top=999", enc(&filter));
    let reply = h.get_eventual(&uri, token).await;
    assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.json);
    assert!(reply.json.get("@odata.nextLink").is_none());
    reply.json["value"].as_array().unwrap().clone()
}

/// Asserts that `filter` on `set` answers as the whole-tenant read at every `$top`.
async fn assert_as_whole(h: &Harness, set: &str, filter: &str, token: &str) -> usize {
    let want = whole(h, set, filter, token).await;
    for top in [1, 2, 5, 999] {
        let (got, pages) = h.follow(&format!("/v1.0/{set}?$filter={}&$top={top}", enc(filter)), token).await;
        assert_eq!(got, want, "{set} {filter} $top={top}");
        assert_eq!(pages, want.len().div_ceil(top).max(1), "{set} {filter} $top={top}: no empty last page");
    }
    want.len()
}

#[tokio::test]
async fn filtered_pages_match_the_whole_tenant_read() {
    let h = Harness::new().await;
    for i in 0..23 {
        let name = if i % 4 == 0 { format!("svc {i}") } else { format!("Svc {i}") };
        let uris = if i % 3 == 0 { json!([format!("api://svc-{i}")]) } else { json!([]) };
        let app = h
            .create_app(json!({"displayName": name, "identifierUris": uris, "tags": [format!("t{}", i % 2)]}))
            .await;
        if i % 5 != 4 {
            h.create_sp(app["appId"].as_str().unwrap()).await;
        }
    }
    // The same names in another tenant are never listed.
    let b = h.post("/v1.0/applications", "admin-b", json!({"displayName": "Svc 1"})).await;
    assert_eq!(b.status, StatusCode::CREATED);

    let app_filters = [
        ("startswith(displayName,'svc 1')", 11),
        ("startswith(displayName,'SVC') and tags/any(t:t eq 't1')", 11),
        ("startswith(displayName,'svc 2') or identifierUris/any(c:startswith(c,'api://svc-1'))", 7),
        ("identifierUris/any(c:startswith(c,'API://'))", 8),
        ("startswith(displayName,'nothing')", 0),
    ];
    for (filter, count) in app_filters {
        assert_eq!(assert_as_whole(&h, "applications", filter, "reader").await, count, "{filter}");
    }
    let sp_filters = [
        ("startswith(displayName,'svc 1')", 9),
        ("servicePrincipalNames/any(c:startswith(c,'api://svc-'))", 7),
        ("startswith(displayName,'svc') and tags/any(t:t eq 't0')", 10),
        ("tags/any(t:t eq 't1') or startswith(displayName,'svc 20')", 10),
    ];
    for (filter, count) in sp_filters {
        assert_eq!(assert_as_whole(&h, "servicePrincipals", filter, "reader").await, count, "{filter}");
    }
    // `$select` and `$expand` apply to each page's matches.
    let uri = format!(
        "/v1.0/applications?$filter={}&$top=2&$select=displayName&$expand=owners",
        enc("startswith(displayName,'svc 1')")
    );
    let reply = h.get(&uri, "reader").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let first = &reply.json["value"][0];
    assert_eq!(first["displayName"], "Svc 1");
    assert!(first["owners"].is_array() && first.get("appId").is_none(), "{first}");
}

#[tokio::test]
async fn service_principal_names_are_read_by_key() {
    let h = Harness::new().await;
    let mut apps = Vec::new();
    for i in 0..6 {
        let app = h
            .create_app(
                json!({"displayName": format!("n-{i}"), "identifierUris": [format!("api://Name-{i}")]}),
            )
            .await;
        h.create_sp(app["appId"].as_str().unwrap()).await;
        apps.push(app);
    }
    let mi = h.create_managed_identity("mi").await;
    let mi_app_id = mi["appId"].as_str().unwrap().to_owned();
    let app_id = apps[2]["appId"].as_str().unwrap().to_uppercase();
    let filters = [
        (format!("servicePrincipalNames/any(c:c eq '{app_id}')"), vec!["n-2"]),
        ("servicePrincipalNames/any(c:c eq 'API://name-4')".to_owned(), vec!["n-4"]),
        ("servicePrincipalNames/any(c:c eq 'api://name-4/')".to_owned(), vec![]),
        (
            "servicePrincipalNames/any(c:c eq 'api://name-1' or c eq 'api://name-3')".to_owned(),
            vec!["n-1", "n-3"],
        ),
        (format!("servicePrincipalNames/any(c:c eq '{mi_app_id}')"), vec!["mi"]),
        (
            "servicePrincipalNames/any(c:c eq 'api://name-1') and startswith(displayName,'x')".to_owned(),
            vec![],
        ),
        ("servicePrincipalNames/any(c:c eq 'api://nowhere')".to_owned(), vec![]),
        ("servicePrincipalNames/any(c:c eq 'api://namé-1')".to_owned(), vec![]),
    ];
    for (filter, names) in filters {
        let want = whole(&h, "servicePrincipals", &filter, "reader").await;
        let (got, _) = h.follow(&format!("/v1.0/servicePrincipals?$filter={}", enc(&filter)), "reader").await;
        assert_eq!(got, want, "{filter}");
        let got: Vec<&str> = got.iter().map(|v| v["displayName"].as_str().unwrap()).collect();
        assert_eq!(got, names, "{filter}");
    }
    // And applications by identifier URI.
    let filter = "identifierUris/any(c:c eq 'api://NAME-5')";
    let (got, _) = h.follow(&format!("/v1.0/applications?$filter={}", enc(filter)), "reader").await;
    assert_eq!(got, whole(&h, "applications", filter, "reader").await);
    assert_eq!(got.len(), 1);
    // Another tenant's principal is never found by name.
    let filter = enc(&format!("servicePrincipalNames/any(c:c eq '{app_id}')"));
    let foreign = h.get(&format!("/v1.0/servicePrincipals?$filter={filter}"), "admin-b").await;
    assert_eq!(foreign.json["value"], json!([]), "{}", foreign.json);
}

#[tokio::test]
async fn users_are_paged_in_the_stored_order_and_filtered_as_the_whole_read() {
    let h = Harness::new().await;
    for i in 0..9 {
        h.create_user(&format!("{}{i}", if i % 2 == 0 { "ada" } else { "Bob" })).await;
    }
    h.post(
        "/v1.0/users",
        "admin-b",
        json!({"accountEnabled": true, "displayName": "ada9", "userPrincipalName": "ada9@b.example",
               "passwordProfile": {"password": "Passw0rd!"}}),
    )
    .await;
    let reply = h.get_eventual("/v1.0/users?$count=true&$top=999", "admin").await;
    let all = reply.json["value"].as_array().unwrap().clone();
    assert!(all.len() >= 9, "{all:?}");
    for top in [1, 2, 4, 999] {
        let (got, pages) = h.follow(&format!("/v1.0/users?$top={top}"), "admin").await;
        assert_eq!(got, all, "$top={top}");
        assert_eq!(pages, all.len().div_ceil(top).max(1));
        let (got, _) = h.follow(&format!("/v1.0/users?$top={top}&$select=id,mail"), "admin").await;
        let keys: Vec<_> = got[0].as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "mail"]);
    }
    assert_eq!(assert_as_whole(&h, "users", "startswith(displayName,'ADA')", "admin").await, 5);
    assert_eq!(assert_as_whole(&h, "users", "startswith(userPrincipalName,'bob')", "admin").await, 4);
    assert_eq!(
        assert_as_whole(
            &h,
            "users",
            "startswith(displayName,'ada') or startswith(displayName,'bob1')",
            "admin"
        )
        .await,
        6
    );
    assert_eq!(assert_as_whole(&h, "users", "userPrincipalName eq 'BOB3@a.example'", "admin").await, 1);
    let id = all[1]["id"].as_str().unwrap().to_owned();
    assert_eq!(assert_as_whole(&h, "users", &format!("id eq '{id}'"), "admin").await, 1);
    // A user token's `$skiptoken` is bound to `users`.
    let first = h.get("/v1.0/users?$top=1", "admin").await;
    let link = first.json["@odata.nextLink"].as_str().unwrap();
    let token = link.split("$skiptoken=").nth(1).unwrap();
    let other = h.get(&format!("/v1.0/applications?$skiptoken={token}"), "admin").await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
}
