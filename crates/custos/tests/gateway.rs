//! End-to-end test of `custos gateway --config`: a real `custos serve` issues the tokens (an API with
//! an app role and two daemons registered through Graph), the real binary runs the gateway in front
//! of an echo upstream, and only the daemon holding the role gets through.

mod common;

use common::{Server, admin_token, custos, init_json, token};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const API_URI: &str = "api://gateway-e2e";
const ROLE: &str = "Orders.Read";

/// A running `custos gateway`; killed when dropped.
struct GatewayProcess {
    child: Child,
    port: u16,
}

impl GatewayProcess {
    fn start(config: &std::path::Path) -> Self {
        let mut child = custos()
            .args(["gateway", "--listen", "127.0.0.1:0", "--config"])
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("custos gateway starts");
        let (tx, rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[gateway] {line}");
                if let Some(port) = line
                    .split("gateway listening on http://127.0.0.1:")
                    .nth(1)
                    .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|p| p.parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
            }
        });
        let port =
            rx.recv_timeout(Duration::from_secs(60)).expect("the gateway reports its port within 60 s");
        Self { child, port }
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An upstream that answers every request with its request line and headers as JSON.
fn echo_upstream() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().map_while(Result::ok) {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap_or(0) == 1 {
                head.push(byte[0]);
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let mut lines = head.split("\r\n");
            let target = lines.next().unwrap_or_default().split(' ').nth(1).unwrap_or_default().to_owned();
            let headers: serde_json::Map<String, Value> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(n, v)| (n.trim().to_ascii_lowercase(), json!(v.trim())))
                .collect();
            let body = json!({ "target": target, "headers": headers }).to_string();
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes());
        }
    });
    addr
}

