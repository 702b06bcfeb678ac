//! Concurrency properties of [`Directory`]: coalesced loads, no stale install after a racing
//! write, and no growth from unknown tenants. The inner store is SQLite in memory behind a
//! wrapper that counts loads and can hold one load after it has read.

use super::Directory;
use crate::sqlite::SqliteStore;
use crate::{AssertionMarker, MarkerOutcome};
use crate::{
    AuthorizationCode, CodeRedemption, RefreshGrant, RefreshToken, RefreshTokenState, RefreshUse,
    SignInSession,
};
use crate::{Store, StoreResult};
use async_trait::async_trait;
use custos_core::audit::DirectoryAudit;
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::settings::TenantSettings;
use custos_core::users::{DirectoryRoleAssignment, User};
use custos_core::{AppId, ObjectId, TenantId};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use time::OffsetDateTime;
use time::macros::datetime;
use tokio::sync::Notify;

/// Counts `applications` reads (whole-tenant loads) and `service_principal_by_app_id` reads
/// (slice loads); when `hold` is set, the next of either pauses after reading until `release` is
/// notified (announcing itself on `held`).
pub(super) struct Gated {
    pub(super) inner: SqliteStore,
    pub(super) loads: AtomicUsize,
    pub(super) narrow_reads: AtomicUsize,
    pub(super) hold: AtomicBool,
    pub(super) held: Notify,
    pub(super) release: Notify,
}

impl Gated {
    async fn gate(&self) {
        if self.hold.swap(false, Ordering::SeqCst) {
            self.held.notify_one();
            self.release.notified().await;
        }
    }
}

