//! Crash drills (issue 16 item 4): `kill -9` of the server right after it spent something must
//! leave it spent after a restart: a certificate assertion accepted in a tenant with strict or
//! compat replay protection stays refused (its replay marker was committed, to its own database
//! file, before the token was returned), and a rotated refresh token stays rotated (the rotation is one transaction). Codes
//! are spent the same way as refresh tokens (one conditional update before the answer).

mod common;

use common::{Server, admin_token, init_json, now};
use custos_testkit::certs::TestCert;
use serde_json::{Value, json};

const SCOPE: &str = "https://graph.microsoft.com/.default";

/// A server of a fresh data directory, answering as the public URL recorded at init (so a
/// restarted server, on another port, is the same authority: the audience of an assertion), and
/// the bootstrap admin's token.
struct Drill {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    init: Value,
    public: String,
    admin: String,
}

impl Drill {
    fn start() -> (Self, Server) {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let init = init_json(&data, &[]);
        let public = init["publicUrl"].as_str().unwrap().to_owned();
        let server = Server::start(&data, &["--public-url", &public]);
        let admin = admin_token(&server.client(), &server.url(), &init);
        (Self { _dir: dir, data, init, public, admin }, server)
    }

    /// The same installation again, after a crash.
    fn restart(&self) -> Server {
        Server::start(&self.data, &["--public-url", &self.public])
    }

    fn tenant(&self) -> &str {
        self.init["tenantId"].as_str().unwrap()
    }

    /// A Graph or admin API call as the bootstrap admin; asserts success.
    fn send(&self, server: &Server, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", server.url());
        let reply = server.client().request(method, url).bearer_auth(&self.admin).json(&body).send().unwrap();
        assert!(reply.status().is_success(), "{path}: {}", reply.status());
        reply.text().ok().and_then(|t| serde_json::from_str::<Value>(&t).ok()).unwrap_or(Value::Null)
    }
}

fn assertion_token(server: &Server, tenant: &str, client_id: &str, assertion: &str) -> (u16, Value) {
    let reply = server
        .client()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", server.url()))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion),
            ("scope", SCOPE),
        ])
        .send()
        .unwrap();
    (reply.status().as_u16(), reply.json().unwrap())
}

