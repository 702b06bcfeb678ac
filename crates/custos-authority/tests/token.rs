//! Successful client-credentials requests: every claim, both token formats, both response
//! shapes, Basic authentication, and verification of issued tokens.

mod common;

use axum::body::Body;
use base64::Engine as _;
use common::*;
use custos_core::model::TokenVersion;
use custos_jose::testing::verified_with_jwks;
use serde_json::Value;

/// Decodes `token` verified against the JWKS served at `jwks_path`, returning header and claims
/// (time and audience are the callers' to check: the fixture's clock is not the wall clock).
async fn decode(fx: &Fixture, token: &str, jwks_path: &str) -> (Value, Value) {
    let jwks = get(&fx.router, jwks_path).await.json;
    verified_with_jwks(&jwks, token).expect("signed by a published key")
}

fn keys_of(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn assert_success_headers(reply: &Reply) {
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store, no-cache"));
    assert_eq!(reply.header("pragma"), Some("no-cache"));
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
}

fn assert_opaque_claims(claims: &Value) {
    assert!(claims["aio"].as_str().unwrap().len() >= 22);
    assert!(claims["rh"].as_str().unwrap().starts_with("0."));
    assert_eq!(claims["uti"].as_str().unwrap().len(), 22);
}

#[tokio::test]
async fn v2_endpoint_v2_resource_gives_a_v2_token_with_every_claim() {
    let fx = Fixture::new().await;
    let body = fx.v2_body(&fx.client, SECRET, "api://resource-v2/.default");
    let reply = post_form(&fx.router, &fx.v2_token_path(), &body).await;
    assert_success_headers(&reply);
    assert_eq!(keys_of(&reply.json), ["access_token", "expires_in", "ext_expires_in", "token_type"]);
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], 3599);
    assert_eq!(reply.json["ext_expires_in"], 3599);

    let token = reply.json["access_token"].as_str().unwrap();
    let (header, claims) = decode(&fx, token, &format!("/{}/discovery/v2.0/keys", fx.tenant)).await;
    assert_eq!(keys_of(&header), ["alg", "kid", "typ"]);
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["kid"], fx.authority.keys().current().kid());
    assert_eq!(
        keys_of(&claims),
        [
            "aio", "aud", "azp", "azpacr", "exp", "iat", "idtyp", "iss", "nbf", "oid", "rh", "roles", "sub",
            "tid", "uti", "ver"
        ]
    );
    assert_eq!(claims["aud"], fx.resource_v2.app_id());
    assert_eq!(claims["iss"], format!("{PUBLIC_URL}/{}/v2.0", fx.tenant));
    assert_eq!(claims["iat"], NOW - 300);
    assert_eq!(claims["nbf"], NOW - 300);
    assert_eq!(claims["exp"], NOW + 3599);
    assert_eq!(claims["azp"], fx.client.app_id());
    assert_eq!(claims["azpacr"], "1");
    assert_eq!(claims["oid"], fx.client.sp.id.to_string());
    assert_eq!(claims["sub"], fx.client.sp.id.to_string());
    assert_eq!(claims["tid"], fx.tenant.to_string());
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["roles"], serde_json::json!(["Read", "Write"]));
    assert_eq!(claims["ver"], "2.0");
    assert_opaque_claims(&claims);
    assert_eq!(fx.authority.metrics().count(None), 1);
}

