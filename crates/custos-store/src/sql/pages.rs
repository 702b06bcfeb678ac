//! The paged reads of a tenant's applications, service principals and users
//! ([`crate::Store::applications_page`], [`crate::Store::service_principals_page`],
//! [`crate::Store::users_page`]): one range of the `(tenant_id, created, insertion order)` index
//! (migrations 0016 and 0018) from the cursor, `LIMIT`ed. With a display-name prefix, the rows of
//! its range of the `(tenant_id, display_name_key)` index (migration 0018, [`page::key_range`])
//! in the same order: few rows to sort when the prefix is selective.

use super::run::list;
use super::{Columns, Dialect, Statement, rows};
use crate::log::{LogCursor, LogPage};
use crate::page::{self, MAX_OBJECT_PAGE, ObjectQuery};
use crate::{StoreError, StoreResult};
use custos_core::model::{Application, ServicePrincipal, ServicePrincipalType};
use custos_core::users::User;
use custos_core::{AppId, TenantId};
use sqlx::Pool;
use time::OffsetDateTime;

/// A page of applications (`a`) as `query` asks.
pub(super) async fn applications<D: Dialect>(
    pool: &Pool<D>,
    query: &ObjectQuery,
) -> StoreResult<LogPage<Application>> {
    let columns = rows::application_columns::<D>();
    let managed = query.skip_managed_identities.then_some(ServicePrincipalType::ManagedIdentity.as_str());
    let mut exclusion = String::new();
    if managed.is_some() {
        exclusion = " AND NOT EXISTS (SELECT 1 FROM service_principals s WHERE s.tenant_id = a.tenant_id \
                     AND s.app_id = a.app_id AND s.service_principal_type = $2)"
            .to_owned();
    }
    let select = format!("SELECT {columns}, a.{} AS position FROM applications a", D::INSERTION_ORDER);
    let statement = paged::<D>(&select, "a.", &exclusion, managed, query)?;
    let rows = list(pool, &statement, |row| Ok((rows::application(row)?, row.int("position")?))).await?;
    Ok(finish(rows, query, |app| app.created))
}

/// The applications of `tenant` with these client ids, in chunks of [`MAX_OBJECT_PAGE`] ids.
pub(super) async fn applications_by_app_ids<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    app_ids: &[AppId],
) -> StoreResult<Vec<Application>> {
    let columns = rows::application_columns::<D>();
    let mut found = Vec::with_capacity(app_ids.len());
    for chunk in app_ids.chunks(MAX_OBJECT_PAGE as usize) {
        let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
        let sql = format!(
            "SELECT {columns} FROM applications a WHERE a.tenant_id = $1 AND a.app_id IN ({})",
            placeholders.join(", ")
        );
        let statement = chunk.iter().fold(Statement::new(sql).id(tenant.0), |s, id| s.id(id.0));
        found.extend(list(pool, &statement, rows::application).await?);
    }
    Ok(found)
}

/// A page of service principals as `query` asks.
pub(super) async fn service_principals<D: Dialect>(
    pool: &Pool<D>,
    query: &ObjectQuery,
) -> StoreResult<LogPage<ServicePrincipal>> {
    let select = format!(
        "SELECT {}, {} AS position FROM service_principals",
        rows::SERVICE_PRINCIPAL_COLUMNS,
        D::INSERTION_ORDER
    );
    let statement = paged::<D>(&select, "", "", None, query)?;
    let rows =
        list(pool, &statement, |row| Ok((rows::service_principal(row)?, row.int("position")?))).await?;
    Ok(finish(rows, query, |sp| sp.created))
}

/// A page of users as `query` asks.
pub(super) async fn users<D: Dialect>(pool: &Pool<D>, query: &ObjectQuery) -> StoreResult<LogPage<User>> {
    let select = format!("SELECT {}, {} AS position FROM users", rows::USER_COLUMNS, D::INSERTION_ORDER);
    let statement = paged::<D>(&select, "", "", None, query)?;
    let rows = list(pool, &statement, |row| Ok((rows::user(row)?, row.int("position")?))).await?;
    Ok(finish(rows, query, |user| user.created))
}

/// `select` (of a table aliased `alias`, e.g. `a.`) narrowed to the tenant, `extra` (a condition
/// on `$2` = `extra_value`, when given), the display-name prefix and the cursor, in list order,
/// limited.
fn paged<'q, D: Dialect>(
    select: &str,
    alias: &str,
    extra: &str,
    extra_value: Option<&'q str>,
    query: &ObjectQuery,
) -> StoreResult<Statement<'q>> {
    let position = D::INSERTION_ORDER;
    let mut next = if extra_value.is_some() { 3 } else { 2 };
    let mut sql = format!("{select} WHERE {alias}tenant_id = $1{extra}");
    // Every name starts with the empty prefix: no range to read.
    let range = query.display_name_prefix.as_deref().filter(|p| !p.is_empty()).map(page::key_range);
    if let Some((_, upper)) = &range {
        sql.push_str(&format!(" AND {alias}display_name_key >= ${next}"));
        next += 1;
        if upper.is_some() {
            sql.push_str(&format!(" AND {alias}display_name_key < ${next}"));
            next += 1;
        }
    }
    if query.after.is_some() {
        let (time, same, after) = (next, next + 1, next + 2);
        sql.push_str(&format!(
            " AND ({alias}created > ${time} OR ({alias}created = ${same} AND {alias}{position} > ${after}))"
        ));
        next += 3;
    }
    sql.push_str(&format!(" ORDER BY {alias}created, {alias}{position} LIMIT ${next}"));
    let mut statement = Statement::new(sql).id(query.tenant.0);
    if let Some(value) = extra_value {
        statement = statement.text(value);
    }
    if let Some((lower, upper)) = range {
        statement = statement.text(lower);
        if let Some(upper) = upper {
            statement = statement.text(upper);
        }
    }
    if let Some(after) = query.after {
        let time = from_micros(after.time_micros)?;
        statement = statement.time(time).time(time).int(after.sequence);
    }
    Ok(statement.int(i64::from(query.limit.min(MAX_OBJECT_PAGE))))
}

fn finish<T>(rows: Vec<(T, i64)>, query: &ObjectQuery, created: fn(&T) -> OffsetDateTime) -> LogPage<T> {
    let limit = query.limit.min(MAX_OBJECT_PAGE) as usize;
    let positioned: Vec<(T, LogCursor)> = rows
        .into_iter()
        .map(|(item, sequence)| {
            let position = page::cursor(created(&item), sequence);
            (item, position)
        })
        .collect();
    let next = if positioned.len() == limit && limit > 0 { positioned.last().map(|(_, c)| *c) } else { None };
    let (records, positions) = positioned.into_iter().unzip();
    LogPage { records, positions, next }
}

fn from_micros(micros: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .map_err(|_| StoreError::InvalidInput("a page cursor out of range"))
}
