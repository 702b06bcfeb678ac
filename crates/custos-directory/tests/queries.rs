//! Graph query fidelity on directory collections (issue 15 item 3, `graph-fidelity.md` §2): the
//! query forms admin tools and the Azure CLI send, with Graph's semantics in advanced mode
//! (`ConsistencyLevel: eventual` with `$count=true`) and Graph's exact error outside it.

mod common;

use common::{AssertGraphError, Harness};
use http::StatusCode;
use serde_json::{Value, json};

/// Three applications named `q-…` (one with identifier URIs), each with a service principal.
async fn fixture(h: &Harness) -> Vec<Value> {
    let mut apps = Vec::new();
    for (name, uris) in [
        ("q-Orders API", json!(["api://orders", "https://orders.a.example/api"])),
        ("q-billing", json!([])),
        ("q-Zeta reports", json!([])),
    ] {
        let app = h.create_app(json!({"displayName": name, "identifierUris": uris})).await;
        h.create_sp(app["appId"].as_str().unwrap()).await;
        apps.push(app);
    }
    apps
}

fn names(reply: &common::Reply) -> Vec<String> {
    reply.json["value"]
        .as_array()
        .unwrap_or_else(|| panic!("{}", reply.json))
        .iter()
        .map(|v| v["displayName"].as_str().unwrap().to_owned())
        .collect()
}

const Q: &str = "startswith(displayName,'q-')";

#[tokio::test]
async fn count_segment_needs_consistency_level_and_is_plain_digits() {
    let h = Harness::new().await;
    fixture(&h).await;
    let message = h
        .get("/v1.0/applications/$count", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(message, "$count is not currently supported.");
    let all = h.get("/v1.0/applications?$top=999", "reader").await.json["value"].as_array().unwrap().len();
    let reply = h.get_eventual("/v1.0/applications/$count", "reader").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "text/plain");
    assert_eq!(reply.text, all.to_string());
    let filtered = h
        .get_eventual("/v1.0/applications/$count?$filter=startswith%28displayName%2C%27q-%27%29", "reader")
        .await;
    assert_eq!(filtered.text, "3");
    let searched =
        h.get_eventual("/v1.0/servicePrincipals/$count?$search=%22displayName:orders%22", "reader").await;
    assert_eq!(searched.text, "1");
    h.create_user("alice").await;
    assert_eq!(
        h.get_eventual("/v1.0/users/$count?$filter=endswith(userPrincipalName,'@a.example')", "admin")
            .await
            .text,
        "1"
    );
    h.get_eventual("/v1.0/applications/$count?$top=1", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
}

#[tokio::test]
async fn count_true_adds_odata_count_only_with_consistency_level() {
    let h = Harness::new().await;
    fixture(&h).await;
    let uri = format!("/v1.0/applications?$count=true&$filter={Q}&$top=2");
    let plain = h.get(&uri, "reader").await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.json.get("@odata.count").is_none(), "ignored silently: {}", plain.json);
    let counted = h.get_eventual(&uri, "reader").await;
    assert_eq!(counted.json["@odata.count"], json!(3));
    assert_eq!(names(&counted).len(), 2);
    let next = counted.json["@odata.nextLink"].as_str().unwrap();
    assert!(next.contains("$count=true"), "{next}");
    let second = h.get_eventual(next.trim_start_matches(common::BASE), "reader").await;
    assert_eq!(names(&second).len(), 1);
    assert!(second.json.get("@odata.count").is_none(), "first page only: {}", second.json);
    h.get_eventual("/v1.0/applications?$count=maybe", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "BadRequest");
}

