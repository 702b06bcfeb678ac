//! Throttling of failed client authentication (`security.md` AS-20, catalogue B12; issue 16):
//! per client id and per source address, with the default limits (20 failures per client id and
//! 50 per address within 60 s lock for 60 s), answered 429 + `Retry-After` + AADSTS90055, the
//! right secret included.

mod common;

use axum::body::Body;
use common::*;
use custos_authority::throttle::{DEFAULT_FAILURES_PER_ADDRESS, DEFAULT_FAILURES_PER_CLIENT};
use custos_core::AppId;
use custos_listener::ConnectionInfo;
use std::net::SocketAddr;

const SCOPE: &str = "api://resource-v2/.default";
const BAD_ASSERTION: [(&str, &str); 2] = [
    ("client_assertion", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
    ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
];

/// A token request from `peer` (as the listener tags it).
async fn post_from(fx: &Fixture, peer: &str, body: &str) -> Reply {
    let peer: SocketAddr = peer.parse().unwrap();
    let request = post(&fx.v2_token_path(), FORM)
        .extension(ConnectionInfo { peer, tls: true })
        .body(Body::from(body.to_owned()))
        .unwrap();
    send(&fx.router, request).await
}

fn assertion_body(client_id: &str) -> String {
    let mut pairs = vec![("grant_type", "client_credentials"), ("client_id", client_id), ("scope", SCOPE)];
    pairs.extend_from_slice(&BAD_ASSERTION);
    form(&pairs)
}

/// `Authorization: Basic` for `client_id:secret`, both form-encoded (RFC 6749 Appendix B).
fn basic_value(client_id: &str, secret: &str) -> String {
    use base64::Engine as _;
    let secret = form(&[("x", secret)]);
    let user_pass = format!("{client_id}:{}", secret.trim_start_matches("x="));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass))
}

fn metrics(fx: &Fixture) -> String {
    let mut out = String::new();
    fx.authority.render_prometheus(&mut out);
    out
}

#[tokio::test]
async fn wrong_secrets_lock_the_client_id_and_the_right_secret_is_refused_until_the_window_ends() {
    let fx = Fixture::new().await;
    let path = fx.v2_token_path();
    for _ in 0..DEFAULT_FAILURES_PER_CLIENT {
        post_form(&fx.router, &path, &fx.v2_body(&fx.client, "wrong", SCOPE)).await.assert_error(
            401,
            "invalid_client",
            7000215,
        );
    }
    let locked = post_form(&fx.router, &path, &fx.v2_body(&fx.client, SECRET, SCOPE)).await;
    locked.assert_error(429, "temporarily_unavailable", 90055);
    assert_eq!(locked.header("retry-after"), Some("60"));
    assert!(
        locked.json["error_description"]
            .as_str()
            .unwrap()
            .starts_with("AADSTS90055: There are too many incoming requests."),
        "{}",
        locked.text
    );
    assert!(locked.json.get("access_token").is_none());
    // Basic authentication and the v1 endpoint name the same client id.
    let basic = post(&fx.v1_token_path(), FORM)
        .header("authorization", basic_value(&fx.client.app_id(), SECRET))
        .body(Body::from(form(&[("grant_type", "client_credentials"), ("resource", "api://resource-v1")])))
        .unwrap();
    let reply = send(&fx.router, basic).await;
    assert_eq!((reply.status.as_u16(), reply.header("retry-after")), (429, Some("60")), "{}", reply.text);
    // Other clients are not affected.
    let other = post_form(&fx.router, &path, &fx.v2_body(&fx.bare, SECRET, SCOPE)).await;
    other.assert_error(401, "invalid_client", 7000215);

    fx.clock.advance(time::Duration::seconds(59));
    let reply = post_form(&fx.router, &path, &fx.v2_body(&fx.client, SECRET, SCOPE)).await;
    assert_eq!((reply.status.as_u16(), reply.header("retry-after")), (429, Some("1")), "{}", reply.text);
    fx.clock.advance(time::Duration::seconds(1));
    let reply = post_form(&fx.router, &path, &fx.v2_body(&fx.client, SECRET, SCOPE)).await;
    assert_eq!(reply.status.as_u16(), 200, "the lock is over: {}", reply.text);

    let metrics = metrics(&fx);
    for line in [
        "custos_client_auth_lockouts_total{by=\"client_id\"} 1\n",
        "custos_token_requests_throttled_total{by=\"client_id\"} 3\n",
        "custos_token_requests_throttled_total{by=\"address\"} 0\n",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    assert!(
        metrics.contains("custos_token_requests_total{outcome=\"temporarily_unavailable\"} 0\n"),
        "throttled requests are not storage failures: {metrics}"
    );
}

#[tokio::test]
async fn failed_assertions_count_and_an_unknown_client_id_is_locked_like_a_known_one() {
    let fx = Fixture::new().await;
    let path = fx.v2_token_path();
    let client_id = fx.client.app_id();
    for _ in 0..DEFAULT_FAILURES_PER_CLIENT {
        post_form(&fx.router, &path, &assertion_body(&client_id)).await.assert_error(
            401,
            "invalid_client",
            700027,
        );
    }
    let reply = post_form(&fx.router, &path, &fx.v2_body(&fx.client, SECRET, SCOPE)).await;
    reply.assert_error(429, "temporarily_unavailable", 90055);

    let unknown = AppId::new_random().to_string();
    let unknown_body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &unknown),
        ("client_secret", SECRET),
        ("scope", SCOPE),
    ]);
    for _ in 0..DEFAULT_FAILURES_PER_CLIENT {
        post_form(&fx.router, &path, &unknown_body).await.assert_error(400, "unauthorized_client", 700016);
    }
    let reply = post_form(&fx.router, &path, &unknown_body).await;
    reply.assert_error(429, "temporarily_unavailable", 90055);
    assert_eq!(reply.header("retry-after"), Some("60"));
}