#[tokio::test]
async fn v1_endpoint_gives_string_fields_and_the_resource_as_requested() {
    let fx = Fixture::new().await;
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("client_id", &fx.client.app_id()),
        ("client_secret", SECRET),
        ("resource", "api://resource-v1/"),
    ]);
    let reply = post_form(&fx.router, &fx.v1_token_path(), &body).await;
    assert_success_headers(&reply);
    assert_eq!(
        keys_of(&reply.json),
        [
            "access_token",
            "expires_in",
            "expires_on",
            "ext_expires_in",
            "not_before",
            "resource",
            "token_type"
        ]
    );
    assert_eq!(reply.json["token_type"], "Bearer");
    assert_eq!(reply.json["expires_in"], "3599");
    assert_eq!(reply.json["ext_expires_in"], "3599");
    assert_eq!(reply.json["expires_on"], (NOW + 3599).to_string());
    assert_eq!(reply.json["not_before"], (NOW - 300).to_string());
    assert_eq!(reply.json["resource"], "api://resource-v1/");

    let token = reply.json["access_token"].as_str().unwrap();
    let (header, claims) = decode(&fx, token, "/common/discovery/keys").await;
    assert_eq!(keys_of(&header), ["alg", "kid", "typ", "x5t"]);
    assert_eq!(header["x5t"], header["kid"]);
    assert_eq!(
        keys_of(&claims),
        [
            "aio", "appid", "appidacr", "aud", "exp", "iat", "idp", "idtyp", "iss", "nbf", "oid", "rh",
            "roles", "sub", "tid", "uti", "ver"
        ]
    );
    let issuer = format!("{PUBLIC_URL}/{}/", fx.tenant);
    assert_eq!(claims["aud"], "api://resource-v1/");
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["idp"], issuer);
    assert_eq!(claims["appid"], fx.client.app_id());
    assert_eq!(claims["appidacr"], "1");
    assert_eq!(claims["oid"], fx.client.sp.id.to_string());
    assert_eq!(claims["sub"], fx.client.sp.id.to_string());
    assert_eq!(claims["tid"], fx.tenant.to_string());
    assert_eq!(claims["idtyp"], "app");
    assert_eq!(claims["roles"], serde_json::json!(["Read", "Write"]));
    assert_eq!(claims["ver"], "1.0");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3899);
    assert_opaque_claims(&claims);
}

#[tokio::test]
async fn v2_endpoint_gives_a_v1_token_when_the_resource_asks_for_none() {
    let fx = Fixture::new().await;
    // Domain-name tenant and a differently cased path with a trailing slash.
    let path = format!("/{DOMAIN}/OAuth2/V2.0/Token/");
    let reply =
        post_form(&fx.router, &path, &fx.v2_body(&fx.client, SECRET, "api://resource-v1/.default")).await;
    assert_success_headers(&reply);
    assert_eq!(reply.json["expires_in"], 3599);
    let token = reply.json["access_token"].as_str().unwrap();
    let (header, claims) = decode(&fx, token, "/common/discovery/keys").await;
    assert_eq!(header["x5t"], header["kid"]);
    assert_eq!(claims["ver"], "1.0");
    assert_eq!(claims["aud"], "api://resource-v1");
    assert_eq!(claims["iss"], format!("{PUBLIC_URL}/{}/", fx.tenant));
    assert_eq!(claims["appid"], fx.client.app_id());
    assert!(claims.get("azp").is_none());
}

#[tokio::test]
async fn basic_authentication_with_form_encoded_credentials() {
    let fx = Fixture::new().await;
    let user_pass = format!("{}:{}", fx.client.app_id(), form(&[("x", SECRET)]).trim_start_matches("x="));
    let authorization = format!("basic {}", base64::engine::general_purpose::STANDARD.encode(user_pass));
    let body = form(&[("grant_type", "client_credentials"), ("scope", "api://resource-v2/.default")]);
    let request = post(&fx.v2_token_path(), FORM)
        .header("authorization", authorization)
        .body(Body::from(body))
        .unwrap();
    let reply = send(&fx.router, request).await;
    assert_success_headers(&reply);
    let token = reply.json["access_token"].as_str().unwrap();
    let (_, claims) = decode(&fx, token, &format!("/{}/discovery/v2.0/keys", fx.tenant)).await;
    assert_eq!(claims["azp"], fx.client.app_id());
}

