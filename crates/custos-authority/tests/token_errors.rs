//! Every way a token request fails: status, `error`, `error_codes[0]`, correlation echo and
//! headers, for the HTTP/form layer, client authentication and the grant.

mod common;

use async_trait::async_trait;
use axum::body::Body;
use base64::Engine as _;
use common::*;
use custos_authority::KeyManager;
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::users::{DirectoryRoleAssignment, User};
use custos_core::{AppId, Clock, FixedClock, ObjectId, TenantId};
use custos_store::sqlite::SqliteStore;
use custos_store::{
    AuthorizationCode, CodeRedemption, RefreshGrant, RefreshToken, RefreshTokenState, RefreshUse,
    SignInSession,
};
use custos_store::{Store, StoreError, StoreResult};
use std::sync::Arc;

fn body_with(fx: &Fixture, skip: &str, extra: &[(&str, &str)]) -> String {
    let client_id = fx.client.app_id();
    let mut pairs: Vec<(&str, &str)> = vec![
        ("grant_type", "client_credentials"),
        ("client_id", &client_id),
        ("client_secret", SECRET),
        ("scope", "api://resource-v2/.default"),
    ];
    pairs.retain(|(k, _)| *k != skip);
    pairs.extend_from_slice(extra);
    form(&pairs)
}

#[tokio::test]
async fn missing_parameters_are_named() {
    let fx = Fixture::new().await;
    for name in ["grant_type", "client_id", "scope"] {
        let reply = post_form(&fx.router, &fx.v2_token_path(), &body_with(&fx, name, &[])).await;
        reply.assert_error(400, "invalid_request", 900144);
        let expected = format!("The request body must contain the following parameter: '{name}'.");
        assert!(reply.json["error_description"].as_str().unwrap().contains(&expected), "{}", reply.text);
    }
    let reply = post_form(&fx.router, &fx.v1_token_path(), &body_with(&fx, "scope", &[])).await;
    reply.assert_error(400, "invalid_request", 900144);
    assert!(reply.text.contains("parameter: 'resource'"), "{}", reply.text);
    // An empty value is an absent one.
    let reply = post_form(&fx.router, &fx.v2_token_path(), &body_with(&fx, "scope", &[("scope", "")])).await;
    reply.assert_error(400, "invalid_request", 900144);
    assert!(reply.text.contains("parameter: 'scope'"), "{}", reply.text);
}

#[tokio::test]
async fn grant_type_tenant_and_alias_errors() {
    let fx = Fixture::new().await;
    let reply = post_form(
        &fx.router,
        &fx.v2_token_path(),
        &body_with(&fx, "grant_type", &[("grant_type", "password")]),
    )
    .await;
    reply.assert_error(400, "unsupported_grant_type", 70003);

    let unknown = format!("/{}/oauth2/v2.0/token", TenantId::new_random());
    post_form(&fx.router, &unknown, &body_with(&fx, "", &[])).await.assert_error(
        400,
        "invalid_tenant",
        90002,
    );
    post_form(&fx.router, "/nowhere.example/oauth2/token", &body_with(&fx, "", &[])).await.assert_error(
        400,
        "invalid_tenant",
        90002,
    );
    for alias in ["common", "Organizations", "consumers"] {
        let reply =
            post_form(&fx.router, &format!("/{alias}/oauth2/v2.0/token"), &body_with(&fx, "", &[])).await;
        reply.assert_error(400, "invalid_request", 9001023);
    }
}

#[tokio::test]
async fn scope_and_resource_errors() {
    let fx = Fixture::new().await;
    let v2 = fx.v2_token_path();
    let scope = |s: &'static str| body_with(&fx, "scope", &[("scope", s)]);
    post_form(&fx.router, &v2, &scope("api://resource-v2/read")).await.assert_error(
        400,
        "invalid_scope",
        1002012,
    );
    post_form(&fx.router, &v2, &scope("api://resource-v2/.default api://open/.default")).await.assert_error(
        400,
        "invalid_scope",
        700022,
    );
    post_form(&fx.router, &v2, &scope("api://nothing/.default")).await.assert_error(
        400,
        "invalid_resource",
        500011,
    );
    let reply = post_form(&fx.router, &v2, &body_with(&fx, "", &[("resource", "api://resource-v2")])).await;
    reply.assert_error(400, "invalid_request", 901002);
    let reply = post_form(
        &fx.router,
        &fx.v1_token_path(),
        &body_with(&fx, "scope", &[("resource", "api://nothing")]),
    )
    .await;
    reply.assert_error(400, "invalid_resource", 500011);
    let reply = post_form(&fx.router, &v2, &scope("api://locked/.default")).await;
    reply.assert_error(400, "invalid_grant", 501051);
}

