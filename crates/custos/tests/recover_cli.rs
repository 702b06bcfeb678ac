//! End-to-end test of `custos recover-admin` (issue 10: a tenant could lock itself out): the
//! bootstrap admin removes its own last secret over Graph, so no Graph token can be had; the
//! operator stops the server, runs `custos recover-admin` on the data directory, and the new
//! secret it prints (and writes to `admin.json`, mode 0600) works again, for Graph and the admin
//! API.

mod common;

use common::{Server, admin_token, custos, init_json, token};
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const GRAPH: &str = "https://graph.microsoft.com/.default";

fn recover(data: &Path, extra: &[&str]) -> std::process::Output {
    custos().arg("recover-admin").arg("--data-dir").arg(data).args(extra).output().expect("custos runs")
}

fn graph_token_status(server: &Server, profile: &Value, secret: &str) -> u16 {
    let tenant = profile["tenantId"].as_str().unwrap();
    let client = profile["adminClientId"].as_str().unwrap();
    token(&server.client(), &server.url(), tenant, client, secret, GRAPH).0
}

#[test]
fn an_operator_recovers_a_tenant_whose_admin_lost_every_secret() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = init_json(&data, &[]);
    let old_secret = init["adminClientSecret"].as_str().unwrap().to_owned();

    // Lock out: the only administrator removes its only secret.
    let server = Server::start(&data, &[]);
    let http = server.client();
    let bearer = admin_token(&http, &server.url(), &init);
    let app_url =
        format!("{}/v1.0/applications(appId='{}')", server.url(), init["adminClientId"].as_str().unwrap());
    let app: Value = http.get(&app_url).bearer_auth(&bearer).send().unwrap().json().unwrap();
    let key_id = app["passwordCredentials"][0]["keyId"].as_str().unwrap().to_owned();
    let removed = http
        .post(format!("{app_url}/removePassword"))
        .bearer_auth(&bearer)
        .json(&serde_json::json!({ "keyId": key_id }))
        .send()
        .unwrap();
    assert_eq!(removed.status().as_u16(), 204);
    assert_eq!(graph_token_status(&server, &init, &old_secret), 401, "locked out");
    assert!(server.terminate().success());

    let out = recover(&data, &["--json"]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "recover-admin failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stdout.trim().lines().count(), 1, "--json prints one line: {stdout}");
    let recovered: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(recovered["tenantId"], init["tenantId"]);
    assert_eq!(recovered["adminClientId"], init["adminClientId"]);
    assert_eq!(recovered["publicUrl"], init["publicUrl"]);
    assert_eq!(recovered["caCertPath"], init["caCertPath"]);
    let secret = recovered["adminClientSecret"].as_str().unwrap().to_owned();
    assert_ne!(secret, old_secret);
    let profile = data.join("admin.json");
    let written: Value = serde_json::from_slice(&std::fs::read(&profile).unwrap()).unwrap();
    assert_eq!(written, recovered);
    assert_eq!(std::fs::metadata(&profile).unwrap().permissions().mode() & 0o777, 0o600);

    let server = Server::start(&data, &[]);
    assert_eq!(graph_token_status(&server, &recovered, &secret), 200);
    let bearer = admin_token(&server.client(), &server.url(), &recovered);
    let tenants =
        server.client().get(format!("{}/admin/v1/tenants", server.url())).bearer_auth(bearer).send().unwrap();
    assert_eq!(tenants.status().as_u16(), 200, "the recovered admin administers the installation");
}

#[test]
fn recovery_prints_the_secret_once_for_people_and_refuses_a_directory_that_is_not_custos() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = init_json(&data, &[]);
    let tenant = init["tenantDomain"].as_str().unwrap();
    let out = recover(&data, &["--tenant", tenant]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let profile: Value = serde_json::from_slice(&std::fs::read(data.join("admin.json")).unwrap()).unwrap();
    let secret = profile["adminClientSecret"].as_str().unwrap();
    assert!(stdout.contains(&format!("admin secret      {secret}   (shown once)")), "{stdout}");
    assert!(stdout.contains(init["adminClientId"].as_str().unwrap()), "{stdout}");

    let out = recover(&data, &["--tenant", "nowhere.example"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("there is no tenant 'nowhere.example'"));

    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let out = recover(&empty, &[]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("is not an initialised custos data directory"), "{stderr}");
    assert!(!empty.join("custos.db").exists(), "nothing was created");
}
