//! Discovery documents, key sets and instance discovery over HTTP.

mod common;

use common::*;
use custos_core::TenantId;

fn assert_discovery_headers(reply: &Reply) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("max-age=86400, private"));
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
}

#[tokio::test]
async fn v2_configuration_by_guid_or_domain_has_guid_endpoints() {
    let fx = Fixture::new().await;
    let tid = fx.tenant;
    for segment in [tid.to_string(), DOMAIN.to_owned(), DOMAIN.to_uppercase()] {
        let reply = get(&fx.router, &format!("/{segment}/v2.0/.well-known/openid-configuration")).await;
        assert_discovery_headers(&reply);
        let doc = &reply.json;
        assert_eq!(doc["issuer"], format!("{PUBLIC_URL}/{tid}/v2.0"));
        assert_eq!(doc["token_endpoint"], format!("{PUBLIC_URL}/{tid}/oauth2/v2.0/token"));
        assert_eq!(doc["authorization_endpoint"], format!("{PUBLIC_URL}/{tid}/oauth2/v2.0/authorize"));
        assert_eq!(doc["jwks_uri"], format!("{PUBLIC_URL}/{tid}/discovery/v2.0/keys"));
        assert_eq!(doc["tenant_region_scope"], "WW");
        assert!(reply.text.starts_with("{\"token_endpoint\":"), "{}", reply.text);
    }
    // Trailing slash and case.
    let reply = get(&fx.router, &format!("/{tid}/V2.0/.Well-Known/OpenID-Configuration/")).await;
    assert_discovery_headers(&reply);
}

#[tokio::test]
async fn v1_configuration_uses_the_common_key_set() {
    let fx = Fixture::new().await;
    let tid = fx.tenant;
    let reply = get(&fx.router, &format!("/{DOMAIN}/.well-known/openid-configuration")).await;
    assert_discovery_headers(&reply);
    assert_eq!(reply.json["issuer"], format!("{PUBLIC_URL}/{tid}/"));
    assert_eq!(reply.json["token_endpoint"], format!("{PUBLIC_URL}/{tid}/oauth2/token"));
    assert_eq!(reply.json["jwks_uri"], format!("{PUBLIC_URL}/common/discovery/keys"));
    assert_eq!(reply.json["scopes_supported"], serde_json::json!(["openid"]));
}

#[tokio::test]
async fn alias_configuration_keeps_the_alias_with_a_templated_issuer() {
    let fx = Fixture::new().await;
    let reply = get(&fx.router, "/common/v2.0/.well-known/openid-configuration").await;
    assert_discovery_headers(&reply);
    assert_eq!(reply.json["issuer"], format!("{PUBLIC_URL}/{{tenantid}}/v2.0"));
    assert_eq!(reply.json["token_endpoint"], format!("{PUBLIC_URL}/common/oauth2/v2.0/token"));
    assert!(reply.json["tenant_region_scope"].is_null());
    let reply = get(&fx.router, "/organizations/.well-known/openid-configuration").await;
    assert_eq!(reply.json["issuer"], format!("{PUBLIC_URL}/{{tenantid}}/"));
    assert_eq!(reply.json["authorization_endpoint"], format!("{PUBLIC_URL}/organizations/oauth2/authorize"));
}

#[tokio::test]
async fn unknown_tenant_discovery_is_an_entra_error() {
    let fx = Fixture::new().await;
    for path in [
        format!("/{}/v2.0/.well-known/openid-configuration", TenantId::new_random()),
        "/nowhere.example/.well-known/openid-configuration".to_owned(),
        "/nowhere.example/discovery/v2.0/keys".to_owned(),
    ] {
        let reply = get(&fx.router, &path).await;
        reply.assert_error(400, "invalid_tenant", 90002);
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    }
}

#[tokio::test]
async fn key_sets_publish_the_signing_key() {
    let fx = Fixture::new().await;
    let kid = fx.authority.keys().current().kid().to_owned();
    let common = get(&fx.router, "/common/discovery/keys").await;
    assert_discovery_headers(&common);
    let key = &common.json["keys"][0];
    // The RSA key first, then its ES256 companion (published for resources that opt in).
    assert_eq!(common.json["keys"].as_array().unwrap().len(), 2);
    let ec = &common.json["keys"][1];
    assert_eq!(ec["kty"], "EC");
    assert_eq!(ec["crv"], "P-256");
    assert_eq!(ec["alg"], "ES256");
    assert_eq!(ec["kid"], fx.authority.keys().current_es256().unwrap().kid());
    assert_eq!(key["kid"], kid);
    assert_eq!(key["x5t"], kid);
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["e"], "AQAB");
    assert!(key.get("issuer").is_none());
    let tenant_v1 = get(&fx.router, &format!("/{}/discovery/keys/", fx.tenant)).await;
    assert_eq!(tenant_v1.json, common.json);

    let v2 = get(&fx.router, &format!("/{DOMAIN}/discovery/v2.0/keys")).await;
    assert_discovery_headers(&v2);
    assert_eq!(v2.json["keys"][0]["issuer"], format!("{PUBLIC_URL}/{}/v2.0", fx.tenant));
    assert_eq!(v2.json["keys"][0]["n"], key["n"]);
    let common_v2 = get(&fx.router, "/common/discovery/v2.0/keys").await;
    assert_eq!(common_v2.json["keys"][0]["issuer"], format!("{PUBLIC_URL}/{{tenantid}}/v2.0"));
}

