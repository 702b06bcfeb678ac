//! End-to-end test of the admin CLI as a user runs it: `custos init`, `custos serve` on a free
//! port, then `custos app|sp|secret|role|token|tenant ...` as separate processes talking HTTPS
//! to that server, with the profile `init` wrote.

mod common;

use common::{admin, admin_json, bare, init_and_serve};
use serde_json::Value;

fn names(items: &Value) -> Vec<&str> {
    items.as_array().unwrap().iter().filter_map(|v| v["displayName"].as_str()).collect()
}

#[test]
fn an_admin_registers_an_api_and_a_daemon_that_then_gets_a_token() {
    let (_dir, data, init, server) = init_and_serve(&[]);
    let tenant_id = init["tenantId"].as_str().unwrap();

    // The resource API (v2 tokens) and the daemon that calls it.
    let api = admin_json(
        &server,
        &data,
        &[
            "app",
            "create",
            "Payroll API",
            "--identifier-uri",
            "api://payroll-e2e",
            "--role",
            "Payroll.Read",
            "--token-version",
            "2",
        ],
    );
    assert_eq!(api["displayName"], "Payroll API");
    assert_eq!(api["identifierUris"], serde_json::json!(["api://payroll-e2e"]));
    assert_eq!(api["appRoles"][0]["value"], "Payroll.Read");
    let api_app_id = api["appId"].as_str().unwrap().to_owned();
    let daemon = admin_json(&server, &data, &["app", "create", "Payroll Daemon"]);
    let daemon_app_id = daemon["appId"].as_str().unwrap().to_owned();

    // Service principals, by appId and by display name.
    let api_sp = admin_json(&server, &data, &["sp", "create", &api_app_id]);
    assert_eq!(api_sp["appId"], api_app_id.as_str());
    let daemon_sp = admin_json(&server, &data, &["sp", "create", "Payroll Daemon"]);
    assert_eq!(daemon_sp["appId"], daemon_app_id.as_str());

    // A secret, printed once with a warning on stderr.
    let out =
        admin(&server, &data, &["secret", "add", "Payroll Daemon", "--name", "e2e", "--output", "json"]);
    assert!(out.status.success(), "secret add: {}", String::from_utf8_lossy(&out.stderr));
    let secret: Value = serde_json::from_slice(&out.stdout).expect("secret add prints one JSON document");
    let secret_text = secret["secretText"].as_str().expect("the secret is shown").to_owned();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be shown again"));
    let listed = admin_json(&server, &data, &["secret", "list", &daemon_app_id]);
    assert_eq!(listed[0]["keyId"], secret["keyId"]);
    assert!(listed[0]["secretText"].is_null(), "listing never shows a secret: {listed}");

    // The role, then a token for the daemon that carries it.
    let assignment = admin_json(
        &server,
        &data,
        &[
            "role",
            "assign",
            "--client",
            "Payroll Daemon",
            "--resource",
            "Payroll API",
            "--role",
            "Payroll.Read",
        ],
    );
    assert_eq!(assignment["principalId"], daemon_sp["id"]);
    assert_eq!(assignment["resourceId"], api_sp["id"]);
    assert_eq!(assignment["appRoleId"], api["appRoles"][0]["id"]);
    let on_resource = admin_json(&server, &data, &["role", "list", "--resource", "Payroll API"]);
    assert_eq!(on_resource.as_array().unwrap().len(), 1, "{on_resource}");

    let claims = admin_json(
        &server,
        &data,
        &[
            "token",
            "get",
            "--scope",
            "api://payroll-e2e/.default",
            "--decode",
            "--client-id",
            &daemon_app_id,
            "--client-secret",
            &secret_text,
        ],
    );
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["aud"], api_app_id.as_str());
    assert_eq!(claims["azp"], daemon_app_id.as_str());
    assert_eq!(claims["oid"], daemon_sp["id"]);
    assert_eq!(claims["tid"], tenant_id);
    assert_eq!(claims["roles"], serde_json::json!(["Payroll.Read"]));

    // Lists, as JSON for scripts and as a table for people.
    let apps = admin_json(&server, &data, &["app", "list"]);
    for name in ["Payroll API", "Payroll Daemon"] {
        assert!(names(&apps).contains(&name), "{name} missing from {apps}");
    }
    let out = admin(&server, &data, &["app", "list"]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("APP ID"), "{table}");
    assert!(
        table.lines().any(|l| l.starts_with(&api_app_id)
            && l.contains("Payroll API")
            && l.contains("api://payroll-e2e")),
        "{table}"
    );

    // Tenants, through the admin API.
    let created =
        admin_json(&server, &data, &["tenant", "create", "contoso.custos.local", "--name", "Contoso"]);
    assert_eq!(created["domain"], "contoso.custos.local");
    let tenants = admin_json(&server, &data, &["tenant", "list"]);
    let domains: Vec<&str> =
        tenants.as_array().unwrap().iter().filter_map(|t| t["domain"].as_str()).collect();
    assert!(
        domains.contains(&"default.custos.local") && domains.contains(&"contoso.custos.local"),
        "{tenants}"
    );
}

#[test]
fn a_wrong_secret_fails_with_a_helpful_message() {
    let (dir, data, _init, server) = init_and_serve(&[]);

    let out = admin(&server, &data, &["app", "list", "--client-secret", "not-the-secret"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout on error");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let expected = format!("error: {} answered 401 invalid_client: AADSTS7000215", server.url());
    assert!(stderr.starts_with(&expected), "{stderr}");
    assert!(stderr.contains("hint: check the client id and secret"), "{stderr}");
    assert!(!stderr.contains("not-the-secret"), "the secret is never printed: {stderr}");

    // A profile without the CA: the server's certificate is not trusted, and the message says
    // what to pass.
    let mut stripped: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin.json")).unwrap()).unwrap();
    let no_ca = dir.path().join("no-ca.json");
    stripped.as_object_mut().unwrap().remove("caCertPath");
    std::fs::write(&no_ca, stripped.to_string()).unwrap();
    let out = bare(dir.path())
        .args(["app", "list", "--server", &server.url(), "--profile"])
        .arg(&no_ca)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.starts_with(&format!("error: TLS with {} failed (", server.url())), "{stderr}");
    assert!(stderr.contains("pass --ca DIR/tls/ca.pem"), "{stderr}");

    // Nobody listening: ask whether the server runs.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("https://127.0.0.1:{port}");
    let out = bare(dir.path())
        .args(["app", "list", "--server", &url, "--tenant", "t", "--client-id", "c", "--client-secret", "s"])
        .arg("--ca")
        .arg(data.join("tls/ca.pem"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(&format!("hint: is `custos serve` running at {url}?")), "{stderr}");
}
