//! The paged reads of a tenant's applications, service principals and users
//! ([`crate::Store::applications_page`], [`crate::Store::service_principals_page`],
//! [`crate::Store::users_page`]): one range of the `(tenant_id, created, insertion order)` index
//! (migrations 0016 and 0018) from the cursor, `LIMIT`ed. With a display-name prefix
//! ([`page::key_range`]) the read depends on how many names the prefix takes, counted on the
//! `(tenant_id, display_name_key)` index (migration 0018) up to [`NAME_RANGE_READ`]: fewer are
//! read from that index and sorted; more are read in list order with the prefix as a condition,
//! where they soon fill a page. Either way the cost of a page does not grow with the tenant.

use super::run::{find, list};
use super::{Columns, Dialect, Statement, rows};
use crate::log::{LogCursor, LogPage};
use crate::page::{self, MAX_OBJECT_PAGE, ObjectQuery};
use crate::{StoreError, StoreResult};
use custos_core::model::{Application, ServicePrincipal, ServicePrincipalType};
use custos_core::users::User;
use custos_core::{AppId, TenantId};
use sqlx::Pool;
use time::OffsetDateTime;

/// A display-name range holding at least this many names is read in list order, not by the
/// name index (which would sort all of them for every page).
const NAME_RANGE_READ: i64 = 10_000;

/// Whether `query`'s display-name prefix is read by the name index of `table`: it takes fewer
/// than [`NAME_RANGE_READ`] names (counted on the index, at most that many).
async fn by_name_index<D: Dialect>(pool: &Pool<D>, table: &str, query: &ObjectQuery) -> StoreResult<bool> {
    let Some((lower, upper)) = name_range(query) else { return Ok(false) };
    let mut sql = format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM {table} WHERE tenant_id = $1 AND display_name_key >= $2"
    );
    if upper.is_some() {
        sql.push_str(" AND display_name_key < $3");
    }
    sql.push_str(&format!(" LIMIT {NAME_RANGE_READ}) names"));
    let mut statement = Statement::new(sql).id(query.tenant.0).text(lower);
    if let Some(upper) = upper {
        statement = statement.text(upper);
    }
    let names = find(pool, &statement, |row| row.int("n")).await?.unwrap_or(0);
    Ok(names < NAME_RANGE_READ)
}

/// The range of display-name keys `query` reads, when it has a prefix (every name starts with
/// the empty one: no range to read).
fn name_range(query: &ObjectQuery) -> Option<(String, Option<String>)> {
    query.display_name_prefix.as_deref().filter(|p| !p.is_empty()).map(page::key_range)
}

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
    let by_name = by_name_index(pool, "applications", query).await?;
    let statement = paged::<D>(&select, "a.", &exclusion, managed, query, by_name)?;
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
    let by_name = by_name_index(pool, "service_principals", query).await?;
    let statement = paged::<D>(&select, "", "", None, query, by_name)?;
    let rows =
        list(pool, &statement, |row| Ok((rows::service_principal(row)?, row.int("position")?))).await?;
    Ok(finish(rows, query, |sp| sp.created))
}

/// A page of users as `query` asks.
pub(super) async fn users<D: Dialect>(pool: &Pool<D>, query: &ObjectQuery) -> StoreResult<LogPage<User>> {
    let select = format!("SELECT {}, {} AS position FROM users", rows::USER_COLUMNS, D::INSERTION_ORDER);
    let by_name = by_name_index(pool, "users", query).await?;
    let statement = paged::<D>(&select, "", "", None, query, by_name)?;
    let rows = list(pool, &statement, |row| Ok((rows::user(row)?, row.int("position")?))).await?;
    Ok(finish(rows, query, |user| user.created))
}

