//! Crash drills (issue 16 item 4): `kill -9` of the server right after it spent something must
//! leave it spent after a restart: a certificate assertion accepted in a tenant with strict or
//! compat replay protection stays refused (its replay marker was committed, to its own database
//! file, before the token was returned), a redeemed authorization code stays redeemed (one
//! conditional update before the answer), and a rotated refresh token stays rotated (the rotation
//! is one transaction).

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

/// A user who may use the password grant, and a public client consented tenant-wide for
/// Graph's `User.Read`, in `drill`'s tenant.
struct UserClient {
    client_id: String,
    upn: String,
}

const PASSWORD: &str = "Drill-Passw0rd!";
const USER_SCOPE: &str = "https://graph.microsoft.com/User.Read offline_access";

impl UserClient {
    fn register(drill: &Drill, server: &Server) -> Self {
        let tenant = drill.tenant();
        let send = |method, path: &str, body| drill.send(server, method, path, body);
        send(
            reqwest::Method::PATCH,
            &format!("/admin/v1/tenants/{tenant}/settings"),
            json!({"allowPasswordGrant": true}),
        );
        let upn = format!("drill@{}", drill.init["tenantDomain"].as_str().unwrap());
        send(
            reqwest::Method::POST,
            "/v1.0/users",
            json!({"accountEnabled": true, "displayName": "Drill",
            "userPrincipalName": upn, "passwordProfile": {"password": PASSWORD}}),
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
        send(
            reqwest::Method::POST,
            &format!("/admin/v1/tenants/{tenant}/consent"),
            json!({"appId": client_id}),
        );
        Self { client_id, upn }
    }

    /// A token-endpoint call of this client.
    fn grant(&self, drill: &Drill, server: &Server, form: &[(&str, &str)]) -> (u16, Value) {
        let reply = server
            .client()
            .post(format!("{}/{}/oauth2/v2.0/token", server.url(), drill.tenant()))
            .form(&[[("client_id", self.client_id.as_str())].as_slice(), form].concat())
            .send()
            .unwrap();
        (reply.status().as_u16(), reply.json().unwrap())
    }

    /// An authorization code, signed in through the sign-in page as a browser would (the page's
    /// hidden fields, its cookie, and the redirect to the loopback URI, not followed).
    fn code(&self, drill: &Drill, server: &Server) -> String {
        let browser = server.browser();
        let path = format!("{}/{}/oauth2/v2.0/authorize", server.url(), drill.tenant());
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", "http://localhost")
            .append_pair("scope", USER_SCOPE)
            .finish();
        let page = browser.get(format!("{path}?{query}")).send().unwrap();
        assert_eq!(page.status().as_u16(), 200);
        let cookies: Vec<String> = page
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned())
            .collect();
        let body = page.text().unwrap();
        let hidden = |name: &str| {
            let marker = format!(r#"name="{name}" value=""#);
            let start = body.find(&marker).unwrap_or_else(|| panic!("no {name} in {body}")) + marker.len();
            body[start..start + body[start..].find('"').unwrap()].replace("&amp;", "&")
        };
        let signed_in = browser
            .post(&path)
            .header(reqwest::header::COOKIE, cookies.join("; "))
            .form(&[
                ("ctx", hidden("ctx").as_str()),
                ("csrf", hidden("csrf").as_str()),
                ("login", self.upn.as_str()),
                ("passwd", PASSWORD),
            ])
            .send()
            .unwrap();
        let location =
            signed_in.headers().get(reqwest::header::LOCATION).map(|l| l.to_str().unwrap().to_owned());
        let location = location.unwrap_or_else(|| panic!("no redirect: {}", signed_in.text().unwrap()));
        let code = location
            .strip_prefix("http://localhost/?code=")
            .or_else(|| location.strip_prefix("http://localhost?code="));
        let code = code.unwrap_or_else(|| panic!("{location}"));
        code.split('&').next().unwrap().to_owned()
    }
}

/// A code redeemed before `kill -9` stays spent after the restart: presenting it again is
/// AADSTS54005, and the refresh token its first redemption issued is revoked with it.
#[test]
fn a_code_redeemed_before_kill_9_stays_spent_after_the_restart() {
    let (drill, server) = Drill::start();
    let user = UserClient::register(&drill, &server);
    let code = user.code(&drill, &server);
    let redeem = |server: &Server| {
        user.grant(
            &drill,
            server,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "http://localhost"),
                ("scope", USER_SCOPE),
            ],
        )
    };
    let (status, first) = redeem(&server);
    assert_eq!(status, 200, "{first}");
    server.kill_hard();

    let server = drill.restart();
    let (status, again) = redeem(&server);
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")), "{again}");
    assert_eq!(again["error_codes"][0], 54005, "{again}");
    let refresh = first["refresh_token"].as_str().unwrap();
    let (status, revoked) = user.grant(
        &drill,
        &server,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", USER_SCOPE)],
    );
    assert_eq!((status, revoked["error"].as_str()), (400, Some("invalid_grant")), "{revoked}");
}

/// A refresh token rotated before `kill -9` stays rotated: after the restart its successor works
/// and the rotated one is refused (no double spend; presenting it revokes the family, AADSTS50173).
#[test]
fn a_refresh_token_rotated_before_kill_9_stays_rotated_after_the_restart() {
    let (drill, server) = Drill::start();
    let user = UserClient::register(&drill, &server);
    let (status, first) = user.grant(
        &drill,
        &server,
        &[("grant_type", "password"), ("username", &user.upn), ("password", PASSWORD), ("scope", USER_SCOPE)],
    );
    assert_eq!(status, 200, "{first}");
    let refresh = |server: &Server, token: &str| {
        user.grant(
            &drill,
            server,
            &[("grant_type", "refresh_token"), ("refresh_token", token), ("scope", USER_SCOPE)],
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
