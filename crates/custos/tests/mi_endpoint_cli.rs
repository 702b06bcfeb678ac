//! End to end: `custos serve --dev-managed-identity-endpoints`, a managed identity with an app
//! role, `custos mi endpoint-secret create` printing the `export` lines, both protocols answered
//! by the server itself for that secret, and `custos mi endpoint-secret remove` withdrawing it.

mod common;

use common::{admin, admin_json, admin_token, graph_post, init_and_serve};
use custos_testkit::http::jwt_claims;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The `export NAME=value` lines of a command's output (other lines are shell comments).
fn exports(stdout: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for line in stdout.lines() {
        if let Some(assignment) = line.strip_prefix("export ") {
            let (name, value) = assignment.split_once('=').unwrap();
            out.insert(name.to_owned(), value.to_owned());
        } else {
            assert!(line.starts_with('#'), "not an export line or a comment: {line}");
        }
    }
    out
}

#[test]
fn the_server_serves_an_identity_for_its_endpoint_secret() {
    let (_dir, data, init, server) = init_and_serve(&["--dev-managed-identity-endpoints"]);
    let (base, http) = (server.url(), server.client());
    let graph = admin_token(&http, &base, &init);
    let post = |path: &str, body: Value| graph_post(&http, &base, &graph, path, &body);
    let role_id = "0d3b8c1e-5a44-4a8e-9b53-1d2c3e4f5a6b";
    let api = post(
        "/v1.0/applications",
        json!({"displayName": "orders-api", "identifierUris": ["api://orders"], "appRoles": [{
            "id": role_id, "allowedMemberTypes": ["Application"], "value": "Orders.Read",
            "displayName": "Read orders", "description": "Read orders", "isEnabled": true}]}),
    );
    let api_sp = post("/v1.0/servicePrincipals", json!({"appId": api["appId"]}));
    let mi = admin_json(&server, &data, &["mi", "create", "worker"]);
    post(
        &format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", api_sp["id"].as_str().unwrap()),
        json!({"principalId": mi["id"], "resourceId": api_sp["id"], "appRoleId": role_id}),
    );

    let out = admin(&server, &data, &["mi", "endpoint-secret", "create", "worker", "--days", "7"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("does not serve"), "{stdout}");
    let env = exports(&stdout);
    let secret = env["IDENTITY_HEADER"].clone();
    assert_eq!(env["IDENTITY_ENDPOINT"], format!("{base}/msi/token"));
    assert_eq!(env["AZURE_POD_IDENTITY_AUTHORITY_HOST"], format!("{base}/msi/{secret}"));
    assert_eq!(
        env["MSAL_MANAGED_IDENTITY_ENDPOINT"],
        format!("{base}/msi/{secret}/metadata/identity/oauth2/token")
    );

    let app_service = |secret: &str| {
        http.get(format!("{}?api-version=2019-08-01&resource=api://orders", env["IDENTITY_ENDPOINT"]))
            .header("X-IDENTITY-HEADER", secret)
            .send()
            .unwrap()
    };
    let reply = app_service(&secret);
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().unwrap();
    assert_eq!(body["client_id"], mi["appId"]);
    let c = jwt_claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["oid"], mi["id"]);
    assert_eq!(c["appid"], mi["appId"]);
    assert_eq!(c["roles"], json!(["Orders.Read"]));
    assert_eq!(c["ver"], "1.0");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 86_399 + 300);

    let reply = http
        .get(format!(
            "{}/metadata/identity/oauth2/token/?api-version=2018-02-01&resource=api://orders",
            env["AZURE_POD_IDENTITY_AUTHORITY_HOST"]
        ))
        .header("Metadata", "true")
        .send()
        .unwrap();
    assert_eq!(reply.status(), 200);
    let body: Value = reply.json().unwrap();
    assert_eq!(body["refresh_token"], "");
    assert_eq!(jwt_claims(body["access_token"].as_str().unwrap())["oid"], mi["id"]);

    let removed = admin_json(&server, &data, &["mi", "endpoint-secret", "remove", "worker"]);
    assert_eq!(removed["removed"], true);
    let reply = app_service(&secret);
    assert_eq!(reply.status(), 401);
    let refused: Value = reply.json().unwrap();
    assert_eq!(
        refused["message"],
        "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER."
    );
    let out = admin(&server, &data, &["mi", "endpoint-secret", "remove", "worker"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("has no endpoint secret"), "{stderr}");
    // `--output json` gives the whole answer, the secret included, for scripts.
    let made =
        admin_json(&server, &data, &["mi", "endpoint-secret", "create", mi["appId"].as_str().unwrap()]);
    assert_eq!(made["endpointsEnabled"], true);
    assert_eq!(made["secret"].as_str().unwrap().len(), 131);
}
