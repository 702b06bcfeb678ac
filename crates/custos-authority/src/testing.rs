//! The seeded in-memory authority the integration tests of this crate and of `custos-server` run
//! against (feature `testing`, a dev-dependency feature: no production build enables it). An
//! authority over an in-memory SQLite directory with one tenant, a client with a secret (and an
//! expired one), a disabled client, and resources of each token version, at a fixed clock.
//!
//! It holds only what needs this crate's, the store's and the core's types; the generic helpers
//! (in-process requests, replies, forms, JWT claims) are `custos-testkit`'s.

use crate::{Authority, AuthorityConfig, KeyManager};
use axum::Router;
use base64::Engine as _;
use custos_core::model::{
    AppRole, AppRoleAssignment, Application, PasswordCredential, SIGN_IN_AUDIENCE_MY_ORG, ServicePrincipal,
    ServicePrincipalType, Tenant,
};
use custos_core::{AppId, Clock, FixedClock, ObjectId, TenantId};
use custos_jose::secret::SecretHasher;
use custos_store::sqlite::SqliteStore;
use custos_store::{Directory, SignInLog, Store, WriterOptions};
use std::sync::Arc;
use time::OffsetDateTime;
use uuid::Uuid;

pub const PUBLIC_URL: &str = "https://login.custos.test:8443";
pub const DOMAIN: &str = "contoso.custos.test";
pub const SECRET: &str = "s3cret+with/special=chars";
pub const EXPIRED_SECRET: &str = "an-expired-secret";
/// 2030-01-01T00:00:00Z.
pub const NOW: i64 = 1_893_456_000;
/// [`NOW`] as error responses print it.
pub const TIMESTAMP: &str = "2030-01-01 00:00:00Z";
/// `client_assertion_type` of a JWT client assertion.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A registered application and its service principal.
#[derive(Debug, Clone)]
pub struct App {
    pub app: Application,
    pub sp: ServicePrincipal,
}

impl App {
    pub fn app_id(&self) -> String {
        self.app.app_id.to_string()
    }
}

pub struct Fixture {
    pub router: Router,
    pub authority: Arc<Authority>,
    pub directory: Arc<Directory>,
    pub clock: Arc<FixedClock>,
    /// The authority's sign-in log, written to the fixture's store.
    pub sign_ins: SignInLog,
    pub tenant: TenantId,
    /// Has [`SECRET`] (valid) and [`EXPIRED_SECRET`] (expired); roles Read and Write on
    /// `resource_v1` and `resource_v2`.
    pub client: App,
    /// Has a valid secret but a disabled service principal.
    pub disabled: App,
    /// Has no secret at all.
    pub bare: App,
    /// `api://resource-v1`, requestedAccessTokenVersion null.
    pub resource_v1: App,
    /// `api://resource-v2`, requestedAccessTokenVersion 2.
    pub resource_v2: App,
    /// `api://locked`: assignment required, the client has none.
    pub locked: App,
    /// `api://open`: no assignment needed, the client has none.
    pub open: App,
}

pub fn at(unix: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(unix).unwrap()
}

pub fn role(value: &str, enabled: bool) -> AppRole {
    AppRole {
        id: Uuid::new_v4(),
        allowed_member_types: vec!["Application".into()],
        description: None,
        display_name: Some(value.into()),
        is_enabled: enabled,
        value: Some(value.into()),
    }
}

pub fn secret(hasher: &SecretHasher, secret: &str, start: i64, end: i64) -> PasswordCredential {
    PasswordCredential {
        key_id: Uuid::new_v4(),
        display_name: None,
        hint: secret[..3].into(),
        start: at(start),
        end: at(end),
        secret_hash: hasher.hash(secret).into(),
    }
}

pub async fn register(
    store: &dyn Store,
    tenant: TenantId,
    name: &str,
    uri: Option<&str>,
    configure: impl FnOnce(&mut Application, &mut ServicePrincipal),
) -> App {
    let app_id = AppId::new_random();
    let mut app = Application {
        id: ObjectId::new_random(),
        tenant_id: tenant,
        app_id,
        display_name: name.into(),
        description: None,
        identifier_uris: uri.map(|u| vec![u.to_owned()]).unwrap_or_default(),
        app_roles: vec![],
        requested_access_token_version: None,
        sign_in_audience: SIGN_IN_AUDIENCE_MY_ORG.into(),
        password_credentials: vec![],
        key_credentials: Vec::new(),
        federated_identity_credentials: Vec::new(),
        oauth2_permission_scopes: Vec::new(),
        required_resource_access: Vec::new(),
        redirect_uris: custos_core::consent::RedirectUris::default(),
        properties: Default::default(),
        access_token_signing_algorithm: Default::default(),
        created: at(NOW - 86_400),
    };
    let mut sp = ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: tenant,
        app_id,
        display_name: name.into(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::Application,
        properties: Default::default(),
        created: at(NOW - 86_400),
    };
    configure(&mut app, &mut sp);
    store.create_application(&app, &audit()).await.unwrap();
    store.create_service_principal(&sp, &audit()).await.unwrap();
    App { app, sp }
}

pub async fn assign(store: &dyn Store, tenant: TenantId, client: &App, resource: &App, role: &AppRole) {
    let mut id = [0u8; 32];
    id[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    let assignment = AppRoleAssignment {
        id: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id),
        tenant_id: tenant,
        principal_id: client.sp.id,
        resource_id: resource.sp.id,
        app_role_id: role.id,
        created: at(NOW - 3_600),
    };
    store.create_assignment(&assignment, &audit()).await.unwrap();
}