#[async_trait]
impl Store for Gated {
    async fn applications(&self, tenant: TenantId) -> StoreResult<Vec<Application>> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let read = self.inner.applications(tenant).await;
        self.gate().await;
        read
    }
    async fn create_tenant(&self, t: &Tenant, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.create_tenant(t, audit).await
    }
    async fn tenant(&self, id: TenantId) -> StoreResult<Option<Tenant>> {
        self.inner.tenant(id).await
    }
    async fn tenant_by_domain(&self, d: &str) -> StoreResult<Option<Tenant>> {
        self.inner.tenant_by_domain(d).await
    }
    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.inner.tenants().await
    }
    async fn create_application(&self, a: &Application, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.create_application(a, audit).await
    }
    async fn update_application(&self, a: &Application, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.update_application(a, audit).await
    }
    async fn modify_application(
        &self,
        t: TenantId,
        id: ObjectId,
        c: crate::ApplicationChange,
        audit: &[DirectoryAudit],
    ) -> StoreResult<Application> {
        self.inner.modify_application(t, id, c, audit).await
    }
    async fn delete_application(
        &self,
        t: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.delete_application(t, id, audit).await
    }
    async fn application(&self, t: TenantId, id: ObjectId) -> StoreResult<Option<Application>> {
        self.inner.application(t, id).await
    }
    async fn application_by_app_id(&self, t: TenantId, a: AppId) -> StoreResult<Option<Application>> {
        self.inner.application_by_app_id(t, a).await
    }
    async fn create_service_principal(
        &self,
        s: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.create_service_principal(s, audit).await
    }
    async fn update_service_principal(
        &self,
        s: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.update_service_principal(s, audit).await
    }
    async fn delete_service_principal(
        &self,
        t: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.delete_service_principal(t, id, audit).await
    }
    async fn service_principal(&self, t: TenantId, id: ObjectId) -> StoreResult<Option<ServicePrincipal>> {
        self.inner.service_principal(t, id).await
    }
    async fn service_principal_by_app_id(
        &self,
        t: TenantId,
        a: AppId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        self.narrow_reads.fetch_add(1, Ordering::SeqCst);
        let read = self.inner.service_principal_by_app_id(t, a).await;
        self.gate().await;
        read
    }
    async fn service_principals(&self, t: TenantId) -> StoreResult<Vec<ServicePrincipal>> {
        self.inner.service_principals(t).await
    }
    async fn create_assignment(&self, a: &AppRoleAssignment, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.create_assignment(a, audit).await
    }
    async fn delete_assignment(&self, t: TenantId, id: &str, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.delete_assignment(t, id, audit).await
    }
    async fn assignments(&self, t: TenantId) -> StoreResult<Vec<AppRoleAssignment>> {
        self.inner.assignments(t).await
    }
    async fn owners(&self, t: TenantId, o: ObjectId) -> StoreResult<Vec<ObjectId>> {
        self.inner.owners(t, o).await
    }
    async fn add_owner(
        &self,
        t: TenantId,
        o: ObjectId,
        owner: ObjectId,
        at: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.add_owner(t, o, owner, at, audit).await
    }
    async fn remove_owner(
        &self,
        t: TenantId,
        o: ObjectId,
        owner: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.remove_owner(t, o, owner, audit).await
    }
    async fn insert_signing_key(&self, k: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.insert_signing_key(k, audit).await
    }
    async fn update_signing_key(&self, k: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.update_signing_key(k, audit).await
    }
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        self.inner.signing_keys().await
    }
    async fn tenant_settings(&self, t: TenantId) -> StoreResult<TenantSettings> {
        self.inner.tenant_settings(t).await
    }
    async fn update_tenant_settings(
        &self,
        t: TenantId,
        s: &TenantSettings,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.update_tenant_settings(t, s, audit).await
    }
    async fn record_assertion_markers(
        &self,
        m: &[AssertionMarker],
        now: i64,
    ) -> StoreResult<Vec<MarkerOutcome>> {
        self.inner.record_assertion_markers(m, now).await
    }
    async fn purge_assertion_markers(&self, now: i64) -> StoreResult<u64> {
        self.inner.purge_assertion_markers(now).await
    }
    async fn applications_by_app_id(&self, a: AppId) -> StoreResult<Vec<Application>> {
        self.inner.applications_by_app_id(a).await
    }
    async fn application_by_identifier_uri(
        &self,
        t: TenantId,
        uri: &str,
    ) -> StoreResult<Option<Application>> {
        self.inner.application_by_identifier_uri(t, uri).await
    }
    async fn directory_object_count(&self, t: TenantId) -> StoreResult<u64> {
        self.inner.directory_object_count(t).await
    }
    async fn assignments_between(
        &self,
        t: TenantId,
        p: ObjectId,
        r: ObjectId,
    ) -> StoreResult<Vec<AppRoleAssignment>> {
        self.inner.assignments_between(t, p, r).await
    }
    async fn permission_grants_between(
        &self,
        t: TenantId,
        c: ObjectId,
        r: ObjectId,
    ) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        self.inner.permission_grants_between(t, c, r).await
    }
    async fn create_user(&self, u: &User, h: &str, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.create_user(u, h, audit).await
    }
    async fn update_user(&self, u: &User, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.update_user(u, audit).await
    }
    async fn set_user_password(
        &self,
        t: TenantId,
        id: ObjectId,
        h: &str,
        v: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.set_user_password(t, id, h, v, audit).await
    }
    async fn delete_user(&self, t: TenantId, id: ObjectId, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.inner.delete_user(t, id, audit).await
    }
    async fn user(&self, t: TenantId, id: ObjectId) -> StoreResult<Option<User>> {
        self.inner.user(t, id).await
    }
    async fn user_by_upn(&self, t: TenantId, upn: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_upn(t, upn).await
    }
    async fn users(&self, t: TenantId) -> StoreResult<Vec<User>> {
        self.inner.users(t).await
    }
    async fn user_password_hash(&self, t: TenantId, id: ObjectId) -> StoreResult<Option<String>> {
        self.inner.user_password_hash(t, id).await
    }
    async fn create_directory_role_assignment(
        &self,
        a: &DirectoryRoleAssignment,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.create_directory_role_assignment(a, audit).await
    }
    async fn delete_directory_role_assignment(
        &self,
        t: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.delete_directory_role_assignment(t, id, audit).await
    }
    async fn directory_role_assignments(&self, t: TenantId) -> StoreResult<Vec<DirectoryRoleAssignment>> {
        self.inner.directory_role_assignments(t).await
    }
    async fn create_permission_grant(
        &self,
        g: &OAuth2PermissionGrant,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.create_permission_grant(g, audit).await
    }
    async fn update_permission_grant(
        &self,
        t: TenantId,
        id: &str,
        scope: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.update_permission_grant(t, id, scope, audit).await
    }
    async fn delete_permission_grant(
        &self,
        t: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.inner.delete_permission_grant(t, id, audit).await
    }
    async fn permission_grants(&self, t: TenantId) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        self.inner.permission_grants(t).await
    }
    async fn create_session(&self, s: &SignInSession) -> StoreResult<()> {
        self.inner.create_session(s).await
    }
    async fn session(&self, h: &[u8; 32], now: i64) -> StoreResult<Option<SignInSession>> {
        self.inner.session(h, now).await
    }
    async fn delete_session(&self, h: &[u8; 32]) -> StoreResult<()> {
        self.inner.delete_session(h).await
    }
    async fn insert_authorization_code(&self, c: &AuthorizationCode) -> StoreResult<()> {
        self.inner.insert_authorization_code(c).await
    }
    async fn redeem_authorization_code(&self, h: &[u8; 32], now: i64) -> StoreResult<CodeRedemption> {
        self.inner.redeem_authorization_code(h, now).await
    }
    async fn start_refresh_grant(&self, g: &RefreshGrant, t: &RefreshToken) -> StoreResult<()> {
        self.inner.start_refresh_grant(g, t).await
    }
    async fn refresh_token(&self, h: &[u8; 32]) -> StoreResult<Option<RefreshTokenState>> {
        self.inner.refresh_token(h).await
    }
    async fn rotate_refresh_token(
        &self,
        h: &[u8; 32],
        t: &RefreshToken,
        now: i64,
    ) -> StoreResult<RefreshUse> {
        self.inner.rotate_refresh_token(h, t, now).await
    }
    async fn revoke_refresh_grants(
        &self,
        t: TenantId,
        u: ObjectId,
        c: Option<AppId>,
        now: i64,
    ) -> StoreResult<u64> {
        self.inner.revoke_refresh_grants(t, u, c, now).await
    }
    async fn purge_sign_in_state(&self, now: i64) -> StoreResult<u64> {
        self.inner.purge_sign_in_state(now).await
    }
    async fn directory_audits(
        &self,
        query: &crate::LogQuery,
    ) -> StoreResult<crate::LogPage<custos_core::audit::DirectoryAudit>> {
        self.inner.directory_audits(query).await
    }
    async fn directory_audit(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> StoreResult<Option<custos_core::audit::DirectoryAudit>> {
        self.inner.directory_audit(tenant, id).await
    }
    async fn append_sign_ins(&self, records: &[custos_core::sign_in_log::SignIn]) -> StoreResult<()> {
        self.inner.append_sign_ins(records).await
    }
    async fn sign_ins(
        &self,
        query: &crate::LogQuery,
        filter: &crate::SignInFilter,
    ) -> StoreResult<crate::LogPage<custos_core::sign_in_log::SignIn>> {
        self.inner.sign_ins(query, filter).await
    }
    async fn sign_in(
        &self,
        t: TenantId,
        id: uuid::Uuid,
    ) -> StoreResult<Option<custos_core::sign_in_log::SignIn>> {
        self.inner.sign_in(t, id).await
    }
    async fn purge_logs(&self, t: TenantId, before: time::OffsetDateTime, limit: u32) -> StoreResult<u64> {
        self.inner.purge_logs(t, before, limit).await
    }
    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
}

