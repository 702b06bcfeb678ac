//! Two servers on one PostgreSQL database (a schema of the test database, when
//! `CUSTOS_TEST_POSTGRES_URL` is set): what an administrator changes through one server, the other
//! honours as soon as the database announces it (LISTEN/NOTIFY), not after its cache's 30-second
//! bound. Covered: a removed secret, a disabled service principal, a revoked app role, a newly
//! published signing key; and strict assertion replay when one assertion reaches both servers at
//! once. The time each took is printed; the bound asserted is a liveness bound, far below the
//! 30 s fallback.

mod common;

use common::{Server, admin_token, init_json, now, psql, token};
use serde_json::{Value, json};
use std::time::Duration;

/// Far below the cache's 30 s age bound, far above a notification's delivery time.
const DEADLINE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(20);
const SCOPE: &str = "https://graph.microsoft.com/.default";

/// Polls `check` until it holds; returns how long it took, failing past [`DEADLINE`].
#[allow(clippy::disallowed_methods)] // measuring a real server's behaviour from a synchronous test
fn within_deadline(what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let start = std::time::Instant::now();
    while !check() {
        assert!(start.elapsed() < DEADLINE, "{what}: not honoured by the other server within {DEADLINE:?}");
        std::thread::sleep(POLL);
    }
    let took = start.elapsed();
    eprintln!("{what}: honoured by the other server after {took:?}");
    took
}