impl Fixture {
    pub async fn new() -> Self {
        Self::with_config(AuthorityConfig::new(format!("{PUBLIC_URL}/"))).await
    }

    /// The fixture with the authority's settings `config` (its public URL must be [`PUBLIC_URL`]).
    pub async fn with_config(config: AuthorityConfig) -> Self {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
        let clock = Arc::new(FixedClock::new(at(NOW)));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let keys = KeyManager::load(store.clone(), [7; 32], dyn_clock.clone()).await.unwrap();
        Self::assemble(store.clone(), Directory::new(store), keys, clock, config).await
    }

    /// The fixture on a directory that reads every tenant in slices (a slice threshold of 0,
    /// [`Directory::with_slices`]), as it reads large tenants.
    pub async fn sliced() -> Self {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
        let clock = Arc::new(FixedClock::new(at(NOW)));
        let dyn_clock: Arc<dyn Clock> = clock.clone();
        let keys = KeyManager::load(store.clone(), [7; 32], dyn_clock).await.unwrap();
        let directory = Directory::new(store.clone()).with_slices(0, 64);
        let config = AuthorityConfig::new(format!("{PUBLIC_URL}/"));
        Self::assemble(store, directory, keys, clock, config).await
    }

    /// A fixture whose directory reads go to `directory_store` (the data is written to `store`).
    pub async fn with_stores(
        store: Arc<dyn Store>,
        directory_store: Arc<dyn Store>,
        keys: KeyManager,
        clock: Arc<FixedClock>,
    ) -> Self {
        let directory = Directory::new(directory_store);
        Self::assemble(store, directory, keys, clock, AuthorityConfig::new(format!("{PUBLIC_URL}/"))).await
    }

    async fn assemble(
        store: Arc<dyn Store>,
        directory: Directory,
        keys: KeyManager,
        clock: Arc<FixedClock>,
        config: AuthorityConfig,
    ) -> Self {
        let hasher = SecretHasher::new(&[3; 32]);
        let tenant = TenantId::new_random();
        store
            .create_tenant(
                &Tenant { id: tenant, domain: DOMAIN.into(), display_name: "Contoso".into(), created: at(0) },
                &audit(),
            )
            .await
            .unwrap();
        let s = store.as_ref();
        // Two enabled roles share the value Read: it must appear once in `roles`.
        let roles = vec![role("Write", true), role("Read", true), role("Off", false), role("Read", true)];
        let resource_v1 = register(s, tenant, "Resource v1", Some("api://resource-v1"), |a, _| {
            a.app_roles = roles.clone();
        })
        .await;
        let resource_v2 = register(s, tenant, "Resource v2", Some("api://resource-v2"), |a, _| {
            a.app_roles = roles.clone();
            a.requested_access_token_version = Some(2);
        })
        .await;
        let locked = register(s, tenant, "Locked", Some("api://locked"), |_, sp| {
            sp.app_role_assignment_required = true;
        })
        .await;
        let open = register(s, tenant, "Open", Some("api://open"), |_, _| {}).await;
        let client = register(s, tenant, "Daemon", None, |a, _| {
            a.password_credentials = vec![
                secret(&hasher, EXPIRED_SECRET, NOW - 90 * 86_400, NOW - 86_400),
                secret(&hasher, SECRET, NOW - 86_400, NOW + 365 * 86_400),
            ];
        })
        .await;
        let disabled = register(s, tenant, "Disabled", None, |a, sp| {
            a.password_credentials = vec![secret(&hasher, SECRET, NOW - 86_400, NOW + 86_400)];
            sp.account_enabled = false;
        })
        .await;
        let bare = register(s, tenant, "Bare", None, |_, _| {}).await;
        for resource in [&resource_v1, &resource_v2] {
            for r in &roles {
                assign(s, tenant, &client, resource, r).await;
            }
        }
        let directory = Arc::new(directory);
        let sign_ins = SignInLog::start(store.clone(), WriterOptions::default());
        let authority = Arc::new(
            Authority::new(config, directory.clone(), hasher, keys, clock.clone())
                .with_sign_in_log(sign_ins.clone()),
        );
        Self {
            router: authority.clone().router(),
            authority,
            directory,
            clock,
            sign_ins,
            tenant,
            client,
            disabled,
            bare,
            resource_v1,
            resource_v2,
            locked,
            open,
        }
    }

    pub fn v2_token_path(&self) -> String {
        format!("/{}/oauth2/v2.0/token", self.tenant)
    }

    pub fn v1_token_path(&self) -> String {
        format!("/{}/oauth2/token", self.tenant)
    }

    /// A v2 client-credentials body for `client` with `secret` and `scope`.
    pub fn v2_body(&self, client: &App, secret: &str, scope: &str) -> String {
        form(&[
            ("client_id", &client.app_id()),
            ("grant_type", "client_credentials"),
            ("scope", scope),
            ("client_secret", secret),
            ("client_info", "1"),
        ])
    }
}

/// A v2 client-credentials body for `client` presenting the JWT `assertion`, for the v2 resource.
pub fn v2_assertion_body(client: &App, assertion: &str) -> String {
    form(&[
        ("client_id", &client.app_id()),
        ("grant_type", "client_credentials"),
        ("scope", "api://resource-v2/.default"),
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ])
}

fn form(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The record of a change a fixture makes directly in the store (what it says does not matter
/// to the authority's tests).
pub use custos_core::audit::testing::placeholder as audit;
