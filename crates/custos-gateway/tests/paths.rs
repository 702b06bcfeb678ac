//! security.md I48: path confusion. Routes are matched on the normalised path the upstream receives,
//! never on the query; ambiguous paths are refused with 400 and unmatched ones with 404, and neither
//! ever reaches an upstream.

mod common;

use common::*;
use serde_json::json;

/// The caller holds S2SAppRole (enough for /api/) but not Admin (needed for /admin/).
#[tokio::test]
async fn i48_path_confusion_never_reaches_a_route_it_should_not() {
    let h = Harness::start().await;
    for (target, status, code) in [
        // Resolved to /admin/users and judged by the /admin/ route: the role is missing.
        ("/api/../admin/users", 403, ""),
        ("/api/%2e%2e/admin/users", 403, ""),
        ("/api/%2E%2E/admin/users", 403, ""),
        ("/api/./../admin/users", 403, ""),
        ("//admin/users", 403, ""),
        ("/ADMIN/users", 403, ""),
        ("/Admin/users", 403, ""),
        ("/%61dmin/users", 403, ""),
        ("/admin/users?next=/api/", 403, ""),
        // Ambiguous for some upstreams: refused outright.
        ("/api;x=1/../admin/users", 400, "InvalidPath"),
        ("/api/..;/admin/users", 400, "InvalidPath"),
        ("/api/x%3B/admin", 400, "InvalidPath"),
        ("/api/..%2fadmin/users", 400, "InvalidPath"),
        ("/api/%2e%2e%2fadmin/users", 400, "InvalidPath"),
        ("/api/..%5cadmin/users", 400, "InvalidPath"),
        ("/api/%252e%252e/admin/users", 400, "InvalidPath"),
        ("/api/%00/x", 400, "InvalidPath"),
        ("/admin./users", 400, "InvalidPath"),
        ("/api/users.", 400, "InvalidPath"),
        ("/api/../../admin/users", 400, "InvalidPath"),
        ("/..", 400, "InvalidPath"),
        // No route: the query never makes a path match.
        ("/other?x=/api/", 404, "NotFound"),
        ("/other/%2e%2e?/api/", 404, "NotFound"),
        ("/apix/users", 404, "NotFound"),
        ("/api", 404, "NotFound"),
    ] {
        let response = h.get(target, &[]).await;
        assert_eq!(response.status, status, "{target}: {response:?}");
        if !code.is_empty() {
            assert_eq!(response.error_code(), code, "{target}");
        }
    }
    assert_eq!(h.upstream.hits(), 0, "no confused request may reach the upstream");
}

/// What is forwarded is exactly the path that was matched (and the query, untouched).
#[tokio::test]
async fn the_upstream_sees_the_matched_path() {
    let h = Harness::start().await;
    let admin = format!("Bearer {}", h.authority.v2_with(|c| c["roles"] = json!(["Admin", ROLE])));
    for (target, path, query) in [
        ("/api/../admin/users", "/admin/users", None),
        ("/api/%2e%2e/admin//users/", "/admin/users/", None),
        ("//api/./x", "/api/x", None),
        ("/%41PI/x", "/API/x", None),
        ("/api/x?y=/../admin&z=%2e%2e", "/api/x", Some("y=/../admin&z=%2e%2e")),
        ("/api/a%20b/%7Euser", "/api/a%20b/~user", None),
    ] {
        let response = h.send("GET", target, &[("Authorization", &admin)], b"").await;
        assert_eq!(response.status, 200, "{target}: {response:?}");
        let echo = response.json();
        assert_eq!(echo["path"], path, "{target}");
        assert_eq!(echo["query"].as_str(), query, "{target}");
    }
}
