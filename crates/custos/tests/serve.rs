//! End-to-end tests of `custos init` and `custos serve` as a user runs them: real process,
//! real TLS, real SQLite file.

mod common;

use common::{Server, admin_token, init_and_serve, init_json, token};
use custos_store::Store as _;
use custos_testkit::http::jwt_claims;
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;

#[test]
fn init_is_idempotent_and_keeps_secrets_private() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = init_json(&data, &[]);
    for key in [
        "publicUrl",
        "tenantId",
        "tenantDomain",
        "adminClientId",
        "adminClientSecret",
        "caCertPath",
        "graphBaseUrl",
    ] {
        assert!(first.get(key).is_some(), "init --json lacks {key}: {first}");
    }
    assert_eq!(first["publicUrl"], "https://localhost:8443");
    assert_eq!(first["tenantDomain"], "default.custos.local");
    assert_eq!(first["graphBaseUrl"], "https://localhost:8443/v1.0");
    let secret = first["adminClientSecret"].as_str().unwrap();
    assert!(secret.len() >= 40, "secret has at least 256 bits");

    let second = init_json(&data, &[]);
    assert_eq!(second["tenantId"], first["tenantId"]);
    assert_eq!(second["adminClientId"], first["adminClientId"]);
    assert_eq!(second["adminClientSecret"], Value::Null, "the secret is shown once");

    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("admin.json")), 0o600);
    assert_eq!(mode(&data.join("tls/server.key")), 0o600);
    let profile: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin.json")).unwrap()).unwrap();
    assert_eq!(profile["adminClientSecret"], secret, "the profile keeps the secret for the CLI");
    assert!(data.join("tls/ca.pem").exists());
    // The database holds only a keyed hash of the secret.
    let db = std::fs::read(data.join("custos.db")).unwrap();
    assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()), "secret stored in clear");
}