/// What `az ad sp show --id` and `az ad app show --id` send, percent-encoded as az does, without
/// `ConsistencyLevel`.
#[tokio::test]
async fn lambda_filters_work_by_default() {
    let h = Harness::new().await;
    let apps = fixture(&h).await;
    let app_id = apps[0]["appId"].as_str().unwrap();
    for value in [app_id, "api://orders", "HTTPS://orders.a.example/api"] {
        let encoded: String = url_encode(&format!("servicePrincipalNames/any(c:c eq '{value}')"));
        let reply = h.get(&format!("/v1.0/servicePrincipals?$filter={encoded}"), "reader").await;
        assert_eq!(names(&reply), ["q-Orders API"], "{value}");
    }
    let encoded = url_encode("identifierUris/any(s:s eq 'api://orders')");
    let reply = h.get(&format!("/v1.0/applications?$filter={encoded}"), "reader").await;
    assert_eq!(names(&reply), ["q-Orders API"]);
    let none = h
        .get(
            &format!("/v1.0/applications?$filter={}", url_encode("identifierUris/any(x:x eq 'api://none')")),
            "reader",
        )
        .await;
    assert_eq!(none.json["value"], json!([]), "an empty match is 200 with no members");
    let message = h
        .get(
            &format!(
                "/v1.0/applications?$filter={}",
                url_encode("identifierUris/all(x:x eq 'api://orders')")
            ),
            "reader",
        )
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    assert_eq!(message, "Unsupported query.");
}

#[tokio::test]
async fn in_and_property_filters_work_by_default() {
    let h = Harness::new().await;
    let apps = fixture(&h).await;
    let (a, b) = (apps[0]["id"].as_str().unwrap(), apps[1]["id"].as_str().unwrap());
    let reply = h
        .get(&format!("/v1.0/applications?$filter={}", url_encode(&format!("id in ('{a}','{b}')"))), "reader")
        .await;
    assert_eq!(names(&reply), ["q-Orders API", "q-billing"]);
    let typed = url_encode(&format!("servicePrincipalType eq 'Application' and {Q}"));
    assert_eq!(names(&h.get(&format!("/v1.0/servicePrincipals?$filter={typed}"), "reader").await).len(), 3);
    let created = url_encode(&format!(
        "createdDateTime ge 2026-03-01T00:00:00Z and createdDateTime le 2026-03-01T12:00:00Z and {Q}"
    ));
    assert_eq!(names(&h.get(&format!("/v1.0/applications?$filter={created}"), "reader").await).len(), 3);
    let later = url_encode("createdDateTime ge 2026-03-02");
    assert_eq!(
        h.get(&format!("/v1.0/applications?$filter={later}"), "reader").await.json["value"],
        json!([])
    );
    let or = url_encode("displayName eq 'q-billing' or displayName eq 'q-zeta reports'");
    assert_eq!(
        names(&h.get(&format!("/v1.0/applications?$filter={or}"), "reader").await),
        ["q-billing", "q-Zeta reports"]
    );
    let many = (0..16).map(|i| format!("'{i}'")).collect::<Vec<_>>().join(",");
    let message = h
        .get(&format!("/v1.0/applications?$filter={}", url_encode(&format!("id in ({many})"))), "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    assert_eq!(
        message,
        "Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15."
    );
}

#[tokio::test]
async fn advanced_operators_need_consistency_level_and_count() {
    let h = Harness::new().await;
    fixture(&h).await;
    h.create_user("alice").await;
    let cases = [
        (
            "applications",
            format!("displayName ne 'q-billing' and {Q}"),
            "Unsupported property filter clause operator 'NotEqualsMatch'.",
            2,
        ),
        ("applications", format!("not(displayName eq 'q-billing') and {Q}"), "Unsupported Query.", 2),
        (
            "servicePrincipals",
            format!("not(servicePrincipalNames/any(c:c eq 'api://orders')) and {Q}"),
            "Unsupported Query.",
            2,
        ),
        ("users", "endswith(userPrincipalName,'@a.example')".to_owned(), "Unsupported Query.", 1),
        (
            "applications",
            "notes eq null".to_owned(),
            "Unsupported or invalid query filter clause specified for property 'notes' of resource 'Application'.",
            4,
        ),
        (
            "servicePrincipals",
            format!("appRoleAssignmentRequired eq false and {Q}"),
            "Unsupported or invalid query filter clause specified for property 'appRoleAssignmentRequired' of resource 'ServicePrincipal'.",
            3,
        ),
    ];
    for (set, filter, message, expected) in cases {
        let uri = format!("/v1.0/{set}?$filter={}", url_encode(&filter));
        let refused = h.get(&uri, "admin").await.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
        assert_eq!(refused, message, "{filter}");
        // The header alone is not advanced mode; with $count=true it is.
        h.get_eventual(&uri, "admin").await.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
        let reply = h.get_eventual(&format!("{uri}&$count=true"), "admin").await;
        assert_eq!(reply.status, StatusCode::OK, "{filter}: {}", reply.json);
        if set != "applications" || !filter.starts_with("notes") {
            assert_eq!(reply.json["@odata.count"], json!(expected), "{filter}: {}", reply.json);
        }
    }
    // What a property never takes stays refused in advanced mode.
    let uri = format!("/v1.0/applications?$count=true&$filter={}", url_encode("endswith(displayName,'s')"));
    let message =
        h.get_eventual(&uri, "admin").await.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    assert_eq!(message, "Unsupported query.");
    let uri = format!("/v1.0/applications?$filter={}", url_encode("contains(displayName,'q')"));
    h.get(&uri, "admin").await.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
}

