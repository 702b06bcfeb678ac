//! The token manager's behaviour against a scripted token endpoint (a tiny axum server over https)
//! with a manual clock: caching until half-life or `refresh_in`, a failed refresh falling back
//! to the cached token, single flight, retries with backoff and `Retry-After` on 429/5xx, no
//! retry on other 4xx, the server's error kept, v1 and per-tenant requests, and the bearer helpers.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use common::*;
use custos_client::{Credential, Error, RetryPolicy, Target, TokenClient};
use custos_core::FixedClock;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tower::ServiceExt as _;

const NOW: i64 = 1_900_000_000;
const CLIENT: &str = "11111111-2222-3333-4444-555555555555";

/// One scripted answer: status, `Retry-After`, body.
type Answer = (u16, Option<&'static str>, String);

#[derive(Default)]
struct Script {
    answers: Mutex<VecDeque<Answer>>,
    /// Path and body of every request.
    requests: Mutex<Vec<(String, String)>>,
    /// When set, each request waits for a permit before answering.
    gate: Option<Semaphore>,
    arrived: Notify,
}

impl Script {
    fn push(&self, status: u16, retry_after: Option<&'static str>, body: &str) {
        self.answers.lock().unwrap().push_back((status, retry_after, body.to_owned()));
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    fn request(&self, i: usize) -> (String, String) {
        self.requests.lock().unwrap()[i].clone()
    }
}

async fn answer(State(script): State<Arc<Script>>, uri: Uri, body: String) -> Response {
    let n = {
        let mut requests = script.requests.lock().unwrap();
        requests.push((uri.path().to_owned(), body));
        requests.len()
    };
    script.arrived.notify_one();
    if let Some(gate) = &script.gate {
        gate.acquire().await.unwrap().forget();
    }
    let scripted = script.answers.lock().unwrap().pop_front();
    let (status, retry_after, body) = scripted.unwrap_or_else(|| {
        (200, None, format!(r#"{{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"tok-{n}"}}"#))
    });
    let mut headers = HeaderMap::new();
    headers.insert("content-type", "application/json; charset=utf-8".parse().unwrap());
    if let Some(seconds) = retry_after {
        headers.insert("retry-after", seconds.parse().unwrap());
    }
    (StatusCode::from_u16(status).unwrap(), headers, body).into_response()
}

struct Setup {
    script: Arc<Script>,
    clock: Arc<FixedClock>,
    sleeper: Arc<RecordingSleeper>,
    tokens: TokenClient,
}

async fn setup_with(script: Script, retry: RetryPolicy) -> Setup {
    let script = Arc::new(script);
    let server = Server::bind().await;
    let router = axum::Router::new().fallback(answer).with_state(script.clone());
    let (url, ca) = server.serve(router);
    let clock = clock_at(NOW);
    let sleeper = RecordingSleeper::new(clock.clone());
    let tokens = TokenClient::builder(Credential::client_secret(CLIENT, "the secret"))
        .authority(url)
        .tenant("tenant-1")
        .extra_root_pem(ca)
        .clock(clock.clone())
        .sleeper(sleeper.clone())
        .retry(retry)
        .build()
        .unwrap();
    Setup { script, clock, sleeper, tokens }
}

async fn setup() -> Setup {
    setup_with(Script::default(), RetryPolicy::default()).await
}

fn graph() -> Target {
    Target::scope("https://graph.microsoft.com/.default")
}

fn advance(clock: &FixedClock, seconds: i64) {
    clock.advance(time::Duration::seconds(seconds));
}

fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes()).into_owned().collect()
}

#[tokio::test]
async fn tokens_are_cached_until_half_life_then_refreshed() {
    let s = setup().await;
    let first = s.tokens.token(&graph()).await.unwrap();
    assert_eq!((first.secret(), first.expires_on()), ("tok-1", NOW + 3_599));
    assert_eq!(s.tokens.token(&graph()).await.unwrap().secret(), "tok-1");
    let (path, body) = s.script.request(0);
    assert_eq!(path, "/tenant-1/oauth2/v2.0/token");
    assert_eq!(
        form(&body),
        [
            ("grant_type", "client_credentials"),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_id", CLIENT),
            ("client_secret", "the secret"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
    );
    advance(&s.clock, 1_798);
    assert_eq!(s.tokens.token(&graph()).await.unwrap().secret(), "tok-1");
    assert_eq!(s.script.count(), 1);
    advance(&s.clock, 1);
    assert_eq!(s.tokens.token(&graph()).await.unwrap().secret(), "tok-2", "half of 3599 s has passed");
    assert_eq!(s.script.count(), 2);
}

#[tokio::test]
async fn refresh_in_is_honoured() {
    let s = setup().await;
    s.script.push(200, None, r#"{"access_token":"long","expires_in":86399,"refresh_in":600}"#);
    assert_eq!(s.tokens.token(&graph()).await.unwrap().refresh_on(), Some(NOW + 600));
    advance(&s.clock, 599);
    assert_eq!(s.tokens.token(&graph()).await.unwrap().secret(), "long");
    advance(&s.clock, 1);
    assert_eq!(s.tokens.token(&graph()).await.unwrap().secret(), "tok-2");
}

#[tokio::test]
async fn a_failed_refresh_serves_the_cached_token_while_it_has_five_minutes_left() {
    let s = setup().await;
    assert_eq!(s.tokens.token(&graph()).await.unwrap().secret(), "tok-1");
    let refused = r#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app are expired.","error_codes":[7000222]}"#;
    advance(&s.clock, 1_800);
    s.script.push(401, None, refused);
    assert_eq!(s.tokens.token(&graph()).await.unwrap().secret(), "tok-1", "served from the cache");
    advance(&s.clock, 3_299 - 1_800);
    s.script.push(401, None, refused);
    let err = s.tokens.token(&graph()).await.unwrap_err();
    assert_eq!(err.server_error().and_then(|e| e.aadsts()), Some(7_000_222), "{err}");
    assert_eq!(s.script.count(), 3);
}

#[tokio::test]
async fn concurrent_callers_share_one_request() {
    let script = Script { gate: Some(Semaphore::new(0)), ..Script::default() };
    let s = setup_with(script, RetryPolicy::default()).await;
    let callers: Vec<_> = (0..50)
        .map(|_| {
            let tokens = s.tokens.clone();
            tokio::spawn(async move { tokens.token(&graph()).await.map(|t| t.secret().to_owned()) })
        })
        .collect();
    s.script.arrived.notified().await;
    s.script.gate.as_ref().unwrap().add_permits(100);
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap(), "tok-1");
    }
    assert_eq!(s.script.count(), 1);
}

#[tokio::test]
async fn throttling_and_server_errors_are_retried_honouring_retry_after() {
    let s = setup().await;
    s.script.push(
        429,
        Some("7"),
        r#"{"error":"temporarily_unavailable","error_description":"AADSTS50196: throttled"}"#,
    );
    s.script.push(503, None, "");
    let token = s.tokens.token(&graph()).await.unwrap();
    assert_eq!(token.secret(), "tok-3");
    assert_eq!(s.sleeper.waits(), [Duration::from_secs(7), Duration::from_secs(1)]);
    // The clock moved with the waits; the token's lifetime starts when it came.
    assert_eq!(token.expires_on(), NOW + 8 + 3_599);
}

#[tokio::test]
async fn retries_run_out() {
    let retry = RetryPolicy { max_retries: 2, ..RetryPolicy::default() };
    let s = setup_with(Script::default(), retry).await;
    for _ in 0..3 {
        s.script.push(
            503,
            None,
            r#"{"error":"temporarily_unavailable","error_description":"AADSTS90033: busy"}"#,
        );
    }
    let err = s.tokens.token(&graph()).await.unwrap_err();
    let Error::Unavailable { error, attempts } = &err else { panic!("{err:?}") };
    assert_eq!((error.status, error.aadsts(), *attempts), (503, Some(90_033), 3));
    assert_eq!(
        err.to_string(),
        "the server answered 503 temporarily_unavailable: AADSTS90033: busy (gave up after 3 attempts)"
    );
    assert_eq!(s.sleeper.waits(), [Duration::from_millis(500), Duration::from_secs(1)]);
}

#[tokio::test]
async fn client_errors_are_never_retried_and_keep_the_servers_error() {
    let s = setup().await;
    s.script.push(
        401,
        Some("1"),
        r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2030-01-01 00:00:00Z","error_codes":[7000215],"correlation_id":"c"}"#,
    );
    let err = s.tokens.token(&graph()).await.unwrap_err();
    let Error::Refused(error) = &err else { panic!("{err:?}") };
    assert_eq!(
        (error.status, error.error.as_str(), error.aadsts()),
        (401, "invalid_client", Some(7_000_215))
    );
    assert_eq!(error.message(), "AADSTS7000215: Invalid client secret provided.");
    assert_eq!(error.correlation_id.as_deref(), Some("c"));
    s.script.push(400, None, r#"{"error":"invalid_scope","error_description":"AADSTS1002012: The provided value for scope x is not valid."}"#);
    let err = s.tokens.token(&graph()).await.unwrap_err();
    assert_eq!(err.server_error().map(|e| e.error.as_str()), Some("invalid_scope"));
    assert_eq!(s.script.count(), 2);
    assert!(s.sleeper.waits().is_empty());
}

#[tokio::test]
async fn success_answers_without_a_token_are_malformed_and_not_retried() {
    let s = setup().await;
    s.script.push(200, None, r#"{"token_type":"Bearer"}"#);
    let err = s.tokens.token(&graph()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Malformed { status: 200, detail, .. } if detail == "no access_token"),
        "{err:?}"
    );
    assert_eq!(s.script.count(), 1);
}

#[tokio::test]
async fn v1_requests_use_resource_and_tenants_are_cached_apart() {
    let s = setup().await;
    let office = Target::resource("https://manage.office.com");
    assert_eq!(s.tokens.token(&office).await.unwrap().secret(), "tok-1");
    let (path, body) = s.script.request(0);
    assert_eq!(path, "/tenant-1/oauth2/token");
    assert!(form(&body).contains(&("resource".to_owned(), "https://manage.office.com".to_owned())), "{body}");
    assert_eq!(s.tokens.token_for_tenant("contoso.example", &office).await.unwrap().secret(), "tok-2");
    assert_eq!(s.script.request(1).0, "/contoso.example/oauth2/token");
    assert_eq!(s.tokens.token_for_tenant("contoso.example", &office).await.unwrap().secret(), "tok-2");
    assert_eq!(s.tokens.token_for_tenant("tenant-1", &office).await.unwrap().secret(), "tok-1");
    assert!(matches!(s.tokens.token_for_tenant("../x", &office).await, Err(Error::Config(_))));
    // An invalidated token is asked for again.
    s.tokens.invalidate(&office);
    assert_eq!(s.tokens.token(&office).await.unwrap().secret(), "tok-3");
}

#[tokio::test]
async fn unreachable_servers_are_retried_then_reported() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let clock = clock_at(NOW);
    let sleeper = RecordingSleeper::new(clock.clone());
    let tokens = TokenClient::builder(Credential::client_secret(CLIENT, "s"))
        .authority(format!("https://127.0.0.1:{port}"))
        .tenant("t")
        .clock(clock)
        .sleeper(sleeper.clone())
        .retry(RetryPolicy { max_retries: 1, ..RetryPolicy::default() })
        .build()
        .unwrap();
    let err = tokens.token(&graph()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport { url, .. } if url == &format!("https://127.0.0.1:{port}/t/oauth2/v2.0/token")),
        "{err:?}"
    );
    assert_eq!(sleeper.waits(), [Duration::from_millis(500)]);
}

#[tokio::test]
async fn the_tower_layer_and_the_reqwest_helper_add_the_bearer() {
    let s = setup().await;
    let echo = tower::service_fn(|request: http::Request<()>| async move {
        Ok::<_, std::convert::Infallible>(request.headers().get("authorization").cloned())
    });
    let service = tower::ServiceBuilder::new().layer(s.tokens.layer(graph())).service(echo);
    let seen = service.oneshot(http::Request::new(())).await.unwrap().unwrap();
    assert_eq!(seen, "Bearer tok-1");
    assert!(seen.is_sensitive());
    let request =
        s.tokens.authorize(s.tokens.http_client().get("https://api.example/x"), &graph()).await.unwrap();
    assert_eq!(request.build().unwrap().headers()["authorization"], "Bearer tok-1");
    assert_eq!(s.script.count(), 1);
    // No token: the inner service is not called.
    s.tokens.invalidate(&graph());
    s.script.push(401, None, r#"{"error":"invalid_client","error_description":"AADSTS7000215: bad"}"#);
    let service = tower::ServiceBuilder::new().layer(s.tokens.layer(graph())).service(echo);
    let err = service.oneshot(http::Request::new(())).await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "no access token: the server answered 401 invalid_client: AADSTS7000215: bad"
    );
}