/// A certificate client of `drill`'s tenant (replay protection set to `mode`) and its certificate.
fn certificate_client(drill: &Drill, server: &Server, mode: &str) -> (String, TestCert) {
    let tenant = drill.tenant();
    let send = |method, path: &str, body| drill.send(server, method, path, body);
    send(
        reqwest::Method::PATCH,
        &format!("/admin/v1/tenants/{tenant}/settings"),
        json!({"assertionReplay": mode}),
    );
    let cert = TestCert::new("drill", now() - time::Duration::days(1), now() + time::Duration::days(30));
    let app = send(
        reqwest::Method::POST,
        "/v1.0/applications",
        json!({"displayName": "drill daemon",
        "keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert.base64()}]}),
    );
    let app_id = app["appId"].as_str().unwrap().to_owned();
    send(reqwest::Method::POST, "/v1.0/servicePrincipals", json!({"appId": app_id}));
    (app_id, cert)
}

/// An assertion of `app_id` for `drill`'s v2 token endpoint with this `jti`, living `lifetime` s.
fn assertion(drill: &Drill, cert: &TestCert, app_id: &str, jti: &str, lifetime: i64) -> String {
    let (tenant, public) = (drill.tenant(), &drill.public);
    let issued = now().unix_timestamp();
    cert.sign(
        &json!({"aud": format!("{public}/{tenant}/oauth2/v2.0/token"), "iss": app_id, "sub": app_id,
                "jti": jti, "nbf": issued, "iat": issued, "exp": issued + lifetime}),
        true,
    )
}

#[test]
fn an_assertion_accepted_before_kill_9_stays_spent_after_the_restart() {
    let (drill, server) = Drill::start();
    let (app_id, cert) = certificate_client(&drill, &server, "strict");
    let assertion = assertion(&drill, &cert, &app_id, &uuid::Uuid::new_v4().to_string(), 600);
    let (status, body) = assertion_token(&server, drill.tenant(), &app_id, &assertion);
    assert_eq!(status, 200, "{body}");
    server.kill_hard();

    let server = drill.restart();
    let (status, body) = assertion_token(&server, drill.tenant(), &app_id, &assertion);
    assert_eq!(status, 401, "a spent assertion after kill -9: {body}");
    assert_eq!(body["error_codes"][0], 7000290, "{body}");
}

/// Compat mode (the default) signs the token while the marker is committed and answers only
/// after the commit: a `jti` accepted before `kill -9` still refuses another assertion with the
/// same `jti` afterwards, and also the same assertion when it lives longer than ten minutes.
#[test]
fn a_compat_mode_jti_accepted_before_kill_9_stays_spent_after_the_restart() {
    let (drill, server) = Drill::start();
    let (app_id, cert) = certificate_client(&drill, &server, "compat");
    let jti = uuid::Uuid::new_v4().to_string();
    let long_lived = assertion(&drill, &cert, &app_id, &jti, 3000);
    let (status, body) = assertion_token(&server, drill.tenant(), &app_id, &long_lived);
    assert_eq!(status, 200, "{body}");
    server.kill_hard();

    let server = drill.restart();
    let other = assertion(&drill, &cert, &app_id, &jti, 300);
    for (replayed, what) in
        [(&other, "another assertion with a spent jti"), (&long_lived, "a long-lived reuse")]
    {
        let (status, body) = assertion_token(&server, drill.tenant(), &app_id, replayed);
        assert_eq!(status, 401, "{what} after kill -9: {body}");
        assert_eq!(body["error_codes"][0], 7000290, "{what}: {body}");
    }
    let fresh = assertion(&drill, &cert, &app_id, &uuid::Uuid::new_v4().to_string(), 300);
    assert_eq!(assertion_token(&server, drill.tenant(), &app_id, &fresh).0, 200, "a new jti is accepted");
}

/// A refresh token rotated before `kill -9` stays rotated: after the restart its successor works
/// and the rotated one is refused (no double spend; presenting it revokes the family, AADSTS50173).
#[test]
fn a_refresh_token_rotated_before_kill_9_stays_rotated_after_the_restart() {
    let (drill, server) = Drill::start();
    let (tenant, init) = (drill.tenant(), &drill.init);
    let send = |method, path: &str, body| drill.send(&server, method, path, body);
    send(
        reqwest::Method::PATCH,
        &format!("/admin/v1/tenants/{tenant}/settings"),
        json!({"allowPasswordGrant": true}),
    );
    let upn = format!("drill@{}", init["tenantDomain"].as_str().unwrap());
    let password = "Drill-Passw0rd!";
    send(
        reqwest::Method::POST,
        "/v1.0/users",
        json!({"accountEnabled": true, "displayName": "Drill",
        "userPrincipalName": upn, "passwordProfile": {"password": password}}),
    );
    let app = send(
        reqwest::Method::POST,
        "/v1.0/applications",
        json!({"displayName": "drill desktop",
        "publicClient": {"redirectUris": ["http://localhost"]},
        "requiredResourceAccess": [{"resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"}]}]}),
    );
    let client_id = app["appId"].as_str().unwrap().to_owned();
    send(reqwest::Method::POST, &format!("/admin/v1/tenants/{tenant}/consent"), json!({"appId": client_id}));

    let grant = |server: &Server, form: &[(&str, &str)]| -> (u16, Value) {
        let reply = server
            .client()
            .post(format!("{}/{tenant}/oauth2/v2.0/token", server.url()))
            .form(form)
            .send()
            .unwrap();
        (reply.status().as_u16(), reply.json().unwrap())
    };
    let scope = "https://graph.microsoft.com/User.Read offline_access";
    let (status, first) = grant(
        &server,
        &[
            ("grant_type", "password"),
            ("client_id", &client_id),
            ("username", &upn),
            ("password", password),
            ("scope", scope),
        ],
    );
    assert_eq!(status, 200, "{first}");
    let refresh = |server: &Server, token: &str| {
        grant(
            server,
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &client_id),
                ("refresh_token", token),
                ("scope", scope),
            ],
        )
    };
    let rt1 = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, second) = refresh(&server, &rt1);
    assert_eq!(status, 200, "{second}");
    let rt2 = second["refresh_token"].as_str().unwrap().to_owned();
    server.kill_hard();

    let server = drill.restart();
    let (status, third) = refresh(&server, &rt2);
    assert_eq!(status, 200, "the successor survives kill -9: {third}");
    let (status, reused) = refresh(&server, &rt1);
    assert_eq!((status, reused["error"].as_str()), (400, Some("invalid_grant")), "{reused}");
    assert_eq!(reused["error_codes"][0], 50173, "{reused}");
}
