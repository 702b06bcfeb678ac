//! The one [`Store`] implementation, [`SqlStore`], written once over a [`Dialect`]: the SQL
//! text, the transaction steps and the row mapping live here; what differs per database (bind
//! encodings, the row-locking idiom, the insertion-order column, the identifier URI aggregate,
//! connection setup) lives in the backend modules `crate::sqlite` and `crate::postgres`, which
//! depend on this module and never the other way round.
//!
//! Placeholders are `$1`, `$2`, ... on both databases. Writes that touch several tables run in
//! one transaction; every write is committed before its method returns. Text containing U+0000
//! is refused before any statement reaches the database ([`statement`]).

mod applications;
mod audits;
mod dialect;
mod keys;
mod log;
mod name_keys;
mod owners;
mod pages;
mod replay;
mod retention;
mod rows;
mod run;
mod sign_in;
mod sign_ins;
mod slices;
mod statement;
mod users;

pub(crate) use dialect::{Columns, Dialect};
pub(crate) use name_keys::fill as fill_name_keys;
pub(crate) use statement::{Param, Statement};

use crate::codec::{self, map_db_error};
use crate::page::name_key;
use crate::sign_in::{
    AuthorizationCode, CodeRedemption, RefreshGrant, RefreshToken, RefreshTokenState, RefreshUse,
    SignInSession,
};
use crate::{ApplicationChange, AssertionMarker, MarkerOutcome, Store, StoreError, StoreResult};
use crate::{LogPage, LogQuery, ObjectQuery, SignInFilter};
use async_trait::async_trait;
use custos_core::audit::DirectoryAudit;
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::settings::TenantSettings;
use custos_core::sign_in_log::SignIn;
use custos_core::users::{DirectoryRoleAssignment, User};
use custos_core::{AppId, ObjectId, TenantId};
use rows::{SERVICE_PRINCIPAL_COLUMNS, TENANT_COLUMNS};
use run::{begin_write, execute, execute_in, find, list, record_in, write_audited};
use sqlx::{Database, Pool};
use statement::check_all;
use time::OffsetDateTime;
use uuid::Uuid;

/// A [`Store`] on an SQL database: [`crate::sqlite::SqliteStore`] or
/// [`crate::postgres::PostgresStore`].
#[derive(Debug)]
pub struct SqlStore<DB: Database> {
    pool: Pool<DB>,
    /// Where the assertion replay markers live: `pool` itself, or (an SQLite file database) the
    /// pool of its own marker file ([`crate::sqlite`]).
    markers: Pool<DB>,
}

impl<DB: Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self { pool: self.pool.clone(), markers: self.markers.clone() }
    }
}

impl<DB: Database> SqlStore<DB> {
    /// The connection pool.
    pub(crate) fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// A store on `pool`, whose database is migrated.
    pub(crate) fn on(pool: Pool<DB>) -> Self {
        Self { markers: pool.clone(), pool }
    }

    /// The same store with its replay markers in the (migrated) database of `markers`.
    pub(crate) fn with_markers(self, markers: Pool<DB>) -> Self {
        Self { markers, ..self }
    }

    /// Closes the pools, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.markers.close().await;
    }
}

/// Deletes every assignment naming `sp` as principal or resource.
fn delete_assignments_of(tenant: TenantId, sp: Uuid) -> Statement<'static> {
    Statement::new(
        "DELETE FROM app_role_assignments WHERE tenant_id = $1 AND (principal_id = $2 OR resource_id = $2)",
    )
    .id(tenant.0)
    .id(sp)
}

fn delete_service_principal(tenant: TenantId, sp: Uuid) -> Statement<'static> {
    Statement::new("DELETE FROM service_principals WHERE tenant_id = $1 AND id = $2").id(tenant.0).id(sp)
}

