//! Workload identity federation at the token endpoint, against a local https issuer
//! (`federation_issuer`): v1 and v2 tokens for an external token matching a federated identity
//! credential (also for a managed identity), reuse of the same external token, each refusal with
//! its AADSTS number (issuer, subject, audience, no credential, user tokens, time window, unsigned and
//! non-RS256 tokens, bad signature, unknown key, metadata failures), the SSRF rules as the
//! token endpoint applies them (a loopback issuer that is not allow-listed is never contacted;
//! redirects, oversized and slow answers, a discovery document naming another issuer), and the
//! unknown-`kid` refresh cooldown.

mod common;
use custos_core::sign_in_log::ClientCredentialType;
use custos_store::Store as _;

use base64::Engine as _;
use common::*;
use custos_authority::{Authority, AuthorityConfig, FederationConfig, KeyManager};
use custos_core::model::{FEDERATION_DEFAULT_AUDIENCE, FederatedIdentityCredential, ServicePrincipalType};
use custos_core::{Clock, SystemClock};
use custos_jose::secret::SecretHasher;
use custos_testkit::issuer::{Answer, TestIssuer, sign, signing_key};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const SUBJECT: &str = "system:serviceaccount:payments:worker";

/// The fixture, a running issuer, a client trusting it, and an authority configured for it.
struct Setup {
    fx: Fixture,
    issuer: TestIssuer,
    client: App,
    router: axum::Router,
}

fn credential(issuer: &str, subject: &str, audience: &str) -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: Uuid::new_v4(),
        name: format!("fic-{}", Uuid::new_v4()),
        issuer: issuer.to_owned(),
        subject: subject.to_owned(),
        audiences: vec![audience.to_owned()],
        description: None,
    }
}

/// An authority over the fixture's directory with `config`.
async fn authority(fx: &Fixture, config: &FederationConfig) -> axum::Router {
    let clock: Arc<dyn Clock> = fx.clock.clone();
    let keys = KeyManager::load(fx.directory.store().clone(), [7; 32], clock.clone()).await.unwrap();
    let authority = Authority::new(
        AuthorityConfig::new(PUBLIC_URL),
        fx.directory.clone(),
        SecretHasher::new(&[3; 32]),
        keys,
        clock,
    )
    .with_federation(config)
    .unwrap()
    .with_sign_in_log(fx.sign_ins.clone());
    Arc::new(authority).router()
}

/// Federation settings trusting the issuer's CA, allow-listing it when `allow`, with short
/// timeouts.
fn config(issuer: &TestIssuer, allow: bool) -> FederationConfig {
    let mut config = FederationConfig {
        extra_ca_pem: Some(issuer.ca_pem.clone().into_bytes()),
        connect_timeout: Duration::from_millis(500),
        total_timeout: Duration::from_millis(500),
        ..FederationConfig::default()
    };
    if allow {
        config = config.allow_issuer(issuer.issuer.clone()).unwrap();
    }
    config
}

/// A client with one credential for the issuer and [`SUBJECT`], assigned Read and Write on both
/// resources, optionally a managed identity.
async fn federated_client(fx: &Fixture, issuer: &str, kind: ServicePrincipalType) -> App {
    let store = fx.directory.store().clone();
    let client = register(store.as_ref(), fx.tenant, "Federated worker", None, |app, sp| {
        app.federated_identity_credentials = vec![
            credential(issuer, "another-subject", FEDERATION_DEFAULT_AUDIENCE),
            credential(issuer, SUBJECT, FEDERATION_DEFAULT_AUDIENCE),
        ];
        sp.service_principal_type = kind;
    })
    .await;
    for resource in [&fx.resource_v1, &fx.resource_v2] {
        for role in &resource.app.app_roles {
            assign(store.as_ref(), fx.tenant, &client, resource, role).await;
        }
    }
    client
}

async fn setup_with(allow: bool, kind: ServicePrincipalType) -> Setup {
    let fx = Fixture::new().await;
    let issuer = TestIssuer::start().await;
    let client = federated_client(&fx, &issuer.issuer, kind).await;
    let router = authority(&fx, &config(&issuer, allow)).await;
    Setup { fx, issuer, client, router }
}

async fn setup() -> Setup {
    setup_with(true, ServicePrincipalType::Application).await
}

