//! The opt-in ES256 lane (issue 17, goal 6): a resource whose application asks for ES256 gets
//! access tokens signed by the current key's P-256 companion, published in the tenant's key
//! sets; every other resource keeps Entra's RS256 tokens.

mod common;

use common::*;
use custos_core::model::AccessTokenSigningAlgorithm;
use custos_jose::testing::verified_with_jwks;
use custos_store::Store;
use serde_json::Value;

/// The fixture with `resource_v2` switched to ES256 through the directory (as a Graph PATCH does).
async fn fixture_with_es256_resource() -> Fixture {
    let fx = Fixture::new().await;
    let mut app = fx.resource_v2.app.clone();
    app.access_token_signing_algorithm = AccessTokenSigningAlgorithm::Es256;
    fx.directory.update_application(&app, &audit()).await.unwrap();
    fx
}

async fn token(fx: &Fixture, scope: &str, v1: bool) -> String {
    let (path, body) = if v1 {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("client_id", fx.client.app_id().as_str()),
                ("grant_type", "client_credentials"),
                ("resource", scope),
                ("client_secret", SECRET),
            ])
            .finish();
        (fx.v1_token_path(), body)
    } else {
        (fx.v2_token_path(), fx.v2_body(&fx.client, SECRET, scope))
    };
    let reply = post_form(&fx.router, &path, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.json["access_token"].as_str().unwrap().to_owned()
}

fn header_of(token: &str) -> Value {
    use base64::Engine as _;
    let segment = token.split('.').next().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment).unwrap())
        .unwrap()
}

#[tokio::test]
async fn an_es256_resource_gets_es256_tokens_verified_by_the_tenant_key_set() {
    let fx = fixture_with_es256_resource().await;
    let ec_kid = fx.authority.keys().current_es256().unwrap().kid().to_owned();
    let token = token(&fx, "api://resource-v2/.default", false).await;
    let jwks = get(&fx.router, &format!("/{}/discovery/v2.0/keys", fx.tenant)).await.json;
    let (header, claims) = verified_with_jwks(&jwks, &token).expect("verifies with the published EC key");
    assert_eq!(header, serde_json::json!({"typ": "JWT", "alg": "ES256", "kid": ec_kid}));
    assert_eq!(claims["aud"], fx.resource_v2.app_id());
    assert_eq!(claims["ver"], "2.0");
    // The raw r||s signature: 64 bytes, 86 base64url characters.
    assert_eq!(token.rsplit('.').next().unwrap().len(), 86);
    let published = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == ec_kid.as_str()).unwrap();
    assert_eq!(published["kty"], "EC");
    assert_eq!(published["use"], "sig");
    assert_eq!(published["x5t"], ec_kid.as_str());
    assert_eq!(published["issuer"], format!("{PUBLIC_URL}/{}/v2.0", fx.tenant));
    // The authority's own verifier (the directory API's) accepts it too.
    let verifier = fx.authority.keys().verifier();
    let expected = custos_jose::Expected {
        issuer: custos_jose::IssuerRule::TenantOf { v1: PUBLIC_URL, v2: PUBLIC_URL },
        audiences: None,
    };
    assert!(verifier.verify(&token, NOW, &expected).is_ok());
}

#[tokio::test]
async fn other_resources_keep_rs256_tokens() {
    let fx = fixture_with_es256_resource().await;
    let rsa_kid = fx.authority.keys().current().kid().to_owned();
    for (scope, v1) in [("api://resource-v1/.default", false), ("api://resource-v1", true)] {
        let token = token(&fx, scope, v1).await;
        let header = header_of(&token);
        assert_eq!(header["alg"], "RS256", "{scope}");
        assert_eq!(header["kid"], rsa_kid.as_str());
        let jwks = get(&fx.router, "/common/discovery/keys").await.json;
        assert!(verified_with_jwks(&jwks, &token).is_some());
    }
    // The ES256 resource through the v1 endpoint: still ES256 (the resource decides, not the endpoint).
    let es = token(&fx, "api://resource-v2", true).await;
    assert_eq!(header_of(&es)["alg"], "ES256");
}

#[tokio::test]
async fn switching_back_to_rs256_signs_with_rsa_again() {
    let fx = fixture_with_es256_resource().await;
    assert_eq!(header_of(&token(&fx, "api://resource-v2/.default", false).await)["alg"], "ES256");
    let mut app = fx.resource_v2.app.clone();
    app.access_token_signing_algorithm = AccessTokenSigningAlgorithm::Rs256;
    fx.directory.update_application(&app, &audit()).await.unwrap();
    assert_eq!(header_of(&token(&fx, "api://resource-v2/.default", false).await)["alg"], "RS256");
}
