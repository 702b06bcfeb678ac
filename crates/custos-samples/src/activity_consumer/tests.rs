//! The consumer against a scripted authority and Activity API (one https server on 127.0.0.1 with
//! a throw-away CA) and a manual clock: the callback's state check, the code redemption and
//! onboarding, the webhook's validation answer and `Webhook-AuthID` check, idempotent storage, and
//! polling catching up content whose notifications never arrived.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use custos_core::FixedClock;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tower::ServiceExt as _;

use super::activity::ActivityApi;
use super::routes::{ConsumerState, routes};
use super::settings::{Cli, Settings};
use super::store::{Store, Tenant};
use super::*;

const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
const TENANT_B: &str = "bbbbbbbb-0000-0000-0000-000000000001";
const TENANT_C: &str = "cccccccc-0000-0000-0000-000000000002";
const NOW: i64 = 1_900_000_000;

/// Per tenant: (content id, content type, records).
type Blobs = HashMap<String, Vec<(String, String, Value)>>;

/// What the scripted servers hold and saw.
#[derive(Default)]
struct Script {
    base: Mutex<String>,
    blobs: Mutex<Blobs>,
    /// Code redemptions (form bodies).
    redemptions: Mutex<Vec<HashMap<String, String>>>,
    /// Subscription starts: (tenant, content type, body).
    starts: Mutex<Vec<(String, String, Value)>>,
    /// Content listings: (tenant, query).
    listings: Mutex<Vec<(String, HashMap<String, String>)>>,
}

impl Script {
    fn add_blob(&self, tenant: &str, content_id: &str, records: Value) {
        let mut blobs = self.blobs.lock().unwrap();
        blobs.entry(tenant.to_owned()).or_default().push((
            content_id.to_owned(),
            "Audit.General".to_owned(),
            records,
        ));
    }

    fn content_uri(&self, tenant: &str, content_id: &str) -> String {
        format!("{}/api/v1.0/{tenant}/activity/feed/audit/{content_id}", self.base.lock().unwrap())
    }
}

fn unsigned_jwt(claims: &Value) -> String {
    let encode = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.sig", encode(&json!({"alg": "RS256", "typ": "JWT"})), encode(claims))
}

async fn token(
    State(script): State<Arc<Script>>,
    Path(tenant): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    if tenant == "common" {
        let code = form.get("code").cloned().unwrap_or_default();
        script.redemptions.lock().unwrap().push(form);
        let Some(tid) = code.strip_prefix("code-for-") else {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"error": "invalid_grant", "error_description": "AADSTS70000: The provided code is not valid. Trace ID: x"})),
            )
                .into_response();
        };
        let id_token = unsigned_jwt(&json!({"tid": tid, "upn": "admin@contoso.example"}));
        return axum::Json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "delegated", "id_token": id_token}))
            .into_response();
    }
    assert_eq!(form.get("resource").map(String::as_str), Some("https://manage.office.com"));
    axum::Json(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": format!("tok-{tenant}")}))
        .into_response()
}

fn authorised(headers: &HeaderMap, tenant: &str) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer tok-{tenant}"))
}

async fn start(
    State(script): State<Arc<Script>>,
    Path(tenant): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    assert!(authorised(&headers, &tenant));
    let content_type = query.get("contentType").cloned().unwrap_or_default();
    script.starts.lock().unwrap().push((
        tenant,
        content_type.clone(),
        serde_json::from_str(&body).unwrap_or(Value::Null),
    ));
    axum::Json(json!({"contentType": content_type, "status": "enabled", "webhook": null})).into_response()
}

