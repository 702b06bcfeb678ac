//! Signing-key rotation over HTTP: the admin API (`/admin/v1/signing-keys`, its protection) and
//! the rotation test: every token issued before, during and after a rotation verifies against
//! the key sets published at every later point until it expires, and a retired key leaves the
//! key sets only after its tokens have expired plus the resource-cache margin.

mod common;

use axum::body::Body;
use axum::http::Request;
use common::*;
use custos_core::Clock;
use custos_core::TenantId;
use custos_core::ids::GRAPH_APP_ID;
use custos_core::model::Tenant;
use custos_jose::secret::SecretHasher;
use custos_jose::testing::verified_with_jwks;
use serde_json::{Value, json};
use time::Duration;

const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const ADMIN_SECRET: &str = "admin-secret-value";
/// Token lifetime plus the 5 minutes of clock skew resources allow.
const TOKEN_VALIDITY: Duration = Duration::seconds(3599 + 300);
const CACHE_MARGIN: Duration = Duration::hours(24);

/// A fixture whose router also serves the admin API, with callers of the directory API.
struct Admin {
    fx: Fixture,
    /// `Custos.Admin` in the home tenant.
    admin: App,
    /// Only `Application.Read.All` in the home tenant.
    reader: App,
    /// `Custos.Admin` in a second tenant.
    other_tenant: TenantId,
    other_admin: App,
}

/// Registers the directory API in `tenant` with `roles` and one client per role list.
async fn directory_callers(fx: &Fixture, tenant: TenantId, grants: &[&[&str]]) -> Vec<App> {
    let store = fx.directory.store().as_ref();
    let roles = vec![role("Custos.Admin", true), role("Application.Read.All", true)];
    let graph = register(store, tenant, "Microsoft Graph", Some("https://graph.microsoft.com"), |a, sp| {
        a.app_id = GRAPH_APP_ID;
        sp.app_id = GRAPH_APP_ID;
        a.app_roles = roles.clone();
    })
    .await;
    let hasher = SecretHasher::new(&[3; 32]);
    let mut clients = Vec::new();
    for granted in grants {
        let client = register(store, tenant, "Caller", None, |a, _| {
            a.password_credentials = vec![secret(&hasher, ADMIN_SECRET, NOW - 86_400, NOW + 365 * 86_400)];
        })
        .await;
        for value in *granted {
            let r = roles.iter().find(|r| r.value.as_deref() == Some(value)).unwrap();
            assign(store, tenant, &client, &graph, r).await;
        }
        clients.push(client);
    }
    fx.directory.invalidate(tenant);
    clients
}

impl Admin {
    async fn new() -> Self {
        let mut fx = Fixture::new().await;
        fx.router = fx.router.clone().merge(directory_routes(&fx, &fx.authority));
        let home = directory_callers(&fx, fx.tenant, &[&["Custos.Admin"], &["Application.Read.All"]]).await;
        let other_tenant = TenantId::new_random();
        let tenant = Tenant {
            id: other_tenant,
            domain: "other.custos.test".into(),
            display_name: "Other".into(),
            created: at(NOW - 86_400),
        };
        fx.directory.store().create_tenant(&tenant, &audit()).await.unwrap();
        let other = directory_callers(&fx, other_tenant, &[&["Custos.Admin"]]).await;
        let [admin, reader] = <[App; 2]>::try_from(home).unwrap();
        let other_admin = other.into_iter().next().unwrap();
        Self { fx, admin, reader, other_tenant, other_admin }
    }

