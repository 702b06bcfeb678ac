//! SQL for the entity sets, generic over [`EntityDef`]: list with a checked filter, order and
//! paging; get; insert with BC-style auto numbering (`C00010`, `C00020`, …); conditional update
//! and delete (`version = ?` when the client sent an ETag). Values are always bound; column names
//! come from the static field tables and are quoted.

use super::codec::{SqlValue, format_instant, text_of};
use super::{EntityDef, Field};
use crate::business_central::error::BcError;
use crate::business_central::odata::options::QueryOptions;
use crate::business_central::odata::sql::{push_filter, push_value};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection, SqlitePool};
use time::OffsetDateTime;
use uuid::Uuid;

/// Where a set's records live: the whole table (companies) or one company's rows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The entity set.
    pub(crate) def: &'static EntityDef,
    /// The company, for per-company sets.
    pub(crate) company_id: Option<&'a str>,
}

impl Scope<'_> {
    /// `SELECT <what> FROM "<set>" WHERE <scope>`, ready for more conditions.
    fn select(&self, what: &str) -> QueryBuilder<'static, Sqlite> {
        let mut builder = QueryBuilder::new(format!("SELECT {what} FROM \"{}\" WHERE 1 = 1", self.def.set));
        self.push_scope(&mut builder);
        builder
    }

    fn push_scope(&self, builder: &mut QueryBuilder<'_, Sqlite>) {
        if let Some(company_id) = self.company_id {
            builder.push(" AND company_id = ");
            builder.push_bind(company_id.to_owned());
        }
    }
}

/// One page of a list.
pub(crate) struct Page {
    /// The rows of the page.
    pub(crate) rows: Vec<SqliteRow>,
    /// `$count=true`: how many rows match the filter in all.
    pub(crate) count: Option<i64>,
    /// The offset of the next page when there is one.
    pub(crate) next_offset: Option<u32>,
}

/// Lists the records of `scope` that `options` select, at most `page_size` of them.
pub(crate) async fn list(
    pool: &SqlitePool,
    scope: Scope<'_>,
    options: QueryOptions,
    page_size: u32,
) -> Result<Page, BcError> {
    let count = if options.count {
        let mut builder = scope.select("COUNT(*)");
        if let Some(filter) = options.filter.clone() {
            builder.push(" AND ");
            push_filter(&mut builder, filter);
        }
        Some(builder.build().fetch_one(pool).await?.try_get::<i64, _>(0)?)
    } else {
        None
    };
    let remaining = options.top.map_or(u32::MAX, |top| top.saturating_sub(options.page_offset));
    let take = page_size.min(remaining);
    if take == 0 {
        return Ok(Page { rows: Vec::new(), count, next_offset: None });
    }
    let mut builder = scope.select("*");
    if let Some(filter) = options.filter {
        builder.push(" AND ");
        push_filter(&mut builder, filter);
    }
    builder.push(" ORDER BY ");
    for (field, descending) in &options.order_by {
        builder.push(format_args!("\"{}\" {}, ", field.name, if *descending { "DESC" } else { "ASC" }));
    }
    let default_order = if scope.def.per_company { "number" } else { "name" };
    builder.push(format_args!("\"{default_order}\" ASC, id ASC LIMIT "));
    builder.push_bind(i64::from(take) + 1);
    builder.push(" OFFSET ");
    builder.push_bind(i64::from(options.skip) + i64::from(options.page_offset));
    let mut rows = builder.build().fetch_all(pool).await?;
    let more = rows.len() > take as usize && take < remaining;
    rows.truncate(take as usize);
    let next_offset = more.then(|| options.page_offset.saturating_add(take));
    Ok(Page { rows, count, next_offset })
}

/// The record `id` of `scope`.
pub(crate) async fn get(pool: &SqlitePool, scope: Scope<'_>, id: &str) -> Result<Option<SqliteRow>, BcError> {
    let mut builder = scope.select("*");
    builder.push(" AND id = ");
    builder.push_bind(id.to_owned());
    Ok(builder.build().fetch_optional(pool).await?)
}

/// The record, or 404 naming the entity set when there is none.
pub(crate) async fn find(pool: &SqlitePool, scope: Scope<'_>, id: &str) -> Result<SqliteRow, BcError> {
    get(pool, scope, id).await?.ok_or_else(|| BcError::ResourceNotFound(scope.def.set.to_owned()))
}

/// Whether the company `id` exists.
pub(crate) async fn company_exists(pool: &SqlitePool, id: &str) -> Result<bool, BcError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM companies WHERE id = ?").bind(id).fetch_optional(pool).await?;
    Ok(found.is_some())
}