/// One blob a page, `NextPageUri` until the last.
async fn content(
    State(script): State<Arc<Script>>,
    Path(tenant): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorised(&headers, &tenant) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": {"code": "AF10001", "message": "no"}})),
        )
            .into_response();
    }
    script.listings.lock().unwrap().push((tenant.clone(), query.clone()));
    let page: usize = query.get("nextPage").and_then(|p| p.parse().ok()).unwrap_or(0);
    let blobs = script.blobs.lock().unwrap().get(&tenant).cloned().unwrap_or_default();
    let Some((id, content_type, _)) = blobs.get(page) else { return axum::Json(json!([])).into_response() };
    let entry = json!([{"contentType": content_type, "contentId": id, "contentUri": script.content_uri(&tenant, id),
        "contentCreated": "2030-03-17T17:46:40.000Z", "contentExpiration": "2030-03-24T17:46:40.000Z"}]);
    let mut response = axum::Json(entry).into_response();
    if page + 1 < blobs.len() {
        let next = format!(
            "{}/api/v1.0/{tenant}/activity/feed/subscriptions/content?contentType=Audit.General&nextPage={}",
            script.base.lock().unwrap(),
            page + 1
        );
        response.headers_mut().insert("NextPageUri", next.parse().unwrap());
    }
    response
}