/// The claims a Kubernetes projected service-account token carries.
fn claims(issuer: &str) -> Value {
    json!({
        "aud": [FEDERATION_DEFAULT_AUDIENCE],
        "exp": NOW + 3600,
        "iat": NOW - 10,
        "nbf": NOW - 10,
        "iss": issuer,
        "sub": SUBJECT,
        "kubernetes.io": {"namespace": "payments", "serviceaccount": {"name": "worker"}},
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

impl Setup {
    async fn request(&self, client: &App, assertion: &str) -> Reply {
        let request =
            post(&self.fx.v2_token_path(), FORM).body(v2_assertion_body(client, assertion).into()).unwrap();
        send(&self.router, request).await
    }

    async fn present(&self, assertion: &str) -> Reply {
        self.request(&self.client, assertion).await
    }

    fn token(&self) -> String {
        self.issuer.token(&claims(&self.issuer.issuer))
    }
}

fn description(reply: &Reply) -> &str {
    reply.json["error_description"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_external_token_gets_a_v2_token_and_may_be_presented_again() {
    let s = setup().await;
    let token = s.token();
    let reply = s.present(&token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let claims = token_claims(&reply);
    assert_eq!(claims["azp"], s.client.app_id());
    assert_eq!(claims["azpacr"], "2");
    assert_eq!(claims["oid"], s.client.sp.id.to_string());
    assert_eq!(claims["roles"], json!(["Read", "Write"]));
    assert_eq!(claims["ver"], "2.0");
    assert_eq!((s.issuer.hits(TestIssuer::DISCOVERY), s.issuer.hits(TestIssuer::KEYS)), (1, 1));

    // Entra lets a workload present its federated token until it expires: no replay marker.
    let again = s.present(&token).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(s.issuer.total_hits(), 2, "the keys came from the cache");

    // Each presentation is a sign-in naming the federated credential that matched.
    s.fx.sign_ins.flush().await;
    let query = custos_store::LogQuery::newest(s.fx.tenant, 10);
    let records = s.fx.directory.sign_ins(&query, &Default::default()).await.unwrap().records;
    assert_eq!(records.len(), 2);
    let matched = s.client.app.federated_identity_credentials[1].id.to_string();
    for record in records {
        assert_eq!(record.credential.kind, Some(ClientCredentialType::FederatedIdentityCredential));
        assert_eq!(record.credential.federated_credential_id.as_deref(), Some(matched.as_str()));
        assert_eq!(record.event_type, custos_core::sign_in_log::SignInEventType::ServicePrincipal);
    }
}

/// A token file read as it is ends with a newline (`echo $TOKEN > file`): Entra drops whitespace
/// around `client_assertion` and so does custos (issue 10: it was a bare AADSTS9002313).
/// Whitespace inside the token is still a malformed value.
#[tokio::test]
async fn a_token_file_with_a_trailing_newline_gets_a_token() {
    let s = setup().await;
    let token = s.token();
    let reply = s.present(&format!("{token}\n")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(token_claims(&reply)["azp"], s.client.app_id());
    let reply = s.present(&format!(" {token}\r\n")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);

    let (header, rest) = token.split_once('.').unwrap();
    let reply = s.present(&format!("{header}.\n{rest}\n")).await;
    reply.assert_error(400, "invalid_request", 9002313);
    assert!(description(&reply).contains("client_assertion"), "{}", reply.text);
}

#[tokio::test]
async fn an_external_token_gets_a_v1_token_on_the_v1_endpoint() {
    let s = setup().await;
    let body = form(&[
        ("client_id", &s.client.app_id()),
        ("grant_type", "client_credentials"),
        ("resource", "api://resource-v1"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", &s.token()),
    ]);
    let reply = send(&s.router, post(&s.fx.v1_token_path(), FORM).body(body.into()).unwrap()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["expires_in"], "3599");
    let claims = token_claims(&reply);
    assert_eq!(claims["appid"], s.client.app_id());
    assert_eq!(claims["appidacr"], "2");
    assert_eq!(claims["aud"], "api://resource-v1");
    assert_eq!(claims["ver"], "1.0");
}

#[tokio::test]
async fn a_managed_identity_authenticates_with_its_federated_credential() {
    let s = setup_with(true, ServicePrincipalType::ManagedIdentity).await;
    let reply = s.present(&s.token()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json["expires_in"], custos_authority::DEFAULT_MI_TOKEN_LIFETIME_SECS);
    assert_eq!(token_claims(&reply)["oid"], s.client.sp.id.to_string());
}

#[tokio::test]
async fn credentials_must_match_issuer_subject_and_audience_exactly() {
    let s = setup().await;
    let base = claims(&s.issuer.issuer);
    let other_issuer = format!("{}/", s.issuer.issuer);
    let reply = s.present(&s.issuer.token(&with(base.clone(), "iss", json!(other_issuer)))).await;
    reply.assert_error(401, "invalid_client", 700211);
    assert!(description(&reply).starts_with(&format!(
        "AADSTS700211: No matching federated identity record found for presented assertion issuer '{other_issuer}'. \
         Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
    )));

    let reply = s.present(&s.issuer.token(&with(base.clone(), "sub", json!(SUBJECT.to_uppercase())))).await;
    reply.assert_error(401, "invalid_client", 700213);
    assert!(
        description(&reply).contains(&format!("presented assertion subject '{}'", SUBJECT.to_uppercase()))
    );

    let reply = s.present(&s.issuer.token(&with(base.clone(), "aud", json!("api://other")))).await;
    reply.assert_error(401, "invalid_client", 700212);
    assert!(description(&reply).contains("presented assertion audience 'api://other'"));

    // A client with neither federated nor certificate credentials: nothing can match.
    let reply = s.request(&s.fx.bare, &s.token()).await;
    reply.assert_error(400, "invalid_request", 70021);
    assert!(description(&reply).starts_with(&format!(
        "AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '{}'. \
         Assertion Subject: '{SUBJECT}'. Assertion Audience: '{FEDERATION_DEFAULT_AUDIENCE}'.",
        s.issuer.issuer
    )));
    assert_eq!(s.issuer.total_hits(), 0, "no fetch for a token that matches no credential");
}

#[tokio::test]
async fn user_tokens_are_refused_before_any_key_fetch() {
    let s = setup().await;
    let base = claims(&s.issuer.issuer);
    let scoped = with(base.clone(), "scp", json!("User.Read"));
    let reply = s.present(&s.issuer.token(&scoped)).await;
    reply.assert_error(401, "invalid_client", 700229);
    assert!(description(&reply).starts_with(&format!(
        "AADSTS700229: The presented assertion is a user token issued by '{}'; only app-only tokens of that \
         issuer can be used as a federated credential.",
        s.issuer.issuer
    )));
    let user = with(base.clone(), "idtyp", json!("user"));
    s.present(&s.issuer.token(&user)).await.assert_error(401, "invalid_client", 700229);
    assert_eq!(s.issuer.total_hits(), 0, "no fetch for a user token");

    // The credential match comes first; an explicit app-only token is accepted.
    let foreign = with(scoped, "sub", json!("someone-else"));
    s.present(&s.issuer.token(&foreign)).await.assert_error(401, "invalid_client", 700213);
    let reply = s.present(&s.issuer.token(&with(base, "idtyp", json!("app")))).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
}

#[tokio::test]
async fn tokens_outside_their_time_window_are_refused() {
    let s = setup().await;
    let base = claims(&s.issuer.issuer);
    for claims in [with(base.clone(), "exp", json!(NOW - 61)), with(base.clone(), "nbf", json!(NOW + 61))] {
        let reply = s.present(&s.issuer.token(&claims)).await;
        reply.assert_error(401, "invalid_client", 700024);
        assert!(description(&reply).contains("Client assertion is not within its valid time range."));
    }
    let reply = s.present(&s.issuer.token(&with(base, "exp", json!(NOW - 59)))).await;
    assert_eq!(reply.status, 200, "within the skew: {}", reply.text);
}

#[tokio::test]
async fn unsigned_and_foreign_algorithm_tokens_are_refused() {
    let s = setup().await;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let payload = b64(&claims(&s.issuer.issuer));
    let none = format!("{}.{payload}.", b64(&json!({"alg": "none"})));
    s.present(&none).await.assert_error(401, "invalid_client", 50027);
    let hs256 =
        format!("{}.{payload}.c2lnbmF0dXJl", b64(&json!({"alg": "HS256", "kid": s.issuer.key.kid()})));
    let reply = s.present(&hs256).await;
    reply.assert_error(401, "invalid_client", 50027);
    assert!(description(&reply).contains("must be signed with RS256"));
    assert_eq!(s.issuer.total_hits(), 0);
}

#[tokio::test]
async fn a_bad_signature_and_an_unpublished_key_are_refused() {
    let s = setup().await;
    let stranger = signing_key();
    // Signed by another key that claims the published key's id.
    let forged = sign(&stranger, Some(s.issuer.key.kid()), &claims(&s.issuer.issuer));
    s.present(&forged).await.assert_error(401, "invalid_client", 700027);

    let unknown = sign(&stranger, Some(stranger.kid()), &claims(&s.issuer.issuer));
    let reply = s.present(&unknown).await;
    reply.assert_error(401, "invalid_client", 7000272);
    assert!(description(&reply).starts_with(&format!(
        "AADSTS7000272: The certificate with identifier {} used to sign the federated credential could not be found \
         in the metadata of identity provider {}.",
        stranger.kid(),
        s.issuer.issuer
    )));
}

#[tokio::test]
async fn an_unknown_kid_refreshes_the_keys_at_most_once_per_cooldown() {
    let s = setup().await;
    assert_eq!(s.present(&s.token()).await.status, 200);
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 1);

    // The issuer rotates to a new key.
    let rotated = signing_key();
    let token = sign(&rotated, Some(rotated.kid()), &claims(&s.issuer.issuer));
    for _ in 0..3 {
        s.present(&sign(&signing_key(), Some("random-kid"), &claims(&s.issuer.issuer))).await.assert_error(
            401,
            "invalid_client",
            7000272,
        );
    }
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 2, "one refresh for a burst of unknown kids");
    s.issuer.publish(&[&s.issuer.key, &rotated]);
    s.present(&token).await.assert_error(401, "invalid_client", 7000272);
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 2, "still cooling down");

    s.fx.clock.advance(time::Duration::minutes(5));
    let reply = s.present(&token).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 3);
}

#[tokio::test]
async fn a_loopback_issuer_that_is_not_allow_listed_is_never_contacted() {
    let s = setup_with(false, ServicePrincipalType::Application).await;
    let reply = s.present(&s.token()).await;
    reply.assert_error(401, "invalid_client", 90061);
    assert!(description(&reply).starts_with(&format!(
        "AADSTS90061: Request to External OIDC endpoint failed. The OpenID configuration or signing keys of issuer '{}' \
         could not be fetched.",
        s.issuer.issuer
    )));
    assert_eq!(s.issuer.total_hits(), 0);
}

#[tokio::test]
async fn a_name_for_a_loopback_address_is_refused_too() {
    let fx = Fixture::new().await;
    let issuer = TestIssuer::start().await;
    let by_name = issuer.issuer.replace("127.0.0.1", "localhost");
    let client = federated_client(&fx, &by_name, ServicePrincipalType::Application).await;
    let router = authority(&fx, &config(&issuer, false)).await;
    let s = Setup { fx, issuer, client, router };
    let reply = s.present(&s.issuer.token(&claims(&by_name))).await;
    reply.assert_error(401, "invalid_client", 90061);
    assert_eq!(s.issuer.total_hits(), 0);
}

#[tokio::test]
async fn metadata_failures_are_401_not_5xx_and_briefly_cached() {
    let s = setup().await;
    s.issuer.set(TestIssuer::DISCOVERY, Answer::Status(500, None));
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    assert_eq!(s.issuer.hits(TestIssuer::DISCOVERY), 1, "the failure is cached");
    s.fx.clock.advance(time::Duration::minutes(1));
    s.issuer.set(
        TestIssuer::DISCOVERY,
        Answer::Json(
            json!({"issuer": s.issuer.issuer, "jwks_uri": s.issuer.url(TestIssuer::KEYS)}).to_string(),
        ),
    );
    assert_eq!(s.present(&s.token()).await.status, 200);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let s = setup().await;
    s.issuer.set(TestIssuer::DISCOVERY, Answer::Status(302, Some(s.issuer.url("/elsewhere"))));
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    assert_eq!(s.issuer.hits("/elsewhere"), 0);
}

#[tokio::test]
async fn a_discovery_document_naming_another_issuer_is_refused() {
    let s = setup().await;
    let document = json!({"issuer": "https://evil.example", "jwks_uri": s.issuer.url(TestIssuer::KEYS)});
    s.issuer.set(TestIssuer::DISCOVERY, Answer::Json(document.to_string()));
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 0);
}

#[tokio::test]
async fn a_plain_http_jwks_uri_is_refused_even_for_an_allow_listed_issuer() {
    let s = setup().await;
    let http = s.issuer.url(TestIssuer::KEYS).replace("https://", "http://");
    s.issuer.set(
        TestIssuer::DISCOVERY,
        Answer::Json(json!({"issuer": s.issuer.issuer, "jwks_uri": http}).to_string()),
    );
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 0);
}

#[tokio::test]
async fn oversized_documents_are_refused() {
    let s = setup().await;
    s.issuer.set(TestIssuer::KEYS, Answer::Big(256 * 1024 + 1));
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 1);

    let s = setup().await;
    s.issuer.set(TestIssuer::DISCOVERY, Answer::Big(64 * 1024 + 1));
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    assert_eq!(s.issuer.hits(TestIssuer::KEYS), 0);
}

#[tokio::test]
async fn a_slow_issuer_times_out() {
    let s = setup().await;
    let document = json!({"issuer": s.issuer.issuer, "jwks_uri": s.issuer.url(TestIssuer::KEYS)}).to_string();
    s.issuer.set(TestIssuer::DISCOVERY, Answer::Slow(Duration::from_secs(5), document));
    let started = SystemClock.instant(); // real time: the timeout is real
    s.present(&s.token()).await.assert_error(401, "invalid_client", 90061);
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_certificate_path_still_answers_for_clients_without_federated_credentials() {
    let s = setup().await;
    // The fixture's secret client has no federated and no certificate credentials: an
    // assertion naming itself as issuer is a certificate assertion (no key registered).
    let id = s.fx.client.app_id();
    let own = sign(&signing_key(), None, &json!({"iss": id, "sub": id, "aud": PUBLIC_URL, "exp": NOW + 600}));
    s.request(&s.fx.client, &own).await.assert_error(401, "invalid_client", 700027);
}