/// Inserts a record into a per-company set and returns its id. `number` is assigned from the
/// set's series when not given (or given empty).
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    def: &'static EntityDef,
    company_id: &str,
    values: Vec<(&'static Field, SqlValue)>,
    now: OffsetDateTime,
) -> Result<String, BcError> {
    let (numbers, mut others): (Vec<_>, Vec<_>) = values.into_iter().partition(|(f, _)| f.name == "number");
    let number = match numbers.into_iter().next() {
        Some((_, SqlValue::Text(number))) if !number.is_empty() => number,
        _ => next_number(conn, def, company_id).await?,
    };
    let id = Uuid::new_v4().hyphenated().to_string();
    let mut builder = QueryBuilder::new(format!(
        "INSERT INTO \"{}\" (id, company_id, lastModifiedDateTime, number",
        def.set
    ));
    for (field, _) in &others {
        builder.push(format_args!(", \"{}\"", field.name));
    }
    builder.push(") VALUES (");
    let mut row = builder.separated(", ");
    row.push_bind(id.clone());
    row.push_bind(company_id.to_owned());
    row.push_bind(format_instant(now));
    row.push_bind(number.clone());
    for (_, value) in others.drain(..) {
        match value {
            SqlValue::Text(text) => row.push_bind(text),
            SqlValue::Real(n) => row.push_bind(n),
            SqlValue::Integer(n) => row.push_bind(n),
        };
    }
    builder.push(")");
    builder.build().execute(&mut *conn).await.map_err(|e| duplicate_or(e, def, &number))?;
    Ok(id)
}

/// The next free number of the set's series in the company: the highest `<prefix>NNNNN` + 10.
async fn next_number(
    conn: &mut SqliteConnection,
    def: &EntityDef,
    company_id: &str,
) -> Result<String, BcError> {
    let prefix = def.number_prefix.unwrap_or("");
    let numbers: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT number FROM \"{}\" WHERE company_id = ? AND number LIKE ? ESCAPE '\\'",
        def.set
    ))
    .bind(company_id)
    .bind(format!("{prefix}%"))
    .fetch_all(&mut *conn)
    .await?;
    let highest = numbers
        .iter()
        .filter_map(|n| n.get(prefix.len()..))
        .filter(|digits| digits.len() == 5 && digits.chars().all(|c| c.is_ascii_digit()))
        .filter_map(|digits| digits.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    Ok(format!("{prefix}{:05}", (highest / 10 + 1) * 10))
}

/// Updates the record; with `expected_version` only if it is still that version. Returns
/// whether a row changed.
pub(crate) async fn update(
    pool: &SqlitePool,
    scope: Scope<'_>,
    id: &str,
    expected_version: Option<i64>,
    values: Vec<(&'static Field, SqlValue)>,
    now: OffsetDateTime,
) -> Result<bool, BcError> {
    let number = text_of(&values, "number").map(str::to_owned);
    let mut builder = QueryBuilder::new(format!("UPDATE \"{}\" SET version = version + 1", scope.def.set));
    builder.push(", lastModifiedDateTime = ");
    builder.push_bind(format_instant(now));
    for (field, value) in values {
        builder.push(format_args!(", \"{}\" = ", field.name));
        push_value(&mut builder, value);
    }
    builder.push(" WHERE 1 = 1");
    scope.push_scope(&mut builder);
    push_record(&mut builder, id, expected_version);
    let result = builder
        .build()
        .execute(pool)
        .await
        .map_err(|e| duplicate_or(e, scope.def, number.as_deref().unwrap_or("")))?;
    Ok(result.rows_affected() == 1)
}

/// Deletes the record; with `expected_version` only if it is still that version. Returns
/// whether a row was deleted.
pub(crate) async fn delete(
    pool: &SqlitePool,
    scope: Scope<'_>,
    id: &str,
    expected_version: Option<i64>,
) -> Result<bool, BcError> {
    let mut builder = QueryBuilder::new(format!("DELETE FROM \"{}\" WHERE 1 = 1", scope.def.set));
    scope.push_scope(&mut builder);
    push_record(&mut builder, id, expected_version);
    Ok(builder.build().execute(pool).await?.rows_affected() == 1)
}

/// ` AND id = ?`, plus ` AND version = ?` when the write must find that version.
fn push_record(builder: &mut QueryBuilder<'_, Sqlite>, id: &str, expected_version: Option<i64>) {
    builder.push(" AND id = ");
    builder.push_bind(id.to_owned());
    if let Some(version) = expected_version {
        builder.push(" AND version = ");
        builder.push_bind(version);
    }
}

/// A unique-key violation as BC's duplicate-key error; anything else as an internal error.
fn duplicate_or(error: sqlx::Error, def: &EntityDef, number: &str) -> BcError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            BcError::DuplicateKey { table: def.caption, number: number.to_owned() }
        }
        _ => BcError::Internal(error),
    }
}
