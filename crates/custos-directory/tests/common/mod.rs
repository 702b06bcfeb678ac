//! The directory's test harness: the Graph, admin and Azure portal API routers over an in-memory SQLite store with
//! two provisioned tenants, a bearer authenticator that maps fixed token strings to callers, and
//! the assertion of a Graph error as this harness's requests see it. Requests go through
//! `custos_testkit::http`; certificates are `custos_testkit::certs`.

#![allow(dead_code, unreachable_pub, reason = "each test file uses a different part of the harness")]

use axum::Router;
use axum::body::Body;
use custos_core::model::{Application, ServicePrincipal};
use custos_core::{FixedClock, TenantId};
use custos_directory::provision::{AdminScope, ProvisionedTenant, provision_tenant};
use custos_directory::{
    BearerAuthenticator, Caller, DirectoryState, EndpointSecretError, EndpointSecrets, IssuedEndpointSecret,
    SigningKey, SigningKeyError, SigningKeys,
};
use custos_jose::secret::SecretHasher;
use custos_store::Store;
use custos_store::sqlite::SqliteStore;
use http::{Method, Request, StatusCode};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use time::macros::datetime;

pub use custos_testkit::http::Reply;

pub const BASE: &str = "https://custos.test";
pub const ALL_ROLES: &[&str] = &[
    "Application.ReadWrite.All",
    "Application.Read.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.Read.All",
    "AuditLog.Read.All",
    "User.Read.All",
    "User.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "DelegatedPermissionGrant.ReadWrite.All",
    "Directory.ReadWrite.All",
    "Custos.Admin",
];

/// Maps fixed token strings to callers: the only test double. Tests may add tokens (e.g. a
/// delegated one for a user they created).
struct Tokens(Arc<Mutex<HashMap<String, Caller>>>);

impl BearerAuthenticator for Tokens {
    fn authenticate(&self, bearer_token: &str) -> Result<Caller, String> {
        let tokens = self.0.lock().unwrap();
        tokens.get(bearer_token).cloned().ok_or_else(|| "unknown test token".to_owned())
    }
}

/// The authority's part of the admin API is tested with the real authority in custos-server;
/// here it is absent.
struct NoAuthority;

#[async_trait::async_trait]
impl SigningKeys for NoAuthority {
    async fn list(&self) -> Result<Vec<SigningKey>, SigningKeyError> {
        Err(SigningKeyError::Unavailable)
    }

    async fn rotate(
        &self,
        _: Option<&str>,
        _: &custos_core::audit::AuditContext,
    ) -> Result<SigningKey, SigningKeyError> {
        Err(SigningKeyError::Unavailable)
    }
}

#[async_trait::async_trait]
impl EndpointSecrets for NoAuthority {
    async fn create(
        &self,
        _: &Application,
        _: &ServicePrincipal,
        _: u16,
        _: &custos_core::audit::AuditContext,
    ) -> Result<IssuedEndpointSecret, EndpointSecretError> {
        Err(EndpointSecretError::Unavailable)
    }

    async fn remove(
        &self,
        _: &Application,
        _: &custos_core::audit::AuditContext,
    ) -> Result<bool, EndpointSecretError> {
        Err(EndpointSecretError::Unavailable)
    }

    fn endpoints_enabled(&self) -> bool {
        false
    }
}

pub struct Harness {
    pub router: Router,
    pub store: Arc<dyn Store>,
    pub hasher: SecretHasher,
    pub a: ProvisionedTenant,
    pub b: ProvisionedTenant,
    /// The directory's clock (2026-03-01 12:00 UTC until a test moves it).
    pub clock: Arc<FixedClock>,
    tokens: Arc<Mutex<HashMap<String, Caller>>>,
}

