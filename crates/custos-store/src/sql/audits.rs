//! Directory audits (migration 0009): the insert every mutating method adds to its own
//! transaction ([`insert`]), and the log table they are read back from ([`TABLE`]).

use super::Statement;
use super::log::LogTable;
use crate::StoreResult;
use crate::codec::to_json;
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
