//! `custos sample office365-management` against a real custos (`serve --demo`): the demo daemon's
//! token for `https://manage.office.com` is accepted, an `Audit.AzureActiveDirectory` subscription
//! is started, and a directory change and the daemon's token request made just before show up in
//! content blobs, read by the sample through Graph with the demo's reader application and mapped to
//! the common schema (the token request as a workload sign-in, `--include-workload-sign-ins`).

mod common;

use common::{Server, admin_token, custos, graph_post, token};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The Office 365 Management APIs' appId: the resource of the daemon's token.
const MANAGEMENT_APP_ID: &str = "c5393580-f805-4401-95e8-94b7a6ef2fc2";

/// The running sample; killed when dropped.
struct Sample {
    child: Child,
    port: u16,
}

impl Drop for Sample {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sample(server: &Server, data: &std::path::Path, dir: &std::path::Path, demo: &Value) -> Sample {
    let reader = &demo["office365Management"];
    // contentUri carries the API's address, so the port is chosen before the sample starts.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    let mut child = custos()
        .args(["sample", "office365-management", "--listen", &listen, "--authority"])
        .arg(server.url())
        .arg("--ca")
        .arg(data.join("tls/ca.pem"))
        .arg("--data-dir")
        .arg(dir.join("sample"))
        .args(["--client-id", reader["clientId"].as_str().unwrap()])
        .args(["--client-secret-file", reader["secretFile"].as_str().unwrap()])
        .args(["--blob-interval", "1s", "--include-workload-sign-ins"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the sample starts");
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("[sample] {line}");
            if let Some(port) = line
                .split("listening on http://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|p| p.parse::<u16>().ok())
            {
                let _ = tx.send(port);
            }
        }
    });
    let port = rx.recv_timeout(Duration::from_secs(60)).expect("the sample reports its port");
    Sample { child, port }
}

#[test]
#[allow(clippy::disallowed_methods)] // polls a separate process's output from a synchronous test
fn a_directory_change_reaches_audit_azure_active_directory_content() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = Server::start(&data, &["--demo", "--sign-in-log", "on"]);
    let demo: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("demo.json")).unwrap()).unwrap();
    let tenant = demo["tenantId"].as_str().unwrap();
    let (http, base) = (server.client(), server.url());
    let sample = start_sample(&server, &data, dir.path(), &demo);

    let (status, body) = token(
        &http,
        &base,
        tenant,
        demo["clientId"].as_str().unwrap(),
        demo["clientSecret"].as_str().unwrap(),
        "https://manage.office.com/.default",
    );
    assert_eq!(status, 200, "{body}");
    let activity_token = body["access_token"].as_str().unwrap().to_owned();
    let plain = reqwest::blocking::Client::new();
    let feed = format!("http://127.0.0.1:{}/api/v1.0/{tenant}/activity/feed", sample.port);
    let started: Value = plain
        .post(format!("{feed}/subscriptions/start?contentType=Audit.AzureActiveDirectory"))
        .bearer_auth(&activity_token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        started,
        json!({"contentType": "Audit.AzureActiveDirectory", "status": "enabled", "webhook": null})
    );

    // A change made just now, by the tenant's admin.
    let init: Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("admin.json")).unwrap()).unwrap();
    let admin = admin_token(&http, &base, &init);
    let app =
        graph_post(&http, &base, &admin, "/v1.0/applications", &json!({"displayName": "activity probe"}));
    let app_object_id = app["id"].as_str().unwrap().to_owned();

    // Its window closes 15 s later; the sample then cuts a blob within a few seconds.
    let client_id = demo["clientId"].as_str().unwrap();
    let mut found = None;
    let mut sign_in = None;
    for _ in 0..60 {
        std::thread::sleep(Duration::from_secs(1));
        let listed: Value = plain
            .get(format!("{feed}/subscriptions/content?contentType=Audit.AzureActiveDirectory"))
            .bearer_auth(&activity_token)
            .send()
            .unwrap()
            .json()
            .unwrap();
        for blob in listed.as_array().unwrap() {
            let records: Value = plain
                .get(blob["contentUri"].as_str().unwrap())
                .bearer_auth(&activity_token)
                .send()
                .unwrap()
                .json()
                .unwrap();
            let records = records.as_array().unwrap();
            found = found.or_else(|| {
                let probe = |r: &&Value| {
                    r["Operation"] == "Add application." && r["Target"][1]["ID"] == app_object_id.as_str()
                };
                records.iter().find(probe).cloned()
            });
            sign_in = sign_in.or_else(|| {
                let token_request = |r: &&Value| {
                    r["RecordType"] == 15
                        && r["ApplicationId"] == client_id
                        && r["ObjectId"] == MANAGEMENT_APP_ID
                };
                records.iter().find(token_request).cloned()
            });
        }
        if found.is_some() && sign_in.is_some() {
            break;
        }
    }
    let sign_in = sign_in.expect("the daemon's token request is served within 60 s");
    assert_eq!(
        (sign_in["Operation"].as_str(), sign_in["UserType"].as_u64()),
        (Some("UserLoggedIn"), Some(6))
    );
    assert_eq!(sign_in["ExtendedProperties"][3], json!({"Name": "RequestType", "Value": "OAuth2:Token"}));
    let record = found.expect("the new application's audit record is served within 60 s");
    assert_eq!(record["RecordType"], 8);
    assert_eq!(record["OrganizationId"], tenant);
    assert_eq!(record["Workload"], "AzureActiveDirectory");
    assert_eq!(record["Target"][0]["ID"], format!("Application_{app_object_id}"));
    assert_eq!(record["ObjectId"], "Not Available");
    assert_eq!(record["UserType"], 4, "the admin is an application");
    assert!(record["UserId"].as_str().unwrap().starts_with("ServicePrincipal_"), "{record}");

    // A valid token of the tenant on another tenant's feed is refused with AF20010.
    let other = format!(
        "http://127.0.0.1:{}/api/v1.0/{}/activity/feed/subscriptions/list",
        sample.port,
        uuid::Uuid::nil()
    );
    let refused: Value = plain.get(other).bearer_auth(&activity_token).send().unwrap().json().unwrap();
    assert_eq!(refused["error"]["code"], "AF20010");
}
