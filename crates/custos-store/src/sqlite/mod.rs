//! The SQLite backend: [`SqliteStore`], for single-node deployments and tests.
//!
//! The database runs in WAL mode with `synchronous=FULL`, foreign keys on and a 5 s busy
//! timeout. Write transactions start with `BEGIN IMMEDIATE` so that two writers queue on the
//! busy timeout instead of failing on a lock upgrade. Times are stored as integer microseconds
//! (UTC); finer digits of an `OffsetDateTime` are dropped, as in PostgreSQL.

mod connect;
mod replay;
mod rows;

use crate::codec::{self, map_db_error};
use crate::{ApplicationChange, Store, StoreError, StoreResult};
use crate::{AssertionMarker, MarkerOutcome};
use async_trait::async_trait;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::scope::identifier_uri_key;
use custos_core::settings::TenantSettings;
use custos_core::{AppId, ObjectId, TenantId};
use rows::micros;
use sqlx::sqlite::SqlitePool;
use sqlx::{Sqlite, SqliteConnection, Transaction};

/// A [`Store`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// The one row `sql` selects by tenant and one key (its two parameters), mapped by `map`.
    async fn fetch_by_key<T>(
        &self,
        sql: &str,
        tenant: TenantId,
        key: String,
        map: fn(&sqlx::sqlite::SqliteRow) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let row = sqlx::query(sql)
            .bind(tenant.to_string())
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_error)?;
        row.as_ref().map(map).transpose()
    }

    async fn write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_db_error)
    }
}

async fn insert_identifier_uris(conn: &mut SqliteConnection, app: &Application) -> StoreResult<()> {
    for (position, uri) in app.identifier_uris.iter().enumerate() {
        sqlx::query(
            "INSERT INTO identifier_uris (tenant_id, uri, uri_key, application_id, position) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(app.tenant_id.to_string())
        .bind(uri)
        .bind(identifier_uri_key(uri))
        .bind(app.id.to_string())
        .bind(i64::try_from(position).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await
        .map_err(map_db_error)?;
    }
    Ok(())
}

/// Deletes every assignment naming `sp` as principal or resource.
async fn delete_assignments_of(conn: &mut SqliteConnection, tenant: TenantId, sp: &str) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM app_role_assignments WHERE tenant_id = ? AND (principal_id = ? OR resource_id = ?)",
    )
    .bind(tenant.to_string())
    .bind(sp)
    .bind(sp)
    .execute(conn)
    .await
    .map_err(map_db_error)?;
    Ok(())
}

fn require_row(rows_affected: u64) -> StoreResult<()> {
    if rows_affected == 0 { Err(StoreError::NotFound) } else { Ok(()) }
}