#[test]
fn serve_issues_tokens_exposes_operations_and_stops_on_sigterm() {
    let (_dir, _data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let base = server.url();
    let tenant = init["tenantId"].as_str().unwrap();

    for (path, status) in [("/healthz", 200), ("/readyz", 200)] {
        assert_eq!(http.get(format!("{base}{path}")).send().unwrap().status().as_u16(), status, "{path}");
    }
    let discovery: Value = http
        .get(format!("{base}/{tenant}/v2.0/.well-known/openid-configuration"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(discovery["issuer"], format!("{base}/{tenant}/v2.0"));
    assert_eq!(discovery["token_endpoint"], format!("{base}/{tenant}/oauth2/v2.0/token"));

    // The bootstrap admin manages the directory through the Graph API.
    let admin = admin_token(&http, &base, &init);
    let created: Value = http
        .post(format!("{base}/v1.0/applications"))
        .bearer_auth(&admin)
        .json(&json!({"displayName": "e2e app"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(created["displayName"], "e2e app");

    // A wrong secret is refused with Entra's error.
    let (status, body) = token(
        &http,
        &base,
        tenant,
        init["adminClientId"].as_str().unwrap(),
        "wrong",
        "https://graph.microsoft.com/.default",
    );
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert_eq!(body["error_codes"][0], 7000215);

    let metrics = http.get(format!("{base}/metrics")).send().unwrap().text().unwrap();
    assert!(metrics.contains("custos_token_requests_total{outcome=\"success\"}"), "{metrics}");
    assert!(metrics.contains("custos_token_request_duration_seconds_bucket"), "{metrics}");

    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}

/// `serve --metrics-listen`: `/metrics` on its own plain-HTTP loopback listener, 404 on the public
/// one (issue 16); throttling counters included.
#[test]
fn metrics_listen_moves_metrics_off_the_public_listener() {
    let (_dir, _data, init, server) = init_and_serve(&["--metrics-listen", "127.0.0.1:0"]);
    let http = server.client();
    let base = server.url();
    let metrics_port = server.metrics_port.expect("the metrics listener reports its port");
    let tenant = init["tenantId"].as_str().unwrap();
    let client_id = init["adminClientId"].as_str().unwrap();
    let (status, _) = token(&http, &base, tenant, client_id, "wrong", "https://graph.microsoft.com/.default");
    assert_eq!(status, 401);

    assert_eq!(http.get(format!("{base}/metrics")).send().unwrap().status().as_u16(), 404);
    assert_eq!(http.get(format!("{base}/healthz")).send().unwrap().status().as_u16(), 200);
    let plain = reqwest::blocking::Client::new();
    let metrics = plain.get(format!("http://127.0.0.1:{metrics_port}/metrics")).send().unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    let metrics = metrics.text().unwrap();
    assert!(metrics.contains("custos_token_requests_total{outcome=\"invalid_client\"} 1\n"), "{metrics}");
    assert!(metrics.contains("custos_client_auth_failures_total 1\n"), "{metrics}");
    assert!(metrics.contains("custos_api_requests_throttled_total{api=\"graph\"} 0\n"), "{metrics}");

    let status = server.terminate();
    assert!(status.success(), "both listeners stop on SIGTERM, got {status:?}");
}

/// `serve --client-auth-failures-per-client`: over a real socket, three wrong secrets lock the
/// client id and then the right secret is refused with 429 and AADSTS90055 (issue 16).
#[test]
fn client_auth_throttle_flags_reach_the_token_endpoint() {
    let (_dir, _data, init, server) = init_and_serve(&["--client-auth-failures-per-client", "3"]);
    let http = server.client();
    let base = server.url();
    let tenant = init["tenantId"].as_str().unwrap();
    let client_id = init["adminClientId"].as_str().unwrap();
    let scope = "https://graph.microsoft.com/.default";
    for _ in 0..3 {
        assert_eq!(token(&http, &base, tenant, client_id, "wrong", scope).0, 401);
    }
    let (status, body) =
        token(&http, &base, tenant, client_id, init["adminClientSecret"].as_str().unwrap(), scope);
    assert_eq!((status, &body["error"]), (429, &json!("temporarily_unavailable")), "{body}");
    assert_eq!(body["error_codes"][0], 90055, "{body}");
}

/// `kill -9` right after Graph's 201: the application and its directory audit, written in one
/// transaction, are both there after a restart.
#[test]
fn directory_writes_and_their_audits_survive_kill_9() {
    let (_dir, data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let admin = admin_token(&http, &server.url(), &init);
    let correlation = "9f1c2d3e-4b5a-4c6d-8e7f-a0b1c2d3e4f5";
    let reply = http
        .post(format!("{}/v1.0/applications", server.url()))
        .bearer_auth(&admin)
        .header("client-request-id", correlation)
        .json(&json!({"displayName": "durable"}))
        .send()
        .unwrap();
    assert_eq!(reply.status().as_u16(), 201);
    let created: Value = reply.json().unwrap();
    server.kill_hard();
    let id = created["id"].as_str().unwrap().to_owned();

    let server = Server::start(&data, &[]);
    let http = server.client();
    let admin = admin_token(&http, &server.url(), &init);
    let got =
        http.get(format!("{}/v1.0/applications/{id}", server.url())).bearer_auth(&admin).send().unwrap();
    assert_eq!(got.status().as_u16(), 200, "a committed application survives kill -9");

    let tenant: custos_core::TenantId = init["tenantId"].as_str().unwrap().parse().unwrap();
    let url = format!("sqlite://{}", data.join("custos.db").display());
    let records = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = custos_store::sqlite::SqliteStore::open(&url).await.unwrap();
        store.directory_audits(&custos_store::LogQuery::newest(tenant, 1000)).await.unwrap().records
    });
    let added: Vec<_> = records
        .iter()
        .filter(|r| r.activity == custos_core::audit::Activity::AddApplication && r.targets[0].id == id)
        .collect();
    assert_eq!(added.len(), 1, "the application's audit survives kill -9: {records:#?}");
    assert_eq!(added[0].correlation_id.to_string(), correlation);
    let graph = added[0].to_graph();
    assert_eq!(graph["initiatedBy"]["app"]["appId"], init["adminClientId"]);
    assert_eq!(graph["initiatedBy"]["app"]["ipAddress"], "127.0.0.1");
}

#[test]
fn serve_demo_on_an_empty_directory_prints_a_working_token_request() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fresh");
    let mut server = Server::start(&data, &["--demo"]);
    // The demo's credentials are kept in demo.json (mode 0600) and printed on stdout.
    let demo: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo.json")).unwrap()).unwrap();
    let stdout = server.child.stdout.take().unwrap();
    let http = server.client();
    let (status, body) = token(
        &http,
        &server.url(),
        demo["tenantId"].as_str().unwrap(),
        demo["clientId"].as_str().unwrap(),
        demo["clientSecret"].as_str().unwrap(),
        demo["scope"].as_str().unwrap(),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3599);

    assert!(server.terminate().success());
    let printed = std::io::read_to_string(stdout).unwrap();
    assert!(printed.contains("admin client id"), "a fresh directory is initialised first: {printed}");
    assert!(printed.contains(demo["clientId"].as_str().unwrap()), "{printed}");
    assert!(printed.contains("oauth2/v2.0/token"), "{printed}");
}

/// `--demo` also registers the resource applications of the two sample APIs, gives the demo daemon
/// their roles and prints how to run both samples; restarts register nothing twice, and a demo.json
/// from before the samples gains them.
#[test]
fn serve_demo_registers_the_sample_apis_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = Server::start(&data, &["--demo"]);
    let stdout = server.child.stdout.take().unwrap();
    let demo: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo.json")).unwrap()).unwrap();
    let (tenant, client, secret) = (
        demo["tenantId"].as_str().unwrap(),
        demo["clientId"].as_str().unwrap(),
        demo["clientSecret"].as_str().unwrap(),
    );
    let bc = &demo["businessCentral"];
    assert_eq!(bc["identifierUri"], "https://api.businesscentral.dynamics.com");
    assert_eq!(bc["roles"], json!(["API.ReadWrite.All", "Automation.ReadWrite.All"]));
    let ct = &demo["communityTraining"];
    let ct_uri = format!("api://{}", ct["appId"].as_str().unwrap());
    assert_eq!(ct["identifierUri"], ct_uri.as_str());
    assert_eq!(ct["roles"], json!(["S2SAppRole"]));

    let http = server.client();
    let base = server.url();
    // The Activity sample: the daemon holds ActivityFeed.Read, the reader Graph's AuditLog.Read.All.
    let reader = &demo["office365Management"];
    let reader_secret = std::fs::read_to_string(reader["secretFile"].as_str().unwrap()).unwrap();
    let mode = std::fs::metadata(reader["secretFile"].as_str().unwrap()).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let reader_id = reader["clientId"].as_str().unwrap();
    let (status, body) =
        token(&http, &base, tenant, reader_id, &reader_secret, "https://graph.microsoft.com/.default");
    assert_eq!(status, 200, "{body}");
    assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["roles"], json!(["AuditLog.Read.All"]));
    let (status, body) = token(&http, &base, tenant, client, secret, "https://manage.office.com/.default");
    assert_eq!(status, 200, "{body}");
    assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["roles"], json!(["ActivityFeed.Read"]));
    let (status, body) =
        token(&http, &base, tenant, client, secret, "https://api.businesscentral.dynamics.com/.default");
    assert_eq!(status, 200, "{body}");
    let bc_claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(bc_claims["aud"], "https://api.businesscentral.dynamics.com");
    assert_eq!(bc_claims["roles"], json!(["API.ReadWrite.All", "Automation.ReadWrite.All"]));
    let (status, body) = token(&http, &base, tenant, client, secret, &format!("{ct_uri}/.default"));
    assert_eq!(status, 200, "{body}");
    let ct_claims = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        (ct_claims["aud"].as_str(), ct_claims["roles"].clone()),
        (Some(ct_uri.as_str()), json!(["S2SAppRole"]))
    );
    // The service app carries seed 000's manifest values.
    let init: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin.json")).unwrap()).unwrap();
    let admin = admin_token(&http, &base, &init);
    let apps: Value = http
        .get(format!("{base}/v1.0/applications?$filter=appId eq '{}'", ct["appId"].as_str().unwrap()))
        .bearer_auth(&admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let role = &apps["value"][0]["appRoles"][0];
    assert_eq!(role["allowedMemberTypes"], json!(["Application"]));
    assert_eq!(role["description"], "Apps in this role can consume the web api.");
    assert_eq!(
        (role["displayName"].as_str(), role["value"].as_str()),
        (Some("S2SAppRole"), Some("S2SAppRole"))
    );
    assert_eq!(role["isEnabled"], true);
    assert!(server.terminate().success());
    let printed = std::io::read_to_string(stdout).unwrap();
    for expected in [
        "custos sample business-central".to_owned(),
        format!("--register-app '{client}=D365 BUS FULL ACCESS'"),
        "custos sample community-training".to_owned(),
        format!("ServiceAuthAudience={ct_uri} ServiceAuthTenantId={tenant}"),
        format!("ServiceApplicationIds={client} ServiceAuthRole=S2SAppRole"),
        "custos sample office365-management".to_owned(),
        format!("--client-id {}", demo["office365Management"]["clientId"].as_str().unwrap()),
    ] {
        assert!(printed.contains(&expected), "{expected} not in {printed}");
    }

    // A restart registers nothing new.
    let server = Server::start(&data, &["--demo"]);
    let again: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo.json")).unwrap()).unwrap();
    assert_eq!(again, demo);
    assert!(server.terminate().success());

    // A demo.json from before the sample registrations: the Business Central app is found by its
    // identifier URI and reused, the Community Training app is registered anew, the daemon keeps working.
    let mut older = demo.clone();
    let older_map = older.as_object_mut().unwrap();
    older_map.remove("businessCentral");
    older_map.remove("communityTraining");
    std::fs::write(data.join("demo.json"), serde_json::to_vec(&older).unwrap()).unwrap();
    let server = Server::start(&data, &["--demo"]);
    let upgraded: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo.json")).unwrap()).unwrap();
    assert_eq!(upgraded["businessCentral"], demo["businessCentral"]);
    assert_ne!(upgraded["communityTraining"]["appId"], demo["communityTraining"]["appId"]);
    let (status, body) = token(
        &server.client(),
        &server.url(),
        tenant,
        client,
        secret,
        "https://api.businesscentral.dynamics.com/.default",
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        jwt_claims(body["access_token"].as_str().unwrap())["roles"].as_array().unwrap().len(),
        2,
        "no duplicate grants"
    );
    assert!(server.terminate().success());
}

#[test]
fn init_recovers_a_missing_admin_profile_with_a_new_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let first = init_json(&data, &[]);
    std::fs::remove_file(data.join("admin.json")).unwrap();
    let recovered = init_json(&data, &[]);
    assert_eq!(recovered["tenantId"], first["tenantId"]);
    assert_eq!(recovered["adminClientId"], first["adminClientId"]);
    let secret = recovered["adminClientSecret"].as_str().expect("a new secret is shown");
    assert_ne!(secret, first["adminClientSecret"].as_str().unwrap());

    let server = Server::start(&data, &[]);
    let http = server.client();
    // Both the old and the new secret work: recovery adds a secret, it removes nothing.
    for init in [&first, &recovered] {
        admin_token(&http, &server.url(), init);
    }
}

