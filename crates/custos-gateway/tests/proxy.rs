//! The gateway end to end over TCP: header hygiene (security.md I46, I47), the identity it passes
//! upstream, per-route policies (401/403), `strip_prefix`, and its own `/healthz` (I49).

mod common;

use common::*;
use serde_json::json;

/// I46: every client-supplied forwarding, client-certificate and identity header is dropped or
/// overwritten; the upstream sees the gateway's own values from the TCP peer and the token.
#[tokio::test]
async fn i46_spoofed_forwarding_and_identity_headers() {
    let h = Harness::start().await;
    let response = h
        .get(
            "/api/orders?id=7",
            &[
                ("X-Forwarded-For", "203.0.113.9"),
                ("X-Forwarded-Host", "evil.example"),
                ("X-Forwarded-Proto", "https"),
                ("X-Forwarded-Uri", "/admin/"),
                ("X-Forwarded-Prefix", "/admin"),
                ("Forwarded", "for=203.0.113.9;proto=https"),
                ("X-Real-IP", "203.0.113.9"),
                ("X-Client-Cert", "MIIB"),
                ("Client-Cert", ":MIIB:"),
                ("Client-Cert-Chain", ":MIIB:"),
                ("X-SSL-Client-Verify", "SUCCESS"),
                ("X-Original-URL", "/admin/users"),
                ("X-Custos-Tenant-Id", "00000000-0000-0000-0000-000000000000"),
                ("X-Custos-Client-Id", OTHER_APP_ID),
                ("X-Custos-Object-Id", MI_OID),
                ("X-Custos-Roles", "Admin"),
                ("X-Custos-Extra", "1"),
                ("Accept", "application/json"),
            ],
        )
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    let echo = response.json();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/api/orders");
    assert_eq!(echo["query"], "id=7");
    let header = |name: &str| response.upstream_header(name);
    assert_eq!(header("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(header("x-forwarded-host").as_deref(), Some("gw.example"));
    assert_eq!(header("x-forwarded-proto").as_deref(), Some("http"));
    assert_eq!(header("x-custos-tenant-id").as_deref(), Some(TENANT));
    assert_eq!(header("x-custos-client-id").as_deref(), Some(CLIENT_APP_ID));
    assert_eq!(header("x-custos-object-id").as_deref(), Some(CLIENT_OID));
    assert_eq!(header("x-custos-roles").as_deref(), Some(ROLE));
    assert_eq!(header("accept").as_deref(), Some("application/json"));
    // The upstream may want the token itself.
    assert_eq!(header("authorization"), Some(format!("Bearer {}", h.authority.v2_token())));
    for gone in [
        "x-forwarded-uri",
        "x-forwarded-prefix",
        "forwarded",
        "x-real-ip",
        "x-client-cert",
        "client-cert",
        "client-cert-chain",
        "x-ssl-client-verify",
        "x-original-url",
        "x-custos-extra",
    ] {
        assert!(echo["headers"][gone].is_null(), "{gone} reached the upstream: {echo}");
    }
}

/// I47: a `Connection` header naming the gateway's own headers removes the client's copies (and the
/// other named headers) but never the gateway's; hop-by-hop headers never reach the upstream.
#[tokio::test]
async fn i47_connection_header_cannot_drop_gateway_headers() {
    let h = Harness::start().await;
    let response = h
        .get(
            "/api/x",
            &[
                ("Connection", "close, X-Forwarded-For, X-Custos-Roles, X-Custos-Client-Id, X-Internal"),
                ("X-Internal", "secret-hop"),
                ("Keep-Alive", "timeout=5"),
                ("TE", "trailers"),
                ("Upgrade", "h2c"),
                ("Proxy-Authorization", "Basic eDp5"),
            ],
        )
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(response.upstream_header("x-forwarded-for").as_deref(), Some("127.0.0.1"));
    assert_eq!(response.upstream_header("x-custos-roles").as_deref(), Some(ROLE));
    assert_eq!(response.upstream_header("x-custos-client-id").as_deref(), Some(CLIENT_APP_ID));
    let echo = response.json();
    for gone in ["x-internal", "keep-alive", "te", "upgrade", "proxy-authorization"] {
        assert!(echo["headers"][gone].is_null(), "{gone} reached the upstream: {echo}");
    }
}

#[tokio::test]
async fn missing_and_bad_tokens_are_refused_before_the_upstream() {
    let h = Harness::start().await;
    let none = h.send("GET", "/api/x", &[], b"").await;
    assert_eq!((none.status, none.header("www-authenticate")), (401, Some("Bearer")));
    let bad = h.send("GET", "/api/x", &[("Authorization", "Bearer not.a.jwt")], b"").await;
    assert_eq!(bad.status, 401);
    assert_eq!(
        bad.header("www-authenticate"),
        Some("Bearer error=\"invalid_token\", error_description=\"the token is not a well-formed JWT\"")
    );
    // A token from the query string is never used.
    let query = format!("/api/x?access_token={}", h.authority.v2_token());
    assert_eq!(h.send("GET", &query, &[], b"").await.header("www-authenticate"), Some("Bearer"));
    assert_eq!(h.upstream.hits(), 0);
}

#[tokio::test]
async fn route_policies_roles_applications_and_object_ids() {
    let h = Harness::start().await;
    // /admin/ needs the Admin role.
    let admin = h.get("/admin/users", &[]).await;
    assert_eq!(admin.status, 403);
    assert_eq!(
        admin.header("www-authenticate").map(str::to_owned),
        Some(insufficient("the token does not carry a required role"))
    );
    let bearer = format!("Bearer {}", h.authority.v2_with(|c| c["roles"] = json!(["Admin"])));
    let allowed = h.send("GET", "/admin/users", &[("Authorization", &bearer)], b"").await;
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.upstream_header("x-custos-roles").as_deref(), Some("Admin"));
    // /partners/ admits only another client application.
    let partners = h.get("/partners/x", &[]).await;
    assert_eq!(partners.status, 403);
    assert_eq!(
        partners.header("www-authenticate").map(str::to_owned),
        Some(insufficient("the client application is not allowed"))
    );
    // /mi/ admits the managed identity by object id without a role, and nobody else lacks "Nobody".
    let mi = format!("Bearer {}", h.authority.v1_token());
    let by_oid = h.send("GET", "/mi/x", &[("Authorization", &mi)], b"").await;
    assert_eq!(by_oid.status, 200);
    assert_eq!(by_oid.upstream_header("x-custos-object-id").as_deref(), Some(MI_OID));
    assert_eq!(by_oid.upstream_header("x-custos-client-id").as_deref(), Some(MI_APP_ID));
    assert_eq!(by_oid.upstream_header("x-custos-roles").as_deref(), Some(""));
    assert_eq!(h.get("/mi/x", &[]).await.status, 403);
    // The default role applies to /api/: a token without it is refused.
    let no_role = format!("Bearer {}", h.authority.v2_with(|c| c["roles"] = json!(["Other"])));
    assert_eq!(h.send("GET", "/api/x", &[("Authorization", &no_role)], b"").await.status, 403);
    assert_eq!(h.upstream.hits(), 2);
}

#[tokio::test]
async fn strip_prefix_and_base_path() {
    let h = Harness::start().await;
    let response = h.get("/strip/a/b?c=d", &[]).await;
    assert_eq!(response.status, 200);
    assert_eq!(
        (response.json()["path"].clone(), response.json()["query"].clone()),
        ("/base/a/b".into(), "c=d".into())
    );
    let root = h.get("/strip/", &[]).await;
    assert_eq!(root.json()["path"], "/base/");
}

/// I49: `/healthz` is the gateway's own, and no header, user agent or path trick turns another path
/// into an unauthenticated one.
#[tokio::test]
async fn i49_health_route_never_bypasses_auth() {
    let h = Harness::start().await;
    let health = h.send("GET", "/healthz", &[], b"").await;
    assert_eq!((health.status, health.json()), (200, serde_json::json!({"status": "ok"})));
    assert_eq!(h.send("GET", "/healthz?probe=/admin/", &[], b"").await.status, 200);
    assert_eq!(h.send("HEAD", "/healthz", &[], b"").await.status, 200);
    let post = h.send("POST", "/healthz", &[], b"").await;
    assert_eq!(
        (post.status, post.header("allow"), post.error_code().as_str()),
        (405, Some("GET, HEAD"), "MethodNotAllowed")
    );
    let spoofed: [(&str, &str); 8] = [
        ("User-Agent", "kube-probe/1.31"),
        ("User-Agent", "ELB-HealthChecker/2.0"),
        ("X-Health-Check", "true"),
        ("X-Forwarded-For", "127.0.0.1"),
        ("X-Original-URL", "/healthz"),
        ("X-Rewrite-URL", "/healthz"),
        ("X-Forwarded-Uri", "/healthz"),
        ("Referer", "/healthz"),
    ];
    for header in spoofed {
        let response = h.send("GET", "/api/x", &[header], b"").await;
        assert_eq!(
            (response.status, response.header("www-authenticate")),
            (401, Some("Bearer")),
            "{header:?}"
        );
    }
    for target in ["/healthz/../api/x", "/healthz/%2e%2e/api/x", "/api/x?/healthz", "/api/x#/healthz"] {
        let response = h.send("GET", target, &[], b"").await;
        // (A raw `#fragment` is dropped by the HTTP parser: the path is /api/x.)
        assert_eq!((response.status, response.header("www-authenticate")), (401, Some("Bearer")), "{target}");
    }
    assert_eq!(h.send("GET", "/healthz/", &[], b"").await.status, 404);
    assert_eq!(h.upstream.hits(), 0);
}

/// Issue 10: every response leaving the gateway carries `X-Content-Type-Options: nosniff`, its
/// own answers and proxied ones alike; over plain HTTP none carries `Strict-Transport-Security`.
#[tokio::test]
async fn every_response_carries_nosniff_and_plain_http_never_hsts() {
    let h = Harness::start().await;
    let responses = [
        ("health", h.send("GET", "/healthz", &[], b"").await, 200),
        ("refusal", h.send("GET", "/api/x", &[], b"").await, 401),
        ("no route", h.send("GET", "/nowhere", &[], b"").await, 404),
        ("proxied", h.get("/api/orders", &[]).await, 200),
    ];
    for (what, response, status) in responses {
        assert_eq!(response.status, status, "{what}");
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"), "{what}");
        assert_eq!(response.header("strict-transport-security"), None, "{what}");
    }
}