async fn blob(
    State(script): State<Arc<Script>>,
    Path((tenant, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    assert!(authorised(&headers, &tenant), "the tenant's own token");
    let blobs = script.blobs.lock().unwrap().get(&tenant).cloned().unwrap_or_default();
    match blobs.into_iter().find(|(b, _, _)| *b == id) {
        Some((_, _, records)) => axum::Json(records).into_response(),
        None => {
            (StatusCode::BAD_REQUEST, axum::Json(json!({"error": {"code": "AF20050", "message": "unknown"}})))
                .into_response()
        }
    }
}

struct Setup {
    script: Arc<Script>,
    clock: Arc<FixedClock>,
    state: Arc<ConsumerState>,
    app: Router,
    _dir: tempfile::TempDir,
}

async fn setup() -> Setup {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let tls = custos_testkit::tls::TestTls::localhost();
    let listener = custos_listener::Listener::bind("127.0.0.1:0".parse().unwrap(), Some(tls.server_config()))
        .await
        .unwrap();
    let base = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let script = Arc::new(Script::default());
    *script.base.lock().unwrap() = base.clone();
    let feed = "/api/v1.0/{tenant}/activity/feed";
    let server = Router::new()
        .route("/{tenant}/oauth2/token", post(token))
        .route(&format!("{feed}/subscriptions/start"), post(start))
        .route(&format!("{feed}/subscriptions/content"), get(content))
        .route(&format!("{feed}/audit/{{id}}"), get(blob))
        .with_state(Arc::clone(&script));
    tokio::spawn(listener.serve_tower(server, std::future::pending()));

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &tls.ca_pem).unwrap();
    let secret = dir.path().join("secret.txt");
    std::fs::write(&secret, "the secret\n").unwrap();
    let cli = Cli {
        listen: "127.0.0.1:0".parse().unwrap(),
        authority: base.clone(),
        client_id: CLIENT.to_owned(),
        credential: secret,
        data_dir: dir.path().join("data"),
        activity_api: base,
        public_url: Some("https://consumer.example".to_owned()),
        ca: Some(ca),
        tls: Default::default(),
        content_type: Vec::new(),
        poll_interval: time::Duration::seconds(30),
        no_webhook: false,
    };
    let settings = Settings::from_cli(&cli).unwrap();
    let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
    let store = Store::open(&settings.data_dir).await.unwrap();
    let tokens = token_client(&settings, clock.clone()).unwrap();
    let state = Arc::new(build_state(
        &settings,
        store,
        ActivityApi::new(tokens, settings.activity_api.clone()),
        clock.clone(),
    ));
    Setup { script, clock, app: routes(Arc::clone(&state)), state, _dir: dir }
}

impl Setup {
    async fn call(&self, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap();
        (parts.status, parts.headers, body)
    }

    async fn onboard(&self, tenant: &str, auth_id: &str) {
        let tenant = Tenant {
            tenant_id: tenant.to_owned(),
            auth_id: auth_id.to_owned(),
            admin: None,
            onboarded_ms: NOW * 1000,
        };
        self.state.retrieval.store.upsert_tenant(&tenant).await.unwrap();
        self.state
            .retrieval
            .store
            .set_subscription(&tenant.tenant_id, "Audit.General", "enabled", None, NOW * 1000)
            .await
            .unwrap();
    }

    async fn webhook(&self, auth_id: Option<&str>, body: &Value) -> (StatusCode, String) {
        let mut request = Request::post("/webhook").header("content-type", "application/json; utf-8");
        if let Some(auth_id) = auth_id {
            request = request.header("Webhook-AuthID", auth_id);
        }
        let (status, _, body) = self.call(request.body(Body::from(body.to_string())).unwrap()).await;
        (status, body)
    }

    fn notification(&self, tenant: &str, content_id: &str) -> Value {
        json!({"tenantId": tenant, "clientId": CLIENT, "contentType": "Audit.General", "contentId": content_id,
            "contentUri": self.script.content_uri(tenant, content_id),
            "contentCreated": "2030-03-17T17:46:40.000Z", "contentExpiration": "2030-03-24T17:46:40.000Z"})
    }

    async fn count(&self, tenant: &str) -> i64 {
        self.state.retrieval.store.event_count(tenant).await.unwrap()
    }
}

fn get_request(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.body(Body::empty()).unwrap()
}

fn record(id: &str, operation: &str) -> Value {
    json!({"Id": id, "Operation": operation, "CreationTime": "2030-03-17T17:46:00", "RecordType": 1})
}

#[tokio::test]
async fn connect_sends_the_admin_to_the_consent_url_with_a_state_bound_to_the_browser() {
    let s = setup().await;
    let (status, headers, _) = s.call(get_request("/connect", None)).await;
    assert_eq!(status, StatusCode::FOUND);
    let location = headers["location"].to_str().unwrap();
    let authority = s.state.authority.clone();
    let expected = format!(
        "{authority}/common/oauth2/authorize?response_type=code&resource=https%3A%2F%2Fmanage.office.com&client_id={CLIENT}&redirect_uri=https%3A%2F%2Fconsumer.example%2Fcallback&state="
    );
    assert!(location.starts_with(&expected), "{location}");
    let state = &location[expected.len()..];
    assert_eq!(state.len(), 43);
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert_eq!(cookie, format!("AcState={state}; Path=/; Max-Age=600; HttpOnly; SameSite=Lax; Secure"));
    let (status, _, body) = s.call(get_request("/", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<a href=\"/connect\">Connect your organisation</a>"));
}

#[tokio::test]
async fn the_callback_refuses_a_missing_or_different_state_without_redeeming_the_code() {
    let s = setup().await;
    for (uri, cookie) in [
        (format!("/callback?code=code-for-{TENANT_B}&state=abc"), None),
        (format!("/callback?code=code-for-{TENANT_B}&state=abc"), Some("AcState=abd")),
        (format!("/callback?code=code-for-{TENANT_B}"), Some("AcState=abc")),
        (format!("/callback?code=code-for-{TENANT_B}&state="), Some("AcState=")),
    ] {
        let (status, headers, body) = s.call(get_request(&uri, cookie)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri} {cookie:?}");
        assert!(body.contains("Consent not recognised"), "{body}");
        assert!(headers["set-cookie"].to_str().unwrap().starts_with("AcState=; Path=/; Max-Age=0"));
    }
    assert!(s.script.redemptions.lock().unwrap().is_empty(), "no code was redeemed");
    assert!(s.state.retrieval.store.tenants().await.unwrap().is_empty());
    let (status, _, body) = s
        .call(get_request(
            "/callback?error=access_denied&error_description=AADSTS65004%3A+declined&state=abc",
            Some("AcState=abc"),
        ))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("access_denied: AADSTS65004: declined"), "{body}");
    let (status, _, body) = s.call(get_request("/callback?code=bad&state=abc", Some("AcState=abc"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("invalid_grant: AADSTS70000: The provided code is not valid."), "{body}");
    assert!(!body.contains("Trace ID"));
}

#[tokio::test]
async fn a_matching_callback_redeems_the_code_stores_the_tenant_and_subscribes_with_the_webhook() {
    let s = setup().await;
    let (status, _, body) = s
        .call(get_request(&format!("/callback?code=code-for-{TENANT_B}&state=xyz"), Some("a=1; AcState=xyz")))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(TENANT_B) && body.contains("Audit.AzureActiveDirectory: subscribed"), "{body}");
    let redemption = s.script.redemptions.lock().unwrap()[0].clone();
    for (name, value) in [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT),
        ("code", &format!("code-for-{TENANT_B}")),
        ("redirect_uri", "https://consumer.example/callback"),
        ("resource", "https://manage.office.com"),
        ("client_secret", "the secret"),
    ] {
        assert_eq!(redemption.get(name).map(String::as_str), Some(value), "{name}");
    }
    let tenants = s.state.retrieval.store.tenants().await.unwrap();
    assert_eq!(tenants.len(), 1);
    assert_eq!(
        (tenants[0].tenant_id.as_str(), tenants[0].admin.as_deref()),
        (TENANT_B, Some("admin@contoso.example"))
    );
    let starts = s.script.starts.lock().unwrap().clone();
    let types: Vec<&str> = starts.iter().map(|(_, t, _)| t.as_str()).collect();
    assert_eq!(types, ["Audit.AzureActiveDirectory", "Audit.General"]);
    for (tenant, _, body) in &starts {
        assert_eq!(tenant, TENANT_B);
        assert_eq!(body["webhook"]["address"], "https://consumer.example/webhook");
        assert_eq!(body["webhook"]["authId"], tenants[0].auth_id.as_str());
    }
    // A second consent keeps the authId the webhooks were registered with.
    s.call(get_request(&format!("/callback?code=code-for-{TENANT_B}&state=xyz"), Some("AcState=xyz"))).await;
    assert_eq!(s.state.retrieval.store.tenants().await.unwrap(), tenants);
}

