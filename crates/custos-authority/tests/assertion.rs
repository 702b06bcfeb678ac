//! Certificate client authentication at the token endpoint (`private_key_jwt`): successful
//! v1 and v2 requests as MSAL, azure-identity and seed 004 send them, each refusal with its
//! AADSTS number, the replay rule in compat and strict mode (also across a restart), and
//! certificate credential lifecycle (expiry, removal).

mod certificates;
mod common;
use custos_core::sign_in_log::ClientCredentialType;

use certificates::*;
use common::*;
use custos_authority::{Authority, AuthorityConfig, KeyManager};
use custos_core::settings::{AssertionReplayMode, TenantSettings};
use custos_core::{Clock, FixedClock};
use custos_jose::secret::SecretHasher;
use custos_store::sqlite::SqliteStore;
use custos_store::{Directory, Store};
use serde_json::Value;
use std::sync::Arc;

fn v2_token_url(fx: &Fixture) -> String {
    format!("{PUBLIC_URL}{}", fx.v2_token_path())
}

async fn set_replay_mode(fx: &Fixture, mode: AssertionReplayMode) {
    fx.directory
        .update_tenant_settings(
            fx.tenant,
            &TenantSettings { assertion_replay: mode, ..TenantSettings::default() },
            &audit(),
        )
        .await
        .unwrap();
}

async fn setup() -> (Fixture, App) {
    let fx = Fixture::new().await;
    let client =
        certificate_client(&fx, vec![key_credential(registered_key(), NOW - 86_400, NOW + 86_400)]).await;
    (fx, client)
}

#[tokio::test]
async fn rs256_with_x5t_gets_a_v2_token_with_azpacr_2() {
    let (fx, client) = setup().await;
    let reply = post_form(
        &fx.router,
        &fx.v2_token_path(),
        &v2_assertion_body(&client, &assertion(&client, &v2_token_url(&fx), "j1")),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let claims = token_claims(&reply);
    assert_eq!(claims["azpacr"], "2");
    assert_eq!(claims["azp"], client.app_id());
    assert_eq!(claims["ver"], "2.0");
    assert_eq!(claims["roles"], serde_json::json!(["Read", "Write"]));
    // Its sign-in names the certificate by keyId and thumbprint.
    fx.sign_ins.flush().await;
    let query = custos_store::LogQuery::newest(fx.tenant, 10);
    let records = fx.directory.sign_ins(&query, &Default::default()).await.unwrap().records;
    let key = &client.app.key_credentials[0];
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].credential.kind, Some(ClientCredentialType::Certificate));
    assert_eq!(records[0].credential.key_id, Some(key.key_id));
    let thumbprint: String = key.custom_key_identifier.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(records[0].credential.thumbprint, Some(thumbprint));
}

