//! [`Store`] for [`Directory`]: reads go straight to the inner store; every write goes to the
//! inner store and then invalidates the tenant it touched (also when it failed, since a failed
//! call may still have committed).

use super::Directory;
use crate::{ApplicationChange, Store, StoreResult};
use crate::{AssertionMarker, MarkerOutcome};
use crate::{
    AuthorizationCode, CodeRedemption, RefreshGrant, RefreshToken, RefreshTokenState, RefreshUse,
    SignInSession,
};
use crate::{LogPage, LogQuery, ObjectQuery, SignInFilter};
use async_trait::async_trait;
use custos_core::audit::DirectoryAudit;
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::settings::TenantSettings;
use custos_core::sign_in_log::SignIn;
use custos_core::users::{DirectoryRoleAssignment, User};
use custos_core::{AppId, ObjectId, TenantId};
use time::OffsetDateTime;

impl Directory {
    fn invalidating<T>(&self, tenant: TenantId, result: StoreResult<T>) -> StoreResult<T> {
        self.invalidate(tenant);
        result
    }
}

#[async_trait]
impl Store for Directory {
    async fn create_tenant(&self, tenant: &Tenant, audit: &[DirectoryAudit]) -> StoreResult<()> {
        let result = self.store.create_tenant(tenant, audit).await;
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

    async fn create_application(&self, app: &Application, audit: &[DirectoryAudit]) -> StoreResult<()> {
        let result = self.store.create_application(app, audit).await;
        self.invalidating(app.tenant_id, result)
    }

    async fn update_application(&self, app: &Application, audit: &[DirectoryAudit]) -> StoreResult<()> {
        let result = self.store.update_application(app, audit).await;
        self.invalidating(app.tenant_id, result)
    }

    async fn modify_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        change: ApplicationChange,
        audit: &[DirectoryAudit],
    ) -> StoreResult<Application> {
        let result = self.store.modify_application(tenant, id, change, audit).await;
        self.invalidating(tenant, result)
    }

    async fn delete_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.delete_application(tenant, id, audit).await;
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

    async fn applications_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<Application>> {
        self.store.applications_page(query).await
    }

    async fn applications_by_app_ids(
        &self,
        tenant: TenantId,
        app_ids: &[AppId],
    ) -> StoreResult<Vec<Application>> {
        self.store.applications_by_app_ids(tenant, app_ids).await
    }

    async fn applications_by_app_id(&self, app_id: AppId) -> StoreResult<Vec<Application>> {
        self.store.applications_by_app_id(app_id).await
    }

    async fn application_by_identifier_uri(
        &self,
        tenant: TenantId,
        uri: &str,
    ) -> StoreResult<Option<Application>> {
        self.store.application_by_identifier_uri(tenant, uri).await
    }

    async fn directory_object_count(&self, tenant: TenantId) -> StoreResult<u64> {
        self.store.directory_object_count(tenant).await
    }

    async fn create_service_principal(
        &self,
        sp: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.create_service_principal(sp, audit).await;
        self.invalidating(sp.tenant_id, result)
    }

    async fn update_service_principal(
        &self,
        sp: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.update_service_principal(sp, audit).await;
        self.invalidating(sp.tenant_id, result)
    }

    async fn delete_service_principal(
        &self,
        tenant: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.delete_service_principal(tenant, id, audit).await;
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

    async fn service_principals_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<ServicePrincipal>> {
        self.store.service_principals_page(query).await
    }

    async fn create_assignment(
        &self,
        assignment: &AppRoleAssignment,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.create_assignment(assignment, audit).await;
        self.invalidating(assignment.tenant_id, result)
    }

    async fn delete_assignment(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.delete_assignment(tenant, id, audit).await;
        self.invalidating(tenant, result)
    }

    async fn assignments(&self, tenant: TenantId) -> StoreResult<Vec<AppRoleAssignment>> {
        self.store.assignments(tenant).await
    }

    async fn assignments_between(
        &self,
        tenant: TenantId,
        principal: ObjectId,
        resource: ObjectId,
    ) -> StoreResult<Vec<AppRoleAssignment>> {
        self.store.assignments_between(tenant, principal, resource).await
    }

    // Owners are not part of a tenant snapshot: nothing to invalidate.
    async fn owners(&self, tenant: TenantId, object: ObjectId) -> StoreResult<Vec<ObjectId>> {
        self.store.owners(tenant, object).await
    }

    async fn add_owner(
        &self,
        tenant: TenantId,
        object: ObjectId,
        owner: ObjectId,
        created: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.store.add_owner(tenant, object, owner, created, audit).await
    }

    async fn remove_owner(
        &self,
        tenant: TenantId,
        object: ObjectId,
        owner: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.store.remove_owner(tenant, object, owner, audit).await
    }

    // Signing keys are not part of a tenant snapshot: nothing to invalidate.
    // Users, directory roles and sign-in state are not part of a snapshot: no invalidation.
    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.store.create_user(user, password_hash, audit).await
    }

    async fn update_user(&self, user: &User, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.store.update_user(user, audit).await
    }

    async fn set_user_password(
        &self,
        tenant: TenantId,
        id: ObjectId,
        password_hash: &str,
        tokens_valid_from: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.store.set_user_password(tenant, id, password_hash, tokens_valid_from, audit).await
    }

    async fn delete_user(&self, tenant: TenantId, id: ObjectId, audit: &[DirectoryAudit]) -> StoreResult<()> {
        // Deleting a user deletes their own delegated grants, which the snapshot holds.
        let result = self.store.delete_user(tenant, id, audit).await;
        self.invalidating(tenant, result)
    }

