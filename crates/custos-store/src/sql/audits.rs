//! Directory audits (migration 0009): the insert every mutating method adds to its own
//! transaction ([`insert`]), and the newest-first read ([`directory_audits`]).

use super::run::list;
use super::{Columns, Dialect, Statement};
use crate::StoreResult;
use crate::audit::{AuditCursor, AuditPage, AuditQuery, MAX_AUDITS_PER_PAGE};
use crate::codec::{from_json, to_json};
use custos_core::audit::DirectoryAudit;
use sqlx::Pool;
use time::OffsetDateTime;

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
) -> StoreResult<AuditPage> {
    let order = D::INSERTION_ORDER;
    // The conditions and their parameters, in placeholder order.
    let mut placeholders = (1..).map(|n| format!("${n}"));
    let mut next = || placeholders.next().unwrap_or_default();
    let mut sql = format!("SELECT record, activity_time, {order} AS position FROM directory_audits WHERE ");
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
        let (time, same_time, position) = (next(), next(), next());
        sql.push_str(&format!(
            " AND (activity_time < {time} OR (activity_time = {same_time} AND {order} < {position}))"
        ));
    }
    sql.push_str(&format!(" ORDER BY activity_time DESC, {order} DESC LIMIT {}", next()));

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
        let time = from_micros(after.time_micros)?;
        statement = statement.time(time).time(time).int(after.sequence);
    }
    let limit = query.limit.min(MAX_AUDITS_PER_PAGE);
    let statement = statement.int(i64::from(limit));
    let rows = list(pool, &statement, |row| {
        let record: DirectoryAudit = from_json("directory_audits.record", row.json("record")?)?;
        let time = row.time("activity_time")?;
        let cursor = AuditCursor { time_micros: micros(time), sequence: row.int("position")? };
        Ok((record, cursor))
    })
    .await?;
    let next =
        if rows.len() == limit as usize && limit > 0 { rows.last().map(|(_, cursor)| *cursor) } else { None };
    Ok(AuditPage { records: rows.into_iter().map(|(record, _)| record).collect(), next })
}

fn micros(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

fn from_micros(micros: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|_| crate::StoreError::InvalidInput("an audit cursor out of range"))
}