    /// A token from `tenant`'s v2 endpoint for `client` and `scope`.
    async fn token_in(&self, tenant: TenantId, client: &App, secret: &str, scope: &str) -> String {
        let body = self.fx.v2_body(client, secret, scope);
        let reply = post_form(&self.fx.router, &format!("/{tenant}/oauth2/v2.0/token"), &body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json["access_token"].as_str().unwrap().to_owned()
    }

    async fn graph_token(&self, client: &App) -> String {
        self.token_in(self.fx.tenant, client, ADMIN_SECRET, GRAPH_SCOPE).await
    }

    /// A token of the fixture's daemon for a resource API.
    async fn api_token(&self) -> String {
        self.token_in(self.fx.tenant, &self.fx.client, SECRET, "api://resource-v2/.default").await
    }

    async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Reply {
        let mut request =
            Request::builder().method(method).uri(path).header("client-request-id", CORRELATION);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        send(&self.fx.router, request.body(body).unwrap()).await
    }

    async fn list(&self) -> Vec<Value> {
        let token = self.graph_token(&self.admin).await;
        let reply = self.call("GET", "/admin/v1/signing-keys", Some(&token), None).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.json["value"].as_array().unwrap().clone()
    }

    async fn rotate(&self, activate_in: &str) -> Value {
        let token = self.graph_token(&self.admin).await;
        let body = json!({ "activateIn": activate_in });
        let reply = self.call("POST", "/admin/v1/signing-keys/rotate", Some(&token), Some(body)).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
        reply.json
    }

    /// Both published key sets (v1 and v2).
    async fn key_sets(&self) -> [Value; 2] {
        [
            get(&self.fx.router, "/common/discovery/keys").await.json,
            get(&self.fx.router, &format!("/{}/discovery/v2.0/keys", self.fx.tenant)).await.json,
        ]
    }
}

fn kid_of(token: &str) -> String {
    jwt_header(token)["kid"].as_str().unwrap().to_owned()
}

/// The RSA keys' ids in a key set. Each RSA signing key is published with its P-256 companion
/// (for APIs that ask for ES256 tokens), which rotates with it: checked here too.
fn published_kids(jwks: &Value) -> Vec<String> {
    let keys = jwks["keys"].as_array().unwrap();
    let rsa: Vec<&Value> = keys.iter().filter(|k| k["kty"] == "RSA").collect();
    let ec = keys.iter().filter(|k| k["kty"] == "EC").count();
    assert_eq!(ec, rsa.len(), "one P-256 companion per RSA key: {jwks}");
    let mut kids: Vec<String> = rsa.iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    kids.sort();
    kids
}

/// Whether `token`'s signature verifies with the key its `kid` names in `jwks` (time is checked
/// against the fixture's clock by the caller).
fn verifies(jwks: &Value, token: &str) -> bool {
    verified_with_jwks(jwks, token).is_some()
}

fn assert_graph_error(reply: &Reply, status: u16, code: &str, message: &str) {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert_eq!(reply.json["error"]["code"], code, "{}", reply.text);
    assert_eq!(reply.json["error"]["message"], message, "{}", reply.text);
    let inner = &reply.json["error"]["innerError"];
    assert_eq!(inner["client-request-id"], CORRELATION);
    assert_eq!(inner["request-id"].as_str().unwrap().len(), 36);
    assert!(inner["date"].as_str().unwrap().starts_with("20"), "{}", reply.text);
    assert_eq!(reply.header("client-request-id"), Some(CORRELATION));
    if status == 401 {
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    }
}

#[tokio::test]
async fn the_admin_lists_the_keys_with_states_and_dates() {
    let a = Admin::new().await;
    let keys = a.list().await;
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_object().unwrap();
    let mut fields: Vec<&str> = key.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["activates", "created", "kid", "retires", "state"]);
    assert_eq!(key["kid"], a.fx.authority.keys().current().kid());
    assert_eq!(key["state"], "current");
    assert_eq!(key["created"], "2030-01-01T00:00:00Z");
    assert_eq!(key["activates"], "2030-01-01T00:00:00Z");
    assert_eq!(key["retires"], Value::Null);
}