/// Seed 004's raw request: v1 endpoint, `resource=`, header without `typ`, `aud` = the v1
/// token endpoint under the tenant's domain name, `exp = nbf + 600`, JSON `\/` escapes.
#[tokio::test]
async fn seed_004_raw_v1_request_gets_a_v1_token_with_appidacr_2() {
    let (fx, client) = setup().await;
    let key = registered_key();
    let header = format!(r#"{{"alg":"RS256","x5t":"{}"}}"#, key.cert.x5t());
    let aud = format!(r"https:\/\/login.custos.test:8443\/{DOMAIN}\/oauth2\/token");
    let id = client.app_id();
    let claims = format!(
        r#"{{"aud":"{aud}","exp":{},"iss":"{id}","jti":"22b3bb26-e046-42df-9c96-65dbd72c1c81","nbf":{NOW},"sub":"{id}"}}"#,
        NOW + 600
    );
    let body = form(&[
        ("resource", "api://resource-v1"),
        ("client_id", &id),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", &sign(key, Alg::Rs256, &header, &claims, false)),
        ("grant_type", "client_credentials"),
    ]);
    let reply = post_form(&fx.router, &fx.v1_token_path(), &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let claims = token_claims(&reply);
    assert_eq!(claims["appidacr"], "2");
    assert_eq!(claims["appid"], id);
    assert_eq!(claims["ver"], "1.0");
}

/// azure-identity `AadClient`: PS256 + `x5t#S256`, padded segments, `aud` = the v2 issuer.
#[tokio::test]
async fn ps256_with_x5t_s256_and_padded_segments() {
    let (fx, client) = setup().await;
    let key = registered_key();
    let header = format!(r#"{{"typ":"JWT","alg":"PS256","x5t#S256":"{}"}}"#, key.cert.x5t_s256());
    let aud = format!("{PUBLIC_URL}/{}/v2.0", fx.tenant);
    let raw = sign(key, Alg::Ps256, &header, &claims_at(&client, &aud, "p1", NOW, NOW + 1800), true);
    assert!(raw.contains('='), "the segments should be padded: {raw}");
    let reply = post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(token_claims(&reply)["azpacr"], "2");
}

/// Secrets still give `"1"`.
#[tokio::test]
async fn secret_tokens_keep_azpacr_1() {
    let fx = Fixture::new().await;
    let reply = post_form(
        &fx.router,
        &fx.v2_token_path(),
        &fx.v2_body(&fx.client, SECRET, "api://resource-v2/.default"),
    )
    .await;
    assert_eq!(token_claims(&reply)["azpacr"], "1");
}

#[tokio::test]
async fn each_refusal_has_its_entra_code() {
    let (fx, client) = setup().await;
    let key = registered_key();
    let url = v2_token_url(&fx);
    let header = rs256_header(key);
    let signed = |claims: String| sign(key, Alg::Rs256, &header, &claims, false);
    let id = client.app_id();
    let other_tenant_url = format!("{PUBLIC_URL}/{}/oauth2/v2.0/token", custos_core::TenantId::new_random());
    let cases: Vec<(&str, String, u32)> = vec![
        (
            "unknown key",
            sign(
                stranger_key(),
                Alg::Rs256,
                &rs256_header(stranger_key()),
                &claims(&client, &url, "a"),
                false,
            ),
            700027,
        ),
        ("expired", signed(claims_at(&client, &url, "b", NOW - 1200, NOW - 600)), 700024),
        ("not yet valid", signed(claims_at(&client, &url, "c", NOW + 900, NOW + 1200)), 700024),
        ("lifetime over the cap", signed(claims_at(&client, &url, "d", NOW, NOW + 3700)), 700024),
        (
            "wrong audience",
            signed(claims(&client, "https://login.custos.test:8443/common/oauth2/v2.0/token", "e")),
            700023,
        ),
        ("another tenant's endpoint", signed(claims(&client, &other_tenant_url, "f")), 700023),
        (
            "sub differs from iss",
            signed(format!(
                r#"{{"aud":"{url}","iss":"{id}","sub":"someone","jti":"g","exp":{}}}"#,
                NOW + 600
            )),
            50048,
        ),
        ("four segments", format!("{}.x", assertion(&client, &url, "h")), 50027),
        (
            "embedded jwk",
            sign(
                key,
                Alg::Rs256,
                &format!(r#"{{"alg":"RS256","x5t":"{}","jwk":{{}}}}"#, key.cert.x5t()),
                &claims(&client, &url, "i"),
                false,
            ),
            50027,
        ),
    ];
    for (name, raw, code) in cases {
        let reply = post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await;
        reply.assert_error(401, "invalid_client", code);
        assert_eq!(reply.json["access_token"], Value::Null, "{name}");
    }
}

#[tokio::test]
async fn a_bad_signature_is_700027_with_entras_reason() {
    let (fx, client) = setup().await;
    let mut raw = assertion(&client, &v2_token_url(&fx), "s");
    // Flip one character well inside the signature (not its last, which carries padding bits).
    let at = raw.len() - 10;
    let flipped = if &raw[at..=at] == "A" { "B" } else { "A" };
    raw.replace_range(at..=at, flipped);
    let reply = post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await;
    reply.assert_error(401, "invalid_client", 700027);
    assert!(
        reply.json["error_description"]
            .as_str()
            .unwrap()
            .contains("did not match the expected signature value")
    );
}

#[tokio::test]
async fn body_client_id_must_be_the_issuer() {
    let (fx, client) = setup().await;
    let raw = assertion(&fx.client, &v2_token_url(&fx), "x");
    let reply = post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await;
    reply.assert_error(401, "invalid_client", 700021);
}

#[tokio::test]
async fn assertion_type_must_be_jwt_bearer() {
    let (fx, client) = setup().await;
    let raw = assertion(&client, &v2_token_url(&fx), "t");
    let wrong = v2_assertion_body(&client, &raw).replace("jwt-bearer", "saml2-bearer");
    post_form(&fx.router, &fx.v2_token_path(), &wrong).await.assert_error(400, "invalid_request", 9002313);
    let missing = form(&[
        ("client_id", &client.app_id()),
        ("grant_type", "client_credentials"),
        ("scope", "api://resource-v2/.default"),
        ("client_assertion", &raw),
    ]);
    post_form(&fx.router, &fx.v2_token_path(), &missing).await.assert_error(400, "invalid_request", 900144);
}

#[tokio::test]
async fn unknown_client_with_an_assertion_is_700016() {
    let (fx, client) = setup().await;
    let raw = assertion(&client, &v2_token_url(&fx), "u");
    let body = v2_assertion_body(&client, &raw)
        .replace(&client.app_id(), &custos_core::AppId::new_random().to_string());
    post_form(&fx.router, &fx.v2_token_path(), &body).await.assert_error(400, "unauthorized_client", 700016);
}

#[tokio::test]
async fn an_expired_certificate_credential_is_not_a_key() {
    let fx = Fixture::new().await;
    let client = certificate_client(&fx, vec![key_credential(registered_key(), NOW - 86_400, NOW - 1)]).await;
    let reply = post_form(
        &fx.router,
        &fx.v2_token_path(),
        &v2_assertion_body(&client, &assertion(&client, &v2_token_url(&fx), "e")),
    )
    .await;
    reply.assert_error(401, "invalid_client", 700027);
}

#[tokio::test]
async fn removing_the_key_credential_takes_effect_at_once() {
    let (fx, client) = setup().await;
    let url = v2_token_url(&fx);
    let ok = post_form(
        &fx.router,
        &fx.v2_token_path(),
        &v2_assertion_body(&client, &assertion(&client, &url, "r1")),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let key_id = client.app.key_credentials[0].key_id;
    fx.directory
        .modify_application(
            fx.tenant,
            client.app.id,
            custos_store::ApplicationChange::RemoveKey(key_id),
            &audit(),
        )
        .await
        .unwrap();
    let reply = post_form(
        &fx.router,
        &fx.v2_token_path(),
        &v2_assertion_body(&client, &assertion(&client, &url, "r2")),
    )
    .await;
    reply.assert_error(401, "invalid_client", 700027);
}

#[tokio::test]
async fn compat_mode_accepts_a_byte_identical_reuse_only() {
    let (fx, client) = setup().await;
    let url = v2_token_url(&fx);
    let raw = assertion(&client, &url, "same-jti");
    for _ in 0..2 {
        let reply = post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    // Same jti, different content (a fresh signature over other claims).
    let other = sign(
        registered_key(),
        Alg::Rs256,
        &rs256_header(registered_key()),
        &claims_at(&client, &url, "same-jti", NOW, NOW + 500),
        false,
    );
    let reply = post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &other)).await;
    reply.assert_error(401, "invalid_client", 7000290);
    // A byte-identical assertion that lives longer than 10 minutes may not be reused.
    let long = sign(
        registered_key(),
        Alg::Rs256,
        &rs256_header(registered_key()),
        &claims_at(&client, &url, "long", NOW, NOW + 1800),
        false,
    );
    assert_eq!(
        post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &long)).await.status,
        200
    );
    post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &long)).await.assert_error(
        401,
        "invalid_client",
        7000290,
    );
}

