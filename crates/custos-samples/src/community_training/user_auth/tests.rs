//! The user path through the whole router: the login redirect, every way a callback is refused
//! (and that none of them reaches the token endpoint), the successful callback's `Location`, and
//! the refresh route with each bad input. The token endpoint is a small HTTP server on loopback
//! that records what the sample posts and answers what the test sets (the real authority is driven
//! end to end by `tests/interop/python/test_seed_003.py`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::{FixedClock, Secret};
use custos_guard::{Guard, GuardConfig};
use custos_testkit::http::{Reply, send};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::UserAuth;
use crate::community_training::db::Db;
use crate::community_training::routes::AppState;
use crate::community_training::user_settings::SignInClient;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID: &str = "11111111-2222-3333-4444-555555555555";
const PUBLIC: &str = "https://ct.example";
const NOW: i64 = 1_800_000_000;

/// What the stub token endpoint received and will answer.
#[derive(Default)]
struct Endpoint {
    posts: Vec<HashMap<String, String>>,
    answer: (u16, Value),
}

struct World {
    router: Router,
    endpoint: Arc<Mutex<Endpoint>>,
    clock: Arc<FixedClock>,
    _dir: tempfile::TempDir,
}

async fn token_endpoint(
    axum::extract::State(endpoint): axum::extract::State<Arc<Mutex<Endpoint>>>,
    body: String,
) -> (StatusCode, axum::Json<Value>) {
    let mut endpoint = endpoint.lock().unwrap();
    endpoint.posts.push(form_urlencoded::parse(body.as_bytes()).into_owned().collect());
    let (status, answer) = endpoint.answer.clone();
    (StatusCode::from_u16(status).unwrap(), axum::Json(answer))
}

fn config(authority: &str) -> GuardConfig {
    GuardConfig::from_toml_str(&format!(
        "Authority = \"{authority}\"\nServiceAuthTenantId = \"{TENANT}\"\nServiceAuthAudience = \"api://ct\"\n"
    ))
    .unwrap()
    .danger_allow_http_loopback()
    .with_user_tokens(true)
}

async fn world() -> World {
    let endpoint = Arc::new(Mutex::new(Endpoint::default()));
    let stub = Router::new()
        .route(&format!("/{TENANT}/oauth2/v2.0/token"), post(token_endpoint))
        .with_state(Arc::clone(&endpoint));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, stub).await });
    world_at(&base, endpoint).await
}

