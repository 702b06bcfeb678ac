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
//! For scale, `rsa2048_verify` measures the floor of the same work: one RS256 signature check over the
//! same signing input with aws-lc-rs, once rebuilding the public key from `n`/`e` on every call (what
//! `jsonwebtoken` does for a JWK-built `DecodingKey`) and once with a key parsed ahead of time.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use custos_core::FixedClock;
use custos_guard::{Guard, GuardConfigInput};
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
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
async fn start_authority() -> (String, EncodingKey) {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key");
    let encoding = EncodingKey::from_rsa_pem(pair.serialize_pem().as_bytes()).expect("PEM key");
    let jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256).expect("JWK");
    let AlgorithmParameters::RSA(rsa) = jwk.algorithm else { panic!("not an RSA key") };
    let key = json!({ "kty": "RSA", "use": "sig", "kid": KID, "n": rsa.n, "e": rsa.e });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let app = Router::new().fallback(metadata).with_state((base.clone(), key));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, encoding)
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
fn v2_token(base: &str, encoding: &EncodingKey) -> String {
    let claims = json!({
        "aud": API_APP_ID, "iss": format!("{base}/{TENANT}/v2.0"), "iat": NOW - 60, "nbf": NOW - 60,
        "exp": NOW + 3540, "azp": CLIENT_APP_ID, "azpacr": "1", "idtyp": "app", "oid": CLIENT_OID,
        "roles": [ROLE], "sub": CLIENT_OID, "tid": TENANT, "ver": "2.0", "uti": "AbCdEfGhIjKlMnOpQrStUv",
        "rh": "0.AAAA-bench.", "xms_ftd": "bench"
    });
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(KID.to_owned());
    jsonwebtoken::encode(&header, &claims, encoding).expect("signed token")
}

fn validate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let (base, encoding) = rt.block_on(start_authority());
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
    let token = v2_token(&base, &encoding);
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
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
    use aws_lc_rs::signature::{
        KeyPair as _, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
    };

    let pair = RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA key");
    // A realistic signing input: the bench token's header and claims (its own signature is discarded).
    let pem = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).expect("RSA key").serialize_pem();
    let encoding = EncodingKey::from_rsa_pem(pem.as_bytes()).expect("PEM key");
    let token = v2_token("http://127.0.0.1:1", &encoding);
    let message = token.rsplit_once('.').map(|(input, _)| input.as_bytes().to_vec()).expect("a JWS");
    let mut signature = vec![0; pair.public_modulus_len()];
    pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), &message, &mut signature).expect("signature");
    let components = PublicKeyComponents::<Vec<u8>>::from(pair.public_key());
    let parsed =
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, pair.public_key().as_ref()).parse().expect("key");

    let mut group = c.benchmark_group("rsa2048_verify");
    group.throughput(Throughput::Elements(1));
    group.bench_function("components_per_call", |b| {
        b.iter(|| components.verify(&RSA_PKCS1_2048_8192_SHA256, &message, &signature).is_ok());
    });
    group.bench_function("parsed_once", |b| b.iter(|| parsed.verify_sig(&message, &signature).is_ok()));
    group.finish();
}

criterion_group!(benches, validate, rsa2048_verify);
criterion_main!(benches);
