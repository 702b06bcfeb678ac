//! End to end: `custos serve`, a managed identity made with `custos mi create` and `custos mi
//! credential create`, an app role assigned to it through Graph, and `custos agent` serving both
//! managed-identity protocols with tokens from that server, on plain HTTP and on HTTPS.

mod common;

use common::{admin_json, admin_token, custos, graph_post, init_and_serve};
use custos_testkit::http::jwt_claims;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::{BufRead as _, BufReader};
use std::os::unix::fs::PermissionsExt as _;
use std::process::{Child, Stdio};

/// A running `custos agent`; killed when dropped.
struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the agent and reads its `export` lines.
fn start_agent(args: &[&str]) -> (Agent, HashMap<String, String>) {
    let mut child = custos()
        .arg("agent")
        .args(args)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let agent = Agent(child);
    let mut exports = HashMap::new();
    for line in BufReader::new(stdout).lines().take(4) {
        let line = line.unwrap();
        let (name, value) = line.strip_prefix("export ").unwrap().split_once('=').unwrap();
        exports.insert(name.to_owned(), value.to_owned());
    }
    (agent, exports)
}

#[test]
fn the_agent_serves_managed_identity_tokens_from_the_authority() {
    let (dir, data, init, server) = init_and_serve(&[]);
    let (base, http) = (server.url(), server.client());
    let tenant = init["tenantId"].as_str().unwrap();
    let graph = admin_token(&http, &base, &init);
    let post = |path: &str, body: Value| graph_post(&http, &base, &graph, path, &body);

    let role_id = "6f1c8b0e-3a44-4a8e-9b53-1d2c3e4f5a6b";
    let api = post(
        "/v1.0/applications",
        json!({"displayName": "billing-api", "identifierUris": ["api://billing"], "appRoles": [{
            "id": role_id, "allowedMemberTypes": ["Application"], "value": "Invoices.Read",
            "displayName": "Read invoices", "description": "Read invoices", "isEnabled": true}]}),
    );
    let api_sp = post("/v1.0/servicePrincipals", json!({"appId": api["appId"]}));
    let mi = admin_json(&server, &data, &["mi", "create", "worker"]);
    assert_eq!(mi["displayName"], "worker");
    let listed = admin_json(&server, &data, &["mi", "list"]);
    assert_eq!(listed, json!([&mi]));
    let sp = http
        .get(format!("{base}/v1.0/servicePrincipals/{}", mi["id"].as_str().unwrap()))
        .bearer_auth(&graph)
        .send()
        .unwrap()
        .json::<Value>()
        .unwrap();
    assert_eq!(sp["servicePrincipalType"], "ManagedIdentity");
    post(
        &format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", api_sp["id"].as_str().unwrap()),
        json!({"principalId": mi["id"], "resourceId": api_sp["id"], "appRoleId": role_id}),
    );
    let pem = dir.path().join("worker.pem");
    let credential =
        admin_json(&server, &data, &["mi", "credential", "create", "worker", "--out", pem.to_str().unwrap()]);
    assert_eq!(credential["appId"], mi["appId"]);
    assert_eq!(std::fs::metadata(&pem).unwrap().permissions().mode() & 0o777, 0o600);

    let client_id = mi["appId"].as_str().unwrap();
    let ca = data.join("tls/ca.pem");
    let agent_args = [
        "--authority",
        &base,
        "--tenant",
        tenant,
        "--identity",
        client_id,
        "--credential",
        pem.to_str().unwrap(),
        "--ca",
        ca.to_str().unwrap(),
    ];
    let (_agent, env) = start_agent(&agent_args);
    let host = env["AZURE_POD_IDENTITY_AUTHORITY_HOST"].clone();
    assert!(host.starts_with("http://127.0.0.1:"), "{host}");
    assert_eq!(env["IDENTITY_ENDPOINT"], format!("{host}/msi/token"));
    assert_eq!(env["MSAL_MANAGED_IDENTITY_ENDPOINT"], format!("{host}/metadata/identity/oauth2/token"));
    assert_eq!(env["IDENTITY_HEADER"].len(), 64);
    let local = reqwest::blocking::Client::new();

    // App Service protocol.
    let reply = local
        .get(format!("{}?api-version=2019-08-01&resource=api://billing", env["IDENTITY_ENDPOINT"]))
        .header("X-IDENTITY-HEADER", &env["IDENTITY_HEADER"])
        .send()
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().unwrap();
    assert_eq!(body["resource"], "api://billing");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["client_id"], client_id);
    let token = body["access_token"].as_str().unwrap();
    let c = jwt_claims(token);
    assert_eq!(c["oid"], mi["id"]);
    assert_eq!(c["sub"], mi["id"]);
    assert_eq!(c["appid"], client_id);
    assert_eq!(c["appidacr"], "2");
    assert_eq!(c["idtyp"], "app");
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["aud"], "api://billing");
    assert_eq!(c["roles"], json!(["Invoices.Read"]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 86_399 + 300);
    assert_eq!(body["expires_on"], c["exp"].to_string());

    // IMDS protocol, MSAL Node style (lower case, trailing slash), selected by object id: the
    // cached token.
    let reply = local
        .get(format!(
            "{host}/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=api://billing&object_id={}",
            mi["id"].as_str().unwrap()
        ))
        .header("Metadata", "true")
        .send()
        .unwrap();
    assert_eq!(reply.status(), 200);
    let imds: Value = reply.json().unwrap();
    assert_eq!(imds["access_token"], token);
    assert_eq!(imds["refresh_token"], "");
    assert!(imds["expires_in"].as_str().unwrap().parse::<i64>().unwrap() > 86_000);

    // The authority's refusal comes back in the protocol's shape.
    let reply = local
        .get(format!("{host}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api://nowhere"))
        .header("Metadata", "true")
        .send()
        .unwrap();
    assert_eq!(reply.status(), 400);
    let refused: Value = reply.json().unwrap();
    assert_eq!(refused["error"], "invalid_resource");
    assert!(refused["error_description"].as_str().unwrap().starts_with("AADSTS500011:"), "{refused}");

    // With --tls-cert/--tls-key the agent serves HTTPS and prints https URLs.
    let (tls_cert, tls_key) = (data.join("tls/server.pem"), data.join("tls/server.key"));
    let tls_args = ["--tls-cert", tls_cert.to_str().unwrap(), "--tls-key", tls_key.to_str().unwrap()];
    let (_tls_agent, tls_env) = start_agent(&[&agent_args[..], &tls_args].concat());
    let tls_host = tls_env["AZURE_POD_IDENTITY_AUTHORITY_HOST"].clone();
    assert!(tls_host.starts_with("https://127.0.0.1:"), "{tls_host}");
    assert_eq!(tls_env["IDENTITY_ENDPOINT"], format!("{tls_host}/msi/token"));
    let reply = http
        .get(format!("{}?api-version=2019-08-01&resource=api://billing", tls_env["IDENTITY_ENDPOINT"]))
        .header("X-IDENTITY-HEADER", &tls_env["IDENTITY_HEADER"])
        .send()
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().unwrap();
    assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["oid"], mi["id"]);
    let plain = local
        .get(format!(
            "{}?api-version=2019-08-01&resource=api://billing",
            tls_env["IDENTITY_ENDPOINT"].replace("https://", "http://")
        ))
        .send();
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "plain HTTP must not be served on the TLS port"
    );

    // Deleting the identity removes it everywhere.
    let deleted = admin_json(&server, &data, &["mi", "delete", client_id]);
    assert_eq!(deleted["deleted"], true);
    assert_eq!(admin_json(&server, &data, &["mi", "list"]), json!([]));
}

#[test]
fn the_agent_refuses_a_non_loopback_address_and_a_bad_credential() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("x.pem");
    std::fs::write(&pem, "not a pem").unwrap();
    let common =
        ["agent", "--authority", "https://localhost:1", "--tenant", "t", "--identity", "c", "--credential"];
    let out = custos().args(common).arg(&pem).args(["--listen", "0.0.0.0:0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a loopback address"));
    let out = custos().args(common).arg(&pem).args(["--listen", "127.0.0.1:0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("holds no PKCS#8 private key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let out = custos().args(common).arg(&pem).args(["--tls-cert", "cert.pem"]).output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