#[tokio::test]
async fn instance_discovery_names_the_tenant_of_the_authorization_endpoint() {
    let fx = Fixture::new().await;
    let query = form(&[
        ("api-version", "1.1"),
        ("authorization_endpoint", &format!("{PUBLIC_URL}/{DOMAIN}/oauth2/v2.0/authorize")),
    ]);
    let reply = get(&fx.router, &format!("/common/discovery/instance?{query}")).await;
    assert_discovery_headers(&reply);
    assert_eq!(
        reply.json,
        serde_json::json!({
            "tenant_discovery_endpoint": format!("{PUBLIC_URL}/{DOMAIN}/v2.0/.well-known/openid-configuration"),
            "api-version": "1.1",
            "metadata": [{
                "preferred_network": "login.custos.test:8443",
                "preferred_cache": "login.custos.test:8443",
                "aliases": ["login.custos.test:8443"],
            }],
        })
    );
    let reply = get(&fx.router, "/common/discovery/instance").await;
    assert_eq!(
        reply.json["tenant_discovery_endpoint"],
        format!("{PUBLIC_URL}/common/v2.0/.well-known/openid-configuration")
    );
}

#[tokio::test]
async fn unknown_paths_and_methods() {
    let fx = Fixture::new().await;
    assert_eq!(get(&fx.router, &format!("/{}/oauth2/v2.0/nothing", fx.tenant)).await.status, 404);
    assert_eq!(get(&fx.router, &format!("/{}/discovery/instance", fx.tenant)).await.status, 404);
    let request = post("/common/discovery/keys", FORM).body(axum::body::Body::empty()).unwrap();
    let reply = send(&fx.router, request).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET"));
}

#[tokio::test]
async fn signing_keys_persist_sealed_and_a_wrong_kek_is_refused() {
    use custos_authority::KeyManager;
    use custos_core::{Clock, FixedClock};
    use custos_store::Store;
    use custos_store::sqlite::SqliteStore;
    use std::sync::Arc;

    let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(at(NOW)));
    let first = KeyManager::load(store.clone(), [1; 32], clock.clone()).await.unwrap();
    let records = store.signing_keys().await.unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kid, first.current().kid());
    assert_eq!(records[0].state, custos_core::model::SigningKeyState::Current);
    assert_eq!(records[0].activates, at(NOW));
    // The private key is stored sealed, not as PKCS#8: no rsaEncryption algorithm identifier in
    // the clear (a fixed 11-byte DER string every PKCS#8 RSA key carries).
    const RSA_ENCRYPTION_OID: [u8; 11] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];
    let sealed = &records[0].sealed_private_key;
    assert_eq!(sealed[0], 1, "sealed-key format version");
    assert!(!sealed.windows(RSA_ENCRYPTION_OID.len()).any(|w| w == RSA_ENCRYPTION_OID));
    // Its ES256 companion is sealed the same way: no id-ecPublicKey identifier in the clear.
    const EC_PUBLIC_KEY_OID: [u8; 9] = [0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01];
    let es256 = records[0].es256.as_ref().expect("an ES256 companion");
    assert_eq!(es256.kid, first.current_es256().unwrap().kid());
    assert_eq!(es256.sealed_private_key[0], 1, "sealed-key format version");
    assert!(!es256.sealed_private_key.windows(EC_PUBLIC_KEY_OID.len()).any(|w| w == EC_PUBLIC_KEY_OID));
    assert!(es256.certificate_der.windows(EC_PUBLIC_KEY_OID.len()).any(|w| w == EC_PUBLIC_KEY_OID));

    let second = KeyManager::load(store.clone(), [1; 32], clock.clone()).await.unwrap();
    assert_eq!(second.current().kid(), first.current().kid());
    assert_eq!(second.current_es256().unwrap().kid(), es256.kid);
    second.reload().await.unwrap();
    assert_eq!(second.jwks(None).keys.len(), 2);
    assert_eq!(store.signing_keys().await.unwrap().len(), 1, "loading again creates no key");
    let err = KeyManager::load(store, [2; 32], clock).await.unwrap_err();
    assert!(matches!(err, custos_authority::KeyError::Unusable { .. }), "{err}");
}
