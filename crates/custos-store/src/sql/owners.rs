//! Owners of applications and service principals (Graph's `owners` relationship): users and
//! service principals of the same tenant, one row per (object, owner), in the order added. The
//! rows are removed with either side: [`delete_owners_of`] runs in the transaction that deletes
//! an application, service principal or user.

use super::run::{list, write_audited};
use super::{Columns, Dialect, Statement};
use crate::StoreResult;
use custos_core::audit::DirectoryAudit;
use custos_core::{ObjectId, TenantId};
use sqlx::Pool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Deletes every owner row naming `id` on either side.
pub(super) fn delete_owners_of(tenant: TenantId, id: Uuid) -> Statement<'static> {
    Statement::new("DELETE FROM owners WHERE tenant_id = $1 AND (object_id = $2 OR owner_id = $3)")
        .id(tenant.0)
        .id(id)
        .id(id)
}

fn owner(row: &impl Columns) -> StoreResult<ObjectId> {
    Ok(ObjectId(row.uuid("owner_id")?))
}

pub(super) async fn owners<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    object: ObjectId,
) -> StoreResult<Vec<ObjectId>> {
    let order = D::INSERTION_ORDER;
    let select = Statement::new(format!(
        "SELECT owner_id FROM owners WHERE tenant_id = $1 AND object_id = $2 ORDER BY created, {order}"
    ))
    .id(tenant.0)
    .id(object.0);
    list(pool, &select, owner).await
}

pub(super) async fn add<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    object: ObjectId,
    owner: ObjectId,
    created: OffsetDateTime,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO owners (tenant_id, object_id, owner_id, created) VALUES ($1, $2, $3, $4)",
    )
    .id(tenant.0)
    .id(object.0)
    .id(owner.0)
    .time(created);
    write_audited(pool, &[&insert], audit, false).await
}

pub(super) async fn remove<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    object: ObjectId,
    owner: ObjectId,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let delete =
        Statement::new("DELETE FROM owners WHERE tenant_id = $1 AND object_id = $2 AND owner_id = $3")
            .id(tenant.0)
            .id(object.0)
            .id(owner.0);
    write_audited(pool, &[&delete], audit, true).await
}
