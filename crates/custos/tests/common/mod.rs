//! The `custos` binary's test harness (it needs the binary under test, so it stays here): `init`,
//! `serve` on a free port, an HTTPS client that trusts the data directory's development CA, and
//! the admin CLI run against a server. Generic helpers (JWT claims, TLS clients) are
//! `custos_testkit`'s.

#![allow(dead_code, unreachable_pub)] // each test file uses a different part of this module

pub mod resource;

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The binary under test.
pub fn custos() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_custos"));
    // The machine may point these at the system bundle; the tests pass their CA explicitly.
    for var in ["SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"] {
        cmd.env_remove(var);
    }
    cmd.env_remove("CUSTOS_DATABASE_URL").env("CUSTOS_LOG", "info");
    cmd
}

/// Runs `custos init --json` and returns its one JSON object.
pub fn init_json(data_dir: &Path, extra: &[&str]) -> Value {
    let out = custos()
        .args(["init", "--json", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .output()
        .expect("custos init runs");
    assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim().lines().count(), 1, "init --json prints one line: {stdout}");
    serde_json::from_str(stdout.trim()).expect("init --json prints JSON")
}

/// A data directory in a new temporary directory, initialised by `init --json`, and
/// `custos serve` over it with `extra` options: (the temporary directory, the data directory,
/// the `init --json` result, the server). Keep the temporary directory alive as long as the server.
pub fn init_and_serve(extra: &[&str]) -> (tempfile::TempDir, PathBuf, Value, Server) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = init_json(&data, &[]);
    let server = Server::start(&data, extra);
    (dir, data, init, server)
}

/// A running `custos serve`; killed when dropped.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub data_dir: PathBuf,
    /// The port of `--metrics-listen`, when given (its `metrics listening on` line).
    pub metrics_port: Option<u16>,
}

impl Server {
    /// Starts `custos serve --listen 127.0.0.1:0` and waits for its `listening on` line.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Self {
        let mut child = custos()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("custos serve starts");
        let (tx, rx) = mpsc::channel();
        let (metrics_tx, metrics_rx) = mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let port_after = |line: &str, prefix: &str| {
            line.split(prefix)
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|p| p.parse::<u16>().ok())
        };
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[custos] {line}");
                // Logged before the public listener's line.
                if let Some(port) = port_after(&line, "metrics listening on http://127.0.0.1:") {
                    let _ = metrics_tx.send(port);
                } else if let Some(port) = port_after(&line, "listening on https://127.0.0.1:") {
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx.recv_timeout(Duration::from_secs(60)).expect("server reports its port within 60 s");
        let metrics_port = metrics_rx.try_recv().ok();
        Self { child, port, data_dir: data_dir.to_owned(), metrics_port }
    }

    /// `https://localhost:PORT`.
    pub fn url(&self) -> String {
        format!("https://localhost:{}", self.port)
    }

    /// A client that trusts the development CA of this data directory.
    pub fn client(&self) -> reqwest::blocking::Client {
        self.client_builder().build().unwrap()
    }

    /// The same client, but one that does not follow redirects (a browser's view of them).
    pub fn browser(&self) -> reqwest::blocking::Client {
        self.client_builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    fn client_builder(&self) -> reqwest::blocking::ClientBuilder {
        let pem = std::fs::read(self.data_dir.join("tls/ca.pem")).unwrap();
        reqwest::blocking::Client::builder().tls_certs_only([reqwest::Certificate::from_pem(&pem).unwrap()])
    }

    /// Sends SIGTERM and returns the exit status (waits at most 15 s).
    #[allow(clippy::disallowed_methods)] // polling a child process from a synchronous test
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        for _ in 0..150 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not stop within 15 s of SIGTERM");
    }

    /// Kills the process without warning (`kill -9`).
    pub fn kill_hard(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Client credentials against the v2 endpoint; returns the parsed response and the status.
pub fn token(
    http: &reqwest::blocking::Client,
    base: &str,
    tenant: &str,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> (u16, Value) {
    let resp = http
        .post(format!("{base}/{tenant}/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
            ("scope", scope),
        ])
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().unwrap())
}

/// A Graph token for the bootstrap admin of an `init --json` result.
pub fn admin_token(http: &reqwest::blocking::Client, base: &str, init: &Value) -> String {
    let (status, body) = token(
        http,
        base,
        init["tenantId"].as_str().unwrap(),
        init["adminClientId"].as_str().unwrap(),
        init["adminClientSecret"].as_str().unwrap(),
        "https://graph.microsoft.com/.default",
    );
    assert_eq!(status, 200, "admin token: {body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// `POST {base}{path}` of the JSON `body` as `token`; asserts success and returns the JSON answer.
pub fn graph_post(
    http: &reqwest::blocking::Client,
    base: &str,
    token: &str,
    path: &str,
    body: &Value,
) -> Value {
    let resp = http.post(format!("{base}{path}")).bearer_auth(token).json(body).send().unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().unwrap()
}

/// Variables that would override a test's explicit admin-CLI connection options.
pub const CONNECTION_ENV: [&str; 8] = [
    "CUSTOS_SERVER",
    "CUSTOS_TENANT",
    "CUSTOS_CLIENT_ID",
    "CUSTOS_CLIENT_SECRET",
    "CUSTOS_CLIENT_SECRET_FILE",
    "CUSTOS_CA",
    "CUSTOS_PROFILE",
    "CUSTOS_OUTPUT",
];

/// The binary, run in `cwd`, with no connection settings from the environment.
pub fn bare(cwd: &Path) -> Command {
    let mut cmd = custos();
    for var in CONNECTION_ENV {
        cmd.env_remove(var);
    }
    cmd.current_dir(cwd);
    cmd
}

/// Runs an admin command against `server` with the profile of `data`.
pub fn admin(server: &Server, data: &Path, args: &[&str]) -> std::process::Output {
    bare(data.parent().unwrap())
        .args(args)
        .arg("--server")
        .arg(server.url())
        .arg("--profile")
        .arg(data.join("admin.json"))
        .output()
        .expect("the custos binary runs")
}

/// Runs an admin command with `--output json`, asserts success and one JSON document on stdout.
pub fn admin_json(server: &Server, data: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--output", "json"]);
    let out = admin(server, data, &all);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "custos {args:?} failed: {stderr}\nstdout: {stdout}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("custos {args:?} printed no single JSON document ({e}): {stdout}"))
}

/// Runs one SQL statement with `psql` against `url`; asserts it succeeded.
pub fn psql(url: &str, sql: &str) {
    let out =
        Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql]).output().expect("psql runs");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The wall clock, for assertions a real server checks against its own.
#[allow(clippy::disallowed_methods)] // signing for a real server's wall clock
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}
