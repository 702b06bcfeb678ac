//! [`Store`] for [`Directory`]: reads go straight to the inner store; every write goes to the
//! inner store and then invalidates the tenant it touched (also when it failed, since a failed
//! call may still have committed).

use super::Directory;
use crate::{ApplicationChange, Store, StoreResult};
use crate::{AssertionMarker, MarkerOutcome};
use async_trait::async_trait;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::settings::TenantSettings;
use custos_core::{AppId, ObjectId, TenantId};

impl Directory {
    fn invalidating<T>(&self, tenant: TenantId, result: StoreResult<T>) -> StoreResult<T> {
        self.invalidate(tenant);
        result
    }
}

#[async_trait]
impl Store for Directory {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        let result = self.store.create_tenant(tenant).await;
        self.invalidating(tenant.id, result)
    }

    async fn tenant(&self, id: TenantId) -> StoreResult<Option<Tenant>> {
        self.store.tenant(id).await
    }

    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>> {
        self.store.tenant_by_domain(domain).await
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        self.store.tenants().await
    }

    async fn create_application(&self, app: &Application) -> StoreResult<()> {
        let result = self.store.create_application(app).await;
        self.invalidating(app.tenant_id, result)
    }

    async fn update_application(&self, app: &Application) -> StoreResult<()> {
        let result = self.store.update_application(app).await;
        self.invalidating(app.tenant_id, result)
    }

    async fn modify_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        change: ApplicationChange,
    ) -> StoreResult<Application> {
        let result = self.store.modify_application(tenant, id, change).await;
        self.invalidating(tenant, result)
    }

    async fn delete_application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<()> {
        let result = self.store.delete_application(tenant, id).await;
        self.invalidating(tenant, result)
    }

    async fn application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<Application>> {
        self.store.application(tenant, id).await
    }

    async fn application_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<Application>> {
        self.store.application_by_app_id(tenant, app_id).await
    }

    async fn applications(&self, tenant: TenantId) -> StoreResult<Vec<Application>> {
        self.store.applications(tenant).await
    }

    async fn create_service_principal(&self, sp: &ServicePrincipal) -> StoreResult<()> {
        let result = self.store.create_service_principal(sp).await;
        self.invalidating(sp.tenant_id, result)
    }

    async fn update_service_principal(&self, sp: &ServicePrincipal) -> StoreResult<()> {
        let result = self.store.update_service_principal(sp).await;
        self.invalidating(sp.tenant_id, result)
    }

    async fn delete_service_principal(&self, tenant: TenantId, id: ObjectId) -> StoreResult<()> {
        let result = self.store.delete_service_principal(tenant, id).await;
        self.invalidating(tenant, result)
    }

    async fn service_principal(
        &self,
        tenant: TenantId,
        id: ObjectId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        self.store.service_principal(tenant, id).await
    }

    async fn service_principal_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        self.store.service_principal_by_app_id(tenant, app_id).await
    }

    async fn service_principals(&self, tenant: TenantId) -> StoreResult<Vec<ServicePrincipal>> {
        self.store.service_principals(tenant).await
    }

    async fn create_assignment(&self, assignment: &AppRoleAssignment) -> StoreResult<()> {
        let result = self.store.create_assignment(assignment).await;
        self.invalidating(assignment.tenant_id, result)
    }

    async fn delete_assignment(&self, tenant: TenantId, id: &str) -> StoreResult<()> {
        let result = self.store.delete_assignment(tenant, id).await;
        self.invalidating(tenant, result)
    }

    async fn assignments(&self, tenant: TenantId) -> StoreResult<Vec<AppRoleAssignment>> {
        self.store.assignments(tenant).await
    }

    // Signing keys are not part of a tenant snapshot: nothing to invalidate.
    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        self.store.insert_signing_key(key).await
    }

    async fn update_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        self.store.update_signing_key(key).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        self.store.signing_keys().await
    }

    async fn tenant_settings(&self, tenant: TenantId) -> StoreResult<TenantSettings> {
        self.store.tenant_settings(tenant).await
    }

    async fn update_tenant_settings(&self, tenant: TenantId, settings: &TenantSettings) -> StoreResult<()> {
        let result = self.store.update_tenant_settings(tenant, settings).await;
        self.invalidating(tenant, result)
    }

    // Replay markers are not part of a tenant snapshot: nothing to invalidate.
    async fn record_assertion_markers(
        &self,
        markers: &[AssertionMarker],
        now: i64,
    ) -> StoreResult<Vec<MarkerOutcome>> {
        self.store.record_assertion_markers(markers, now).await
    }

    async fn purge_assertion_markers(&self, now: i64) -> StoreResult<u64> {
        self.store.purge_assertion_markers(now).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.store.ping().await
    }
}
