//! Sign-in logs (migration 0010): batches appended in one transaction of multi-row inserts
//! ([`append`]), the log
//! table they are read back from with a [`SignInFilter`] pushed down ([`page`]), and one record
//! by id ([`by_id`]).

use super::log::{Condition, LogTable};
use super::run::{begin_write, execute_in, find};
use super::{Dialect, Statement, check_all};
use crate::codec::{from_json, map_db_error, to_raw_json};
use crate::{LogPage, LogQuery, SignInFilter, StoreResult};
use custos_core::TenantId;
use custos_core::sign_in_log::SignIn;
use sqlx::Pool;
use uuid::Uuid;

/// The sign-ins' log table.
const TABLE: LogTable = LogTable { name: "sign_ins", time_column: "created_time" };

/// Rows per `INSERT` statement: one statement for several rows costs less than a statement per
/// row, but not too many: sqlx binds SQLite parameters by name and SQLite finds a name by a
/// linear search, so binding a statement's parameters takes time quadratic in their number (64
/// rows of 8 spent a third of the writer's CPU there; 8 rows, 64 parameters, under 2 %).
const ROWS_PER_INSERT: usize = 8;

/// The columns of a row, in placeholder order.
const COLUMNS: &str =
    "id, tenant_id, created_time, event_type, app_id, user_principal_name, error_code, record";

/// One multi-row insert of `records`.
fn insert(records: &[SignIn]) -> StoreResult<Statement<'_>> {
    let rows: Vec<String> = (0..records.len())
        .map(|r| {
            let first = r * 8 + 1;
            let placeholders: Vec<String> = (first..first + 8).map(|n| format!("${n}")).collect();
            format!("({})", placeholders.join(", "))
        })
        .collect();
    let mut statement =
        Statement::new(format!("INSERT INTO sign_ins ({COLUMNS}) VALUES {}", rows.join(", ")));
    for record in records {
        let upn = record.user.as_ref().map(|u| u.principal_name.to_lowercase()).unwrap_or_default();
        statement = statement
            .id(record.id)
            .id(record.tenant_id.0)
            .time(record.created)
            .text(record.event_type.as_str())
            .text(&record.app.app_id)
            .text(upn)
            .int(i64::from(record.status.error_code))
            .raw_json(to_raw_json("sign-in", record)?);
    }
    Ok(statement)
}

/// Appends `records` in one write transaction: all of them or none.
pub(super) async fn append<D: Dialect>(pool: &Pool<D>, records: &[SignIn]) -> StoreResult<()> {
    if records.is_empty() {
        return Ok(());
    }
    let inserts = records.chunks(ROWS_PER_INSERT).map(insert).collect::<StoreResult<Vec<_>>>()?;
    check_all(&inserts)?;
    let mut tx = begin_write(pool).await?;
    for statement in &inserts {
        execute_in::<D>(&mut tx, statement).await?;
    }
    tx.commit().await.map_err(map_db_error)
}

/// The page of sign-ins `query` and `filter` ask for.
pub(super) async fn page<D: Dialect>(
    pool: &Pool<D>,
    query: &LogQuery,
    filter: &SignInFilter,
) -> StoreResult<LogPage<SignIn>> {
    let upn = filter.user_principal_name.as_deref().map(str::to_lowercase);
    let mut conditions = Vec::new();
    if !filter.event_types.is_empty() {
        let kinds = filter.event_types.iter().map(|kind| kind.as_str()).collect();
        conditions.push(Condition::TextIn("event_type", kinds));
    }
    if let Some(app_id) = filter.app_id.as_deref() {
        conditions.push(Condition::TextEq("app_id", app_id));
    }
    if let Some(upn) = upn.as_deref() {
        conditions.push(Condition::TextEq("user_principal_name", upn));
    }
    if let Some(code) = filter.error_code {
        conditions.push(Condition::IntEq("error_code", i64::from(code)));
    }
    if filter.failed_only {
        conditions.push(Condition::IntNe("error_code", 0));
    }
    super::log::page(pool, TABLE, query, &conditions).await
}

/// The sign-in `id` of `tenant`.
pub(super) async fn by_id<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: Uuid,
) -> StoreResult<Option<SignIn>> {
    let select =
        Statement::new("SELECT record FROM sign_ins WHERE tenant_id = $1 AND id = $2").id(tenant.0).id(id);
    find(pool, &select, |row| from_json("sign-in", super::Columns::json(row, "record")?)).await
}
