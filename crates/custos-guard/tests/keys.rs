//! security.md catalogue E35: the key cache (refresh on unknown `kid`, cooldown, coalescing, serving
//! cached keys while the authority is down, ignored key types, key-to-issuer binding).

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::*;
use custos_jose::testing::sign_hs256;
use custos_testkit::authority::TestKey;
use futures_util::future::join_all;
use serde_json::json;

/// One refresh round fetches the v2 and the v1 key set.
const ROUND: usize = 2;

fn token_signed_by(authority: &Authority, key: &TestKey) -> String {
    let mut header = authority.v2_header();
    header["kid"] = json!(key.kid);
    key.sign(&header, &authority.v2_claims())
}

#[tokio::test]
async fn e35_unknown_kid_refreshes_once_then_rejects() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, clock) = authority.guard("");
    let app = app(&guard);
    assert_eq!(call(&app, &authority.v2_token()).await.0, StatusCode::OK);
    assert_eq!(authority.jwks_fetches(), ROUND);

    let stranger = TestKey::generate("unknown-kid");
    let token = token_signed_by(&authority, &stranger);
    // The first miss is inside the cooldown of the initial fetch: no fetch.
    let rejected = (StatusCode::UNAUTHORIZED, invalid("the signing key is not known"), String::new());
    assert_eq!(call(&app, &token).await, rejected);
    assert_eq!(authority.jwks_fetches(), ROUND);
    clock.advance(time::Duration::seconds(31));
    assert_eq!(call(&app, &token).await, rejected);
    assert_eq!(authority.jwks_fetches(), 2 * ROUND, "one refresh after the cooldown");
    assert_eq!(call(&app, &token).await, rejected);
    assert_eq!(authority.jwks_fetches(), 2 * ROUND, "no second refresh within the cooldown");

    // Rotation: a newly published key is picked up by the next allowed refresh.
    let next = TestKey::generate("rotated-key");
    authority.publish(&[&authority.key, &next]);
    clock.advance(time::Duration::seconds(31));
    assert_eq!(call(&app, &token_signed_by(&authority, &next)).await.0, StatusCode::OK);
    assert_eq!(call(&app, &authority.v2_token()).await.0, StatusCode::OK);
    assert_eq!(authority.jwks_fetches(), 3 * ROUND);
}

#[tokio::test]
async fn e35_burst_of_random_kids_fetches_at_most_once_per_cooldown() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, clock) = authority.guard("");
    let app = app(&guard);
    // Cold start: 50 concurrent requests coalesce into one fetch.
    let token = authority.v2_token();
    let results = join_all((0..50).map(|_| call(&app, &token))).await;
    assert!(results.iter().all(|r| r.0 == StatusCode::OK));
    assert_eq!(authority.jwks_fetches(), ROUND);

    let forger = TestKey::generate("x");
    let forged: Vec<String> = (0..50)
        .map(|i| {
            let mut header = authority.v2_header();
            header["kid"] = json!(format!("random-kid-{i}"));
            forger.sign(&header, &authority.v2_claims())
        })
        .collect();
    for _ in 0..3 {
        clock.advance(time::Duration::seconds(31));
        let before = authority.jwks_fetches();
        let results = join_all(forged.iter().map(|t| call(&app, t))).await;
        assert!(results.iter().all(|r| r.1 == invalid("the signing key is not known")));
        assert_eq!(authority.jwks_fetches() - before, ROUND, "one refresh per cooldown window");
    }
    let before = authority.jwks_fetches();
    join_all(forged.iter().map(|t| call(&app, t))).await;
    assert_eq!(authority.jwks_fetches(), before, "no refresh inside the cooldown");
}

#[tokio::test]
async fn e35_cached_keys_serve_while_the_authority_is_down() {
    let authority = Authority::start(Shape::Entra).await;
    let (guard, clock) = authority.guard("");
    let app = app(&guard);
    guard.warm_up().await.unwrap();
    authority.set_up(false);
    clock.advance(time::Duration::hours(2));
    for _ in 0..3 {
        let token = authority.v2_with(|c| {
            c["iat"] = json!(NOW + 7200);
            c["nbf"] = json!(NOW + 7200);
            c["exp"] = json!(NOW + 7200 + 3599);
        });
        assert_eq!(call(&app, &token).await.0, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stranger = TestKey::generate("unknown-kid");
    let token = token_signed_by(&authority, &stranger);
    assert_eq!(call(&app, &token).await.1, invalid("the signing key is not known"));

    // Back up: the next request on stale keys refreshes them in the background.
    authority.set_up(true);
    clock.advance(time::Duration::seconds(31));
    let before = authority.jwks_fetches();
    let fresh = authority.v2_with(|c| c["exp"] = json!(NOW + 7200 + 3599));
    assert_eq!(call(&app, &fresh).await.0, StatusCode::OK);
    for _ in 0..100 {
        if authority.jwks_fetches() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(authority.jwks_fetches(), before + ROUND);

    // A guard that never reached the authority answers 503 (not a token error) with Retry-After.
    authority.set_up(false);
    let (cold, _) = authority.guard("");
    let response =
        send(&common::app(&cold), "/api", &[("authorization", &format!("Bearer {}", authority.v2_token()))])
            .await;
    assert_eq!((response.0, response.1), (StatusCode::SERVICE_UNAVAILABLE, None));
    assert!(matches!(cold.warm_up().await, Err(custos_guard::FetchError::Status { status: 503, .. })));
}

#[tokio::test]
async fn e35_symmetric_encryption_and_foreign_keys_are_never_used() {
    let authority = Authority::start(Shape::Custos).await;
    let enc = TestKey::generate("enc-key");
    let mut enc_jwk = enc.jwk(None);
    enc_jwk["use"] = json!("enc");
    let oct = json!({"kty":"oct","kid":"oct-key","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"});
    let v1_only = TestKey::generate("v1-only-key");
    let template = format!("{}/{{tenantid}}/v2.0", authority.base);
    *authority.state.v2_keys.lock().unwrap() =
        vec![authority.key.jwk(Some(&template)), enc_jwk.clone(), oct.clone()];
    *authority.state.v1_keys.lock().unwrap() = vec![authority.key.jwk(None), enc_jwk, oct, v1_only.jwk(None)];
    let (guard, _) = authority.guard("");
    let app = app(&guard);
    assert_eq!(call(&app, &authority.v2_token()).await.0, StatusCode::OK);
    assert_eq!(
        call(&app, &token_signed_by(&authority, &enc)).await.1,
        invalid("the signing key is not known")
    );
    let hs = json!({"typ": "JWT", "alg": "HS256", "kid": "oct-key"});
    let token = sign_hs256(b"secret-secret-secret-secret", &hs, &authority.v2_claims());
    assert_eq!(call(&app, &token).await.1, invalid("the token algorithm is not allowed"));
    // A key published only for the v1 issuer cannot sign a v2 token (RFC 8725 §3.8).
    assert_eq!(
        call(&app, &token_signed_by(&authority, &v1_only)).await.1,
        invalid("the signature is invalid")
    );
}