#[async_trait]
impl Store for SqliteStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO tenants (id, domain, domain_key, display_name, created) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(tenant.id.to_string())
        .bind(&tenant.domain)
        .bind(codec::domain_key(&tenant.domain))
        .bind(&tenant.display_name)
        .bind(micros(tenant.created))
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn tenant(&self, id: TenantId) -> StoreResult<Option<Tenant>> {
        let sql = format!("SELECT {} FROM tenants WHERE id = ?", rows::TENANT_COLUMNS);
        let row =
            sqlx::query(&sql).bind(id.to_string()).fetch_optional(&self.pool).await.map_err(map_db_error)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>> {
        let sql = format!("SELECT {} FROM tenants WHERE domain_key = ?", rows::TENANT_COLUMNS);
        let row = sqlx::query(&sql)
            .bind(codec::domain_key(domain))
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_error)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        let sql = format!("SELECT {} FROM tenants ORDER BY created, rowid", rows::TENANT_COLUMNS);
        let all = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::tenant).collect()
    }

    async fn create_application(&self, app: &Application) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO applications (id, tenant_id, app_id, display_name, description, \
             requested_access_token_version, sign_in_audience, app_roles, password_credentials, \
             key_credentials, federated_identity_credentials, created) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(app.id.to_string())
        .bind(app.tenant_id.to_string())
        .bind(app.app_id.to_string())
        .bind(&app.display_name)
        .bind(&app.description)
        .bind(app.requested_access_token_version.map(i64::from))
        .bind(&app.sign_in_audience)
        .bind(codec::app_roles_to_json(&app.app_roles)?.to_string())
        .bind(codec::credentials_to_json(&app.password_credentials)?.to_string())
        .bind(codec::key_credentials_to_json(&app.key_credentials)?.to_string())
        .bind(codec::federated_credentials_to_json(&app.federated_identity_credentials)?.to_string())
        .bind(micros(app.created))
        .execute(&mut *tx)
        .await
        .map_err(map_db_error)?;
        insert_identifier_uris(&mut tx, app).await?;
        tx.commit().await.map_err(map_db_error)
    }

    async fn update_application(&self, app: &Application) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE applications SET display_name = ?, description = ?, \
             requested_access_token_version = ?, sign_in_audience = ?, app_roles = ? \
             WHERE tenant_id = ? AND id = ?",
        )
        .bind(&app.display_name)
        .bind(&app.description)
        .bind(app.requested_access_token_version.map(i64::from))
        .bind(&app.sign_in_audience)
        .bind(codec::app_roles_to_json(&app.app_roles)?.to_string())
        .bind(app.tenant_id.to_string())
        .bind(app.id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_db_error)?;
        require_row(updated.rows_affected())?;
        sqlx::query("DELETE FROM identifier_uris WHERE tenant_id = ? AND application_id = ?")
            .bind(app.tenant_id.to_string())
            .bind(app.id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_db_error)?;
        insert_identifier_uris(&mut tx, app).await?;
        tx.commit().await.map_err(map_db_error)
    }

    async fn modify_application(
        &self,
        tenant: TenantId,
        id: ObjectId,
        change: ApplicationChange,
    ) -> StoreResult<Application> {
        // BEGIN IMMEDIATE takes the database's write lock before the read: no other writer can
        // change the row between this read and the commit.
        let mut tx = self.write().await?;
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = ? AND a.id = ?",
            rows::APPLICATION_COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_db_error)?;
        let mut app = row.as_ref().map(rows::application).transpose()?.ok_or(StoreError::NotFound)?;
        change.apply(&mut app)?;
        sqlx::query(
            "UPDATE applications SET password_credentials = ?, key_credentials = ?, \
             federated_identity_credentials = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(codec::credentials_to_json(&app.password_credentials)?.to_string())
        .bind(codec::key_credentials_to_json(&app.key_credentials)?.to_string())
        .bind(codec::federated_credentials_to_json(&app.federated_identity_credentials)?.to_string())
        .bind(tenant.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map_db_error)?;
        tx.commit().await.map_err(map_db_error)?;
        Ok(app)
    }

    async fn delete_application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let app_id: Option<String> =
            sqlx::query_scalar("SELECT app_id FROM applications WHERE tenant_id = ? AND id = ?")
                .bind(tenant.to_string())
                .bind(id.to_string())
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_db_error)?;
        let app_id = app_id.ok_or(StoreError::NotFound)?;
        let sp: Option<String> =
            sqlx::query_scalar("SELECT id FROM service_principals WHERE tenant_id = ? AND app_id = ?")
                .bind(tenant.to_string())
                .bind(&app_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_db_error)?;
        if let Some(sp) = sp {
            delete_assignments_of(&mut tx, tenant, &sp).await?;
            sqlx::query("DELETE FROM service_principals WHERE tenant_id = ? AND id = ?")
                .bind(tenant.to_string())
                .bind(&sp)
                .execute(&mut *tx)
                .await
                .map_err(map_db_error)?;
        }
        sqlx::query("DELETE FROM identifier_uris WHERE tenant_id = ? AND application_id = ?")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_db_error)?;
        sqlx::query("DELETE FROM applications WHERE tenant_id = ? AND id = ?")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_db_error)?;
        tx.commit().await.map_err(map_db_error)
    }

    async fn application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<Application>> {
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = ? AND a.id = ?",
            rows::APPLICATION_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, id.to_string(), rows::application).await
    }

    async fn application_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<Application>> {
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = ? AND a.app_id = ?",
            rows::APPLICATION_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, app_id.to_string(), rows::application).await
    }

    async fn applications(&self, tenant: TenantId) -> StoreResult<Vec<Application>> {
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = ? ORDER BY a.created, a.rowid",
            rows::APPLICATION_COLUMNS
        );
        let all =
            sqlx::query(&sql).bind(tenant.to_string()).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::application).collect()
    }

    async fn create_service_principal(&self, sp: &ServicePrincipal) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO service_principals (id, tenant_id, app_id, display_name, account_enabled, \
             app_role_assignment_required, service_principal_type, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(sp.id.to_string())
        .bind(sp.tenant_id.to_string())
        .bind(sp.app_id.to_string())
        .bind(&sp.display_name)
        .bind(sp.account_enabled)
        .bind(sp.app_role_assignment_required)
        .bind(sp.service_principal_type.as_str())
        .bind(micros(sp.created))
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn update_service_principal(&self, sp: &ServicePrincipal) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE service_principals SET display_name = ?, account_enabled = ?, \
             app_role_assignment_required = ?, service_principal_type = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(&sp.display_name)
        .bind(sp.account_enabled)
        .bind(sp.app_role_assignment_required)
        .bind(sp.service_principal_type.as_str())
        .bind(sp.tenant_id.to_string())
        .bind(sp.id.to_string())
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        require_row(updated.rows_affected())
    }

    async fn delete_service_principal(&self, tenant: TenantId, id: ObjectId) -> StoreResult<()> {
        let mut tx = self.write().await?;
        delete_assignments_of(&mut tx, tenant, &id.to_string()).await?;
        let deleted = sqlx::query("DELETE FROM service_principals WHERE tenant_id = ? AND id = ?")
            .bind(tenant.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(map_db_error)?;
        require_row(deleted.rows_affected())?;
        tx.commit().await.map_err(map_db_error)
    }

    async fn service_principal(
        &self,
        tenant: TenantId,
        id: ObjectId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        let sql = format!(
            "SELECT {} FROM service_principals WHERE tenant_id = ? AND id = ?",
            rows::SERVICE_PRINCIPAL_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, id.to_string(), rows::service_principal).await
    }

    async fn service_principal_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        let sql = format!(
            "SELECT {} FROM service_principals WHERE tenant_id = ? AND app_id = ?",
            rows::SERVICE_PRINCIPAL_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, app_id.to_string(), rows::service_principal).await
    }

    async fn service_principals(&self, tenant: TenantId) -> StoreResult<Vec<ServicePrincipal>> {
        let sql = format!(
            "SELECT {} FROM service_principals WHERE tenant_id = ? ORDER BY created, rowid",
            rows::SERVICE_PRINCIPAL_COLUMNS
        );
        let all =
            sqlx::query(&sql).bind(tenant.to_string()).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::service_principal).collect()
    }

    async fn create_assignment(&self, assignment: &AppRoleAssignment) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO app_role_assignments (id, tenant_id, principal_id, resource_id, app_role_id, created) \
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&assignment.id)
        .bind(assignment.tenant_id.to_string())
        .bind(assignment.principal_id.to_string())
        .bind(assignment.resource_id.to_string())
        .bind(assignment.app_role_id.to_string())
        .bind(micros(assignment.created))
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn delete_assignment(&self, tenant: TenantId, id: &str) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM app_role_assignments WHERE tenant_id = ? AND id = ?")
            .bind(tenant.to_string())
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_db_error)?;
        require_row(deleted.rows_affected())
    }

    async fn assignments(&self, tenant: TenantId) -> StoreResult<Vec<AppRoleAssignment>> {
        let sql = format!(
            "SELECT {} FROM app_role_assignments WHERE tenant_id = ? ORDER BY created, rowid",
            rows::ASSIGNMENT_COLUMNS
        );
        let all =
            sqlx::query(&sql).bind(tenant.to_string()).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::assignment).collect()
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, state, created, activates, retires, sealed_private_key, certificate_der) \
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&key.kid)
        .bind(key.state.as_str())
        .bind(micros(key.created))
        .bind(micros(key.activates))
        .bind(key.retires.map(micros))
        .bind(&key.sealed_private_key)
        .bind(&key.certificate_der)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn update_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE signing_keys SET state = ?, created = ?, activates = ?, retires = ? WHERE kid = ?",
        )
        .bind(key.state.as_str())
        .bind(micros(key.created))
        .bind(micros(key.activates))
        .bind(key.retires.map(micros))
        .bind(&key.kid)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        require_row(updated.rows_affected())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let sql = format!("SELECT {} FROM signing_keys ORDER BY created, rowid", rows::SIGNING_KEY_COLUMNS);
        let all = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::signing_key).collect()
    }

    async fn tenant_settings(&self, tenant: TenantId) -> StoreResult<TenantSettings> {
        self.read_tenant_settings(tenant).await
    }

    async fn update_tenant_settings(&self, tenant: TenantId, settings: &TenantSettings) -> StoreResult<()> {
        self.write_tenant_settings(tenant, settings).await
    }

    async fn record_assertion_markers(
        &self,
        markers: &[AssertionMarker],
        now: i64,
    ) -> StoreResult<Vec<MarkerOutcome>> {
        self.insert_markers(markers, now).await
    }

    async fn purge_assertion_markers(&self, now: i64) -> StoreResult<u64> {
        self.delete_dead_markers(now).await
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(map_db_error)?;
        Ok(())
    }
}