impl Harness {
    /// Tokens: `admin` (tenant A, every role), `admin-b` (tenant B, every role), `reader`
    /// (A, Application.Read.All), `writer` (A, Application.ReadWrite.All), `assigner`
    /// (A, AppRoleAssignment.ReadWrite.All), `nobody` (A, no role).
    pub async fn new() -> Self {
        Self::on(Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap())).await
    }

    /// The harness over `store` (empty; provisioned here).
    pub async fn on(store: Arc<dyn Store>) -> Self {
        Self::build(store, custos_directory::RateLimitConfig::default()).await
    }

    /// The harness with these request-rate limits.
    pub async fn with_rate_limits(limits: custos_directory::RateLimitConfig) -> Self {
        Self::build(Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap()), limits).await
    }

    async fn build(store: Arc<dyn Store>, limits: custos_directory::RateLimitConfig) -> Self {
        let hasher = SecretHasher::new(&[9u8; 32]);
        let clock = Arc::new(FixedClock::new(datetime!(2026-03-01 12:00 UTC)));
        let a = provision_tenant(
            store.as_ref(),
            &custos_core::audit::AuditContext::installation(custos_core::Clock::now(clock.as_ref())),
            &hasher,
            clock.as_ref(),
            "a.example",
            "Tenant A",
            AdminScope::Installation,
        )
        .await
        .unwrap();
        let b = provision_tenant(
            store.as_ref(),
            &custos_core::audit::AuditContext::installation(custos_core::Clock::now(clock.as_ref())),
            &hasher,
            clock.as_ref(),
            "b.example",
            "Tenant B",
            AdminScope::Tenant,
        )
        .await
        .unwrap();
        let caller = |t: &ProvisionedTenant, roles: &[&str]| Caller {
            tenant_id: t.tenant.id,
            app_id: t.admin_app_id,
            object_id: t.admin_service_principal_id,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: None,
            origin: Default::default(),
        };
        let tokens = HashMap::from([
            ("admin".to_owned(), caller(&a, ALL_ROLES)),
            ("admin-b".to_owned(), caller(&b, ALL_ROLES)),
            ("reader".to_owned(), caller(&a, &["Application.Read.All"])),
            ("writer".to_owned(), caller(&a, &["Application.ReadWrite.All"])),
            ("assigner".to_owned(), caller(&a, &["AppRoleAssignment.ReadWrite.All"])),
            ("nobody".to_owned(), caller(&a, &[])),
        ]);
        let tokens = Arc::new(Mutex::new(tokens));
        let state = DirectoryState {
            store: store.clone(),
            authenticator: Arc::new(Tokens(tokens.clone())),
            signing_keys: Arc::new(NoAuthority),
            endpoint_secrets: Arc::new(NoAuthority),
            hasher: hasher.clone(),
            clock: clock.clone(),
            origins: custos_core::origins::Origins::single(BASE),
            paging_key: [7u8; 32],
            rate_limits: Arc::new(custos_directory::CallerLimits::new(limits)),
            whole_reads: Default::default(),
        };
        // The Azure portal's API route authenticates with the same test tokens (the audience
        // is the server's check, tested in custos-server).
        let router = custos_directory::graph_router(state.clone())
            .merge(custos_directory::admin_router(state.clone()))
            .merge(custos_directory::portal_api_router(state));
        Self { router, store, hasher, a, b, clock, tokens }
    }

    /// Makes `token` authenticate as `caller`.
    pub fn add_token(&self, token: &str, caller: Caller) {
        self.tokens.lock().unwrap().insert(token.to_owned(), caller);
    }

    /// A delegated token of tenant A for the user `user` with these `scp` values; the calling
    /// client is the bootstrap admin application and the token's `roles` are `roles`.
    pub fn add_user_token(&self, token: &str, user: &str, scopes: &[&str], roles: &[&str]) {
        self.add_token(
            token,
            Caller {
                tenant_id: self.a.tenant.id,
                app_id: self.a.admin_app_id,
                object_id: user.parse().unwrap(),
                roles: roles.iter().map(|r| (*r).to_owned()).collect(),
                scopes: Some(scopes.iter().map(|s| (*s).to_owned()).collect()),
                origin: Default::default(),
            },
        );
    }

    /// Creates a user of tenant A as `admin` and returns its JSON (default properties).
    pub async fn create_user(&self, local: &str) -> Value {
        let body = serde_json::json!({
            "accountEnabled": true,
            "displayName": local,
            "userPrincipalName": format!("{local}@a.example"),
            "passwordProfile": {"password": "Passw0rd!"},
        });
        let reply = self.post("/v1.0/users", "admin", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json
    }

    /// Assigns a directory role (template id) to a user of tenant A as `admin`; returns the
    /// assignment's id.
    pub async fn assign_role(&self, user: &str, role: &str) -> String {
        let body =
            serde_json::json!({"roleDefinitionId": role, "principalId": user, "directoryScopeId": "/"});
        let reply = self.post("/v1.0/roleManagement/directory/roleAssignments", "admin", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json["id"].as_str().unwrap().to_owned()
    }

    pub fn tenant_a(&self) -> TenantId {
        self.a.tenant.id
    }

    /// Sends a request with a raw body.
    pub async fn raw(&self, method: Method, uri: &str, token: Option<&str>, body: &str) -> Reply {
        self.raw_with(method, uri, token, body, &[]).await
    }

    /// `GET` with `ConsistencyLevel: eventual` (Graph's advanced queries).
    pub async fn get_eventual(&self, uri: &str, token: &str) -> Reply {
        self.raw_with(Method::GET, uri, Some(token), "", &[("ConsistencyLevel", "eventual")]).await
    }

    /// Sends a request with a raw body and extra headers.
    pub async fn raw_with(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri).header("client-request-id", "test-crid");
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        if !body.is_empty() {
            req = req.header("content-type", "application/json");
        }
        let reply =
            custos_testkit::http::send(&self.router, req.body(Body::from(body.to_owned())).unwrap()).await;
        // Every answer with a body is JSON.
        assert!(
            reply.text.is_empty() || serde_json::from_str::<Value>(&reply.text).is_ok(),
            "{}",
            reply.text
        );
        reply
    }

    /// Sends a request with an optional JSON body.
    pub async fn call(&self, method: Method, uri: &str, token: &str, body: Option<Value>) -> Reply {
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        self.raw(method, uri, Some(token), &body).await
    }

    pub async fn get(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::GET, uri, token, None).await
    }

    /// Every page of `uri` as `token`, following `@odata.nextLink` (each page must be 200); the
    /// values in order and the number of pages.
    pub async fn follow(&self, uri: &str, token: &str) -> (Vec<Value>, usize) {
        let (mut values, mut pages, mut next) = (Vec::new(), 0, Some(uri.to_owned()));
        while let Some(uri) = next {
            let reply = self.get(&uri, token).await;
            assert_eq!(reply.status, StatusCode::OK, "{uri}: {}", reply.json);
            values.extend(reply.json["value"].as_array().unwrap().iter().cloned());
            pages += 1;
            next = reply.json["@odata.nextLink"].as_str().map(|link| {
                assert!(link.starts_with(BASE), "{link}");
                link.trim_start_matches(BASE).to_owned()
            });
            assert!(pages < 200, "the links never end");
        }
        (values, pages)
    }

    pub async fn post(&self, uri: &str, token: &str, body: Value) -> Reply {
        self.call(Method::POST, uri, token, Some(body)).await
    }

    pub async fn patch(&self, uri: &str, token: &str, body: Value) -> Reply {
        self.call(Method::PATCH, uri, token, Some(body)).await
    }

    pub async fn delete(&self, uri: &str, token: &str) -> Reply {
        self.call(Method::DELETE, uri, token, None).await
    }

    /// Creates an application as `admin` and returns its JSON.
    pub async fn create_app(&self, body: Value) -> Value {
        let reply = self.post("/v1.0/applications", "admin", body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json
    }

    /// Creates the service principal of an appId as `admin` and returns its JSON.
    pub async fn create_sp(&self, app_id: &str) -> Value {
        let reply = self.post("/v1.0/servicePrincipals", "admin", serde_json::json!({"appId": app_id})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json
    }

    /// Creates a managed identity in tenant A through the admin API as `admin`; returns its JSON.
    pub async fn create_managed_identity(&self, display_name: &str) -> Value {
        let uri = format!("/admin/v1/tenants/{}/managedIdentities", self.tenant_a());
        let reply = self.post(&uri, "admin", serde_json::json!({"displayName": display_name})).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
        reply.json
    }
}

/// Graph errors as the harness's requests see them.
pub trait AssertGraphError {
    /// Asserts a Graph error with this status and code, and returns its message.
    fn error(&self, status: StatusCode, code: &str) -> String;
}

impl AssertGraphError for Reply {
    fn error(&self, status: StatusCode, code: &str) -> String {
        assert_eq!(self.status, status, "{}", self.json);
        assert_eq!(self.json["error"]["code"], code, "{}", self.json);
        let inner = &self.json["error"]["innerError"];
        assert_eq!(inner["client-request-id"], "test-crid");
        assert_eq!(inner["request-id"].as_str().unwrap().len(), 36);
        assert_eq!(inner["date"], "2026-03-01T12:00:00");
        self.json["error"]["message"].as_str().unwrap().to_owned()
    }
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;
