//! Directory audits (migration 0009): the insert every mutating method adds to its own
//! transaction ([`insert`]), and the newest-first read ([`directory_audits`]).

use super::run::list;
use super::{Columns, Dialect, Statement};
use crate::StoreResult;
use crate::audit::{AuditQuery, MAX_AUDITS_PER_PAGE};
use crate::codec::{from_json, to_json};
use custos_core::audit::DirectoryAudit;
use sqlx::Pool;

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

pub(super) async fn directory_audits<D: Dialect>(
    pool: &Pool<D>,
    query: &AuditQuery,
) -> StoreResult<Vec<DirectoryAudit>> {
    // The conditions and their parameters, in placeholder order.
    let mut placeholders = (1..).map(|n| format!("${n}"));
    let mut next = || placeholders.next().unwrap_or_default();
    let mut sql = String::from("SELECT record FROM directory_audits WHERE ");
    if query.tenant.is_some() {
        sql.push_str(&format!("tenant_id = {}", next()));
    } else {
        sql.push_str("tenant_id IS NULL");
    }
    if query.since.is_some() {
        sql.push_str(&format!(" AND activity_time >= {}", next()));
    }
    if query.until.is_some() {
        sql.push_str(&format!(" AND activity_time <= {}", next()));
    }
    if query.after.is_some() {
        let (time, same_time, id) = (next(), next(), next());
        sql.push_str(&format!(
            " AND (activity_time < {time} OR (activity_time = {same_time} AND id < {id}))"
        ));
    }
    sql.push_str(&format!(" ORDER BY activity_time DESC, id DESC LIMIT {}", next()));

    let mut statement = Statement::new(sql);
    if let Some(tenant) = query.tenant {
        statement = statement.id(tenant.0);
    }
    if let Some(since) = query.since {
        statement = statement.time(since);
    }
    if let Some(until) = query.until {
        statement = statement.time(until);
    }
    if let Some(after) = &query.after {
        statement = statement.time(after.time).time(after.time).text(after.id.as_str());
    }
    let statement = statement.int(i64::from(query.limit.min(MAX_AUDITS_PER_PAGE)));
    list(pool, &statement, |row| from_json("directory_audits.record", row.json("record")?)).await
}
