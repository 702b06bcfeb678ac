//! Directory audits (migration 0009): the insert every mutating method adds to its own
//! transaction ([`insert`]), the log table they are read back from ([`TABLE`]) and the read of
//! one record by id ([`by_id`], [`record`]).

use super::log::LogTable;
use super::{Columns, Statement};
use crate::StoreResult;
use crate::codec::{from_json, to_json};
use custos_core::TenantId;
use custos_core::audit::DirectoryAudit;

/// The directory audits' log table.
pub(super) const TABLE: LogTable = LogTable { name: "directory_audits", time_column: "activity_time" };

/// The insert of `audit`'s row.
pub(super) fn insert(audit: &DirectoryAudit) -> StoreResult<Statement<'_>> {
    Ok(Statement::new(
        "INSERT INTO directory_audits (id, tenant_id, activity_time, correlation_id, activity, record) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .text(&audit.id)
    .opt_id(audit.tenant_id.map(|t| t.0))
    .time(audit.activity_time)
    .id(audit.correlation_id)
    .text(audit.activity.display_name())
    .json(to_json("directory audit", audit)?))
}

/// The select of `tenant`'s record `id` (a record of another tenant, or installation-wide, is
/// not found).
pub(super) fn by_id(tenant: TenantId, id: &str) -> Statement<'_> {
    Statement::new("SELECT record FROM directory_audits WHERE tenant_id = $1 AND id = $2")
        .id(tenant.0)
        .text(id)
}

/// The record of a row [`by_id`] selected.
pub(super) fn record(row: &impl Columns) -> StoreResult<DirectoryAudit> {
    from_json("directory audit", row.json("record")?)
}