/// Registers an application (and its service principal) through Graph; returns (appId, SP id, app).
fn register(
    http: &reqwest::blocking::Client,
    base: &str,
    admin: &str,
    body: Value,
) -> (String, String, Value) {
    let app: Value = http
        .post(format!("{base}/v1.0/applications"))
        .bearer_auth(admin)
        .json(&body)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let app_id = app["appId"].as_str().unwrap_or_else(|| panic!("application created: {app}")).to_owned();
    let sp: Value = http
        .post(format!("{base}/v1.0/servicePrincipals"))
        .bearer_auth(admin)
        .json(&json!({ "appId": app_id }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let sp_id = sp["id"].as_str().unwrap_or_else(|| panic!("service principal created: {sp}")).to_owned();
    (app_id, sp_id, app)
}

/// Adds a client secret and returns its text.
fn add_secret(http: &reqwest::blocking::Client, base: &str, admin: &str, app: &Value) -> String {
    let secret: Value = http
        .post(format!("{base}/v1.0/applications/{}/addPassword", app["id"].as_str().unwrap()))
        .bearer_auth(admin)
        .json(&json!({ "passwordCredential": { "displayName": "e2e" } }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    secret["secretText"].as_str().unwrap_or_else(|| panic!("secret added: {secret}")).to_owned()
}

#[test]
fn gateway_admits_a_real_token_with_the_role_and_refuses_one_without() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = init_json(&data, &[]);
    let tenant = init["tenantId"].as_str().unwrap();
    let server = Server::start(&data, &[]);
    let http = server.client();
    let base = server.url();
    let admin = admin_token(&http, &base, &init);

    let role_id = "2a1b9f0e-4c7d-4e8f-9a6b-3c2d1e0f9a8b";
    let (api_id, api_sp, _) = register(
        &http,
        &base,
        &admin,
        json!({
            "displayName": "Gateway e2e API",
            "identifierUris": [API_URI],
            "api": { "requestedAccessTokenVersion": 2 },
            "appRoles": [{
                "id": role_id, "allowedMemberTypes": ["Application"], "value": ROLE,
                "displayName": ROLE, "description": "Read orders", "isEnabled": true
            }]
        }),
    );
    let (daemon_id, daemon_sp, daemon) =
        register(&http, &base, &admin, json!({ "displayName": "Gateway daemon" }));
    let daemon_secret = add_secret(&http, &base, &admin, &daemon);
    let (other_id, _, other) = register(&http, &base, &admin, json!({ "displayName": "Gateway outsider" }));
    let other_secret = add_secret(&http, &base, &admin, &other);
    let assigned = http
        .post(format!("{base}/v1.0/servicePrincipals/{api_sp}/appRoleAssignedTo"))
        .bearer_auth(&admin)
        .json(&json!({ "principalId": daemon_sp, "resourceId": api_sp, "appRoleId": role_id }))
        .send()
        .unwrap();
    assert_eq!(assigned.status().as_u16(), 201, "role assigned");

    let upstream = echo_upstream();
    let config = dir.path().join("gateway.toml");
    let ca = data.join("tls/ca.pem");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:8080\"\n\n[guard]\nAuthority = \"{base}\"\nCaFile = \"{}\"\nServiceAuthTenantId = \"{tenant}\"\nServiceAuthAudience = \"{API_URI};{api_id}\"\nServiceAuthRole = \"{ROLE}\"\n\n[[routes]]\nprefix = \"/api/\"\nupstream = \"http://{upstream}\"\n",
            ca.display()
        ),
    )
    .unwrap();
    let gateway = GatewayProcess::start(&config);
    let plain = reqwest::blocking::Client::new();
    let url = format!("http://127.0.0.1:{}/api/orders?top=5", gateway.port);

    let scope = format!("{API_URI}/.default");
    let (status, body) = token(&http, &base, tenant, &daemon_id, &daemon_secret, &scope);
    assert_eq!(status, 200, "daemon token: {body}");
    let response = plain
        .get(&url)
        .bearer_auth(body["access_token"].as_str().unwrap())
        .header("X-Custos-Roles", "Forged")
        .send()
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let echo: Value = response.json().unwrap();
    assert_eq!(echo["target"], "/api/orders?top=5");
    assert_eq!(echo["headers"]["x-custos-roles"], ROLE);
    assert_eq!(echo["headers"]["x-custos-client-id"], daemon_id.as_str());
    assert_eq!(echo["headers"]["x-custos-object-id"], daemon_sp.as_str());
    assert_eq!(echo["headers"]["x-custos-tenant-id"], tenant);
    assert_eq!(echo["headers"]["x-forwarded-for"], "127.0.0.1");

    let (status, body) = token(&http, &base, tenant, &other_id, &other_secret, &scope);
    assert_eq!(status, 200, "outsider token: {body}");
    let refused = plain.get(&url).bearer_auth(body["access_token"].as_str().unwrap()).send().unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(
        refused.headers()["www-authenticate"],
        "Bearer error=\"insufficient_scope\", error_description=\"the token does not carry a required role\""
    );
    let anonymous = plain.get(&url).send().unwrap();
    assert_eq!(
        (anonymous.status().as_u16(), anonymous.headers()["www-authenticate"].to_str().unwrap()),
        (401, "Bearer")
    );
    let health = plain.get(format!("http://127.0.0.1:{}/healthz", gateway.port)).send().unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

#[test]
fn gateway_refuses_a_config_with_an_unknown_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gateway.toml");
    std::fs::write(
        &config,
        "listen = \"127.0.0.1:0\"\nupstream_timeout = 5\n\n[guard]\nAuthority = \"https://localhost:8443\"\nServiceAuthTenantId = \"72f988bf-86f1-41af-91ab-2d7cd011db47\"\nServiceAuthAudience = \"api://x\"\n\n[[routes]]\nprefix = \"/api/\"\nupstream = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let out = custos().arg("gateway").arg("--config").arg(&config).output().expect("the custos binary runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: invalid gateway configuration: unknown field `upstream_timeout`"),
        "{stderr}"
    );
}