async fn world_at(authority: &str, endpoint: Arc<Mutex<Endpoint>>) -> World {
    let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
    let client = SignInClient {
        client_id: CLIENT_ID.parse().unwrap(),
        client_secret: Secret::new("the-secret".to_owned()),
        redirect_uri: format!("{PUBLIC}/ExternalAuthentication/Callback").parse().unwrap(),
        landing_uri: format!("{PUBLIC}/ExternalAuthentication/Complete").parse().unwrap(),
        secure_cookie: true,
        scope: "api://ct/access_as_user openid profile offline_access".to_owned(),
    };
    let config = config(authority);
    let auth = Arc::new(UserAuth::new(client, &config, clock.clone()).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(dir.path(), TENANT.parse().unwrap()).await.unwrap();
    let guard = Arc::new(Guard::new(config, clock.clone()).unwrap());
    let scopes = ["access_as_user".to_owned()];
    let router = super::super::app(AppState { db }, guard, Some(&scopes), Some(auth), None);
    World { router, endpoint, clock, _dir: dir }
}

/// A compact JWS whose payload is `claims` (the sample reads only the ID token's `nonce`).
fn id_token(claims: &Value) -> String {
    format!(
        "{}.{}.sig",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The query parameters of a URL.
fn query(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

/// A started sign-in: the authorize URL's parameters and the cookie to send back.
struct Started {
    params: HashMap<String, String>,
    cookie: String,
}

impl World {
    async fn get(&self, uri: &str, cookie: Option<&str>) -> Reply {
        let mut request = Request::get(uri);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        send(&self.router, request.body(Body::empty()).unwrap()).await
    }

    async fn login(&self) -> Started {
        let reply = self.get("/ExternalAuthentication/Login", None).await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
        let location = reply.header("location").unwrap().to_owned();
        let set_cookie = reply.header("set-cookie").unwrap();
        Started { params: query(&location), cookie: set_cookie.split(';').next().unwrap().to_owned() }
    }

    fn answer(&self, status: u16, body: Value) {
        self.endpoint.lock().unwrap().answer = (status, body);
    }

    fn posts(&self) -> Vec<HashMap<String, String>> {
        self.endpoint.lock().unwrap().posts.clone()
    }

    fn tokens_for(&self, started: &Started) {
        let nonce = &started.params["nonce"];
        self.answer(
            200,
            json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "at-1", "refresh_token": "rt-1",
                   "id_token": id_token(&json!({"nonce": nonce, "sub": "s"}))}),
        );
    }

    async fn refresh(&self, provider: &str, content_type: &str, body: &str) -> Reply {
        let request = Request::post(format!("/api/v1/ExternalAuthToken/RefreshToken/{provider}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body.to_owned()))
            .unwrap();
        send(&self.router, request).await
    }
}

#[tokio::test]
async fn login_sends_the_browser_to_the_authorize_endpoint_with_pkce_state_and_nonce() {
    let world = world().await;
    let reply = world.get("/externalauthentication/LOGIN", None).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let location = reply.header("location").unwrap();
    let endpoint = location.split('?').next().unwrap();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{location}");
    assert!(endpoint.ends_with(&format!("/{TENANT}/oauth2/v2.0/authorize")), "{location}");
    let params = query(location);
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["response_mode"], "query");
    assert_eq!(params["redirect_uri"], "https://ct.example/ExternalAuthentication/Callback");
    assert_eq!(params["scope"], "api://ct/access_as_user openid profile offline_access");
    assert_eq!(params["code_challenge_method"], "S256");
    for name in ["state", "nonce", "code_challenge"] {
        assert_eq!(params[name].len(), 43, "{name}");
    }
    assert_ne!(params["state"], params["nonce"]);
    let cookie = reply.header("set-cookie").unwrap();
    assert!(cookie.starts_with("CtSignIn="), "{cookie}");
    assert!(cookie.ends_with("; Path=/ExternalAuthentication; Max-Age=600; HttpOnly; SameSite=Lax; Secure"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let again = world.login().await;
    assert_ne!(again.params["state"], params["state"], "every sign-in has its own state");
}

#[tokio::test]
async fn a_callback_lands_with_the_tokens_in_the_location() {
    let world = world().await;
    let started = world.login().await;
    world.tokens_for(&started);
    let state = &started.params["state"];
    let reply = world
        .get(
            &format!("/ExternalAuthentication/Callback?code=the-code&state={state}&session_state=x"),
            Some(started.cookie.as_str()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.text);
    assert_eq!(
        reply.header("location"),
        Some(
            "https://ct.example/ExternalAuthentication/Complete#AccessToken=at-1&RefreshToken=rt-1&ExpiresIn=3599"
        )
    );
    assert!(
        reply.header("set-cookie").unwrap().starts_with("CtSignIn=; Path=/ExternalAuthentication; Max-Age=0")
    );
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
    let posts = world.posts();
    assert_eq!(posts.len(), 1);
    let form = &posts[0];
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["code"], "the-code");
    assert_eq!(form["redirect_uri"], "https://ct.example/ExternalAuthentication/Callback");
    assert_eq!((form["client_id"].as_str(), form["client_secret"].as_str()), (CLIENT_ID, "the-secret"));
    assert_eq!(form["scope"], "api://ct/access_as_user openid profile offline_access");
    assert!(custos_jose::pkce::verify_s256(&started.params["code_challenge"], &form["code_verifier"]));

    let landing = world.get("/ExternalAuthentication/Complete", None).await;
    assert_eq!(landing.status, StatusCode::OK);
    assert!(landing.text.contains("AccessToken and RefreshToken"), "{}", landing.text);
    assert_eq!(landing.header("content-security-policy"), Some("default-src 'none'; frame-ancestors 'none'"));
}

/// Every refusal before the code: a 400 page, and the token endpoint is never called.
#[tokio::test]
async fn callbacks_that_are_not_this_browsers_sign_in_never_reach_the_token_endpoint() {
    let world = world().await;
    let started = world.login().await;
    world.tokens_for(&started);
    let state = started.params["state"].clone();
    let cookie = started.cookie.clone();
    let cases: [(String, Option<&str>, &str); 5] = [
        (format!("code=c&state={state}"), None, "No sign-in is in progress in this browser"),
        (format!("code=c&state={state}"), Some("CtSignIn=forged.value"), "No sign-in is in progress"),
        ("code=c&state=another".to_owned(), Some(cookie.as_str()), "state does not match"),
        ("code=c".to_owned(), Some(cookie.as_str()), "state does not match"),
        (
            format!("code=c&state={state}&state={state}"),
            Some(cookie.as_str()),
            "The parameter &#39;state&#39; appears more than once.",
        ),
    ];
    for (query, cookie, message) in cases {
        let reply = world.get(&format!("/ExternalAuthentication/Callback?{query}"), cookie).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(reply.text.contains(message), "{query}: {}", reply.text);
        assert_eq!(reply.header("content-type"), Some("text/html; charset=utf-8"));
        assert!(reply.header("location").is_none() && reply.header("set-cookie").is_none(), "{query}");
    }
    world.clock.advance(time::Duration::seconds(600));
    let expired = world
        .get(&format!("/ExternalAuthentication/Callback?code=c&state={state}"), Some(cookie.as_str()))
        .await;
    assert!(expired.text.contains("missing or has expired"), "{}", expired.text);
    assert!(world.posts().is_empty(), "no refused callback redeemed anything");
}

#[tokio::test]
async fn errors_from_the_authority_and_a_missing_code_give_no_tokens() {
    let world = world().await;
    let started = world.login().await;
    let state = &started.params["state"];
    let denied = world
        .get(
            &format!("/ExternalAuthentication/Callback?error=access_denied&error_description=AADSTS65004%3A+User+declined+to+consent.&state={state}"),
            Some(started.cookie.as_str()),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    assert!(denied.text.contains("access_denied: AADSTS65004: User declined to consent."), "{}", denied.text);
    assert!(denied.header("set-cookie").unwrap().contains("Max-Age=0"), "the sign-in is over");
    let started = world.login().await;
    let state = &started.params["state"];
    let consent = world
        .get(
            &format!("/ExternalAuthentication/Callback?error=consent_required&state={state}"),
            Some(started.cookie.as_str()),
        )
        .await;
    assert_eq!(consent.status, StatusCode::BAD_REQUEST);
    assert!(consent.text.contains("consent_required"));
    let started = world.login().await;
    let state = &started.params["state"];
    let no_code = world
        .get(&format!("/ExternalAuthentication/Callback?state={state}"), Some(started.cookie.as_str()))
        .await;
    assert_eq!(no_code.status, StatusCode::BAD_REQUEST);
    assert!(no_code.text.contains("The response carries no code."));
    assert!(world.posts().is_empty());
}

#[tokio::test]
async fn a_refused_code_a_foreign_id_token_and_a_misconfigured_client() {
    let world = world().await;
    let callback = |started: &Started| {
        format!("/ExternalAuthentication/Callback?code=c&state={}", started.params["state"])
    };
    let started = world.login().await;
    world.answer(
        400,
        json!({"error": "invalid_grant", "error_description": "AADSTS54005: OAuth2 Authorization code was already redeemed.",
               "error_codes": [54005]}),
    );
    let replayed = world.get(&callback(&started), Some(started.cookie.as_str())).await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST);
    assert!(replayed.text.contains("invalid_grant: AADSTS54005"), "{}", replayed.text);
    assert!(replayed.header("location").is_none());

    let started = world.login().await;
    world.answer(
        200,
        json!({"expires_in": 3599, "access_token": "at", "refresh_token": "rt",
               "id_token": id_token(&json!({"nonce": "someone-else"}))}),
    );
    let foreign = world.get(&callback(&started), Some(started.cookie.as_str())).await;
    assert_eq!(foreign.status, StatusCode::BAD_REQUEST);
    assert!(foreign.text.contains("(nonce)"), "{}", foreign.text);
    assert!(foreign.header("location").is_none());

    let started = world.login().await;
    world.answer(401, json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}));
    let misconfigured = world.get(&callback(&started), Some(started.cookie.as_str())).await;
    assert_eq!(misconfigured.status, StatusCode::BAD_GATEWAY);

    let started = world.login().await;
    world.answer(200, json!({"expires_in": 3599, "access_token": "at"}));
    let no_refresh = world.get(&callback(&started), Some(started.cookie.as_str())).await;
    assert_eq!(no_refresh.status, StatusCode::BAD_GATEWAY);
    assert!(no_refresh.text.contains("no refresh_token"), "{}", no_refresh.text);
}

#[tokio::test]
async fn refresh_trades_a_refresh_token_for_a_new_pair() {
    let world = world().await;
    world.answer(
        200,
        json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "at-2", "refresh_token": "rt-2"}),
    );
    let reply = world.refresh("AZUREAD", "application/json", r#"{"RefreshToken":"rt-1"}"#).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json, json!({"AccessToken": "at-2", "RefreshToken": "rt-2", "ExpiresIn": 3599}));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let form = &world.posts()[0];
    assert_eq!((form["grant_type"].as_str(), form["refresh_token"].as_str()), ("refresh_token", "rt-1"));
    assert_eq!(form["scope"], "api://ct/access_as_user openid profile offline_access");
    assert_eq!(form["client_secret"], "the-secret");
    // The provider and the path are matched case-insensitively, as ASP.NET Core does.
    let lower = world.refresh("azuread", "application/json", r#"{"refreshToken":"rt-1"}"#).await;
    assert_eq!(lower.status, StatusCode::OK);
}

#[tokio::test]
async fn refresh_refusals_are_problem_documents() {
    let world = world().await;
    let cases: [(&str, &str, &str, StatusCode, &str, &str); 10] = [
        (
            "PHONE",
            "application/json",
            r#"{"RefreshToken":"x"}"#,
            StatusCode::BAD_REQUEST,
            "identityProvider",
            "The identity provider PHONE is not supported by this sample: only AZUREAD is.",
        ),
        (
            "Email",
            "application/json",
            r#"{"RefreshToken":"x"}"#,
            StatusCode::BAD_REQUEST,
            "identityProvider",
            "The identity provider EMAIL is not supported by this sample: only AZUREAD is.",
        ),
        (
            "GOOGLE",
            "application/json",
            r#"{"RefreshToken":"x"}"#,
            StatusCode::BAD_REQUEST,
            "identityProvider",
            "The identityProvider must be one of PHONE, EMAIL, AZUREAD.",
        ),
        (
            "AZUREAD",
            "application/json",
            "{}",
            StatusCode::BAD_REQUEST,
            "RefreshToken",
            "The RefreshToken field is required.",
        ),
        (
            "AZUREAD",
            "application/json",
            r#"{"RefreshToken":""}"#,
            StatusCode::BAD_REQUEST,
            "RefreshToken",
            "The RefreshToken field is required.",
        ),
        (
            "AZUREAD",
            "application/json",
            r#"{"RefreshToken":"a b"}"#,
            StatusCode::BAD_REQUEST,
            "RefreshToken",
            "The RefreshToken field is not a refresh token.",
        ),
        (
            "AZUREAD",
            "application/json",
            r#"{"RefreshToken":7}"#,
            StatusCode::BAD_REQUEST,
            "$",
            "The JSON value is not acceptable",
        ),
        (
            "AZUREAD",
            "application/json",
            r#"{"RefreshToken":"x","Extra":1}"#,
            StatusCode::BAD_REQUEST,
            "$",
            "unknown field",
        ),
        (
            "AZUREAD",
            "application/json",
            "{",
            StatusCode::BAD_REQUEST,
            "$",
            "The request body is not valid JSON",
        ),
        (
            "AZUREAD",
            "application/json",
            r#"["x"]"#,
            StatusCode::BAD_REQUEST,
            "$",
            "The request body must be a JSON object.",
        ),
    ];
    for (provider, content_type, body, status, field, message) in cases {
        let reply = world.refresh(provider, content_type, body).await;
        assert_eq!(reply.status, status, "{provider} {body}: {}", reply.text);
        assert_eq!(reply.header("content-type"), Some("application/problem+json"));
        let text =
            reply.json["errors"][field][0].as_str().unwrap_or_else(|| panic!("{body}: {}", reply.json));
        assert!(text.contains(message), "{provider} {body}: {text}");
    }
    let long = format!(r#"{{"RefreshToken":"{}"}}"#, "a".repeat(8 * 1024 + 1));
    assert_eq!(world.refresh("AZUREAD", "application/json", &long).await.status, StatusCode::BAD_REQUEST);
    let text = world.refresh("AZUREAD", "text/plain", r#"{"RefreshToken":"x"}"#).await;
    assert_eq!(text.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let get = world.get("/api/v1/ExternalAuthToken/RefreshToken/AZUREAD", None).await;
    assert_eq!(get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(world.posts().is_empty(), "no refused request reached the authority");
}

/// A refresh token the authority refuses: 400 with its `error` and AADSTS codes passed on.
#[tokio::test]
async fn a_refused_refresh_token_passes_the_authoritys_code_on() {
    let world = world().await;
    for (code, description) in [
        (
            70008,
            "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.",
        ),
        (50173, "AADSTS50173: The provided grant has expired due to it being revoked."),
    ] {
        world.answer(
            400,
            json!({"error": "invalid_grant", "error_description": description, "error_codes": [code]}),
        );
        let reply = world.refresh("AZUREAD", "application/json", r#"{"RefreshToken":"spent"}"#).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        assert_eq!(reply.json["title"], "The refresh token was refused.");
        assert_eq!(reply.json["detail"], description);
        assert_eq!(reply.json["error"], "invalid_grant");
        assert_eq!(reply.json["errorCodes"], json!([code]));
    }
    world.answer(401, json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}));
    let reply = world.refresh("AZUREAD", "application/json", r#"{"RefreshToken":"x"}"#).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert!(reply.json.get("error").is_none(), "the sample's own credential problem is not the caller's");
    world.answer(500, json!("not an OAuth error"));
    assert_eq!(
        world.refresh("AZUREAD", "application/json", r#"{"RefreshToken":"x"}"#).await.status,
        StatusCode::BAD_GATEWAY
    );
}

#[tokio::test]
async fn an_unreachable_authority_is_a_bad_gateway() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let world = world_at(&closed, Arc::new(Mutex::new(Endpoint::default()))).await;
    let reply = world.refresh("AZUREAD", "application/json", r#"{"RefreshToken":"x"}"#).await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
    assert_eq!(reply.json["detail"], "The identity provider could not complete the request.");
    let started = world.login().await;
    let reply = world
        .get(
            &format!("/ExternalAuthentication/Callback?code=c&state={}", started.params["state"]),
            Some(started.cookie.as_str()),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_GATEWAY);
}
