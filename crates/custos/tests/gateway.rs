//! End-to-end tests of `custos gateway --config`: a real `custos serve` issues the tokens (an API with
//! an app role and two daemons registered through Graph), the real binary runs the gateway in front
//! of an echo upstream, and only the daemon holding the role gets through; the key cache keeps the
//! gateway safe from `kid` storms and serving while the authority is down (catalogue E35).

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Server, admin_token, custos, init_and_serve, token};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const API_URI: &str = "api://gateway-e2e";
const ROLE: &str = "Orders.Read";
/// Log messages of the guard's key refreshes (successful or failed).
const REFRESH_LOGS: [&str; 2] = ["guard signing keys refreshed", "guard key refresh failed"];

/// A running `custos gateway`; killed when dropped.
struct GatewayProcess {
    child: Child,
    port: u16,
    lines: mpsc::Receiver<String>,
    /// Every log line received so far.
    log: Vec<String>,
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
        let (tx, lines) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[gateway] {line}");
                let _ = tx.send(line);
            }
        });
        let mut gateway = Self { child, port: 0, lines, log: Vec::new() };
        let ready = gateway.log_until("gateway listening on http://127.0.0.1:");
        gateway.port = ready
            .split("gateway listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|p| p.parse::<u16>().ok())
            .expect("the gateway reports its port");
        gateway
    }

    /// Reads the log up to the first new line containing `marker` (60 s at most) and returns that line.
    fn log_until(&mut self, marker: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("the gateway logs {marker:?} within 60 s"));
            self.log.push(line.clone());
            if line.contains(marker) {
                return line;
            }
        }
    }

    /// Key refreshes (attempted) logged so far.
    fn refreshes(&self) -> usize {
        self.log.iter().filter(|l| REFRESH_LOGS.iter().any(|m| l.contains(m))).count()
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

/// A running authority with the API (role [`ROLE`]), a daemon holding the role and an outsider
/// without it, and a gateway in front of an echo upstream.
struct World {
    _dir: tempfile::TempDir,
    server: Server,
    http: reqwest::blocking::Client,
    base: String,
    tenant: String,
    daemon_id: String,
    daemon_sp: String,
    daemon_secret: String,
    other_id: String,
    other_secret: String,
    gateway: GatewayProcess,
}

impl World {
    fn start() -> Self {
        let (dir, data, init, server) = init_and_serve(&[]);
        let tenant = init["tenantId"].as_str().unwrap().to_owned();
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
        let (other_id, _, other) =
            register(&http, &base, &admin, json!({ "displayName": "Gateway outsider" }));
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
        Self {
            _dir: dir,
            server,
            http,
            base,
            tenant,
            daemon_id,
            daemon_sp,
            daemon_secret,
            other_id,
            other_secret,
            gateway,
        }
    }

    /// A fresh access token for the API, for `client_id`.
    fn token_for(&self, client_id: &str, secret: &str) -> String {
        let scope = format!("{API_URI}/.default");
        let (status, body) = token(&self.http, &self.base, &self.tenant, client_id, secret, &scope);
        assert_eq!(status, 200, "token for {client_id}: {body}");
        body["access_token"].as_str().unwrap().to_owned()
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.gateway.port)
    }
}

#[test]
fn gateway_admits_a_real_token_with_the_role_and_refuses_one_without() {
    let world = World::start();
    let plain = reqwest::blocking::Client::new();
    let url = world.url("/api/orders?top=5");

    let daemon_token = world.token_for(&world.daemon_id, &world.daemon_secret);
    let response =
        plain.get(&url).bearer_auth(&daemon_token).header("X-Custos-Roles", "Forged").send().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let echo: Value = response.json().unwrap();
    assert_eq!(echo["target"], "/api/orders?top=5");
    assert_eq!(echo["headers"]["x-custos-roles"], ROLE);
    assert_eq!(echo["headers"]["x-custos-client-id"], world.daemon_id.as_str());
    assert_eq!(echo["headers"]["x-custos-object-id"], world.daemon_sp.as_str());
    assert_eq!(echo["headers"]["x-custos-tenant-id"], world.tenant.as_str());
    assert_eq!(echo["headers"]["x-forwarded-for"], "127.0.0.1");

    let outsider_token = world.token_for(&world.other_id, &world.other_secret);
    let refused = plain.get(&url).bearer_auth(outsider_token).send().unwrap();
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
    let health = plain.get(world.url("/healthz")).send().unwrap();
    assert_eq!(health.status().as_u16(), 200);
}

/// `token` with its header replaced by one naming `kid` (the signature no longer matters: an unknown
/// key is refused before any signature check).
fn with_kid(token: &str, kid: &str) -> String {
    let (_, rest) = token.split_once('.').unwrap();
    let header = json!({ "alg": "RS256", "typ": "JWT", "kid": kid }).to_string();
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header))
}

/// (status, `WWW-Authenticate`) of `GET url` with `token`.
fn call(client: &reqwest::blocking::Client, url: &str, token: &str) -> (u16, String) {
    let response = client.get(url).bearer_auth(token).send().unwrap();
    let challenge = response.headers().get("www-authenticate").and_then(|v| v.to_str().ok());
    (response.status().as_u16(), challenge.unwrap_or_default().to_owned())
}

/// E35 through the real binaries: a burst of unknown `kid`s right after start-up causes no key
/// refresh beyond the warm-up (at most one per 30 s cooldown; the per-window count is asserted with
/// an injected clock in crates/custos-gateway/tests/e35_keys.rs), and once the authority is killed,
/// valid tokens (also one the gateway never saw) keep passing while unknown `kid`s get 401.
#[test]
fn gateway_survives_kid_storms_and_a_dead_authority() {
    let mut world = World::start();
    let url = world.url("/api/orders");
    let first = world.token_for(&world.daemon_id, &world.daemon_secret);
    let plain = reqwest::blocking::Client::new();
    assert_eq!(call(&plain, &url, &first), (200, String::new()));
    let unknown_key =
        "Bearer error=\"invalid_token\", error_description=\"the signing key is not known\"".to_owned();

    let storm: Vec<_> = (0..8)
        .map(|thread| {
            let (url, token) = (url.clone(), first.clone());
            std::thread::spawn(move || {
                let client = reqwest::blocking::Client::new();
                (0..8)
                    .map(|i| call(&client, &url, &with_kid(&token, &format!("storm-{thread}-{i}"))))
                    .collect()
            })
        })
        .collect();
    for results in storm {
        let results: Vec<(u16, String)> = results.join().unwrap();
        assert!(results.iter().all(|r| *r == (401, unknown_key.clone())), "{results:?}");
    }
    // A refused request with a known correlation id marks the end of the storm in the log.
    let marker = plain.get(&url).header("client-request-id", "e35-storm-end").send().unwrap();
    assert_eq!(marker.status().as_u16(), 401);
    world.gateway.log_until("e35-storm-end");
    assert!(world.gateway.refreshes() <= 2, "warm-up plus at most one refresh: {:?}", world.gateway.log);

    // The authority goes away for good.
    let unseen = world.token_for(&world.daemon_id, &world.daemon_secret);
    assert_ne!(unseen, first);
    let World { server, .. } = world;
    server.kill_hard();
    assert_eq!(call(&plain, &url, &first), (200, String::new()), "a token seen before");
    assert_eq!(call(&plain, &url, &unseen), (200, String::new()), "a token first seen now");
    assert_eq!(call(&plain, &url, &with_kid(&unseen, "after-the-fall")), (401, unknown_key));
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
