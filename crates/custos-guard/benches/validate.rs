//! Warm-cache token validation throughput (issue 5 goal: ≥ 50,000 validations/s per core).
//!
//! An in-process authority publishes one RSA-2048 key over loopback HTTP; the guard fetches its keys
//! once before measuring, so every iteration is the steady state of an API under load: parse the
//! header, look the `kid` up in the cache, verify the RS256 signature, check every claim and apply the
//! role policy. One iteration = one validation on one thread, so validations/s per core = 1 / time.
//!
//! `validate_v2_rs256_warm_cache` runs with the verified-token cache disabled (every iteration pays the
//! full verification); `validate_cached` is the default guard, where a reused token only has its
//! lifetime, `ClientType` and policy rules re-checked.
//!
//! For scale, `rsa2048_verify/parsed_once` measures the floor of the same work: one RS256 signature
//! check over the same signing input with the guard's key, parsed from `n`/`e` ahead of time.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custos_core::FixedClock;
use custos_guard::{Guard, GuardConfigInput};
use custos_jose::Rs256Key;
use custos_jose::testing::TestSigner;
use serde_json::{Value, json};
use time::OffsetDateTime;

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const API_APP_ID: &str = "5f0a6a3e-0b3c-4b8e-9a51-7d3c2e1f0a99";
const CLIENT_APP_ID: &str = "0f5c2d44-6a7b-4c3d-8e9f-1a2b3c4d5e6f";
const CLIENT_OID: &str = "3c8e4f1a-2b5d-4e6f-9a7b-8c9d0e1f2a3b";
const ROLE: &str = "Orders.Read";
const KID: &str = "bench-key";
const NOW: i64 = 1_800_000_000;

/// Serves v1/v2 discovery and the JWKS for any tenant on `127.0.0.1:0`; returns (base URL, signer).
async fn start_authority() -> (String, TestSigner) {
    let signer = TestSigner::generate();
    let key = signer.jwk(KID);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = Router::new().fallback(metadata).with_state((base.clone(), key));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, signer)
}

async fn metadata(State((base, key)): State<(String, Value)>, uri: Uri) -> Response {
    let segments: Vec<&str> = uri.path().trim_start_matches('/').split('/').collect();
    let body = match segments.as_slice() {
        [tid, "v2.0", ".well-known", "openid-configuration"] => json!({
            "issuer": format!("{base}/{tid}/v2.0"),
            "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        }),
        [tid, ".well-known", "openid-configuration"] => json!({
            "issuer": format!("{base}/{tid}/"),
            "jwks_uri": format!("{base}/{tid}/discovery/v2.0/keys"),
        }),
        [_, "discovery", "v2.0", "keys"] => json!({ "keys": [key] }),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    axum::Json(body).into_response()
}

/// A custos-shaped v2 app token for the API, with the role.
fn v2_token(base: &str, signer: &TestSigner) -> String {
    let claims = json!({
        "aud": API_APP_ID, "iss": format!("{base}/{TENANT}/v2.0"), "iat": NOW - 60, "nbf": NOW - 60,
        "exp": NOW + 3540, "azp": CLIENT_APP_ID, "azpacr": "1", "idtyp": "app", "oid": CLIENT_OID,
        "roles": [ROLE], "sub": CLIENT_OID, "tid": TENANT, "ver": "2.0", "uti": "AbCdEfGhIjKlMnOpQrStUv",
        "rh": "0.AAAA-bench.", "xms_ftd": "bench"
    });
    signer.sign(&json!({"typ": "JWT", "alg": "RS256", "kid": KID}), &claims)
}

fn validate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (base, signer) = rt.block_on(start_authority());
    let config = GuardConfigInput::from_toml_str(&format!(
        "Authority = \"{base}\"\nServiceAuthTenantId = \"{TENANT}\"\nServiceAuthAudience = \"api://{API_APP_ID}\"\nServiceAuthRole = \"{ROLE}\"\n"
    ))
    .and_then(|input| input.validate())
    .expect("guard configuration")
    .danger_allow_http_loopback();
    let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).expect("time")));
    let cached = Guard::new(config.clone(), Arc::clone(&clock) as _).expect("guard");
    let guard = Guard::new(config, clock).expect("guard").with_token_cache(0);
    rt.block_on(guard.warm_up()).expect("keys fetched");
    rt.block_on(cached.warm_up()).expect("keys fetched");
    let token = v2_token(&base, &signer);
    let mut headers = HeaderMap::new();
    headers.insert(
        axum::http::header::AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("header"),
    );
    let principal = rt.block_on(guard.validate(&headers)).expect("the bench token is valid");
    assert!(principal.has_role(ROLE));
    assert_eq!(rt.block_on(cached.validate(&headers)).expect("cached guard"), principal);

    let mut group = c.benchmark_group("guard");
    group.throughput(Throughput::Elements(1));
    group.bench_function("validate_v2_rs256_warm_cache", |b| {
        b.iter(|| rt.block_on(guard.validate(std::hint::black_box(&headers))).is_ok());
    });
    group.bench_function("validate_cached", |b| {
        b.iter(|| rt.block_on(cached.validate(std::hint::black_box(&headers))).is_ok());
    });
    group.finish();
}

fn rsa2048_verify(c: &mut Criterion) {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    // A realistic signing input: the bench token's header and claims.
    let signer = TestSigner::generate();
    let token = v2_token("http://127.0.0.1:1", &signer);
    let (message, signature) = token.rsplit_once('.').expect("a JWS");
    let signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url signature");
    let key = Rs256Key::from_jwk(&signer.n(), &signer.e()).expect("key");

    let mut group = c.benchmark_group("rsa2048_verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("parsed_once", |b| b.iter(|| key.verify(message.as_bytes(), &signature).is_ok()));
    group.finish();
}

criterion_group!(benches, validate, rsa2048_verify);
criterion_main!(benches);