#[tokio::test]
async fn the_webhook_answers_validation_and_refuses_a_wrong_auth_id() {
    let s = setup().await;
    s.onboard(TENANT_B, "secret-b").await;
    s.onboard(TENANT_C, "secret-c").await;
    let validation = json!({"validationCode": "8c2b1e2a"});
    assert_eq!(s.webhook(Some("secret-b"), &validation).await.0, StatusCode::OK);
    assert_eq!(s.webhook(Some("secret-c"), &validation).await.0, StatusCode::OK);
    let refused = s.webhook(Some("secret-x"), &validation).await;
    assert_eq!(
        refused,
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"code":"InvalidAuthId","message":"The Webhook-AuthID is not valid."}}"#.to_owned()
        )
    );
    let missing = s.webhook(None, &validation).await;
    assert_eq!(
        missing,
        (
            StatusCode::UNAUTHORIZED,
            r#"{"error":{"code":"MissingAuthId","message":"The Webhook-AuthID header is missing."}}"#
                .to_owned()
        )
    );
    s.script.add_blob(TENANT_B, "blob-1", json!([record("r1", "UserLoggedIn")]));
    let notified = json!([s.notification(TENANT_B, "blob-1")]);
    assert_eq!(s.webhook(Some("secret-x"), &notified).await.0, StatusCode::UNAUTHORIZED);
    for body in [json!({"other": 1}), json!("text"), json!({"validationCode": 7})] {
        let (status, text) = s.webhook(Some("secret-b"), &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(text.contains("InvalidBody"));
    }
    assert!(s.state.retrieval.store.pending(10).await.unwrap().is_empty(), "nothing noted");
}