#[tokio::test]
async fn orderby_follows_graphs_mode_rules() {
    let h = Harness::new().await;
    fixture(&h).await;
    let sorting = "Sorting not supported for current query.";
    let refused = |reply: common::Reply| reply.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    assert_eq!(refused(h.get("/v1.0/applications?$orderby=displayName", "reader").await), sorting);
    let uri = format!("/v1.0/applications?$filter={Q}&$orderby=displayName%20desc");
    assert_eq!(refused(h.get(&uri, "reader").await), sorting);
    let sorted = h.get_eventual(&format!("{uri}&$count=true"), "reader").await;
    assert_eq!(names(&sorted), ["q-Zeta reports", "q-Orders API", "q-billing"]);
    let asc = h
        .get_eventual(
            &format!("/v1.0/servicePrincipals?$filter={Q}&$orderby=displayName&$count=true"),
            "reader",
        )
        .await;
    assert_eq!(names(&asc), ["q-billing", "q-Orders API", "q-Zeta reports"]);
    // Users sort by default, but not together with $filter.
    h.create_user("zed").await;
    h.create_user("amy").await;
    let users =
        h.get("/v1.0/users?$orderby=userPrincipalName%20desc&$select=userPrincipalName", "admin").await;
    let upns: Vec<&str> = users.json["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userPrincipalName"].as_str().unwrap())
        .collect();
    let mut expected = upns.clone();
    expected.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(upns, expected);
    let filtered =
        h.get("/v1.0/users?$orderby=displayName&$filter=startswith(displayName,'a')", "admin").await;
    assert_eq!(refused(filtered), sorting);
    assert_eq!(
        refused(h.get_eventual("/v1.0/applications?$orderby=appId&$count=true", "reader").await),
        sorting
    );
    assert_eq!(
        refused(h.get_eventual("/v1.0/applications?$orderby=nope&$count=true", "reader").await),
        "Property 'nope' does not exist as a declared property or extension property."
    );
}

#[tokio::test]
async fn search_needs_consistency_level() {
    let h = Harness::new().await;
    fixture(&h).await;
    let uri = "/v1.0/applications?$search=%22displayName:reports%22";
    let message = h.get(uri, "reader").await.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    assert_eq!(
        message,
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"
    );
    assert_eq!(names(&h.get_eventual(uri, "reader").await), ["q-Zeta reports"]);
    let either = "/v1.0/applications?$search=%22displayName:zeta%22%20OR%20%22displayName:orders%22&$orderby=displayName&$count=true";
    assert_eq!(names(&h.get_eventual(either, "reader").await), ["q-Orders API", "q-Zeta reports"]);
    let with_filter = format!(
        "/v1.0/applications?$search=%22displayName:q%22&$filter={}",
        url_encode("displayName eq 'q-billing'")
    );
    assert_eq!(names(&h.get_eventual(&with_filter, "reader").await), ["q-billing"]);
    h.get_eventual("/v1.0/applications?$search=reports", "reader")
        .await
        .error(StatusCode::BAD_REQUEST, "BadRequest");
}

/// Percent-encodes everything but unreserved characters, as az does for `$filter`.
fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
