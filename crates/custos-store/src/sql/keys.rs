//! Single-row writes of tenants, app role assignments and signing keys (each committed with its
//! directory audits), and the listings of assignments and keys.

use super::rows::{self, ASSIGNMENT_COLUMNS, SIGNING_KEY_COLUMNS};
use super::run::{list, write_audited};
use super::{Dialect, Statement};
use crate::StoreResult;
use custos_core::TenantId;
use custos_core::audit::DirectoryAudit;
use custos_core::model::{AppRoleAssignment, SigningKeyRecord, Tenant};
use sqlx::Pool;

pub(super) async fn create_tenant<D: Dialect>(
    pool: &Pool<D>,
    tenant: &Tenant,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO tenants (id, domain, domain_key, display_name, created) VALUES ($1, $2, $3, $4, $5)",
    )
    .id(tenant.id.0)
    .text(&tenant.domain)
    .text(crate::codec::domain_key(&tenant.domain))
    .text(&tenant.display_name)
    .time(tenant.created);
    write_audited(pool, &[&insert], audit, false).await
}

pub(super) async fn create_assignment<D: Dialect>(
    pool: &Pool<D>,
    assignment: &AppRoleAssignment,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO app_role_assignments (id, tenant_id, principal_id, resource_id, app_role_id, created) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .text(&assignment.id)
    .id(assignment.tenant_id.0)
    .id(assignment.principal_id.0)
    .id(assignment.resource_id.0)
    .id(assignment.app_role_id)
    .time(assignment.created);
    write_audited(pool, &[&insert], audit, false).await
}

pub(super) async fn delete_assignment<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: &str,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let delete = Statement::new("DELETE FROM app_role_assignments WHERE tenant_id = $1 AND id = $2")
        .id(tenant.0)
        .text(id);
    write_audited(pool, &[&delete], audit, true).await
}

pub(super) async fn assignments<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
) -> StoreResult<Vec<AppRoleAssignment>> {
    let order = D::INSERTION_ORDER;
    let select = Statement::new(format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM app_role_assignments WHERE tenant_id = $1 ORDER BY created, {order}"
    ))
    .id(tenant.0);
    list(pool, &select, rows::assignment).await
}

pub(super) async fn insert<D: Dialect>(
    pool: &Pool<D>,
    key: &SigningKeyRecord,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO signing_keys (kid, state, created, activates, retires, sealed_private_key, certificate_der, \
         es256_kid, es256_sealed_private_key, es256_certificate_der) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .text(&key.kid)
    .text(key.state.as_str())
    .time(key.created)
    .time(key.activates)
    .opt_time(key.retires)
    .bytes(&key.sealed_private_key)
    .bytes(&key.certificate_der);
    let insert = with_es256(insert, key);
    write_audited(pool, &[&insert], audit, false).await
}

pub(super) async fn update<D: Dialect>(
    pool: &Pool<D>,
    key: &SigningKeyRecord,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let update = Statement::new(
        // The ES256 companion is written once: a node holding an older copy of the row (without
        // it) neither clears nor replaces the one another node added.
        "UPDATE signing_keys SET state = $1, created = $2, activates = $3, retires = $4, \
         es256_kid = COALESCE(es256_kid, $5), \
         es256_sealed_private_key = CASE WHEN es256_kid IS NULL THEN $6 ELSE es256_sealed_private_key END, \
         es256_certificate_der = CASE WHEN es256_kid IS NULL THEN $7 ELSE es256_certificate_der END \
         WHERE kid = $8",
    )
    .text(key.state.as_str())
    .time(key.created)
    .time(key.activates)
    .opt_time(key.retires);
    let update = with_es256(update, key).text(&key.kid);
    write_audited(pool, &[&update], audit, true).await
}

/// Binds the ES256 companion's kid, sealed key and certificate (NULL and empty when absent).
fn with_es256<'q>(statement: Statement<'q>, key: &'q SigningKeyRecord) -> Statement<'q> {
    match &key.es256 {
        Some(es256) => statement
            .opt_text(Some(&es256.kid))
            .bytes(&es256.sealed_private_key)
            .bytes(&es256.certificate_der),
        None => statement.opt_text(None).bytes(&[]).bytes(&[]),
    }
}

pub(super) async fn list_all<D: Dialect>(pool: &Pool<D>) -> StoreResult<Vec<SigningKeyRecord>> {
    let order = D::INSERTION_ORDER;
    let select =
        Statement::new(format!("SELECT {SIGNING_KEY_COLUMNS} FROM signing_keys ORDER BY created, {order}"));
    list(pool, &select, rows::signing_key).await
}