#[tokio::test]
async fn client_errors() {
    let fx = Fixture::new().await;
    let v2 = fx.v2_token_path();
    let scope = "api://resource-v2/.default";
    for unknown in [AppId::new_random().to_string(), "not-a-guid".to_owned()] {
        let body = form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &unknown),
            ("client_secret", SECRET),
            ("scope", scope),
        ]);
        let reply = post_form(&fx.router, &v2, &body).await;
        reply.assert_error(400, "unauthorized_client", 700016);
        assert!(reply.text.contains(&unknown));
    }
    let reply = post_form(&fx.router, &v2, &fx.v2_body(&fx.client, "wrong", scope)).await;
    reply.assert_error(401, "invalid_client", 7000215);
    assert_eq!(reply.header("www-authenticate"), None, "no Basic, no challenge");
    let too_long = "x".repeat(10_000);
    post_form(&fx.router, &v2, &fx.v2_body(&fx.client, &too_long, scope)).await.assert_error(
        401,
        "invalid_client",
        7000215,
    );
    post_form(&fx.router, &v2, &fx.v2_body(&fx.client, EXPIRED_SECRET, scope)).await.assert_error(
        401,
        "invalid_client",
        7000222,
    );
    let reply = post_form(&fx.router, &v2, &body_with(&fx, "client_secret", &[])).await;
    reply.assert_error(401, "invalid_client", 7000218);
    post_form(&fx.router, &v2, &fx.v2_body(&fx.bare, SECRET, scope)).await.assert_error(
        401,
        "invalid_client",
        7000215,
    );
    let reply = post_form(&fx.router, &v2, &fx.v2_body(&fx.disabled, SECRET, scope)).await;
    reply.assert_error(400, "unauthorized_client", 7000112);
    assert!(reply.text.contains("(Disabled) is disabled."), "{}", reply.text);

    let assertion = [
        ("client_assertion", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"),
        ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
    ];
    let reply = post_form(&fx.router, &v2, &body_with(&fx, "client_secret", &assertion)).await;
    reply.assert_error(401, "invalid_client", 700027);
}

#[tokio::test]
async fn basic_client_authentication_errors() {
    let fx = Fixture::new().await;
    let basic = |user: &str, pass: &str| {
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
    };
    let send = |auth: String, body: String| {
        let request =
            post(&fx.v2_token_path(), FORM).header("authorization", auth).body(Body::from(body)).unwrap();
        send(&fx.router, request)
    };
    let only_grant = form(&[("grant_type", "client_credentials"), ("scope", "api://resource-v2/.default")]);
    let reply = send(basic(&fx.client.app_id(), "wrong"), only_grant.clone()).await;
    reply.assert_error(401, "invalid_client", 7000215);
    assert_eq!(reply.header("www-authenticate"), Some("Basic realm=\"custos\""));

    let reply = send(basic(&fx.client.app_id(), SECRET), body_with(&fx, "", &[])).await;
    reply.assert_error(400, "invalid_request", 90023);
    let with_assertion = body_with(&fx, "client_secret", &[("client_assertion", "a.b.c")]);
    send(basic(&fx.client.app_id(), "x"), with_assertion).await.assert_error(400, "invalid_request", 90023);
    let reply =
        post_form(&fx.router, &fx.v2_token_path(), &body_with(&fx, "", &[("client_assertion", "a.b.c")]))
            .await;
    reply.assert_error(400, "invalid_request", 90023);
    let mismatch = body_with(&fx, "client_secret", &[]);
    send(basic(&AppId::new_random().to_string(), SECRET), mismatch).await.assert_error(
        400,
        "invalid_request",
        900023,
    );
    send("Basic %%%".to_owned(), only_grant).await.assert_error(400, "invalid_request", 9002313);
}

