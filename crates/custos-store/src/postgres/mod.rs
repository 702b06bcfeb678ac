//! The PostgreSQL backend: [`PostgresStore`], for deployments with several nodes.
//!
//! Times are `timestamptz` (microsecond precision: finer digits of an `OffsetDateTime` are
//! dropped), GUIDs native `uuid`, JSON documents `jsonb`. Writes that touch several tables run in
//! one transaction; uniqueness under concurrency comes from the schema's constraints.

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
use sqlx::postgres::PgPool;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

/// A [`Store`] on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// The one row `sql` selects by tenant and one key (its two parameters), mapped by `map`.
    async fn fetch_by_key<T>(
        &self,
        sql: &str,
        tenant: TenantId,
        key: uuid::Uuid,
        map: fn(&sqlx::postgres::PgRow) -> StoreResult<T>,
    ) -> StoreResult<Option<T>> {
        let row = sqlx::query(sql)
            .bind(tenant.0)
            .bind(key)
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_error)?;
        row.as_ref().map(map).transpose()
    }

    async fn write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(map_db_error)
    }
}

async fn insert_identifier_uris(conn: &mut PgConnection, app: &Application) -> StoreResult<()> {
    for (position, uri) in app.identifier_uris.iter().enumerate() {
        sqlx::query(
            "INSERT INTO identifier_uris (tenant_id, uri, uri_key, application_id, position) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(app.tenant_id.0)
        .bind(uri)
        .bind(identifier_uri_key(uri))
        .bind(app.id.0)
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .execute(&mut *conn)
        .await
        .map_err(map_db_error)?;
    }
    Ok(())
}

/// Deletes every assignment naming `sp` as principal or resource.
async fn delete_assignments_of(conn: &mut PgConnection, tenant: TenantId, sp: Uuid) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM app_role_assignments WHERE tenant_id = $1 AND (principal_id = $2 OR resource_id = $2)",
    )
    .bind(tenant.0)
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
impl Store for PostgresStore {
    async fn create_tenant(&self, tenant: &Tenant) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO tenants (id, domain, domain_key, display_name, created) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(tenant.id.0)
        .bind(&tenant.domain)
        .bind(codec::domain_key(&tenant.domain))
        .bind(&tenant.display_name)
        .bind(tenant.created)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn tenant(&self, id: TenantId) -> StoreResult<Option<Tenant>> {
        let sql = format!("SELECT {} FROM tenants WHERE id = $1", rows::TENANT_COLUMNS);
        let row = sqlx::query(&sql).bind(id.0).fetch_optional(&self.pool).await.map_err(map_db_error)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    async fn tenant_by_domain(&self, domain: &str) -> StoreResult<Option<Tenant>> {
        let sql = format!("SELECT {} FROM tenants WHERE domain_key = $1", rows::TENANT_COLUMNS);
        let row = sqlx::query(&sql)
            .bind(codec::domain_key(domain))
            .fetch_optional(&self.pool)
            .await
            .map_err(map_db_error)?;
        row.as_ref().map(rows::tenant).transpose()
    }

    async fn tenants(&self) -> StoreResult<Vec<Tenant>> {
        let sql = format!("SELECT {} FROM tenants ORDER BY created, seq", rows::TENANT_COLUMNS);
        let all = sqlx::query(&sql).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::tenant).collect()
    }

    async fn create_application(&self, app: &Application) -> StoreResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO applications (id, tenant_id, app_id, display_name, description, \
             requested_access_token_version, sign_in_audience, app_roles, password_credentials, \
             key_credentials, federated_identity_credentials, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(app.id.0)
        .bind(app.tenant_id.0)
        .bind(app.app_id.0)
        .bind(&app.display_name)
        .bind(&app.description)
        .bind(app.requested_access_token_version.map(i16::from))
        .bind(&app.sign_in_audience)
        .bind(codec::app_roles_to_json(&app.app_roles)?)
        .bind(codec::credentials_to_json(&app.password_credentials)?)
        .bind(codec::key_credentials_to_json(&app.key_credentials)?)
        .bind(codec::federated_credentials_to_json(&app.federated_identity_credentials)?)
        .bind(app.created)
        .execute(&mut *tx)
        .await
        .map_err(map_db_error)?;
        insert_identifier_uris(&mut tx, app).await?;
        tx.commit().await.map_err(map_db_error)
    }

