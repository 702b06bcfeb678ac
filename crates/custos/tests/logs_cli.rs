//! End-to-end test of `custos logs audits` as an operator runs it: `custos init`, `custos
//! serve`, a change through Graph, then the listing (table and JSON, with `--since`, `--app`,
//! `--failed`) and `--follow` as separate processes talking HTTPS to that server: the follow
//! prints a change made while it runs and is then killed.

mod common;

use common::{Server, admin, admin_json, admin_token, bare, graph_post, init_and_serve};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn stdout_of(args: &[&str], out: &std::process::Output) -> String {
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    assert!(
        out.status.success(),
        "custos {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The target names of `Add application` records in a JSON listing.
fn added_apps(records: &Value) -> Vec<String> {
    records
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["activityDisplayName"] == "Add application")
        .map(|r| r["targetResources"][0]["displayName"].as_str().unwrap().to_owned())
        .collect()
}

/// `custos logs audits --follow …` with its stdout lines arriving on a channel (and its stderr
/// lines, prefixed `stderr: `).
fn spawn_follow(server: &Server, data: &Path, extra: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut child = bare(data.parent().unwrap())
        .args(["logs", "audits", "--follow", "--interval", "1s"])
        .args(extra)
        .arg("--server")
        .arg(server.url())
        .arg("--profile")
        .arg(data.join("admin.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("custos logs starts");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let out = tx.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if out.send(line).is_err() {
                return;
            }
        }
    });
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(format!("stderr: {line}")).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// Waits (at most 30 s) for a line containing `needle`; returns it.
fn line_with(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("no line with {needle}: {e}"));
        if line.contains(needle) {
            return line;
        }
    }
}

#[test]
fn an_operator_lists_and_follows_the_directory_audits() {
    let (_dir, data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let base = server.url();
    let token = admin_token(&http, &base, &init);
    graph_post(&http, &base, &token, "/v1.0/applications", &json!({"displayName": "Ledger"}));

    let records = admin_json(&server, &data, &["logs", "audits"]);
    assert_eq!(added_apps(&records)[0], "Ledger", "after what init registered");
    let newest = &records[0];
    assert_eq!(newest["activityDisplayName"], "Add application", "newest first: {records}");
    assert_eq!(newest["initiatedBy"]["app"]["appId"], init["adminClientId"]);

    let args = ["logs", "audits", "--since", "1h", "--limit", "1"];
    let text = stdout_of(&args, &admin(&server, &data, &args));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("TIME") && lines[0].contains("ACTIVITY") && lines[0].ends_with("TARGET"));
    assert!(
        lines[1].contains("  Add application  success  ") && lines[1].ends_with("Application Ledger"),
        "{text}"
    );

    let admin_app = init["adminClientId"].as_str().unwrap();
    let by_admin = admin_json(&server, &data, &["logs", "audits", "--app", admin_app]);
    assert_eq!(added_apps(&by_admin), ["Ledger"]);
    let args = ["logs", "audits", "--app", "Someone Else"];
    assert_eq!(stdout_of(&args, &admin(&server, &data, &args)), "no directory audits\n");
    assert_eq!(admin_json(&server, &data, &["logs", "audits", "--failed"]), json!([]));

    // Follow: the earlier change (within --since), then one made while it runs.
    let (mut follow, lines) = spawn_follow(&server, &data, &["--since", "1h", "--output", "json"]);
    let first: Value = serde_json::from_str(&line_with(&lines, "\"Ledger\"")).unwrap();
    assert_eq!(first["activityDisplayName"], "Add application");
    graph_post(&http, &base, &token, "/v1.0/applications", &json!({"displayName": "Journal"}));
    let new: Value = serde_json::from_str(&line_with(&lines, "\"Journal\"")).unwrap();
    assert_eq!(new["targetResources"][0]["type"], "Application");
    assert!(new["activityDateTime"].as_str() >= first["activityDateTime"].as_str());
    follow.kill().unwrap();
    follow.wait().unwrap();
    let rest: Vec<String> = lines.try_iter().filter(|l| !l.starts_with("stderr: ")).collect();
    assert!(
        rest.iter().all(|l| !l.contains("\"Ledger\"") && !l.contains("\"Journal\"")),
        "printed once: {rest:?}"
    );

    // A table follow without --since starts after the newest record.
    let (mut follow, lines) = spawn_follow(&server, &data, &[]);
    line_with(&lines, "stderr: following /v1.0/auditLogs/directoryAudits"); // it knows where the log ends
    graph_post(&http, &base, &token, "/v1.0/applications", &json!({"displayName": "Register"}));
    let header = lines.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(header.starts_with("TIME") && header.ends_with("TARGET"), "{header}");
    let row = line_with(&lines, "Register");
    assert!(row.contains("Add application"), "{row}");
    follow.kill().unwrap();
    follow.wait().unwrap();
    assert!(lines.try_iter().all(|l| !l.contains("Ledger") && !l.contains("Journal")));
}