#[tokio::test]
async fn role_less_token_when_nothing_is_assigned_and_nothing_is_required() {
    let fx = Fixture::new().await;
    let reply =
        post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, "api://open/.default"))
            .await;
    assert_success_headers(&reply);
    let (_, claims) =
        decode(&fx, reply.json["access_token"].as_str().unwrap(), "/common/discovery/keys").await;
    assert!(claims.get("roles").is_none(), "{claims}");
    // The appId also names the resource.
    let scope = format!("{}/.default", fx.open.app_id());
    let reply = post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, &scope)).await;
    assert_success_headers(&reply);
    let (_, claims) =
        decode(&fx, reply.json["access_token"].as_str().unwrap(), "/common/discovery/keys").await;
    assert_eq!(claims["aud"], fx.open.app_id());
}

#[tokio::test]
async fn issued_tokens_verify_for_the_directory_api() {
    let fx = Fixture::new().await;
    for (scope, version) in
        [("api://resource-v1/.default", TokenVersion::V1), ("api://resource-v2/.default", TokenVersion::V2)]
    {
        let reply = post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, scope)).await;
        let token = reply.json["access_token"].as_str().unwrap();
        let caller = fx.authority.verify_access_token(token, Some(fx.tenant)).unwrap();
        assert_eq!(caller.tenant_id, fx.tenant);
        assert_eq!(caller.app_id, fx.client.app.app_id);
        assert_eq!(caller.object_id, fx.client.sp.id);
        assert_eq!(caller.roles, ["Read", "Write"]);
        assert_eq!(caller.version, version);
        assert_eq!(
            fx.authority.verify_access_token(token, Some(custos_core::TenantId::new_random())),
            Err(custos_authority::CallerError::WrongTenant)
        );
        // Expired an hour later (plus leeway).
        fx.clock.advance(time::Duration::seconds(3599 + 61));
        assert_eq!(
            fx.authority.verify_access_token(token, None),
            Err(custos_authority::CallerError::Token(custos_jose::VerifyError::Expired))
        );
        fx.clock.set(at(NOW));
    }
}

/// Issue 15 item 2: the public origin names the directory API in the forms real tools produce —
/// msgraph-sdk (Kiota) asks for `https://{host}/.default` with the port dropped, the Azure CLI for
/// `{publicUrl}//.default` (its `microsoftGraphResourceId` ends in `/`), v1 clients `resource=`.
#[tokio::test]
async fn the_public_origin_is_an_alias_of_the_directory_api() {
    use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
    let fx = Fixture::new().await;
    let store = fx.directory.store();
    let graph = register(store.as_ref(), fx.tenant, "Directory API", Some(GRAPH_IDENTIFIER_URI), |a, sp| {
        a.app_id = GRAPH_APP_ID;
        sp.app_id = GRAPH_APP_ID;
        a.app_roles = vec![role("Application.Read.All", true)];
    })
    .await;
    assign(store.as_ref(), fx.tenant, &fx.client, &graph, &graph.app.app_roles[0]).await;
    let host = PUBLIC_URL.rsplit_once(':').unwrap().0;
    for scope in
        [format!("{host}/.default"), format!("{PUBLIC_URL}//.default"), format!("{PUBLIC_URL}/.default")]
    {
        let reply = post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, &scope)).await;
        assert_success_headers(&reply);
        let (_, claims) =
            decode(&fx, reply.json["access_token"].as_str().unwrap(), "/common/discovery/keys").await;
        assert_eq!(claims["aud"], GRAPH_IDENTIFIER_URI, "{scope}");
        assert_eq!(claims["roles"], serde_json::json!(["Application.Read.All"]), "{scope}");
    }
    let body = form(&[
        ("client_id", &fx.client.app_id()),
        ("grant_type", "client_credentials"),
        ("resource", &format!("{PUBLIC_URL}/")),
        ("client_secret", SECRET),
    ]);
    let reply = post_form(&fx.router, &fx.v1_token_path(), &body).await;
    assert_success_headers(&reply);
    let (_, claims) =
        decode(&fx, reply.json["access_token"].as_str().unwrap(), "/common/discovery/keys").await;
    assert_eq!(claims["aud"], GRAPH_IDENTIFIER_URI);
}