    async fn update_application(&self, app: &Application) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let updated = sqlx::query(
            "UPDATE applications SET display_name = $1, description = $2, \
             requested_access_token_version = $3, sign_in_audience = $4, app_roles = $5 \
             WHERE tenant_id = $6 AND id = $7",
        )
        .bind(&app.display_name)
        .bind(&app.description)
        .bind(app.requested_access_token_version.map(i16::from))
        .bind(&app.sign_in_audience)
        .bind(codec::app_roles_to_json(&app.app_roles)?)
        .bind(app.tenant_id.0)
        .bind(app.id.0)
        .execute(&mut *tx)
        .await
        .map_err(map_db_error)?;
        require_row(updated.rows_affected())?;
        sqlx::query("DELETE FROM identifier_uris WHERE tenant_id = $1 AND application_id = $2")
            .bind(app.tenant_id.0)
            .bind(app.id.0)
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
        let mut tx = self.write().await?;
        // FOR UPDATE locks the row until commit: a concurrent change waits here and then reads
        // the row as this one left it.
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = $1 AND a.id = $2 FOR UPDATE OF a",
            rows::APPLICATION_COLUMNS
        );
        let row = sqlx::query(&sql)
            .bind(tenant.0)
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(map_db_error)?;
        let mut app = row.as_ref().map(rows::application).transpose()?.ok_or(StoreError::NotFound)?;
        change.apply(&mut app)?;
        sqlx::query(
            "UPDATE applications SET password_credentials = $1, key_credentials = $2, \
             federated_identity_credentials = $3 WHERE tenant_id = $4 AND id = $5",
        )
        .bind(codec::credentials_to_json(&app.password_credentials)?)
        .bind(codec::key_credentials_to_json(&app.key_credentials)?)
        .bind(codec::federated_credentials_to_json(&app.federated_identity_credentials)?)
        .bind(tenant.0)
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(map_db_error)?;
        tx.commit().await.map_err(map_db_error)?;
        Ok(app)
    }

    async fn delete_application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let app_id: Option<Uuid> =
            sqlx::query_scalar("SELECT app_id FROM applications WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_db_error)?;
        let app_id = app_id.ok_or(StoreError::NotFound)?;
        let sp: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM service_principals WHERE tenant_id = $1 AND app_id = $2")
                .bind(tenant.0)
                .bind(app_id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(map_db_error)?;
        if let Some(sp) = sp {
            delete_assignments_of(&mut tx, tenant, sp).await?;
            sqlx::query("DELETE FROM service_principals WHERE tenant_id = $1 AND id = $2")
                .bind(tenant.0)
                .bind(sp)
                .execute(&mut *tx)
                .await
                .map_err(map_db_error)?;
        }
        sqlx::query("DELETE FROM identifier_uris WHERE tenant_id = $1 AND application_id = $2")
            .bind(tenant.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(map_db_error)?;
        sqlx::query("DELETE FROM applications WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(map_db_error)?;
        tx.commit().await.map_err(map_db_error)
    }

    async fn application(&self, tenant: TenantId, id: ObjectId) -> StoreResult<Option<Application>> {
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = $1 AND a.id = $2",
            rows::APPLICATION_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, id.0, rows::application).await
    }

    async fn application_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<Application>> {
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = $1 AND a.app_id = $2",
            rows::APPLICATION_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, app_id.0, rows::application).await
    }

    async fn applications(&self, tenant: TenantId) -> StoreResult<Vec<Application>> {
        let sql = format!(
            "SELECT {} FROM applications a WHERE a.tenant_id = $1 ORDER BY a.created, a.seq",
            rows::APPLICATION_COLUMNS
        );
        let all = sqlx::query(&sql).bind(tenant.0).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::application).collect()
    }

    async fn create_service_principal(&self, sp: &ServicePrincipal) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO service_principals (id, tenant_id, app_id, display_name, account_enabled, \
             app_role_assignment_required, service_principal_type, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(sp.id.0)
        .bind(sp.tenant_id.0)
        .bind(sp.app_id.0)
        .bind(&sp.display_name)
        .bind(sp.account_enabled)
        .bind(sp.app_role_assignment_required)
        .bind(sp.service_principal_type.as_str())
        .bind(sp.created)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn update_service_principal(&self, sp: &ServicePrincipal) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE service_principals SET display_name = $1, account_enabled = $2, \
             app_role_assignment_required = $3, service_principal_type = $4 WHERE tenant_id = $5 AND id = $6",
        )
        .bind(&sp.display_name)
        .bind(sp.account_enabled)
        .bind(sp.app_role_assignment_required)
        .bind(sp.service_principal_type.as_str())
        .bind(sp.tenant_id.0)
        .bind(sp.id.0)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        require_row(updated.rows_affected())
    }

    async fn delete_service_principal(&self, tenant: TenantId, id: ObjectId) -> StoreResult<()> {
        let mut tx = self.write().await?;
        delete_assignments_of(&mut tx, tenant, id.0).await?;
        let deleted = sqlx::query("DELETE FROM service_principals WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id.0)
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
            "SELECT {} FROM service_principals WHERE tenant_id = $1 AND id = $2",
            rows::SERVICE_PRINCIPAL_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, id.0, rows::service_principal).await
    }

    async fn service_principal_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> StoreResult<Option<ServicePrincipal>> {
        let sql = format!(
            "SELECT {} FROM service_principals WHERE tenant_id = $1 AND app_id = $2",
            rows::SERVICE_PRINCIPAL_COLUMNS
        );
        self.fetch_by_key(&sql, tenant, app_id.0, rows::service_principal).await
    }

    async fn service_principals(&self, tenant: TenantId) -> StoreResult<Vec<ServicePrincipal>> {
        let sql = format!(
            "SELECT {} FROM service_principals WHERE tenant_id = $1 ORDER BY created, seq",
            rows::SERVICE_PRINCIPAL_COLUMNS
        );
        let all = sqlx::query(&sql).bind(tenant.0).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::service_principal).collect()
    }

    async fn create_assignment(&self, assignment: &AppRoleAssignment) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO app_role_assignments (id, tenant_id, principal_id, resource_id, app_role_id, created) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&assignment.id)
        .bind(assignment.tenant_id.0)
        .bind(assignment.principal_id.0)
        .bind(assignment.resource_id.0)
        .bind(assignment.app_role_id)
        .bind(assignment.created)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn delete_assignment(&self, tenant: TenantId, id: &str) -> StoreResult<()> {
        let deleted = sqlx::query("DELETE FROM app_role_assignments WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.0)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(map_db_error)?;
        require_row(deleted.rows_affected())
    }

    async fn assignments(&self, tenant: TenantId) -> StoreResult<Vec<AppRoleAssignment>> {
        let sql = format!(
            "SELECT {} FROM app_role_assignments WHERE tenant_id = $1 ORDER BY created, seq",
            rows::ASSIGNMENT_COLUMNS
        );
        let all = sqlx::query(&sql).bind(tenant.0).fetch_all(&self.pool).await.map_err(map_db_error)?;
        all.iter().map(rows::assignment).collect()
    }

    async fn insert_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO signing_keys (kid, state, created, activates, retires, sealed_private_key, certificate_der) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.kid)
        .bind(key.state.as_str())
        .bind(key.created)
        .bind(key.activates)
        .bind(key.retires)
        .bind(&key.sealed_private_key)
        .bind(&key.certificate_der)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        Ok(())
    }

    async fn update_signing_key(&self, key: &SigningKeyRecord) -> StoreResult<()> {
        let updated = sqlx::query(
            "UPDATE signing_keys SET state = $1, created = $2, activates = $3, retires = $4 WHERE kid = $5",
        )
        .bind(key.state.as_str())
        .bind(key.created)
        .bind(key.activates)
        .bind(key.retires)
        .bind(&key.kid)
        .execute(&self.pool)
        .await
        .map_err(map_db_error)?;
        require_row(updated.rows_affected())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let sql = format!("SELECT {} FROM signing_keys ORDER BY created, seq", rows::SIGNING_KEY_COLUMNS);
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
