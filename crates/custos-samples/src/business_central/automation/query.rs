//! Reading the Automation API's table-backed sets with the OData options of API v2.0 (`$filter`,
//! `$select`, `$orderby`, `$top`, `$skip`, `$count`; parsed and checked by
//! [`odata::options`](crate::business_central::odata::options), bound by
//! [`odata::sql`](crate::business_central::odata::sql)). Table and column names come only from the
//! static [`EntityDef`]s; every value is a bound parameter.

use serde_json::{Map, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite, SqlitePool};
use uuid::Uuid;

use crate::business_central::entities::EntityDef;
use crate::business_central::entities::codec::{format_guid, row_to_json};
use crate::business_central::error::BcError;
use crate::business_central::etag::etag;
use crate::business_central::odata::options::{QueryOptions, parse_query};
use crate::business_central::odata::sql::push_filter;

/// One table-backed set: its definition, key column and default order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Table {
    /// The entity (its `set` is the table).
    pub(crate) def: &'static EntityDef,
    /// The key property (`id`, `userSecurityId`), also the ETag's id.
    pub(crate) key: &'static str,
    /// The column rows are listed by when `$orderby` is absent.
    pub(crate) default_order: &'static str,
    /// The path segment a 404 for a missing row names.
    pub(crate) segment: &'static str,
}

impl Table {
    /// The entity's JSON with its `@odata.etag` (every field; the row must have `version`).
    pub(crate) fn json(self, row: &SqliteRow) -> Result<Map<String, Value>, BcError> {
        self.json_of(row, None)
    }

    fn json_of(
        self,
        row: &SqliteRow,
        select: Option<&[&'static crate::business_central::entities::Field]>,
    ) -> Result<Map<String, Value>, BcError> {
        let id: String = row.try_get(self.key)?;
        let version: i64 = row.try_get("version")?;
        Ok(row_to_json(row, self.def, select, &etag(&id, version))?)
    }

    /// The row with this key.
    pub(crate) async fn find(self, pool: &SqlitePool, key: &str) -> Result<Option<SqliteRow>, BcError> {
        let sql = format!("SELECT * FROM \"{}\" WHERE \"{}\" = ?", self.def.set, self.key);
        Ok(sqlx::query(&sql).bind(key).fetch_optional(pool).await?)
    }

    /// The row with this key, or 404 naming [`Table::segment`].
    pub(crate) async fn require(self, pool: &SqlitePool, key: Uuid) -> Result<SqliteRow, BcError> {
        self.find(pool, &format_guid(key))
            .await?
            .ok_or_else(|| BcError::ResourceNotFound(self.segment.to_owned()))
    }

    /// The current version of the row with this key, or 404 naming [`Table::segment`].
    pub(crate) async fn version(self, pool: &SqlitePool, key: &str) -> Result<i64, BcError> {
        let sql = format!("SELECT version FROM \"{}\" WHERE \"{}\" = ?", self.def.set, self.key);
        let version: Option<i64> = sqlx::query_scalar(&sql).bind(key).fetch_optional(pool).await?;
        version.ok_or_else(|| BcError::ResourceNotFound(self.segment.to_owned()))
    }

    /// Ends an UPDATE or DELETE with ` WHERE <key> = ? AND version = ?`.
    pub(crate) fn push_where_version(self, builder: &mut QueryBuilder<'_, Sqlite>, key: &str, version: i64) {
        builder.push(format_args!(" WHERE \"{}\" = ", self.key));
        builder.push_bind(key.to_owned());
        builder.push(" AND version = ");
        builder.push_bind(version);
    }

    /// The rows matching the request's query options, and `@odata.count` when asked.
    pub(crate) async fn list(
        self,
        pool: &SqlitePool,
        raw_query: Option<&str>,
    ) -> Result<(Vec<Map<String, Value>>, Option<usize>), BcError> {
        let options = QueryOptions::parse(&parse_query(raw_query)?, self.def)?;
        let count = if options.count {
            let mut builder =
                QueryBuilder::<Sqlite>::new(format!("SELECT COUNT(*) FROM \"{}\"", self.def.set));
            if let Some(filter) = options.filter.clone() {
                builder.push(" WHERE ");
                push_filter(&mut builder, filter);
            }
            let total: i64 = builder.build_query_scalar().fetch_one(pool).await?;
            Some(usize::try_from(total).unwrap_or_default())
        } else {
            None
        };
        let mut builder = QueryBuilder::<Sqlite>::new(format!("SELECT * FROM \"{}\"", self.def.set));
        if let Some(filter) = options.filter {
            builder.push(" WHERE ");
            push_filter(&mut builder, filter);
        }
        builder.push(" ORDER BY ");
        for (field, descending) in &options.order_by {
            builder.push(format_args!("\"{}\" {}, ", field.name, if *descending { "DESC" } else { "ASC" }));
        }
        builder.push(format_args!("\"{}\", \"{}\"", self.default_order, self.key));
        builder.push(" LIMIT ");
        builder.push_bind(options.top.map_or(-1, i64::from));
        builder.push(" OFFSET ");
        builder.push_bind(i64::from(options.skip));
        let rows = builder.build().fetch_all(pool).await?;
        let values = rows
            .iter()
            .map(|row| self.json_of(row, options.select.as_deref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((values, count))
    }
}