#[tokio::test]
async fn failures_from_one_address_lock_it_for_every_client_id() {
    let fx = Fixture::new().await;
    let attacker = "192.0.2.7:40000";
    for _ in 0..DEFAULT_FAILURES_PER_ADDRESS {
        let body = assertion_body(&AppId::new_random().to_string());
        post_from(&fx, attacker, &body).await.assert_error(400, "unauthorized_client", 700016);
    }
    let right = fx.v2_body(&fx.client, SECRET, SCOPE);
    let reply = post_from(&fx, attacker, &right).await;
    reply.assert_error(429, "temporarily_unavailable", 90055);
    assert_eq!(reply.header("retry-after"), Some("60"));
    assert_eq!(post_from(&fx, "192.0.2.7:40001", &right).await.status.as_u16(), 429, "any port");
    assert_eq!(post_from(&fx, "192.0.2.8:40000", &right).await.status.as_u16(), 200, "another address");

    // An IPv6 client is its /64.
    for i in 0..DEFAULT_FAILURES_PER_ADDRESS {
        let peer = format!("[2001:db8:1:2::{i:x}]:443");
        let body = assertion_body(&AppId::new_random().to_string());
        post_from(&fx, &peer, &body).await.assert_error(400, "unauthorized_client", 700016);
    }
    assert_eq!(post_from(&fx, "[2001:db8:1:2:ffff::1]:443", &right).await.status.as_u16(), 429);
    assert_eq!(post_from(&fx, "[2001:db8:1:3::1]:443", &right).await.status.as_u16(), 200);
    let metrics = metrics(&fx);
    assert!(metrics.contains("custos_client_auth_lockouts_total{by=\"address\"} 2\n"), "{metrics}");
}

#[tokio::test]
async fn successes_are_never_counted_and_failures_below_the_limit_never_lock() {
    let fx = Fixture::new().await;
    let peer = "198.51.100.1:5000";
    for round in 0..(DEFAULT_FAILURES_PER_CLIENT - 1) {
        for _ in 0..10 {
            let reply = post_from(&fx, peer, &fx.v2_body(&fx.client, SECRET, SCOPE)).await;
            assert_eq!(reply.status.as_u16(), 200, "round {round}: {}", reply.text);
        }
        post_from(&fx, peer, &fx.v2_body(&fx.client, "wrong", SCOPE)).await.assert_error(
            401,
            "invalid_client",
            7000215,
        );
    }
    let reply = post_from(&fx, peer, &fx.v2_body(&fx.client, SECRET, SCOPE)).await;
    assert_eq!(reply.status.as_u16(), 200, "{}", reply.text);
    let metrics = metrics(&fx);
    assert!(metrics.contains("custos_client_auth_lockouts_total{by=\"client_id\"} 0\n"), "{metrics}");
    assert!(metrics.contains("custos_client_auth_failures_total 19\n"), "{metrics}");
}

/// Load shedding (issue 16 item 5): with no turn free and no room to wait, a token request is
/// answered at once with 503, `temporarily_unavailable`, AADSTS90033 and `Retry-After: 1`, and
/// counted; the right secret included (nothing was looked at).
#[tokio::test]
async fn an_overloaded_server_sheds_token_requests_early() {
    let mut config = custos_authority::AuthorityConfig::new(format!("{PUBLIC_URL}/"));
    config.admission =
        custos_authority::AdmissionConfig { max_concurrent: 0, max_queued: 0, ..Default::default() };
    let fx = Fixture::with_config(config).await;
    let reply = post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, SCOPE)).await;
    reply.assert_error(503, "temporarily_unavailable", 90033);
    assert_eq!(reply.header("retry-after"), Some("1"));
    assert!(metrics(&fx).contains("custos_token_requests_shed_total 1\n"));
    assert!(
        metrics(&fx).contains("custos_token_requests_total{outcome=\"temporarily_unavailable\"} 0\n"),
        "shed requests are not timed"
    );
}