#[tokio::test]
async fn strict_mode_makes_every_jti_single_use() {
    let (fx, client) = setup().await;
    set_replay_mode(&fx, AssertionReplayMode::Strict).await;
    let url = v2_token_url(&fx);
    let raw = assertion(&client, &url, "once");
    assert_eq!(
        post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await.status,
        200
    );
    post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await.assert_error(
        401,
        "invalid_client",
        7000290,
    );

    // Without jti: refused.
    let id = client.app_id();
    let no_jti = format!(r#"{{"aud":"{url}","iss":"{id}","sub":"{id}","iat":{NOW},"exp":{}}}"#, NOW + 600);
    let raw = sign(registered_key(), Alg::Rs256, &rs256_header(registered_key()), &no_jti, false);
    let reply = post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await;
    reply.assert_error(401, "invalid_client", 50027);
    assert!(reply.json["error_description"].as_str().unwrap().contains("'jti'"));

    // Spent even when a later check fails.
    let raw = assertion(&client, &url, "spent");
    let unknown_resource = v2_assertion_body(&client, &raw).replace("resource-v2", "nothing-here");
    post_form(&fx.router, &fx.v2_token_path(), &unknown_resource).await.assert_error(
        400,
        "invalid_resource",
        500011,
    );
    post_form(&fx.router, &fx.v2_token_path(), &v2_assertion_body(&client, &raw)).await.assert_error(
        401,
        "invalid_client",
        7000290,
    );
}

/// A strict-mode marker is committed before the token is returned: a restarted server (a new
/// authority over the reopened SQLite file) still refuses the assertion.
#[tokio::test]
async fn strict_mode_markers_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("custos.db").display());
    let clock = Arc::new(FixedClock::new(at(NOW)));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let (raw, body, path, tenant) = {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
        let keys = KeyManager::load(store.clone(), [7; 32], dyn_clock.clone()).await.unwrap();
        let fx = Fixture::with_stores(store.clone(), store, keys, clock.clone()).await;
        let client =
            certificate_client(&fx, vec![key_credential(registered_key(), NOW - 86_400, NOW + 86_400)]).await;
        set_replay_mode(&fx, AssertionReplayMode::Strict).await;
        let raw = assertion(&client, &v2_token_url(&fx), "durable");
        let body = v2_assertion_body(&client, &raw);
        let reply = post_form(&fx.router, &fx.v2_token_path(), &body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        (raw, body, fx.v2_token_path(), fx.tenant)
    };
    assert!(!raw.is_empty());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    assert_eq!(store.tenant_settings(tenant).await.unwrap().assertion_replay, AssertionReplayMode::Strict);
    let keys = KeyManager::load(store.clone(), [7; 32], dyn_clock.clone()).await.unwrap();
    let authority = Arc::new(Authority::new(
        AuthorityConfig::new(PUBLIC_URL),
        Arc::new(Directory::new(store)),
        SecretHasher::new(&[3; 32]),
        keys,
        dyn_clock,
    ));
    let router = authority.router();
    let reply = send(&router, post(&path, FORM).body(axum::body::Body::from(body)).unwrap()).await;
    assert_eq!(reply.status, 401);
    let json = reply.json;
    assert_eq!(json["error_codes"][0], 7000290);
}