pub(super) async fn setup() -> (Arc<Gated>, Arc<Directory>, Tenant, Application) {
    let gated = Arc::new(Gated {
        inner: SqliteStore::open("sqlite::memory:").await.unwrap(),
        loads: AtomicUsize::new(0),
        narrow_reads: AtomicUsize::new(0),
        hold: AtomicBool::new(false),
        held: Notify::new(),
        release: Notify::new(),
    });
    let directory = Arc::new(Directory::new(gated.clone()));
    let created = datetime!(2025-01-01 00:00:00 UTC);
    let tenant = Tenant {
        id: TenantId::new_random(),
        domain: "contoso.example".to_owned(),
        display_name: "Contoso".to_owned(),
        created,
    };
    let app = Application {
        oauth2_permission_scopes: Vec::new(),
        required_resource_access: Vec::new(),
        redirect_uris: custos_core::consent::RedirectUris::default(),
        properties: Default::default(),
        id: ObjectId::new_random(),
        tenant_id: tenant.id,
        app_id: AppId::new_random(),
        display_name: "API".to_owned(),
        description: None,
        identifier_uris: vec!["api://old".to_owned()],
        app_roles: Vec::new(),
        requested_access_token_version: None,
        sign_in_audience: "AzureADMyOrg".to_owned(),
        password_credentials: Vec::new(),
        key_credentials: Vec::new(),
        federated_identity_credentials: Vec::new(),
        access_token_signing_algorithm: Default::default(),
        created,
    };
    directory.create_tenant(&tenant, &audit()).await.unwrap();
    directory.create_application(&app, &audit()).await.unwrap();
    (gated, directory, tenant, app)
}

