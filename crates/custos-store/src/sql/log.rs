//! The one read of an append-only log table ([`page`]): a tenant's (or the installation's)
//! records in a time window, in the query's order, one page from a cursor. Every log table has
//! a `tenant_id`, a time column, the insertion order of [`Dialect::INSERTION_ORDER`] and the
//! record as JSON in `record`.

use super::run::list;
use super::{Columns, Dialect, Statement};
use crate::codec::from_json;
use crate::log::{LogCursor, LogOrder, LogPage, LogQuery, MAX_LOG_PAGE};
use crate::{StoreError, StoreResult};
use serde::de::DeserializeOwned;
use sqlx::Pool;
use time::OffsetDateTime;

/// A log table: its name and the column its records are ordered by.
#[derive(Debug, Clone, Copy)]
pub(super) struct LogTable {
    /// The table.
    pub name: &'static str,
    /// The record time column (a timestamp).
    pub time_column: &'static str,
}

/// A condition on one of a log table's own columns, besides tenant and time (a reader's
/// filter pushed down to the database).
#[derive(Debug, Clone)]
pub(super) enum Condition<'a> {
    /// The text column equals one of these values.
    TextIn(&'static str, Vec<&'a str>),
    /// The text column equals this value.
    TextEq(&'static str, &'a str),
    /// The integer column equals this value.
    IntEq(&'static str, i64),
    /// The integer column differs from this value.
    IntNe(&'static str, i64),
}

/// The page of `table` that `query` asks for, of the records that also meet every one of
/// `conditions`.
pub(super) async fn page<D: Dialect, T: DeserializeOwned>(
    pool: &Pool<D>,
    table: LogTable,
    query: &LogQuery,
    conditions: &[Condition<'_>],
) -> StoreResult<LogPage<T>> {
    let LogTable { name, time_column: time_col } = table;
    let position = D::INSERTION_ORDER;
    let (past, direction) = match query.order {
        LogOrder::NewestFirst => ("<", "DESC"),
        LogOrder::OldestFirst => (">", "ASC"),
    };
    // The conditions and their parameters, in placeholder order.
    let mut placeholders = (1..).map(|n| format!("${n}"));
    let mut next = || placeholders.next().unwrap_or_default();
    let mut sql =
        format!("SELECT record, {time_col} AS record_time, {position} AS position FROM {name} WHERE ");
    if query.tenant.is_some() {
        sql.push_str(&format!("tenant_id = {}", next()));
    } else {
        sql.push_str("tenant_id IS NULL");
    }
    if query.since.is_some() {
        sql.push_str(&format!(" AND {time_col} >= {}", next()));
    }
    if query.until.is_some() {
        sql.push_str(&format!(" AND {time_col} <= {}", next()));
    }
    for condition in conditions {
        let clause = match condition {
            Condition::TextIn(column, values) => {
                let list: Vec<String> = values.iter().map(|_| next()).collect();
                format!(" AND {column} IN ({})", list.join(", "))
            }
            Condition::TextEq(column, _) | Condition::IntEq(column, _) => {
                format!(" AND {column} = {}", next())
            }
            Condition::IntNe(column, _) => format!(" AND {column} <> {}", next()),
        };
        sql.push_str(&clause);
    }
    if query.after.is_some() {
        let (time, same_time, after) = (next(), next(), next());
        sql.push_str(&format!(
            " AND ({time_col} {past} {time} OR ({time_col} = {same_time} AND {position} {past} {after}))"
        ));
    }
    sql.push_str(&format!(" ORDER BY {time_col} {direction}, {position} {direction} LIMIT {}", next()));

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
    for condition in conditions {
        statement = match condition {
            Condition::TextIn(_, values) => values.iter().fold(statement, |s, value| s.text(*value)),
            Condition::TextEq(_, value) => statement.text(*value),
            Condition::IntEq(_, value) | Condition::IntNe(_, value) => statement.int(*value),
        };
    }
    if let Some(after) = &query.after {
        let time = from_micros(after.time_micros)?;
        statement = statement.time(time).time(time).int(after.sequence);
    }
    let limit = query.limit.min(MAX_LOG_PAGE);
    let statement = statement.int(i64::from(limit));
    let rows = list(pool, &statement, |row| {
        let record: T = from_json("log record", row.json("record")?)?;
        let time = row.time("record_time")?;
        Ok((record, LogCursor { time_micros: micros(time), sequence: row.int("position")? }))
    })
    .await?;
    let next =
        if rows.len() == limit as usize && limit > 0 { rows.last().map(|(_, cursor)| *cursor) } else { None };
    let (records, positions) = rows.into_iter().unzip();
    Ok(LogPage { records, positions, next })
}

fn micros(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

fn from_micros(micros: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|_| StoreError::InvalidInput("a log cursor out of range"))
}