#[tokio::test]
async fn a_drill_rotation_signs_the_next_token_with_the_new_key_and_keeps_the_old_one_published() {
    let a = Admin::new().await;
    let old = a.fx.authority.keys().current().kid().to_owned();
    let before = a.api_token().await;
    let new = a.rotate("0s").await;
    assert_eq!(new["state"], "current");
    assert_eq!(new["activates"], "2030-01-01T00:00:00Z");
    let new_kid = new["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old);

    let after = a.api_token().await;
    assert_eq!(kid_of(&after), new_kid);
    for jwks in a.key_sets().await {
        assert_eq!(published_kids(&jwks), {
            let mut k = vec![old.clone(), new_kid.clone()];
            k.sort();
            k
        });
        assert!(verifies(&jwks, &before) && verifies(&jwks, &after));
    }
    let listed = a.list().await;
    let states: Vec<(&str, &str)> =
        listed.iter().map(|k| (k["kid"].as_str().unwrap(), k["state"].as_str().unwrap())).collect();
    assert_eq!(states, [(old.as_str(), "retired"), (new_kid.as_str(), "current")]);
    // 2030-01-01T00:00:00Z + 3599 s + 300 s + 24 h.
    assert_eq!(listed[0]["retires"], "2030-01-02T01:04:59Z");

    // The rotation is recorded installation-wide: the new key, and the old one retired.
    let query = custos_store::LogQuery { tenant: None, ..custos_store::LogQuery::newest(a.fx.tenant, 100) };
    let records = a.fx.directory.store().directory_audits(&query).await.unwrap().records;
    let about = |kid: &str, activity: custos_core::audit::Activity| {
        records.iter().filter(|r| r.activity == activity && r.targets[0].id == kid).count()
    };
    assert_eq!(about(&new_kid, custos_core::audit::Activity::AddSigningKey), 1, "{records:#?}");
    assert_eq!(about(&old, custos_core::audit::Activity::UpdateSigningKey), 1, "{records:#?}");
    let retired = records.iter().find(|r| r.targets[0].id == old).unwrap().to_graph();
    // Asked through the admin API, the rotation names the administrator.
    assert_eq!(retired["initiatedBy"]["app"]["servicePrincipalId"], a.admin.sp.id.to_string());
    assert_eq!(retired["activityDisplayName"], "Update signing key");
    let state = &retired["targetResources"][0]["modifiedProperties"][0];
    assert_eq!(
        (state["oldValue"].as_str(), state["newValue"].as_str()),
        (Some("[\"current\"]"), Some("[\"retired\"]"))
    );
    assert!(!serde_json::to_string(&records).unwrap().contains("sealed"), "no key material");
}

#[tokio::test]
async fn a_rotation_without_a_body_publishes_a_key_that_signs_after_the_publish_ahead_time() {
    let a = Admin::new().await;
    let token = a.graph_token(&a.admin).await;
    let reply = a.call("POST", "/admin/v1/signing-keys/rotate", Some(&token), None).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.json["state"], "next");
    assert_eq!(reply.json["activates"], "2030-01-02T00:00:00Z");
    assert_eq!(reply.json["retires"], Value::Null);
    assert_eq!(published_kids(&a.key_sets().await[0]).len(), 2);
}

#[tokio::test]
async fn bad_rotation_requests_are_400_with_graph_errors() {
    let a = Admin::new().await;
    let token = a.graph_token(&a.admin).await;
    let path = "/admin/v1/signing-keys/rotate";
    let reply = a.call("POST", path, Some(&token), Some(json!({"activateIn": "1h"}))).await;
    assert_graph_error(
        &reply,
        400,
        "Request_BadRequest",
        "a new signing key starts signing at once (0s) or after at least the publish-ahead time (1d) and at most 3650d",
    );
    let reply = a.call("POST", path, Some(&token), Some(json!({"activateIn": "soon"}))).await;
    assert_graph_error(
        &reply,
        400,
        "Request_BadRequest",
        "'soon' is not a duration: use a number and a unit s, m, h or d, such as 0s, 90m, 24h or 7d",
    );
    let reply = a.call("POST", path, Some(&token), Some(json!(["0s"]))).await;
    assert_graph_error(
        &reply,
        400,
        "BadRequest",
        "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
    );
    assert_eq!(a.list().await.len(), 1, "no key was created");
}

#[tokio::test]
async fn callers_without_a_valid_directory_token_get_401() {
    let a = Admin::new().await;
    for (method, path) in [("GET", "/admin/v1/signing-keys"), ("POST", "/admin/v1/signing-keys/rotate")] {
        let reply = a.call(method, path, None, None).await;
        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", "Access token is empty.");
        let invalid = "Access token validation failure. Invalid audience, issuer, signature or lifetime.";
        let reply = a.call(method, path, Some("not.a.token"), None).await;
        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", invalid);
        // A valid token of this server, but for another API.
        let api_token = a.api_token().await;
        let reply = a.call(method, path, Some(&api_token), None).await;
        assert_graph_error(&reply, 401, "InvalidAuthenticationToken", invalid);
    }
    let token = a.graph_token(&a.admin).await;
    a.fx.clock.advance(Duration::hours(2));
    let reply = a.call("GET", "/admin/v1/signing-keys", Some(&token), None).await;
    assert_eq!(reply.status, 401, "an expired token: {}", reply.text);
}

#[tokio::test]
async fn callers_without_custos_admin_of_the_home_tenant_get_403() {
    let a = Admin::new().await;
    let forbidden = "Insufficient privileges to complete the operation.";
    let reader = a.graph_token(&a.reader).await;
    let other = a.token_in(a.other_tenant, &a.other_admin, ADMIN_SECRET, GRAPH_SCOPE).await;
    let claims = jwt_claims(&other);
    assert_eq!(claims["roles"], json!(["Custos.Admin"]), "the other tenant's admin holds the role there");
    for token in [reader, other] {
        let reply = a.call("GET", "/admin/v1/signing-keys", Some(&token), None).await;
        assert_graph_error(&reply, 403, "Authorization_RequestDenied", forbidden);
        let rotate = Some(json!({"activateIn": "0s"}));
        let reply = a.call("POST", "/admin/v1/signing-keys/rotate", Some(&token), rotate).await;
        assert_graph_error(&reply, 403, "Authorization_RequestDenied", forbidden);
    }
    assert_eq!(a.list().await.len(), 1, "no key was created");
}

