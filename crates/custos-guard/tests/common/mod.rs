//! Test fixtures: an in-test authority (discovery + JWKS on 127.0.0.1:0, counting fetches, switchable
//! off), RSA signing keys, Entra/custos-shaped v1 and v2 app tokens, and a guarded axum router.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custos_core::FixedClock;
use custos_guard::{CacheOptions, Guard, GuardConfig, GuardLayer, Principal};
use custos_jose::testing::TestSigner;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tower::ServiceExt as _;

pub const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub const TENANT_B: &str = "9b5e6e1c-1111-4d7a-8a3b-0c2f4e5d6a7b";
pub const API_APP_ID: &str = "5f0a6a3e-0b3c-4b8e-9a51-7d3c2e1f0a99";
pub const API_URI: &str = "api://5f0a6a3e-0b3c-4b8e-9a51-7d3c2e1f0a99";
pub const CLIENT_APP_ID: &str = "0f5c2d44-6a7b-4c3d-8e9f-1a2b3c4d5e6f";
pub const CLIENT_OID: &str = "3c8e4f1a-2b5d-4e6f-9a7b-8c9d0e1f2a3b";
pub const MI_APP_ID: &str = "6e2f1a0b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
pub const MI_OID: &str = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d";
pub const ROLE: &str = "S2SAppRole";
pub const NOW: i64 = 1_800_000_000;

/// An RSA-2048 signing key with its kid.
pub struct TestKey {
    pub kid: String,
    pub signer: TestSigner,
    pub n: String,
    pub e: String,
}

impl TestKey {
    pub fn generate(kid: &str) -> Self {
        let signer = TestSigner::generate();
        Self { kid: kid.to_owned(), n: signer.n(), e: signer.e(), signer }
    }

    /// Signs `claims` under `header` with this key (RS256, or PS256 when the header says so).
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.signer.sign(header, claims)
    }

    /// The JWK as Entra publishes it (`kid == x5t`, `use: sig`), with an optional `issuer`.
    pub fn jwk(&self, issuer: Option<&str>) -> Value {
        let mut jwk = json!({"kty":"RSA","use":"sig","kid":self.kid,"x5t":self.kid,"n":self.n,"e":self.e});
        if let Some(issuer) = issuer {
            jwk["issuer"] = json!(issuer);
        }
        jwk
    }
}

/// How the v1 discovery document names its issuer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// custos: `{authority}/{tid}/`.
    Custos,
    /// Entra: `https://sts.windows.net/{tid}/`.
    Entra,
}

pub struct AuthorityState {
    pub base: Mutex<String>,
    pub shape: Shape,
    pub v2_keys: Mutex<Vec<Value>>,
    pub v1_keys: Mutex<Vec<Value>>,
    pub up: AtomicBool,
    pub jwks_fetches: AtomicUsize,
    pub discovery_fetches: AtomicUsize,
}

/// The in-test authority.
pub struct Authority {
    pub base: String,
    pub state: Arc<AuthorityState>,
    pub key: TestKey,
}

