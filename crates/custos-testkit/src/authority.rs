//! The in-test authority: discovery and JWKS (v1 and v2) on `127.0.0.1:0`, one RSA signing key
//! published in both key sets, fetch counters, a switch that answers every request `503`, and the
//! Entra-shaped v1/v2 app tokens it signs.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use custos_jose::testing::TestSigner;
use serde_json::{Value, json};

use crate::ids::{API_APP_ID, API_URI, CLIENT_APP_ID, CLIENT_OID, MI_APP_ID, MI_OID, NOW, ROLE, TENANT};

/// The `kid` (and `x5t`) of the authority's own signing key.
pub const KID: &str = "nOo3ZDrODXEK1jKWhXslHR_KXEg";

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

/// What the authority serves and counts; tests may replace the published key sets.
pub struct AuthorityState {
    pub base: String,
    pub shape: Shape,
    pub v2_keys: Mutex<Vec<Value>>,
    pub v1_keys: Mutex<Vec<Value>>,
    /// `false`: every request is answered `503`.
    pub up: AtomicBool,
    /// Every request received, answered or not.
    pub requests: AtomicUsize,
    /// JWKS documents served.
    pub jwks_fetches: AtomicUsize,
    /// Discovery documents served.
    pub discovery_fetches: AtomicUsize,
}

/// The in-test authority.
pub struct Authority {
    pub base: String,
    pub state: Arc<AuthorityState>,
    pub key: TestKey,
}

impl Authority {
    /// Starts serving on `127.0.0.1:0`, publishing [`Authority::key`] (kid [`KID`]).
    pub async fn start(shape: Shape) -> Self {
        let key = TestKey::generate(KID);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
        let base = format!("http://{}", listener.local_addr().expect("a bound address"));
        let state = Arc::new(AuthorityState {
            base: base.clone(),
            shape,
            v2_keys: Mutex::new(Vec::new()),
            v1_keys: Mutex::new(Vec::new()),
            up: AtomicBool::new(true),
            requests: AtomicUsize::new(0),
            jwks_fetches: AtomicUsize::new(0),
            discovery_fetches: AtomicUsize::new(0),
        });
        let app = Router::new().fallback(serve).with_state(Arc::clone(&state));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("the test authority serves") });
        let authority = Self { base, state, key };
        authority.publish(&[&authority.key]);
        authority
    }

    /// Replaces the published keys (v2 set with Entra's templated `issuer`, v1 set without).
    pub fn publish(&self, keys: &[&TestKey]) {
        let template = format!("{}/{{tenantid}}/v2.0", self.base);
        *self.state.v2_keys.lock().expect("key sets") = keys.iter().map(|k| k.jwk(Some(&template))).collect();
        *self.state.v1_keys.lock().expect("key sets") = keys.iter().map(|k| k.jwk(None)).collect();
    }

    /// Takes the authority down (every request answered `503`) or brings it back.
    pub fn set_up(&self, up: bool) {
        self.state.up.store(up, Ordering::SeqCst);
    }

    /// Requests received so far (discovery and JWKS, answered or refused).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// JWKS documents served so far.
    pub fn jwks_fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }

    pub fn v2_issuer(&self, tenant: &str) -> String {
        format!("{}/{tenant}/v2.0", self.base)
    }

    pub fn v1_issuer(&self, tenant: &str) -> String {
        v1_issuer(self.state.shape, &self.base, tenant)
    }

    /// Claims of a v2 app token (client credentials with a secret, role [`ROLE`]) for [`TENANT`].
    pub fn v2_claims(&self) -> Value {
        json!({
            "aud": API_APP_ID, "iss": self.v2_issuer(TENANT), "iat": NOW - 300, "nbf": NOW - 300,
            "exp": NOW + 3599, "aio": "E2ZgYJg9zK3PzOr0FfsrVf8A", "azp": CLIENT_APP_ID, "azpacr": "1",
            "idtyp": "app", "oid": CLIENT_OID, "rh": "0.AAAAv4j5cvGGr0GRqy180BHbR1-Q.",
            "roles": [ROLE], "sub": CLIENT_OID, "tid": TENANT, "uti": "kU8ZkTNzU0C7l2oP7w0kAA", "ver": "2.0"
        })
    }

    /// Claims of a v1 app token (managed identity shape without roles, `aud` = the App ID URI).
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

    /// Signs `claims` under `header` with the authority's key.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        self.key.sign(header, claims)
    }

    /// Signs `claims` under a header whose `typ` is `typ` (or absent), `alg` RS256 and the key's kid.
    pub fn sign_typed(&self, typ: Option<&str>, claims: &Value) -> String {
        let mut header = json!({"alg": "RS256", "kid": self.key.kid});
        if let Some(typ) = typ {
            header["typ"] = json!(typ);
        }
        self.sign(&header, claims)
    }

    /// The standard v2 client token (role [`ROLE`]).
    pub fn v2_token(&self) -> String {
        self.sign(&self.v2_header(), &self.v2_claims())
    }

    /// A v2 token after `edit` changed its claims.
    pub fn v2_with(&self, edit: impl FnOnce(&mut Value)) -> String {
        let mut claims = self.v2_claims();
        edit(&mut claims);
        self.sign(&self.v2_header(), &claims)
    }

    /// The standard v1 managed-identity token (no roles).
    pub fn v1_token(&self) -> String {
        self.sign(&self.v1_header(), &self.v1_claims())
    }
}

fn v1_issuer(shape: Shape, base: &str, tenant: &str) -> String {
    match shape {
        Shape::Custos => format!("{base}/{tenant}/"),
        Shape::Entra => format!("https://sts.windows.net/{tenant}/"),
    }
}

async fn serve(State(state): State<Arc<AuthorityState>>, uri: Uri) -> Response {
    state.requests.fetch_add(1, Ordering::SeqCst);
    if !state.up.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let base = &state.base;
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
            json!({
                "token_endpoint": format!("{base}/{tid}/oauth2/token"),
                "jwks_uri": format!("{base}/common/discovery/keys"),
                "issuer": v1_issuer(state.shape, base, tid),
                "microsoft_multi_refresh_token": true,
            })
        }
        [_, "discovery", "v2.0", "keys"] => {
            state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            json!({ "keys": *state.v2_keys.lock().expect("key sets") })
        }
        ["common", "discovery", "keys"] => {
            state.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            json!({ "keys": *state.v1_keys.lock().expect("key sets") })
        }
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    axum::Json(body).into_response()
}
