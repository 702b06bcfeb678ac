//! security.md catalogue E35 through the gateway over TCP: a burst of random unknown `kid`s causes at
//! most one key refresh per cooldown (fetches counted at the test authority, time moved with the
//! gateway's injected clock), and with the authority down after warm-up valid tokens keep being
//! admitted while unknown `kid`s get `401 invalid_token`, never a 5xx.

mod common;

use common::*;
use custos_jose::testing::TestSigner;
use futures_util::future::join_all;
use serde_json::{Value, json};

/// One refresh round fetches the v2 and the v1 key set.
const ROUND: usize = 2;
/// The guard's default cooldown between refreshes triggered by unknown `kid`s, plus one second.
const PAST_COOLDOWN: time::Duration = time::Duration::seconds(31);
/// Requests in one burst.
const BURST: usize = 40;
const UNKNOWN_KEY: &str =
    "Bearer error=\"invalid_token\", error_description=\"the signing key is not known\"";

/// `BURST` tokens with the standard claims, each under a different unknown `kid`, signed by a key the
/// authority never published.
fn forged_burst(h: &Harness, round: usize) -> Vec<String> {
    let forger = TestSigner::generate();
    (0..BURST)
        .map(|i| {
            let header = json!({"typ": "JWT", "alg": "RS256", "kid": format!("unknown-kid-{round}-{i}")});
            forger.sign(&header, &h.authority.v2_claims())
        })
        .collect()
}

/// `GET /api/x` with `token`: (status, `WWW-Authenticate`).
async fn call(h: &Harness, token: &str) -> (u16, Option<String>) {
    let bearer = format!("Bearer {token}");
    let response = h.send("GET", "/api/x", &[("Authorization", &bearer)], b"").await;
    (response.status, response.header("www-authenticate").map(str::to_owned))
}

/// Sends every token concurrently; asserts each is refused as signed by an unknown key.
async fn assert_burst_refused(h: &Harness, tokens: &[String]) {
    let results = join_all(tokens.iter().map(|t| call(h, t))).await;
    for result in results {
        assert_eq!(result, (401, Some(UNKNOWN_KEY.to_owned())));
    }
}

/// A valid token for the gateway's clock `offset` seconds after [`NOW`] (a new token each time, so
/// the guard's token cache cannot answer for it).
fn valid_token_at(h: &Harness, offset: i64, serial: usize) -> String {
    let mut claims: Value = h.authority.v2_claims();
    claims["iat"] = json!(NOW + offset - 60);
    claims["nbf"] = json!(NOW + offset - 60);
    claims["exp"] = json!(NOW + offset + 3599);
    claims["uti"] = json!(format!("serial-{serial}"));
    h.authority.sign(&h.authority.v2_header(), &claims)
}

#[tokio::test]
async fn e35_burst_of_random_kids_refreshes_at_most_once_per_cooldown() {
    let h = Harness::start().await;
    // Cold start: concurrent first requests coalesce into one refresh round.
    let token = h.authority.v2_token();
    let results = join_all((0..BURST).map(|_| call(&h, &token))).await;
    assert!(results.iter().all(|r| r.0 == 200), "{results:?}");
    assert_eq!(h.authority.jwks_fetches(), ROUND);

    // Inside the cooldown of the first fetch: no refresh at all.
    assert_burst_refused(&h, &forged_burst(&h, 0)).await;
    assert_eq!(h.authority.jwks_fetches(), ROUND, "no refresh inside the cooldown");

    for round in 1..=3 {
        h.clock.advance(PAST_COOLDOWN);
        let before = h.authority.jwks_fetches();
        let forged = forged_burst(&h, round);
        assert_burst_refused(&h, &forged).await;
        assert_eq!(h.authority.jwks_fetches() - before, ROUND, "one refresh per cooldown window");
        assert_burst_refused(&h, &forged).await;
        assert_eq!(h.authority.jwks_fetches() - before, ROUND, "the same burst again: no refresh");
    }
    // The legitimate client was never disturbed, and no forged request reached the upstream.
    assert_eq!(call(&h, &token).await, (200, None));
    assert_eq!(h.upstream.hits(), BURST + 1);
}

#[tokio::test]
async fn e35_authority_down_after_warm_up_keeps_serving_cached_keys() {
    let h = Harness::start().await;
    assert_eq!(call(&h, &h.authority.v2_token()).await, (200, None));
    let warm = h.authority.requests();
    assert_eq!(h.authority.jwks_fetches(), ROUND);
    h.authority.set_up(false);

    // Tokens the gateway never saw (so validated against the cached keys, not the token cache).
    h.clock.advance(PAST_COOLDOWN);
    for serial in 0..3 {
        assert_eq!(call(&h, &valid_token_at(&h, 31, serial)).await, (200, None), "token {serial}");
    }
    assert_eq!(h.authority.requests(), warm, "known keys need no fetch");

    // Unknown kids past the cooldown: one refresh attempt (its first request fails with 503), the
    // cached keys stay, and every caller gets 401 invalid_token, not a 5xx.
    assert_burst_refused(&h, &forged_burst(&h, 0)).await;
    assert_eq!(h.authority.requests(), warm + 1, "one failed refresh attempt for the whole burst");
    assert_burst_refused(&h, &forged_burst(&h, 1)).await;
    assert_eq!(h.authority.requests(), warm + 1, "no retry inside the cooldown");
    for serial in 3..6 {
        assert_eq!(call(&h, &valid_token_at(&h, 31, serial)).await, (200, None), "token {serial}");
    }

    // Hours later (keys stale, every background refresh failing): still served from the cache.
    h.clock.advance(time::Duration::hours(2));
    let later = 2 * 3600 + 31;
    for serial in 6..9 {
        assert_eq!(call(&h, &valid_token_at(&h, later, serial)).await, (200, None), "token {serial}");
    }
    h.clock.advance(PAST_COOLDOWN);
    assert_burst_refused(&h, &forged_burst(&h, 2)).await;
    assert_eq!(h.authority.jwks_fetches(), ROUND, "the authority never served keys again");
    assert_eq!(h.upstream.hits(), 10);
}