/// `select` (of a table aliased `alias`, e.g. `a.`) narrowed to the tenant, `extra` (a condition
/// on `$2` = `extra_value`, when given), the display-name prefix (read `by_name` index or not)
/// and the cursor, in list order, limited.
fn paged<'q, D: Dialect>(
    select: &str,
    alias: &str,
    extra: &str,
    extra_value: Option<&'q str>,
    query: &ObjectQuery,
    by_name: bool,
) -> StoreResult<Statement<'q>> {
    let position = D::INSERTION_ORDER;
    let mut next = if extra_value.is_some() { 3 } else { 2 };
    let mut sql = format!("{select} WHERE {alias}tenant_id = $1{extra}");
    let range = name_range(query);
    if let Some((_, upper)) = &range {
        let key = format!("{}{alias}display_name_key", if by_name { "" } else { D::NOT_INDEXED });
        sql.push_str(&format!(" AND {key} >= ${next}"));
        next += 1;
        if upper.is_some() {
            sql.push_str(&format!(" AND {key} < ${next}"));
            next += 1;
        }
    }
    if query.after.is_some() {
        // The first bound is implied by the second; it lets the list-order index start at the
        // cursor (neither database reads a range from the `OR`), so a page deep in a large
        // tenant costs what the first does.
        let (time, same, after) = (next, next + 1, next + 2);
        sql.push_str(&format!(
            " AND {alias}created >= ${time} \
             AND ({alias}created > ${time} OR ({alias}created = ${same} AND {alias}{position} > ${after}))"
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

#[cfg(test)]
mod tests {
    use crate::sqlite::SqliteStore;
    use crate::{ObjectQuery, Store};
    use custos_core::TenantId;
    use custos_core::audit::testing::placeholder as audit;
    use custos_core::model::{Application, Tenant};

    /// A prefix taking more names than [`super::NAME_RANGE_READ`] is read in list order, one
    /// taking fewer by the name index: the same pages either way (the conformance suite holds
    /// no tenant large enough for the first).
    #[tokio::test]
    async fn wide_and_narrow_prefixes_read_the_same_pages() {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let tenant = Tenant {
            id: TenantId::new_random(),
            domain: "wide.example".to_owned(),
            display_name: "Wide".to_owned(),
            created: time::OffsetDateTime::UNIX_EPOCH,
        };
        store.create_tenant(&tenant, &audit()).await.unwrap();
        // 10,600 applications, created at seven instants out of insertion order, one in 21 not
        // named "Wide".
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 10599), \
             named(i, name) AS (SELECT i, CASE WHEN i % 21 = 0 THEN 'Other ' ELSE 'Wide ' END || i FROM n) \
             INSERT INTO applications (id, tenant_id, app_id, display_name, display_name_key, \
             sign_in_audience, app_roles, password_credentials, created) \
             SELECT printf('00000000-0000-4000-8000-%012d', i), ?1, printf('10000000-0000-4000-8000-%012d', i), \
             name, lower(name), 'AzureADMyOrg', '[]', '[]', (i % 7) * 1000000 FROM named",
        )
        .bind(tenant.id.to_string())
        .execute(store.pool())
        .await
        .unwrap();
        let all = store.applications(tenant.id).await.unwrap();
        assert_eq!(all.len(), 10_600);
        for (prefix, wide) in [("WIDE", true), ("wide 1", false), ("wide 100", false), ("other", false)] {
            let mut query = ObjectQuery {
                display_name_prefix: Some(prefix.to_owned()),
                skip_managed_identities: true,
                ..ObjectQuery::first(tenant.id, 400)
            };
            let mut read: Vec<Application> = Vec::new();
            loop {
                let page = store.applications_page(&query).await.unwrap();
                read.extend(page.records);
                match page.next {
                    Some(next) => query.after = Some(next),
                    None => break,
                }
            }
            let want: Vec<&Application> = all
                .iter()
                .filter(|a| a.display_name.to_lowercase().starts_with(&prefix.to_lowercase()))
                .collect();
            assert_eq!(want.len() >= super::NAME_RANGE_READ as usize, wide, "{prefix}: {}", want.len());
            assert_eq!(read.iter().collect::<Vec<_>>(), want, "{prefix}");
        }
    }
}