impl Authority {
    pub async fn start(shape: Shape) -> Self {
        let key = TestKey::generate("nOo3ZDrODXEK1jKWhXslHR_KXEg");
        let state = Arc::new(AuthorityState {
            base: Mutex::new(String::new()),
            shape,
            v2_keys: Mutex::new(Vec::new()),
            v1_keys: Mutex::new(Vec::new()),
            up: AtomicBool::new(true),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        *state.base.lock().unwrap() = base.clone();
        let app = Router::new().fallback(serve).with_state(Arc::clone(&state));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let authority = Self { base, state, key };
        authority.publish(&[&authority.key]);
        authority
    }

    /// Replaces the published keys (v2 set with Entra's templated `issuer`, v1 set without).
    pub fn publish(&self, keys: &[&TestKey]) {
        let template = format!("{}/{{tenantid}}/v2.0", self.base);
        *self.state.v2_keys.lock().unwrap() = keys.iter().map(|k| k.jwk(Some(&template))).collect();
        *self.state.v1_keys.lock().unwrap() = keys.iter().map(|k| k.jwk(None)).collect();
    }

    pub fn set_up(&self, up: bool) {
        self.state.up.store(up, Ordering::SeqCst);
    }

    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    pub fn v2_issuer(&self, tenant: &str) -> String {
        format!("{}/{tenant}/v2.0", self.base)
    }

    pub fn v1_issuer(&self, tenant: &str) -> String {
        match self.state.shape {
            Shape::Custos => format!("{}/{tenant}/", self.base),
            Shape::Entra => format!("https://sts.windows.net/{tenant}/"),
        }
    }

    /// A guard for tenant A with `extra` TOML keys, a clock at [`NOW`] and default cache timing.
    pub fn guard(&self, extra: &str) -> (Arc<Guard>, Arc<FixedClock>) {
        self.guard_with(extra, |c| c)
    }

    pub fn guard_with(
        &self,
        extra: &str,
        adjust: impl FnOnce(GuardConfig) -> GuardConfig,
    ) -> (Arc<Guard>, Arc<FixedClock>) {
        let toml = format!(
            "Authority = \"{}\"\nServiceAuthTenantId = \"{TENANT}\"\nServiceAuthAudience = \"{API_URI}\"\n{extra}",
            self.base
        );
        let config = adjust(GuardConfig::from_toml_str(&toml).unwrap().danger_allow_http_loopback());
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
        let guard = Guard::with_cache_options(config, clock.clone(), CacheOptions::default()).unwrap();
        (Arc::new(guard), clock)
    }

    /// Claims of a v2 app token (client credentials with a secret) for tenant A.
    pub fn v2_claims(&self) -> Value {
        json!({
            "aud": API_APP_ID, "iss": self.v2_issuer(TENANT), "iat": NOW - 300, "nbf": NOW - 300,
            "exp": NOW + 3599, "aio": "E2ZgYJg9zK3PzOr0FfsrVf8A", "azp": CLIENT_APP_ID, "azpacr": "1",
            "idtyp": "app", "oid": CLIENT_OID, "rh": "0.AAAAv4j5cvGGr0GRqy180BHbR1-Q.",
            "roles": [ROLE], "sub": CLIENT_OID, "tid": TENANT, "uti": "kU8ZkTNzU0C7l2oP7w0kAA", "ver": "2.0"
        })
    }

    /// Claims of a v1 app token (managed identity shape, `aud` = the App ID URI as requested).
    pub fn v1_claims(&self) -> Value {
        json!({
            "aud": API_URI, "iss": self.v1_issuer(TENANT), "iat": NOW - 300, "nbf": NOW - 300,
            "exp": NOW + 86_400, "aio": "E2ZgYJg9zK3PzOr0FfsrVf8A", "appid": MI_APP_ID, "appidacr": "2",
            "idp": self.v1_issuer(TENANT), "idtyp": "app", "oid": MI_OID, "rh": "0.AAAAv4j5cvGGr0GRqy180BHbR1-Q.",
            "sub": MI_OID, "tid": TENANT, "uti": "kU8ZkTNzU0C7l2oP7w0kAA", "ver": "1.0"
        })
    }

    /// A v2 header: `{"typ":"JWT","alg":"RS256","kid":…}`.
    pub fn v2_header(&self) -> Value {
        json!({"typ": "JWT", "alg": "RS256", "kid": self.key.kid})
    }

    /// A v1 header: `{"typ":"JWT","alg":"RS256","x5t":…,"kid":…}`.
    pub fn v1_header(&self) -> Value {
        json!({"typ": "JWT", "alg": "RS256", "x5t": self.key.kid, "kid": self.key.kid})
    }

    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.key.sign(header, claims)
    }

    pub fn v2_token(&self) -> String {
        self.sign(&self.v2_header(), &self.v2_claims())
    }

    /// A v2 token after `edit` changed its claims.
    pub fn v2_with(&self, edit: impl FnOnce(&mut Value)) -> String {
        let mut claims = self.v2_claims();
        edit(&mut claims);
        self.sign(&self.v2_header(), &claims)
    }
}

async fn serve(State(state): State<Arc<AuthorityState>>, uri: Uri) -> Response {
    if !state.up.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let base = state.base.lock().unwrap().clone();
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let body = match segments.as_slice() {
        [tid, "v2.0", ".well-known", "openid-configuration"] => {
            state.discovery_fetches.fetch_add(1, Ordering::SeqCst);
            json!({
                "token_endpoint": format!("{base}/{tid}/oauth2/v2.0/token"),
                "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
                "issuer": format!("{base}/{tid}/v2.0"),
                "id_token_signing_alg_values_supported": ["RS256"],
                "authorization_endpoint": format!("{base}/{tid}/oauth2/v2.0/authorize"),
            })
        }
        [tid, ".well-known", "openid-configuration"] => {
            state.discovery_fetches.fetch_add(1, Ordering::SeqCst);
            let issuer = match state.shape {
                Shape::Custos => format!("{base}/{tid}/"),
                Shape::Entra => format!("https://sts.windows.net/{tid}/"),
            };
            json!({
                "token_endpoint": format!("{base}/{tid}/oauth2/token"),
                "jwks_uri": format!("{base}/common/discovery/keys"),
                "issuer": issuer,
                "microsoft_multi_refresh_token": true,
            })
        }
        [_, "discovery", "v2.0", "keys"] => {
            state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            json!({ "keys": *state.v2_keys.lock().unwrap() })
        }
        ["common", "discovery", "keys"] => {
            state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            json!({ "keys": *state.v1_keys.lock().unwrap() })
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    axum::Json(body).into_response()
}

/// What a guarded handler answers: a summary of the principal.
async fn whoami(principal: Principal) -> String {
    format!(
        "{:?} {:?} client={} oid={} roles={}",
        principal.kind,
        principal.token_version,
        principal.client_app_id,
        principal.object_id,
        principal.roles.join(",")
    )
}

/// A router whose `/api` is behind [`GuardLayer`].
pub fn app(guard: &Arc<Guard>) -> Router {
    Router::new().route("/api", get(whoami)).layer(GuardLayer::new(Arc::clone(guard)))
}

/// Status, `WWW-Authenticate` and body of `GET {path}` with the given headers.
pub async fn send(
    app: &Router,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, String) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let challenge = response.headers().get("www-authenticate").map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, challenge, String::from_utf8(body.to_vec()).unwrap())
}

/// Sends `token` as `Authorization: Bearer` to `/api`.
pub async fn call(app: &Router, token: &str) -> (StatusCode, Option<String>, String) {
    send(app, "/api", &[("authorization", &format!("Bearer {token}"))]).await
}

/// The `WWW-Authenticate` value of an `invalid_token` refusal with `description`.
pub fn invalid(description: &str) -> Option<String> {
    Some(format!("Bearer error=\"invalid_token\", error_description=\"{description}\""))
}

/// The `WWW-Authenticate` value of an `insufficient_scope` refusal with `description`.
pub fn insufficient(description: &str) -> Option<String> {
    Some(format!("Bearer error=\"insufficient_scope\", error_description=\"{description}\""))
}