#[test]
fn a_change_through_one_server_is_honoured_by_the_other_at_once() {
    let Ok(url) = std::env::var("CUSTOS_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: two servers on PostgreSQL, CUSTOS_TEST_POSTGRES_URL not set");
        return;
    };
    let schema = format!("custos_two_nodes_{}", uuid::Uuid::new_v4().simple());
    psql(&url, &format!("CREATE SCHEMA {schema}"));
    let separator = if url.contains('?') { '&' } else { '?' };
    let database = format!("{url}{separator}options=-c%20search_path%3D{schema}");

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = init_json(&data, &["--database-url", &database]);
    // Two servers of one installation behind one name: the same data directory (keys), the same
    // database, the same public URL (so an assertion addressed to it is good at either).
    let public = init["publicUrl"].as_str().unwrap().to_owned();
    let a = Server::start(&data, &["--database-url", &database, "--public-url", &public]);
    let b = Server::start(&data, &["--database-url", &database, "--public-url", &public]);
    let (http, tenant) = (a.client(), init["tenantId"].as_str().unwrap().to_owned());
    let admin = admin_token(&http, &a.url(), &init);
    let graph = |method: reqwest::Method, path: &str, body: Value| -> Value {
        let resp = http
            .request(method, format!("{}/v1.0/{path}", a.url()))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.text().ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null)
    };
    let on_b = |client_id: &str, secret: &str| token(&http, &b.url(), &tenant, client_id, secret, SCOPE);

    // A daemon with two secrets, holding a Graph role; B caches the tenant by issuing it tokens.
    let app = graph(reqwest::Method::POST, "applications", json!({"displayName": "two-node daemon"}));
    let (id, app_id) = (app["id"].as_str().unwrap().to_owned(), app["appId"].as_str().unwrap().to_owned());
    let sp = graph(reqwest::Method::POST, "servicePrincipals", json!({"appId": app_id}));
    let secret = |c: &Value| c["secretText"].as_str().unwrap().to_owned();
    let first = graph(reqwest::Method::POST, &format!("applications/{id}/addPassword"), json!({}));
    let second = graph(reqwest::Method::POST, &format!("applications/{id}/addPassword"), json!({}));
    let graph_sp = graph(
        reqwest::Method::GET,
        "servicePrincipals(appId='00000003-0000-0000-c000-000000000000')",
        Value::Null,
    );
    let role = graph_sp["appRoles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["value"] == "Application.Read.All")
        .unwrap();
    let graph_sp_id = graph_sp["id"].as_str().unwrap();
    let assignment = graph(
        reqwest::Method::POST,
        &format!("servicePrincipals/{graph_sp_id}/appRoleAssignedTo"),
        json!({"principalId": sp["id"], "resourceId": graph_sp_id, "appRoleId": role["id"]}),
    );
    within_deadline("a new role assignment", || {
        let (status, body) = on_b(&app_id, &secret(&first));
        status == 200
            && body["access_token"].as_str().is_some_and(|t| {
                custos_testkit::http::jwt_claims(t)["roles"] == json!(["Application.Read.All"])
            })
    });

    // A removed secret.
    graph(
        reqwest::Method::POST,
        &format!("applications/{id}/removePassword"),
        json!({"keyId": first["keyId"]}),
    );
    within_deadline("a removed secret", || on_b(&app_id, &secret(&first)).0 == 401);
    assert_eq!(on_b(&app_id, &secret(&second)).0, 200, "the other secret keeps working");

    // A revoked app role.
    let assignment_id = assignment["id"].as_str().unwrap();
    graph(
        reqwest::Method::DELETE,
        &format!("servicePrincipals/{graph_sp_id}/appRoleAssignedTo/{assignment_id}"),
        Value::Null,
    );
    within_deadline("a revoked app role", || {
        let (status, body) = on_b(&app_id, &secret(&second));
        status == 200
            && body["access_token"]
                .as_str()
                .is_some_and(|t| custos_testkit::http::jwt_claims(t).get("roles").is_none())
    });

    // Strict assertion replay across servers (catalogue C22, concurrent case): one assertion sent
    // to both servers at once gets at most one token.
    let settings = http
        .patch(format!("{}/admin/v1/tenants/{tenant}/settings", a.url()))
        .bearer_auth(&admin)
        .json(&json!({"assertionReplay": "strict"}))
        .send()
        .unwrap();
    assert_eq!(settings.status().as_u16(), 200);
    let cert = custos_testkit::certs::TestCert::new(
        "two-node daemon",
        now() - time::Duration::days(1),
        now() + time::Duration::days(30),
    );
    graph(
        reqwest::Method::PATCH,
        &format!("applications/{id}"),
        json!({"keyCredentials": [
        {"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert.base64()}]}),
    );
    let endpoint = format!("{public}/{tenant}/oauth2/v2.0/token");
    for round in 0..5 {
        let issued = now().unix_timestamp();
        let assertion = cert.sign(
            &json!({"aud": endpoint, "iss": app_id, "sub": app_id,
            "jti": uuid::Uuid::new_v4().to_string(), "nbf": issued, "iat": issued, "exp": issued + 300}),
            true,
        );
        let send = |server: &Server| {
            let (http, url) = (server.client(), format!("{}/{tenant}/oauth2/v2.0/token", server.url()));
            let form = [
                ("grant_type", "client_credentials".to_owned()),
                ("client_id", app_id.clone()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
                ),
                ("client_assertion", assertion.clone()),
                ("scope", SCOPE.to_owned()),
            ];
            move || http.post(url).form(&form).send().unwrap().status().as_u16()
        };
        let (on_a, on_b) = (std::thread::spawn(send(&a)), std::thread::spawn(send(&b)));
        let mut statuses = [on_a.join().unwrap(), on_b.join().unwrap()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401], "round {round}: one assertion, two servers");
    }

    // A disabled service principal.
    let sp_id = sp["id"].as_str().unwrap();
    graph(reqwest::Method::PATCH, &format!("servicePrincipals/{sp_id}"), json!({"accountEnabled": false}));
    within_deadline("a disabled service principal", || on_b(&app_id, &secret(&second)).0 == 400);

    // A signing key published through A appears in B's keys.
    let keys_path = format!("{}/{tenant}/discovery/v2.0/keys", b.url());
    let kids = || -> Vec<String> {
        let keys: Value = http.get(&keys_path).send().unwrap().json().unwrap();
        keys["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    };
    let rotated = http
        .post(format!("{}/admin/v1/signing-keys/rotate", a.url()))
        .bearer_auth(&admin)
        .json(&json!({"activateIn": "24h"}))
        .send()
        .unwrap();
    assert_eq!(rotated.status().as_u16(), 201);
    let kid = rotated.json::<Value>().unwrap()["kid"].as_str().unwrap().to_owned();
    within_deadline("a newly published signing key", || kids().contains(&kid));

    drop((a, b));
    psql(&url, &format!("DROP SCHEMA {schema} CASCADE"));
}
