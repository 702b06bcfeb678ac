//! End-to-end test of `custos federated-credential ...` (alias `fic`) as a user runs it:
//! `custos init`, `custos serve`, then `add`, `list` (table and JSON) and `remove` as separate
//! processes, for an application and for a managed identity (named with `--mi` and found
//! without it).

mod common;

use common::{Server, admin, admin_json, init_and_serve};
use serde_json::json;

const ISSUER: &str = "https://token.actions.githubusercontent.com";
const SUBJECT: &str = "repo:contoso/orders:ref:refs/heads/main";

/// Runs a command expected to fail and returns its stderr.
fn failure(server: &Server, data: &std::path::Path, args: &[&str]) -> String {
    let out = admin(server, data, args);
    assert!(!out.status.success(), "custos {args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

/// Runs a command expected to succeed and returns its table output.
fn table(server: &Server, data: &std::path::Path, args: &[&str]) -> String {
    let out = admin(server, data, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "custos {args:?} failed: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn an_admin_adds_lists_and_removes_federated_credentials() {
    let (_dir, data, _init, server) = init_and_serve(&[]);
    let app = admin_json(&server, &data, &["app", "create", "Deployer"]);
    let app_id = app["appId"].as_str().unwrap();

    // An application, by name and by appId; the alias and the full name.
    let added = admin_json(
        &server,
        &data,
        &["fic", "add", "Deployer", "--name", "github-main", "--issuer", ISSUER, "--subject", SUBJECT],
    );
    assert_eq!(added["name"], "github-main");
    assert_eq!(added["audiences"], json!(["api://AzureADTokenExchange"]));
    assert_eq!(added["description"], json!(null));
    assert!(added.get("@odata.context").is_none());
    let second = admin_json(
        &server,
        &data,
        &[
            "federated-credential",
            "add",
            app_id,
            "--name",
            "k8s",
            "--issuer",
            "https://oidc.cluster.example",
            "--subject",
            "system:serviceaccount:prod:orders",
            "--audience",
            "api://custom",
            "--description",
            "prod cluster",
        ],
    );
    assert_eq!(second["audiences"], json!(["api://custom"]));
    assert_eq!(second["description"], "prod cluster");

    let text = table(&server, &data, &["fic", "list", "Deployer"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("NAME") && lines[0].contains("ISSUER") && lines[0].contains("AUDIENCE"));
    assert!(lines[1].starts_with("github-main") && lines[1].contains(SUBJECT), "{text}");
    assert!(lines[2].starts_with("k8s") && lines[2].contains("api://custom"), "{text}");
    let listed = admin_json(&server, &data, &["fic", "list", app_id]);
    assert_eq!(listed, json!([added, second]));

    // The server's validation reaches the user.
    let refused = failure(
        &server,
        &data,
        &["fic", "add", "Deployer", "--name", "x", "--issuer", ISSUER, "--subject", "other"],
    );
    assert!(refused.contains("400 Request_BadRequest") && refused.contains("between 3 and 120"), "{refused}");
    let refused = failure(
        &server,
        &data,
        &["fic", "add", "Deployer", "--name", "again", "--issuer", ISSUER, "--subject", SUBJECT],
    );
    assert!(refused.contains("The combination of issuer and subject must be unique"), "{refused}");

    let removed = admin_json(&server, &data, &["fic", "remove", "Deployer", "GITHUB-MAIN"]);
    assert_eq!(removed, json!({"appId": app_id, "id": added["id"], "name": "github-main", "removed": true}));
    let text = table(&server, &data, &["fic", "remove", "Deployer", second["id"].as_str().unwrap()]);
    assert_eq!(text, format!("removed federated credential k8s from Deployer ({app_id})\n"));
    assert_eq!(table(&server, &data, &["fic", "list", "Deployer"]), "no federated identity credentials\n");
    let missing = failure(&server, &data, &["fic", "remove", "Deployer", "k8s"]);
    assert!(missing.contains("has no federated identity credential named 'k8s'"), "{missing}");

    // A managed identity, with --mi and found without it.
    let mi = admin_json(&server, &data, &["mi", "create", "worker"]);
    let added = admin_json(
        &server,
        &data,
        &[
            "fic",
            "add",
            "worker",
            "--mi",
            "--name",
            "aks",
            "--issuer",
            "https://oidc.cluster.example",
            "--subject",
            "system:serviceaccount:prod:worker",
        ],
    );
    assert_eq!(added["subject"], "system:serviceaccount:prod:worker");
    let text = table(&server, &data, &["fic", "list", "worker"]);
    assert!(text.starts_with("NAME") && text.lines().nth(1).unwrap().starts_with("aks"), "{text}");
    let listed = admin_json(&server, &data, &["fic", "list", mi["appId"].as_str().unwrap(), "--mi"]);
    assert_eq!(listed, json!([added]));
    let removed = admin_json(&server, &data, &["fic", "remove", "worker", "aks", "--mi"]);
    assert_eq!(removed["appId"], mi["appId"]);
    assert_eq!(removed["removed"], true);
    assert_eq!(admin_json(&server, &data, &["fic", "list", "worker", "--mi"]), json!([]));

    let unknown = failure(&server, &data, &["fic", "list", "nobody"]);
    assert!(unknown.contains("no application matches 'nobody'"), "{unknown}");
}