fn require_row(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

#[async_trait]
impl<D: Dialect> Store for SqlStore<D> {
    async fn create_tenant(&self, tenant: &Tenant, audit: &[DirectoryAudit]) -> StoreResult<()> {
        keys::create_tenant(&self.pool, tenant, audit).await
    }

    async fn tenant(&self, id: TenantId) -> StoreResult<Option<Tenant>> {
        let select = Statement::new(format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE id = $1")).id(id.0);
        find(&self.pool, &select, rows::tenant).await
    }

    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>> {
        let select = Statement::new(format!("SELECT {TENANT_COLUMNS} FROM tenants WHERE domain_key = $1"))
            .text(codec::domain_key(domain));
        find(&self.pool, &select, rows::tenant).await
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        let order = D::INSERTION_ORDER;
        let select =
            Statement::new(format!("SELECT {TENANT_COLUMNS} FROM tenants ORDER BY created, {order}"));
        list(&self.pool, &select, rows::tenant).await
    }

    async fn create_application(&self, app: &Application, audit: &[DirectoryAudit]) -> StoreResult<()> {
        applications::create(&self.pool, app, audit).await
    }

    async fn update_application(&self, app: &Application, audit: &[DirectoryAudit]) -> StoreResult<()> {
        applications::update(&self.pool, app, audit).await
    }

    async fn modify_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        change: ApplicationChange,
        audit: &[DirectoryAudit],
    ) -> StoreResult<Application> {
        applications::modify(&self.pool, tenant, id, change, audit).await
    }

    async fn delete_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        applications::delete(&self.pool, tenant, id, audit).await
    }

    async fn application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<Application>> {
        let columns = rows::application_columns::<D>();
        let select = Statement::new(format!(
            "SELECT {columns} FROM applications a WHERE a.tenant_id = $1 AND a.id = $2"
        ))
        .id(tenant.0)
        .id(id.0);
        find(&self.pool, &select, rows::application).await
    }

    async fn application_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<Application>> {
        let columns = rows::application_columns::<D>();
        let select = Statement::new(format!(
            "SELECT {columns} FROM applications a WHERE a.tenant_id = $1 AND a.app_id = $2"
        ))
        .id(tenant.0)
        .id(app_id.0);
        find(&self.pool, &select, rows::application).await
    }

    async fn applications(&self, tenant: TenantId) -> StoreResult<Vec<Application>> {
        let (columns, order) = (rows::application_columns::<D>(), D::INSERTION_ORDER);
        let select = Statement::new(format!(
            "SELECT {columns} FROM applications a WHERE a.tenant_id = $1 ORDER BY a.created, a.{order}"
        ))
        .id(tenant.0);
        list(&self.pool, &select, rows::application).await
    }

    async fn applications_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<Application>> {
        pages::applications(&self.pool, query).await
    }

    async fn applications_by_app_ids(
        &self,
        tenant: TenantId,
        app_ids: &[AppId],
    ) -> StoreResult<Vec<Application>> {
        pages::applications_by_app_ids(&self.pool, tenant, app_ids).await
    }

    async fn applications_by_app_id(&self, app_id: AppId) -> StoreResult<Vec<Application>> {
        users::applications_by_app_id(&self.pool, app_id).await
    }

    async fn application_by_identifier_uri(
        &self,
        tenant: TenantId,
        uri: &str,
    ) -> StoreResult<Option<Application>> {
        slices::application_by_identifier_uri(&self.pool, tenant, uri).await
    }

    async fn directory_object_count(&self, tenant: TenantId) -> StoreResult<u64> {
        slices::directory_object_count(&self.pool, tenant).await
    }

    async fn create_service_principal(
        &self,
        sp: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let insert = Statement::new(
            "INSERT INTO service_principals (id, tenant_id, app_id, display_name, display_name_key, \
             account_enabled, app_role_assignment_required, service_principal_type, properties, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .id(sp.id.0)
        .id(sp.tenant_id.0)
        .id(sp.app_id.0)
        .text(&sp.display_name)
        .text(name_key(&sp.display_name))
        .boolean(sp.account_enabled)
        .boolean(sp.app_role_assignment_required)
        .text(sp.service_principal_type.as_str())
        .json(codec::to_json("service principal properties", &sp.properties)?)
        .time(sp.created);
        write_audited(&self.pool, &[&insert], audit, false).await
    }

    async fn update_service_principal(
        &self,
        sp: &ServicePrincipal,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let update = Statement::new(
            "UPDATE service_principals SET display_name = $1, display_name_key = $2, account_enabled = $3, \
             app_role_assignment_required = $4, service_principal_type = $5, properties = $6 \
             WHERE tenant_id = $7 AND id = $8",
        )
        .text(&sp.display_name)
        .text(name_key(&sp.display_name))
        .boolean(sp.account_enabled)
        .boolean(sp.app_role_assignment_required)
        .text(sp.service_principal_type.as_str())
        .json(codec::to_json("service principal properties", &sp.properties)?)
        .id(sp.tenant_id.0)
        .id(sp.id.0);
        write_audited(&self.pool, &[&update], audit, true).await
    }

    async fn delete_service_principal(
        &self,
        tenant: TenantId,
        id: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        let mut tx = begin_write(&self.pool).await?;
        execute_in::<D>(&mut tx, &delete_assignments_of(tenant, id.0)).await?;
        execute_in::<D>(&mut tx, &owners::delete_owners_of(tenant, id.0)).await?;
        require_row(execute_in::<D>(&mut tx, &delete_service_principal(tenant, id.0)).await?)?;
        record_in::<D>(&mut tx, audit).await?;
        tx.commit().await.map_err(map_db_error)
    }

    async fn service_principal(
        &self,
        tenant: TenantId,
        id: ObjectId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        let select = Statement::new(format!(
            "SELECT {SERVICE_PRINCIPAL_COLUMNS} FROM service_principals WHERE tenant_id = $1 AND id = $2"
        ))
        .id(tenant.0)
        .id(id.0);
        find(&self.pool, &select, rows::service_principal).await
    }

    async fn service_principal_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        let select = Statement::new(format!(
            "SELECT {SERVICE_PRINCIPAL_COLUMNS} FROM service_principals WHERE tenant_id = $1 AND app_id = $2"
        ))
        .id(tenant.0)
        .id(app_id.0);
        find(&self.pool, &select, rows::service_principal).await
    }

    async fn service_principals(&self, tenant: TenantId) -> StoreResult<Vec<ServicePrincipal>> {
        let order = D::INSERTION_ORDER;
        let select = Statement::new(format!(
            "SELECT {SERVICE_PRINCIPAL_COLUMNS} FROM service_principals WHERE tenant_id = $1 ORDER BY created, {order}"
        ))
        .id(tenant.0);
        list(&self.pool, &select, rows::service_principal).await
    }

    async fn service_principals_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<ServicePrincipal>> {
        pages::service_principals(&self.pool, query).await
    }

    async fn create_assignment(
        &self,
        assignment: &AppRoleAssignment,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        keys::create_assignment(&self.pool, assignment, audit).await
    }

    async fn delete_assignment(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        keys::delete_assignment(&self.pool, tenant, id, audit).await
    }

    async fn assignments(&self, tenant: TenantId) -> StoreResult<Vec<AppRoleAssignment>> {
        keys::assignments(&self.pool, tenant).await
    }

    async fn assignments_between(
        &self,
        tenant: TenantId,
        principal: ObjectId,
        resource: ObjectId,
    ) -> StoreResult<Vec<AppRoleAssignment>> {
        slices::assignments_between(&self.pool, tenant, principal, resource).await
    }

    async fn owners(&self, tenant: TenantId, object: ObjectId) -> StoreResult<Vec<ObjectId>> {
        owners::owners(&self.pool, tenant, object).await
    }

    async fn add_owner(
        &self,
        tenant: TenantId,
        object: ObjectId,
        owner: ObjectId,
        created: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        owners::add(&self.pool, tenant, object, owner, created, audit).await
    }

    async fn remove_owner(
        &self,
        tenant: TenantId,
        object: ObjectId,
        owner: ObjectId,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        owners::remove(&self.pool, tenant, object, owner, audit).await
    }

    async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        users::create_user(&self.pool, user, password_hash, audit).await
    }

    async fn update_user(&self, user: &User, audit: &[DirectoryAudit]) -> StoreResult<()> {
        users::update_user(&self.pool, user, audit).await
    }

    async fn set_user_password(
        &self,
        tenant: TenantId,
        id: ObjectId,
        password_hash: &str,
        tokens_valid_from: OffsetDateTime,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        users::set_user_password(&self.pool, tenant, id, password_hash, tokens_valid_from, audit).await
    }

    async fn delete_user(&self, tenant: TenantId, id: ObjectId, audit: &[DirectoryAudit]) -> StoreResult<()> {
        users::delete_user(&self.pool, tenant, id, audit).await
    }

    async fn user(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<User>> {
        users::user(&self.pool, tenant, id).await
    }

    async fn user_by_upn(&self, tenant: TenantId, upn: &str) -> StoreResult<Option<User>> {
        users::user_by_upn(&self.pool, tenant, upn).await
    }

    async fn users(&self, tenant: TenantId) -> StoreResult<Vec<User>> {
        users::users(&self.pool, tenant).await
    }

    async fn users_page(&self, query: &ObjectQuery) -> StoreResult<LogPage<User>> {
        pages::users(&self.pool, query).await
    }

    async fn user_password_hash(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<String>> {
        users::user_password_hash(&self.pool, tenant, id).await
    }

    async fn create_directory_role_assignment(
        &self,
        assignment: &DirectoryRoleAssignment,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        users::create_directory_role(&self.pool, assignment, audit).await
    }

    async fn delete_directory_role_assignment(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        users::delete_directory_role(&self.pool, tenant, id, audit).await
    }

    async fn directory_role_assignments(
        &self,
        tenant: TenantId,
    ) -> StoreResult<Vec<DirectoryRoleAssignment>> {
        users::directory_roles(&self.pool, tenant).await
    }

    async fn create_permission_grant(
        &self,
        grant: &OAuth2PermissionGrant,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        users::create_grant(&self.pool, grant, audit).await
    }

    async fn update_permission_grant(
        &self,
        tenant: TenantId,
        id: &str,
        scope: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        users::update_grant(&self.pool, tenant, id, scope, audit).await
    }

    async fn delete_permission_grant(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        users::delete_grant(&self.pool, tenant, id, audit).await
    }

    async fn permission_grants(&self, tenant: TenantId) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        users::grants(&self.pool, tenant).await
    }

    async fn permission_grants_between(
        &self,
        tenant: TenantId,
        client: ObjectId,
        resource: ObjectId,
    ) -> StoreResult<Vec<OAuth2PermissionGrant>> {
        slices::permission_grants_between(&self.pool, tenant, client, resource).await
    }

    async fn create_session(&self, session: &SignInSession) -> StoreResult<()> {
        sign_in::create_session(&self.pool, session).await
    }

    async fn session(&self, id_hash: &[u8; 32], now: i64) -> StoreResult<Option<SignInSession>> {
        sign_in::session(&self.pool, id_hash, now).await
    }

    async fn delete_session(&self, id_hash: &[u8; 32]) -> StoreResult<()> {
        sign_in::delete_session(&self.pool, id_hash).await
    }

    async fn insert_authorization_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        sign_in::insert_code(&self.pool, code).await
    }

    async fn redeem_authorization_code(&self, code_hash: &[u8; 32], now: i64) -> StoreResult<CodeRedemption> {
        sign_in::redeem_code(&self.pool, code_hash, now).await
    }

    async fn start_refresh_grant(&self, grant: &RefreshGrant, first: &RefreshToken) -> StoreResult<()> {
        sign_in::start_family(&self.pool, grant, first).await
    }

    async fn refresh_token(&self, token_hash: &[u8; 32]) -> StoreResult<Option<RefreshTokenState>> {
        sign_in::refresh_token(&self.pool, token_hash).await
    }

    async fn rotate_refresh_token(
        &self,
        token_hash: &[u8; 32],
        successor: &RefreshToken,
        now: i64,
    ) -> StoreResult<RefreshUse> {
        sign_in::rotate(&self.pool, token_hash, successor, now).await
    }

    async fn revoke_refresh_grants(
        &self,
        tenant: TenantId,
        user: ObjectId,
        client: Option<AppId>,
        now: i64,
    ) -> StoreResult<u64> {
        sign_in::revoke_families(&self.pool, tenant, user, client, now).await
    }

    async fn purge_sign_in_state(&self, now: i64) -> StoreResult<u64> {
        sign_in::purge(&self.pool, now).await
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()> {
        keys::insert(&self.pool, key, audit).await
    }

    async fn update_signing_key(&self, key: &SigningKeyRecord, audit: &[DirectoryAudit]) -> StoreResult<()> {
        keys::update(&self.pool, key, audit).await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        keys::list_all(&self.pool).await
    }

    async fn tenant_settings(&self, tenant: TenantId) -> StoreResult<TenantSettings> {
        replay::tenant_settings(&self.pool, tenant).await
    }

    async fn update_tenant_settings(
        &self,
        tenant: TenantId,
        settings: &TenantSettings,
        audit: &[DirectoryAudit],
    ) -> StoreResult<()> {
        replay::update_tenant_settings(&self.pool, tenant, settings, audit).await
    }

    async fn record_assertion_markers(
        &self,
        markers: &[AssertionMarker],
        now: i64,
    ) -> StoreResult<Vec<MarkerOutcome>> {
        replay::record_markers(&self.markers, markers, now).await
    }

    async fn purge_assertion_markers(&self, now: i64) -> StoreResult<u64> {
        replay::purge_markers(&self.markers, now).await
    }

    async fn directory_audits(&self, query: &LogQuery) -> StoreResult<LogPage<DirectoryAudit>> {
        log::page(&self.pool, audits::TABLE, query, &[]).await
    }

    async fn append_sign_ins(&self, records: &[SignIn]) -> StoreResult<()> {
        sign_ins::append(&self.pool, records).await
    }

    async fn sign_ins(&self, query: &LogQuery, filter: &SignInFilter) -> StoreResult<LogPage<SignIn>> {
        sign_ins::page(&self.pool, query, filter).await
    }

    async fn sign_in(&self, tenant: TenantId, id: Uuid) -> StoreResult<Option<SignIn>> {
        sign_ins::by_id(&self.pool, tenant, id).await
    }

    async fn purge_logs(&self, tenant: TenantId, before: OffsetDateTime, limit: u32) -> StoreResult<u64> {
        retention::purge(&self.pool, tenant, before, limit).await
    }

    async fn directory_audit(&self, tenant: TenantId, id: &str) -> StoreResult<Option<DirectoryAudit>> {
        find(&self.pool, &audits::by_id(tenant, id), audits::record).await
    }

    async fn ping(&self) -> StoreResult<()> {
        execute(&self.pool, &Statement::new("SELECT 1")).await?;
        Ok(())
    }

    async fn change_feed(&self) -> StoreResult<Option<Box<dyn crate::change_feed::ChangeFeed>>> {
        D::change_feed(self).await
    }
}