    async fn user(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<User>> {
        self.store.user(tenant, id).await
    }

    async fn user_by_upn(&self, tenant: TenantId, upn: &str) -> StoreResult<Option<User>> {
        self.store.user_by_upn(tenant, upn).await
    }

    async fn users(&self, tenant: TenantId) -> StoreResult<Vec<User>> {
        self.store.users(tenant).await
    }

    async fn users_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<User>> {
        self.store.users_page(query).await
    }

    async fn user_password_hash(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<String>> {
        self.store.user_password_hash(tenant, id).await
    }

    async fn create_directory_role_assignment(
        &self,
        assignment: &DirectoryRoleAssignment,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.store.create_directory_role_assignment(assignment, audit).await
    }

    async fn delete_directory_role_assignment(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        self.store.delete_directory_role_assignment(tenant, id, audit).await
    }

    async fn directory_role_assignments(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Vec<DirectoryRoleAssignment>> {
        self.store.directory_role_assignments(tenant).await
    }

    async fn create_permission_grant(
        &self,
        grant: &OAuth2PermissionGrant,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.create_permission_grant(grant, audit).await;
        self.invalidating(grant.tenant_id, result)
    }

    async fn update_permission_grant(
        &self,
        tenant: TenantId,
        id: &str,
        scope: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.update_permission_grant(tenant, id, scope, audit).await;
        self.invalidating(tenant, result)
    }

    async fn delete_permission_grant(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.delete_permission_grant(tenant, id, audit).await;
        self.invalidating(tenant, result)
    }

    async fn permission_grants(&self, tenant: TenantId) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        self.store.permission_grants(tenant).await
    }

    async fn permission_grants_between(
        &self,
        tenant: TenantId,
        client: ObjectId,
        resource: ObjectId,
    ) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        self.store.permission_grants_between(tenant, client, resource).await
    }

    async fn create_session(&self, session: &SignInSession) -> StoreResult<()> {
        self.store.create_session(session).await
    }

    async fn session(&self, id_hash: &[u8; 32], now: i64) -> StoreResult<Option<SignInSession>> {
        self.store.session(id_hash, now).await
    }

    async fn delete_session(&self, id_hash: &[u8; 32]) -> StoreResult<()> {
        self.store.delete_session(id_hash).await
    }

    async fn insert_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        self.store.insert_authorization_code(code).await
    }

    async fn redeem_authorization_code(&self, code_hash: &[u8; 32], now: i64) -> StoreResult<CodeRedemption> {
        self.store.redeem_authorization_code(code_hash, now).await
    }

    async fn start_refresh_grant(&self, grant: &RefreshGrant, first: &RefreshToken) -> StoreResult<()> {
        self.store.start_refresh_grant(grant, first).await
    }

    async fn refresh_token(&self, token_hash: &[u8; 32]) -> StoreResult<Option<RefreshTokenState>> {
        self.store.refresh_token(token_hash).await
    }

    async fn rotate_refresh_token(
        &self,
        token_hash: &[u8; 32],
        successor: &RefreshToken,
        now: i64,
    ) -> StoreResult<RefreshUse> {
        self.store.rotate_refresh_token(token_hash, successor, now).await
    }

    async fn revoke_refresh_grants(
        &self,
        tenant: TenantId,
        user: ObjectId,
        client: Option<AppId>,
        now: i64,
    ) -> StoreResult<u64> {
        self.store.revoke_refresh_grants(tenant, user, client, now).await
    }

    async fn purge_sign_in_state(&self, now: i64) -> StoreResult<u64> {
        self.store.purge_sign_in_state(now).await
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.store.insert_signing_key(key, audit).await
    }

    async fn update_signing_key(&self, key: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()> {
        self.store.update_signing_key(key, audit).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        self.store.signing_keys().await
    }

    async fn tenant_settings(&self, tenant: TenantId) -> StoreResult<TenantSettings> {
        self.store.tenant_settings(tenant).await
    }

    async fn update_tenant_settings(
        &self,
        tenant: TenantId,
        settings: &TenantSettings,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let result = self.store.update_tenant_settings(tenant, settings, audit).await;
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

    async fn directory_audits(&self, query: &LogQuery) -> StoreResult<LogPage<DirectoryAudit>> {
        self.store.directory_audits(query).await
    }

    async fn directory_audit(&self, tenant: TenantId, id: &str) -> StoreResult<Option<DirectoryAudit>> {
        self.store.directory_audit(tenant, id).await
    }

    async fn append_sign_ins(&self, records: &[SignIn]) -> StoreResult<()> {
        self.store.append_sign_ins(records).await
    }

    async fn sign_ins(&self, query: &LogQuery, filter: &SignInFilter) -> StoreResult<LogPage<SignIn>> {
        self.store.sign_ins(query, filter).await
    }

    async fn sign_in(&self, tenant: TenantId, id: uuid::Uuid) -> StoreResult<Option<SignIn>> {
        self.store.sign_in(tenant, id).await
    }

    async fn purge_logs(&self, tenant: TenantId, before: OffsetDateTime, limit: u32) -> StoreResult<u64> {
        self.store.purge_logs(tenant, before, limit).await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.store.ping().await
    }

    async fn change_feed(&self) -> StoreResult<Option<Box<dyn crate::change_feed::ChangeFeed>>> {
        self.store.change_feed().await
    }
}