/// Issues tokens every `step` for `steps` steps (ticking like the server does), and after each
/// step checks every unexpired token against both published key sets.
async fn issue_and_check(a: &Admin, issued: &mut Vec<(String, i64)>, step: Duration, steps: usize) {
    for _ in 0..steps {
        a.fx.clock.advance(step);
        a.fx.authority.keys().tick().await.unwrap();
        let token = a.api_token().await;
        issued.push((token, (a.fx.clock.now() + TOKEN_VALIDITY).unix_timestamp()));
        let now = a.fx.clock.now().unix_timestamp();
        for jwks in a.key_sets().await {
            for (token, valid_until) in issued.iter().filter(|(_, until)| *until > now) {
                assert!(verifies(&jwks, token), "a token valid until {valid_until} failed at {now}");
            }
        }
    }
}

/// Steps until `old` leaves the key sets; returns when that happened.
async fn wait_for_removal(a: &Admin, old: &str) -> i64 {
    for _ in 0..(4 * 24 * 4) {
        a.fx.clock.advance(Duration::minutes(15));
        a.fx.authority.keys().tick().await.unwrap();
        let [v1, v2] = a.key_sets().await;
        let gone = [&v1, &v2].map(|jwks| !published_kids(jwks).contains(&old.to_owned()));
        assert_eq!(gone[0], gone[1], "both key sets agree");
        if gone[0] {
            return a.fx.clock.now().unix_timestamp();
        }
    }
    panic!("the retired key was never removed");
}

#[tokio::test]
async fn tokens_verify_across_a_delayed_rotation_until_they_expire() {
    let a = Admin::new().await;
    let old = a.fx.authority.keys().current().kid().to_owned();
    let mut issued = Vec::new();
    issue_and_check(&a, &mut issued, Duration::minutes(20), 3).await;
    let new = a.rotate("24h").await;
    let new_kid = new["kid"].as_str().unwrap().to_owned();
    let takeover = (a.fx.clock.now() + Duration::hours(24)).unix_timestamp();
    // During the publish-ahead day, tokens are still signed with the old key.
    issue_and_check(&a, &mut issued, Duration::minutes(30), 47).await;
    assert_eq!(kid_of(&issued.last().unwrap().0), old);
    issue_and_check(&a, &mut issued, Duration::minutes(30), 1).await;
    assert_eq!(kid_of(&issued.last().unwrap().0), new_kid, "the new key signs from its activation");
    issue_and_check(&a, &mut issued, Duration::minutes(30), 6).await;

    let last_old = issued.iter().filter(|(t, _)| kid_of(t) == old).map(|(_, until)| *until).max().unwrap();
    let removed = wait_for_removal(&a, &old).await;
    let retires = takeover + (TOKEN_VALIDITY + CACHE_MARGIN).whole_seconds();
    assert!(removed >= retires && removed < retires + 15 * 60, "removed at {removed}, due at {retires}");
    assert!(removed >= last_old + CACHE_MARGIN.whole_seconds(), "old tokens expired a margin before removal");
    for jwks in a.key_sets().await {
        assert_eq!(published_kids(&jwks), vec![new_kid.clone()]);
    }
}

#[tokio::test]
async fn tokens_verify_across_a_drill_rotation_until_they_expire() {
    let a = Admin::new().await;
    let old = a.fx.authority.keys().current().kid().to_owned();
    let mut issued = Vec::new();
    issue_and_check(&a, &mut issued, Duration::minutes(10), 3).await;
    let rotated_at = a.fx.clock.now().unix_timestamp();
    let new = a.rotate("0s").await;
    let new_kid = new["kid"].as_str().unwrap().to_owned();
    issue_and_check(&a, &mut issued, Duration::minutes(30), 6).await;
    assert!(issued[3..].iter().all(|(t, _)| kid_of(t) == new_kid));

    let last_old = issued[..3].iter().map(|(_, until)| *until).max().unwrap();
    let removed = wait_for_removal(&a, &old).await;
    let retires = rotated_at + (TOKEN_VALIDITY + CACHE_MARGIN).whole_seconds();
    assert!(removed >= retires && removed < retires + 15 * 60, "removed at {removed}, due at {retires}");
    assert!(removed >= last_old + CACHE_MARGIN.whole_seconds());
    let stored = a.fx.directory.store().signing_keys().await.unwrap();
    assert_eq!(stored.len(), 2, "the retired key's row is kept");
}