#[tokio::test]
async fn notified_content_is_stored_once_per_record_and_only_for_its_tenant() {
    let s = setup().await;
    s.onboard(TENANT_B, "secret-b").await;
    s.onboard(TENANT_C, "secret-c").await;
    s.script.add_blob(
        TENANT_B,
        "blob-1",
        json!([record("r1", "UserLoggedIn"), record("r2", "Add application.")]),
    );
    s.script.add_blob(
        TENANT_B,
        "blob-2",
        json!([record("r2", "Add application."), record("r3", "UserLoggedIn")]),
    );
    s.script.add_blob(TENANT_C, "blob-c", json!([record("c1", "UserLoggedIn")]));
    let body = json!([s.notification(TENANT_B, "blob-1"), s.notification(TENANT_B, "blob-2")]);
    assert_eq!(s.webhook(Some("secret-b"), &body).await.0, StatusCode::OK);
    // B's secret cannot announce C's content, nor content elsewhere.
    let mut foreign = s.notification(TENANT_B, "blob-3");
    foreign["contentUri"] =
        json!(format!("https://attacker.example/api/v1.0/{TENANT_B}/activity/feed/audit/blob-3"));
    let forged = json!([s.notification(TENANT_C, "blob-c"), foreign]);
    assert_eq!(s.webhook(Some("secret-b"), &forged).await.0, StatusCode::OK);
    let round = s.state.retrieval.fetch_pending().await.unwrap();
    assert_eq!((round.fetched, round.records, round.failures), (2, 3, 0));
    assert_eq!((s.count(TENANT_B).await, s.count(TENANT_C).await), (3, 0));
    // The same notification again: nothing new.
    assert_eq!(s.webhook(Some("secret-b"), &body).await.0, StatusCode::OK);
    assert_eq!(s.state.retrieval.fetch_pending().await.unwrap().fetched, 0);
    assert_eq!(s.count(TENANT_B).await, 3);
    let (_, _, page) = s.call(get_request("/tenants", None)).await;
    assert!(
        page.contains(TENANT_B) && page.contains("3 events") && page.contains("<td>Add application.</td>"),
        "{page}"
    );
    assert!(page.contains("<td>webhook</td>"));
}

#[tokio::test]
async fn polling_catches_up_what_no_notification_announced() {
    let s = setup().await;
    s.onboard(TENANT_B, "secret-b").await;
    s.onboard(TENANT_C, "secret-c").await;
    s.script.add_blob(TENANT_B, "blob-1", json!([record("r1", "UserLoggedIn")]));
    s.script.add_blob(TENANT_B, "blob-2", json!([record("r2", "<script>x</script>")]));
    s.script.add_blob(TENANT_C, "blob-c", json!([record("c1", "UserLoggedIn")]));
    s.clock.advance(time::Duration::minutes(1));
    let round = s.state.retrieval.poll_once().await.unwrap();
    assert_eq!((round.listed, round.fetched, round.records, round.failures), (3, 3, 3, 0));
    assert_eq!((s.count(TENANT_B).await, s.count(TENANT_C).await), (2, 1));
    let listing = s.script.listings.lock().unwrap()[0].1.clone();
    assert_eq!(
        listing.get("startTime").map(String::as_str),
        Some("2030-03-17T17:41:40"),
        "overlap of 5 minutes"
    );
    assert_eq!(listing.get("endTime").map(String::as_str), Some("2030-03-17T17:47:40"));
    // Nothing new: listed again (overlap) but not fetched again.
    let round = s.state.retrieval.poll_once().await.unwrap();
    assert_eq!((round.listed, round.fetched), (0, 0));
    // Down for two days: windows of at most 24 h catch up.
    s.script.add_blob(TENANT_B, "blob-3", json!([record("r3", "UserLoggedIn")]));
    s.clock.advance(time::Duration::hours(49));
    s.script.listings.lock().unwrap().clear();
    let round = s.state.retrieval.poll_once().await.unwrap();
    assert_eq!((round.listed, round.records), (1, 1));
    let windows = s
        .script
        .listings
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, q)| t == TENANT_B && !q.contains_key("nextPage"))
        .count();
    assert_eq!(windows, 3, "49 h in windows of 24 h");
    let (_, _, page) = s.call(get_request("/tenants", None)).await;
    assert!(page.contains("&lt;script&gt;x&lt;/script&gt;") && !page.contains("<script>"), "escaped");
}

#[tokio::test]
async fn a_blob_that_cannot_be_fetched_is_retried_then_given_up() {
    let s = setup().await;
    s.onboard(TENANT_B, "secret-b").await;
    let body = json!([s.notification(TENANT_B, "blob-gone")]);
    assert_eq!(s.webhook(Some("secret-b"), &body).await.0, StatusCode::OK);
    for _ in 0..super::store::MAX_ATTEMPTS {
        let round = s.state.retrieval.fetch_pending().await.unwrap();
        assert_eq!((round.fetched, round.failures), (0, 1));
    }
    assert!(s.state.retrieval.store.pending(10).await.unwrap().is_empty(), "given up");
    assert_eq!(s.state.retrieval.fetch_pending().await.unwrap(), super::retrieval::Round::default());
}
