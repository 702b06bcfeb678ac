//! The verified-token cache (issue 5): a repeated token skips the signature check but never the
//! lifetime, `ClientType` or route policy rules (security.md catalogue E36).

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use common::*;
use custos_core::{AppId, FixedClock};
use custos_guard::{Forbidden, Guard, GuardConfig, GuardError, InvalidToken, MAX_LEEWAY, Policy};
use custos_testkit::authority::TestKey;
use serde_json::json;
use time::OffsetDateTime;

fn bearer(token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("authorization", HeaderValue::from_str(&format!("Bearer {token}")).unwrap());
    headers
}

fn role_policy(role: &str) -> Policy {
    Policy::new(vec![role.to_owned()], BTreeSet::new(), BTreeSet::new())
}

/// Publishes only a new key and lets the guard's key cache pick it up (the original key is gone).
async fn rotate_out_original_key(authority: &Authority, guard: &Guard, clock: &FixedClock) {
    let next = TestKey::generate("rotated-key");
    authority.publish(&[&next]);
    clock.advance(time::Duration::seconds(31));
    let mut header = authority.v2_header();
    header["kid"] = json!(next.kid);
    let signed_by_next = next.sign(&header, &authority.v2_claims());
    assert!(guard.validate_token(&signed_by_next).await.is_ok(), "the new key was fetched");
}

#[tokio::test]
async fn hit_returns_the_same_principal_until_exp() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, clock) = authority.guard("");
    let token = authority.v2_token();
    let first = guard.validate_token(&token).await.unwrap();
    assert_eq!(guard.validate_token(&token).await.unwrap(), first);

    // Only a cache hit can still accept the token once its key left the JWKS (documented behaviour).
    rotate_out_original_key(&authority, &guard, &clock).await;
    assert_eq!(guard.validate_token(&token).await.unwrap(), first);

    // exp = NOW + 3599 with the default leeway: refused from the cache once the clock reaches exp + leeway.
    let leeway = i64::try_from(MAX_LEEWAY.as_secs()).unwrap();
    assert_eq!(guard.config().leeway(), MAX_LEEWAY);
    clock.set(OffsetDateTime::from_unix_timestamp(NOW + 3599 + leeway - 1).unwrap());
    assert_eq!(guard.validate_token(&token).await.unwrap(), first);
    clock.set(OffsetDateTime::from_unix_timestamp(NOW + 3599 + leeway).unwrap());
    assert!(matches!(
        guard.validate_token(&token).await,
        Err(GuardError::InvalidToken(InvalidToken::Expired))
    ));
}

#[tokio::test]
async fn zero_capacity_disables_the_cache() {
    let authority = Authority::start(Shape::Custos).await;
    let toml = format!(
        "Authority = \"{}\"\nServiceAuthTenantId = \"{TENANT}\"\nServiceAuthAudience = \"{API_URI}\"\n",
        authority.base
    );
    let config = GuardConfig::from_toml_str(&toml).unwrap().danger_allow_http_loopback();
    let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
    let guard = Guard::new(config, clock.clone()).unwrap().with_token_cache(0);
    let token = authority.v2_token();
    assert!(guard.validate_token(&token).await.is_ok());
    rotate_out_original_key(&authority, &guard, &clock).await;
    assert!(matches!(
        guard.validate_token(&token).await,
        Err(GuardError::InvalidToken(InvalidToken::UnknownKey))
    ));
}

#[tokio::test]
async fn e36_route_policy_applies_on_every_hit() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let token = authority.v2_token();
    let headers = bearer(&token);
    // Route A (the token's role) approves and caches the token.
    assert!(guard.validate_with(&headers, &role_policy(ROLE)).await.is_ok());
    // Route B requires another role: refused although the token is cached.
    assert!(matches!(
        guard.validate_with(&headers, &role_policy("Orders.Write")).await,
        Err(GuardError::Forbidden(Forbidden::MissingRole))
    ));
    // Route C allows only another client application.
    let other_app = Policy::new(Vec::new(), BTreeSet::from([AppId::new_random()]), BTreeSet::new());
    assert!(matches!(
        guard.validate_with(&headers, &other_app).await,
        Err(GuardError::Forbidden(Forbidden::ApplicationNotAllowed))
    ));
    // Route A still approves.
    assert!(guard.validate_with(&headers, &role_policy(ROLE)).await.is_ok());
}

#[tokio::test]
async fn e36_cached_token_without_the_role_is_still_403() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard(&format!("ServiceAuthRole = \"{ROLE}\"\n"));
    let token = authority.v2_with(|c| c["roles"] = json!([]));
    // Cached through a route with no role requirement...
    assert!(guard.validate_with(&bearer(&token), &Policy::default()).await.is_ok());
    // ...then refused by the API's configured role, through the layer.
    let app = app(&guard);
    let refused =
        (StatusCode::FORBIDDEN, insufficient("the token does not carry a required role"), String::new());
    assert_eq!(call(&app, &token).await, refused);
    assert_eq!(call(&app, &token).await, refused);
}

#[tokio::test]
async fn e36_client_type_rule_applies_on_every_hit() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("RequireClientTypeHeader = true\n");
    let app = app(&guard);
    let token = authority.v2_token();
    let auth = format!("Bearer {token}");
    let service = [("authorization", auth.as_str()), ("ClientType", "Service")];
    assert_eq!(send(&app, "/api", &service).await.0, StatusCode::OK);
    assert_eq!(
        send(&app, "/api", &[("authorization", &auth)]).await,
        (
            StatusCode::UNAUTHORIZED,
            Some(
                "Bearer error=\"invalid_request\", error_description=\"app tokens require the header ClientType: Service\""
                    .to_owned()
            ),
            String::new()
        )
    );
    assert_eq!(send(&app, "/api", &service).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_token_differing_in_one_byte_misses() {
    let authority = Authority::start(Shape::Custos).await;
    let (guard, _) = authority.guard("");
    let token = authority.v2_token();
    assert!(guard.validate_token(&token).await.is_ok());
    // Flip one character in the middle of the signature: a different key, verified in full, refused.
    let mut bytes = token.into_bytes();
    let at = bytes.len() - 20;
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(bytes).unwrap();
    assert!(matches!(
        guard.validate_token(&tampered).await,
        Err(GuardError::InvalidToken(InvalidToken::Signature))
    ));
}