/// Secret rotation on a running server: several secrets work side by side, and a removed one
/// stops working at once (no cache serves it).
#[test]
fn secret_rotation_takes_effect_at_once_on_a_running_server() {
    let (_dir, _data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let base = server.url();
    let tenant = init["tenantId"].as_str().unwrap();
    let admin = admin_token(&http, &base, &init);
    let graph = |method: reqwest::Method, path: &str, body: Value| {
        let resp = http
            .request(method, format!("{base}/v1.0/{path}"))
            .bearer_auth(&admin)
            .json(&body)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().ok().and_then(|t| serde_json::from_str::<Value>(&t).ok()).unwrap_or(Value::Null))
    };
    let (_, app) = graph(reqwest::Method::POST, "applications", json!({"displayName": "rotating daemon"}));
    let (id, app_id) = (app["id"].as_str().unwrap().to_owned(), app["appId"].as_str().unwrap().to_owned());
    graph(reqwest::Method::POST, "servicePrincipals", json!({"appId": app_id}));
    let (_, first) = graph(reqwest::Method::POST, &format!("applications/{id}/addPassword"), json!({}));
    let (_, second) = graph(reqwest::Method::POST, &format!("applications/{id}/addPassword"), json!({}));
    let scope = "https://graph.microsoft.com/.default";
    let secret = |c: &Value| c["secretText"].as_str().unwrap().to_owned();
    for credential in [&first, &second] {
        let (status, body) = token(&http, &base, tenant, &app_id, &secret(credential), scope);
        assert_eq!(status, 200, "both secrets are active: {body}");
    }
    let (status, _) = graph(
        reqwest::Method::POST,
        &format!("applications/{id}/removePassword"),
        json!({"keyId": first["keyId"]}),
    );
    assert_eq!(status, 204);
    let (status, body) = token(&http, &base, tenant, &app_id, &secret(&first), scope);
    assert_eq!((status, body["error_codes"][0].as_u64()), (401, Some(7000215)), "{body}");
    let (status, body) = token(&http, &base, tenant, &app_id, &secret(&second), scope);
    assert_eq!(status, 200, "the other secret keeps working: {body}");
}