#[tokio::test]
async fn concurrent_misses_share_one_load() {
    let (gated, directory, tenant, _) = setup().await;
    gated.hold.store(true, Ordering::SeqCst);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let directory = directory.clone();
            tokio::spawn(async move { directory.snapshot(tenant.id).await.unwrap().unwrap() })
        })
        .collect();
    gated.held.notified().await;
    // Let every other task reach the per-tenant load lock while the first load is held.
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    gated.release.notify_one();
    let mut snapshots = Vec::new();
    for task in tasks {
        snapshots.push(task.await.unwrap());
    }
    assert_eq!(gated.loads.load(Ordering::SeqCst), 1);
    assert!(snapshots.iter().all(|s| Arc::ptr_eq(s, &snapshots[0])));
}

#[tokio::test]
async fn a_write_during_a_load_is_not_lost() {
    let (gated, directory, tenant, mut app) = setup().await;
    gated.hold.store(true, Ordering::SeqCst);
    let loader = {
        let directory = directory.clone();
        tokio::spawn(async move { directory.snapshot(tenant.id).await.unwrap().unwrap() })
    };
    // The load has read the old URI; now a write lands and invalidates.
    gated.held.notified().await;
    app.identifier_uris = vec!["api://new".to_owned()];
    directory.update_application(&app, &audit()).await.unwrap();
    gated.release.notify_one();

    let loaded = loader.await.unwrap();
    assert_eq!(loaded.application_by_identifier("api://new"), Some(&app));
    assert_eq!(loaded.application_by_identifier("api://old"), None);
    let cached = directory.snapshot(tenant.id).await.unwrap().unwrap();
    assert_eq!(cached.application_by_identifier("api://new"), Some(&app));
    // One load was discarded as stale, one was installed; the cached read loaded nothing.
    assert_eq!(gated.loads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn unknown_tenants_leave_nothing_cached() {
    let (_, directory, tenant, _) = setup().await;
    for i in 0..100 {
        assert!(directory.snapshot(TenantId::new_random()).await.unwrap().is_none());
        assert!(directory.resolve_tenant(&format!("unknown{i}.example")).await.unwrap().is_none());
        assert!(directory.resolve_tenant(&TenantId::new_random().to_string()).await.unwrap().is_none());
    }
    assert_eq!(directory.cache_sizes(), (0, 0));

    directory.snapshot(tenant.id).await.unwrap().unwrap();
    directory.resolve_tenant("CONTOSO.example").await.unwrap().unwrap();
    assert_eq!(directory.cache_sizes(), (1, 1));
    directory.invalidate(tenant.id);
    assert_eq!(directory.cache_sizes(), (1, 0));
}

/// A write made by another process (straight to the shared store, not through this cache) is
/// never seen without a maximum age, and is seen on the next read once the snapshot is older
/// than the maximum age.
#[tokio::test]
async fn max_age_bounds_how_long_other_processes_writes_go_unseen() {
    let (gated, directory, tenant, mut app) = setup().await;
    let clock = Arc::new(custos_core::FixedClock::new(datetime!(2026-01-01 0:00 UTC)));
    let other_node =
        Directory::new(gated.clone()).with_max_age(std::time::Duration::from_secs(30), clock.clone());
    assert!(directory.snapshot(tenant.id).await.unwrap().unwrap().application(app.app_id).is_some());
    assert!(other_node.snapshot(tenant.id).await.unwrap().is_some());

    app.identifier_uris = vec!["api://renamed".to_owned()];
    gated.inner.update_application(&app, &audit()).await.unwrap();

    let stale = directory.snapshot(tenant.id).await.unwrap().unwrap();
    assert!(
        stale.application_by_identifier("api://renamed").is_none(),
        "no max age: cached until a local write"
    );
    let young = other_node.snapshot(tenant.id).await.unwrap().unwrap();
    assert!(young.application_by_identifier("api://renamed").is_none(), "younger than the maximum age");
    clock.advance(time::Duration::seconds(30));
    let fresh = other_node.snapshot(tenant.id).await.unwrap().unwrap();
    assert_eq!(fresh.application_by_identifier("api://renamed").map(|a| a.app_id), Some(app.app_id));
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;