#[tokio::test]
async fn form_layer_errors() {
    let fx = Fixture::new().await;
    let v2 = fx.v2_token_path();
    let reply =
        post_form(&fx.router, &v2, &format!("{}&scope=api%3A%2F%2Fopen%2F.default", body_with(&fx, "", &[])))
            .await;
    reply.assert_error(400, "invalid_request", 90014);
    assert!(reply.text.contains("'scope' is duplicated"), "{}", reply.text);

    for bad in ["%00", "%0D", "%0A", "a%1Fb"] {
        let body = body_with(&fx, "client_id", &[]) + "&client_id=" + bad;
        post_form(&fx.router, &v2, &body).await.assert_error(400, "invalid_request", 9002313);
    }
    post_form(&fx.router, &v2, &(body_with(&fx, "scope", &[]) + "&scope=%G1")).await.assert_error(
        400,
        "invalid_request",
        9002313,
    );

    for content_type in [
        "application/json",
        "multipart/form-data; boundary=x",
        "application/x-www-form-urlencoded; charset=latin1",
    ] {
        let body = body_with(&fx, "", &[]);
        let reply = send(&fx.router, post(&v2, content_type).body(Body::from(body)).unwrap()).await;
        reply.assert_error(400, "invalid_request", 900144);
    }

    let reply = get(&fx.router, &v2).await;
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST"));
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused_with_413() {
    let fx = Fixture::new().await;
    let huge = body_with(&fx, "", &[("padding", &"p".repeat(57 * 1024))]);
    // Without a Content-Length: found while reading.
    let reply = post_form(&fx.router, &fx.v2_token_path(), &huge).await;
    reply.assert_error(413, "invalid_request", 900144);
    // With a declared Content-Length over the cap: refused before reading.
    let request = post(&fx.v2_token_path(), FORM)
        .header("content-length", (100 * 1024).to_string())
        .body(Body::from("grant_type=client_credentials"))
        .unwrap();
    send(&fx.router, request).await.assert_error(413, "invalid_request", 900144);
    // Just under the cap is fine (and unknown parameters are ignored).
    let padding = "p".repeat(55 * 1024);
    let ok = body_with(&fx, "", &[("x-client-padding", &padding)]);
    assert_eq!(post_form(&fx.router, &fx.v2_token_path(), &ok).await.status, 200);
}

#[tokio::test]
async fn correlation_id_is_new_when_the_client_sends_none_and_metrics_count_errors() {
    let fx = Fixture::new().await;
    let request = axum::http::Request::post(fx.v2_token_path())
        .header("content-type", FORM)
        .body(Body::from(body_with(&fx, "grant_type", &[])))
        .unwrap();
    let reply = send(&fx.router, request).await;
    assert_eq!(reply.status, 400);
    let correlation = reply.json["correlation_id"].as_str().unwrap();
    assert_eq!(correlation.len(), 36);
    assert_ne!(correlation, CORRELATION);
    let metrics = fx.authority.metrics();
    assert_eq!(metrics.count(Some(custos_core::aadsts::OAuthError::InvalidRequest)), 1);
    let mut text = String::new();
    metrics.render_prometheus(&mut text);
    assert!(text.contains("custos_token_requests_total{outcome=\"invalid_request\"} 1"), "{text}");
}

/// A store whose every call fails, as a database outage would.
struct DownStore;

fn down<T>() -> StoreResult<T> {
    Err(StoreError::Backend("connection refused".into()))
}

#[async_trait]
impl Store for DownStore {
    async fn create_tenant(&self, _: &Tenant, _: &[custos_core::audit::DirectoryAudit]) -> StoreResult<()> {
        down()
    }
    async fn tenant(&self, _: TenantId) -> StoreResult<Option<Tenant>> {
        down()
    }
    async fn tenant_by_domain(&self, _: &str) -> StoreResult<Option<Tenant>> {
        down()
    }
    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        down()
    }
    async fn create_application(
        &self,
        _: &Application,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn update_application(
        &self,
        _: &Application,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn modify_application(
        &self,
        _: TenantId,
        _: ObjectId,
        _: custos_store::ApplicationChange,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<Application> {
        down()
    }
    async fn delete_application(
        &self,
        _: TenantId,
        _: ObjectId,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn application(&self, _: TenantId, _: ObjectId) -> StoreResult<Option<Application>> {
        down()
    }
    async fn application_by_app_id(&self, _: TenantId, _: AppId) -> StoreResult<Option<Application>> {
        down()
    }
    async fn applications(&self, _: TenantId) -> StoreResult<Vec<Application>> {
        down()
    }
    async fn create_service_principal(
        &self,
        _: &ServicePrincipal,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn update_service_principal(
        &self,
        _: &ServicePrincipal,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn delete_service_principal(
        &self,
        _: TenantId,
        _: ObjectId,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn service_principal(&self, _: TenantId, _: ObjectId) -> StoreResult<Option<ServicePrincipal>> {
        down()
    }
    async fn service_principal_by_app_id(
        &self,
        _: TenantId,
        _: AppId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        down()
    }
    async fn service_principals(&self, _: TenantId) -> StoreResult<Vec<ServicePrincipal>> {
        down()
    }
    async fn create_assignment(
        &self,
        _: &AppRoleAssignment,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn delete_assignment(
        &self,
        _: TenantId,
        _: &str,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn assignments(&self, _: TenantId) -> StoreResult<Vec<AppRoleAssignment>> {
        down()
    }
    async fn owners(&self, _: TenantId, _: ObjectId) -> StoreResult<Vec<ObjectId>> {
        down()
    }
    async fn add_owner(
        &self,
        _: TenantId,
        _: ObjectId,
        _: ObjectId,
        _: time::OffsetDateTime,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn remove_owner(
        &self,
        _: TenantId,
        _: ObjectId,
        _: ObjectId,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn insert_signing_key(
        &self,
        _: &SigningKeyRecord,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn update_signing_key(
        &self,
        _: &SigningKeyRecord,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        down()
    }
    async fn tenant_settings(&self, _: TenantId) -> StoreResult<custos_core::settings::TenantSettings> {
        down()
    }
    async fn update_tenant_settings(
        &self,
        _: TenantId,
        _: &custos_core::settings::TenantSettings,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn record_assertion_markers(
        &self,
        _: &[custos_store::AssertionMarker],
        _: i64,
    ) -> StoreResult<Vec<custos_store::MarkerOutcome>> {
        down()
    }
    async fn purge_assertion_markers(&self, _: i64) -> StoreResult<u64> {
        down()
    }
    async fn applications_by_app_id(&self, _: AppId) -> StoreResult<Vec<Application>> {
        down()
    }
    async fn create_user(
        &self,
        _: &User,
        _: &str,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn update_user(&self, _: &User, _: &[custos_core::audit::DirectoryAudit]) -> StoreResult<()> {
        down()
    }
    async fn set_user_password(
        &self,
        _: TenantId,
        _: ObjectId,
        _: &str,
        _: time::OffsetDateTime,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn delete_user(
        &self,
        _: TenantId,
        _: ObjectId,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn user(&self, _: TenantId, _: ObjectId) -> StoreResult<Option<User>> {
        down()
    }
    async fn user_by_upn(&self, _: TenantId, _: &str) -> StoreResult<Option<User>> {
        down()
    }
    async fn users(&self, _: TenantId) -> StoreResult<Vec<User>> {
        down()
    }
    async fn user_password_hash(&self, _: TenantId, _: ObjectId) -> StoreResult<Option<String>> {
        down()
    }
    async fn create_directory_role_assignment(
        &self,
        _: &DirectoryRoleAssignment,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn delete_directory_role_assignment(
        &self,
        _: TenantId,
        _: &str,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn directory_role_assignments(&self, _: TenantId) -> StoreResult<Vec<DirectoryRoleAssignment>> {
        down()
    }
    async fn create_permission_grant(
        &self,
        _: &OAuth2PermissionGrant,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn update_permission_grant(
        &self,
        _: TenantId,
        _: &str,
        _: &str,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn delete_permission_grant(
        &self,
        _: TenantId,
        _: &str,
        _: &[custos_core::audit::DirectoryAudit],
    ) -> StoreResult<()> {
        down()
    }
    async fn permission_grants(&self, _: TenantId) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        down()
    }
    async fn create_session(&self, _: &SignInSession) -> StoreResult<()> {
        down()
    }
    async fn session(&self, _: &[u8; 32], _: i64) -> StoreResult<Option<SignInSession>> {
        down()
    }
    async fn delete_session(&self, _: &[u8; 32]) -> StoreResult<()> {
        down()
    }
    async fn insert_authorization_code(&self, _: &AuthorizationCode) -> StoreResult<()> {
        down()
    }
    async fn redeem_authorization_code(&self, _: &[u8; 32], _: i64) -> StoreResult<CodeRedemption> {
        down()
    }
    async fn start_refresh_grant(&self, _: &RefreshGrant, _: &RefreshToken) -> StoreResult<()> {
        down()
    }
    async fn refresh_token(&self, _: &[u8; 32]) -> StoreResult<Option<RefreshTokenState>> {
        down()
    }
    async fn rotate_refresh_token(&self, _: &[u8; 32], _: &RefreshToken, _: i64) -> StoreResult<RefreshUse> {
        down()
    }
    async fn revoke_refresh_grants(
        &self,
        _: TenantId,
        _: ObjectId,
        _: Option<AppId>,
        _: i64,
    ) -> StoreResult<u64> {
        down()
    }
    async fn purge_sign_in_state(&self, _: i64) -> StoreResult<u64> {
        down()
    }
    async fn directory_audits(
        &self,
        _: &custos_store::LogQuery,
    ) -> StoreResult<custos_store::LogPage<custos_core::audit::DirectoryAudit>> {
        down()
    }
    async fn directory_audit(
        &self,
        _: TenantId,
        _: &str,
    ) -> StoreResult<Option<custos_core::audit::DirectoryAudit>> {
        down()
    }
    async fn append_sign_ins(&self, _: &[custos_core::sign_in_log::SignIn]) -> StoreResult<()> {
        down()
    }
    async fn sign_ins(
        &self,
        _: &custos_store::LogQuery,
        _: &custos_store::SignInFilter,
    ) -> StoreResult<custos_store::LogPage<custos_core::sign_in_log::SignIn>> {
        down()
    }
    async fn sign_in(
        &self,
        _: TenantId,
        _: uuid::Uuid,
    ) -> StoreResult<Option<custos_core::sign_in_log::SignIn>> {
        down()
    }
    async fn purge_logs(&self, _: TenantId, _: time::OffsetDateTime, _: u32) -> StoreResult<u64> {
        down()
    }
    async fn ping(&self) -> StoreResult<()> {
        down()
    }
}

#[tokio::test]
async fn storage_failure_is_503_with_retry_after() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
    let clock = Arc::new(FixedClock::new(at(NOW)));
    let dyn_clock: Arc<dyn Clock> = clock.clone();
    let keys = KeyManager::load(store.clone(), [7; 32], dyn_clock).await.unwrap();
    let fx = Fixture::with_stores(store, Arc::new(DownStore), keys, clock).await;
    let reply = post_form(&fx.router, &fx.v2_token_path(), &body_with(&fx, "", &[])).await;
    reply.assert_error(503, "temporarily_unavailable", 90033);
    assert_eq!(reply.header("retry-after"), Some("5"));
    assert!(!reply.text.contains("connection refused"), "storage details must not leak: {}", reply.text);
    let reply = get(&fx.router, &format!("/{}/v2.0/.well-known/openid-configuration", fx.tenant)).await;
    reply.assert_error(503, "temporarily_unavailable", 90033);
    assert!(
        KeyManager::load(Arc::new(DownStore), [7; 32], Arc::new(FixedClock::new(at(NOW)))).await.is_err()
    );
}

/// Entra's answers for the grant's corner cases: a client application without a service
/// principal is not in the directory (700016), a disabled resource principal gets 500014, and
/// Graph's default-access assignment (the nil role id) satisfies "assignment required" without
/// putting a role into the token.
#[tokio::test]
async fn principal_and_assignment_corner_cases() {
    let fx = Fixture::new().await;
    let v2 = fx.v2_token_path();
    let store = fx.directory.as_ref();

    // The client application exists but has no service principal in the tenant.
    store.delete_service_principal(fx.tenant, fx.client.sp.id, &audit()).await.unwrap();
    let reply = post_form(&fx.router, &v2, &fx.v2_body(&fx.client, SECRET, "api://open/.default")).await;
    reply.assert_error(400, "unauthorized_client", 700016);
    store.create_service_principal(&fx.client.sp, &audit()).await.unwrap();

    // The resource's service principal is disabled.
    let mut open_sp = fx.open.sp.clone();
    open_sp.account_enabled = false;
    store.update_service_principal(&open_sp, &audit()).await.unwrap();
    let reply = post_form(&fx.router, &v2, &fx.v2_body(&fx.client, SECRET, "api://open/.default")).await;
    reply.assert_error(400, "invalid_resource", 500014);
    assert!(reply.text.contains("api://open"), "{}", reply.text);

    // Default access on a resource that requires assignment: a token, without `roles`.
    store
        .create_assignment(
            &AppRoleAssignment {
                id: "default-access-assignment-id-0000000000000".to_owned(),
                tenant_id: fx.tenant,
                principal_id: fx.client.sp.id,
                resource_id: fx.locked.sp.id,
                app_role_id: uuid::Uuid::nil(),
                created: at(NOW),
            },
            &audit(),
        )
        .await
        .unwrap();
    let reply = post_form(&fx.router, &v2, &fx.v2_body(&fx.client, SECRET, "api://locked/.default")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let token = reply.json["access_token"].as_str().unwrap();
    let claims = jwt_claims(token);
    assert!(claims.get("roles").is_none(), "{claims}");
}

/// RFC 6749 §3.2: an empty parameter is an absent one, so a Basic header with an empty
/// password carries no credential.
#[tokio::test]
async fn basic_with_an_empty_password_is_no_credential() {
    let fx = Fixture::new().await;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{}:", fx.client.app_id()))
    );
    let body = form(&[("grant_type", "client_credentials"), ("scope", "api://resource-v2/.default")]);
    let request =
        post(&fx.v2_token_path(), FORM).header("authorization", auth).body(Body::from(body)).unwrap();
    send(&fx.router, request).await.assert_error(401, "invalid_client", 7000218);
}

/// Every error response's `error_uri` resolves to a description of its code.
#[tokio::test]
async fn error_uri_describes_the_code() {
    let fx = Fixture::new().await;
    let reply = get(&fx.router, "/error?code=7000215").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json["code"], 7000215);
    assert_eq!(reply.json["error"], "invalid_client");
    assert_eq!(reply.json["status"], 401);
    assert!(reply.json["description"].as_str().unwrap().starts_with("AADSTS7000215: Invalid client secret"));
    assert_eq!(get(&fx.router, "/error?code=1").await.status, 404);
    assert_eq!(get(&fx.router, "/error").await.status, 404);
}

/// Issue 15 item 2: only the public origin itself is the directory API's alias; another port,
/// scheme or path on the same host is an unknown resource (AADSTS500011).
#[tokio::test]
async fn near_misses_of_the_public_origin_are_unknown_resources() {
    use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
    let fx = Fixture::new().await;
    register(
        fx.directory.store().as_ref(),
        fx.tenant,
        "Directory API",
        Some(GRAPH_IDENTIFIER_URI),
        |a, sp| {
            a.app_id = GRAPH_APP_ID;
            sp.app_id = GRAPH_APP_ID;
        },
    )
    .await;
    let host = PUBLIC_URL.rsplit_once(':').unwrap().0;
    let reply = post_form(
        &fx.router,
        &fx.v2_token_path(),
        &fx.v2_body(&fx.client, SECRET, &format!("{host}/.default")),
    )
    .await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    let http = PUBLIC_URL.replacen("https://", "http://", 1);
    for scope in
        [format!("{host}:9443/.default"), format!("{PUBLIC_URL}/api/.default"), format!("{http}/.default")]
    {
        let reply = post_form(&fx.router, &fx.v2_token_path(), &fx.v2_body(&fx.client, SECRET, &scope)).await;
        reply.assert_error(400, "invalid_resource", 500011);
    }
}
