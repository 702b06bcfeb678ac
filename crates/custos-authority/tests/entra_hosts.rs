//! Entra host names (issue 15 item 1): with `Origins::entra()` tokens carry Entra's exact
//! issuers, discovery and instance discovery name Microsoft's hosts, and the directory API's
//! verification accepts exactly those issuers.

mod common;

use common::*;
use custos_authority::AuthorityConfig;
use custos_core::model::TokenVersion;
use custos_core::origins::Origins;
use custos_jose::testing::verified_with_jwks;

const LOGIN: &str = "https://login.microsoftonline.com";

async fn entra_fixture() -> Fixture {
    Fixture::with_config(AuthorityConfig::for_origins(Origins::entra())).await
}

#[tokio::test]
async fn tokens_carry_entras_issuers_and_verify_for_the_directory_api() {
    let fx = entra_fixture().await;
    let tid = fx.tenant;
    for (scope, version, iss) in [
        ("api://resource-v1/.default", TokenVersion::V1, format!("https://sts.windows.net/{tid}/")),
        ("api://resource-v2/.default", TokenVersion::V2, format!("{LOGIN}/{tid}/v2.0")),
    ] {
        let reply = post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, scope)).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let token = reply.json["access_token"].as_str().unwrap();
        // Signed by a key of the JWKS the v2 discovery document names.
        let discovery = get(&fx.router, &format!("/{tid}/v2.0/.well-known/openid-configuration")).await;
        let jwks_uri = discovery.json["jwks_uri"].as_str().unwrap();
        let jwks_path = jwks_uri.strip_prefix(LOGIN).expect("jwks_uri on login.microsoftonline.com");
        let (_, claims) = verified_with_jwks(&get(&fx.router, jwks_path).await.json, token).unwrap();
        assert_eq!(claims["iss"], iss.as_str());
        if version == TokenVersion::V1 {
            assert_eq!(claims["idp"], iss.as_str(), "idp = iss for app tokens");
        }
        let caller = fx.authority.verify_access_token(token, Some(tid)).unwrap();
        assert_eq!(caller.version, version);
        assert_eq!(fx.authority.issuer(tid, version), iss);
    }
}

#[tokio::test]
async fn tokens_of_the_public_url_issuer_are_refused_in_entra_mode() {
    // A token from an authority at a plain public URL does not pass as an Entra-host-names one,
    // although both share the same keys here.
    let plain = Fixture::new().await;
    let reply = post_form(
        &plain.router,
        &plain.v2_token_path(),
        &plain.v2_body(&plain.client, SECRET, "api://resource-v2/.default"),
    )
    .await;
    let token = reply.json["access_token"].as_str().unwrap();
    assert!(plain.authority.verify_access_token(token, None).is_ok());
    let entra = entra_fixture().await;
    assert!(entra.authority.verify_access_token(token, None).is_err());
}

#[tokio::test]
async fn discovery_names_microsofts_hosts() {
    let fx = entra_fixture().await;
    let tid = fx.tenant;
    let v2 = get(&fx.router, &format!("/{DOMAIN}/v2.0/.well-known/openid-configuration")).await.json;
    assert_eq!(v2["issuer"], format!("{LOGIN}/{tid}/v2.0"));
    assert_eq!(v2["token_endpoint"], format!("{LOGIN}/{tid}/oauth2/v2.0/token"));
    assert_eq!(v2["jwks_uri"], format!("{LOGIN}/{tid}/discovery/v2.0/keys"));
    assert_eq!(v2["msgraph_host"], "graph.microsoft.com");
    let v1 = get(&fx.router, &format!("/{tid}/.well-known/openid-configuration")).await.json;
    assert_eq!(v1["issuer"], format!("https://sts.windows.net/{tid}/"));
    assert_eq!(v1["jwks_uri"], format!("{LOGIN}/common/discovery/keys"));
    let keys = get(&fx.router, &format!("/{tid}/discovery/v2.0/keys")).await.json;
    assert_eq!(keys["keys"][0]["issuer"], format!("{LOGIN}/{tid}/v2.0"));
    let instance = get(
        &fx.router,
        &format!(
            "/common/discovery/instance?api-version=1.1&authorization_endpoint={LOGIN}/{tid}/oauth2/v2.0/authorize"
        ),
    )
    .await;
    assert_eq!(instance.status, 200);
    assert_eq!(
        instance.json["tenant_discovery_endpoint"],
        format!("{LOGIN}/{tid}/v2.0/.well-known/openid-configuration")
    );
    assert_eq!(instance.json["metadata"][0]["preferred_network"], "login.microsoftonline.com");
}

#[tokio::test]
async fn errors_point_at_entras_error_page() {
    let fx = entra_fixture().await;
    let reply =
        post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, "wrong", "api://open/.default"))
            .await;
    assert_eq!(reply.status, 401, "{}", reply.text);
    assert!(reply.json["error_uri"].as_str().unwrap().starts_with(&format!("{LOGIN}/error?code=")));
}
