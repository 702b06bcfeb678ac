//! The PostgreSQL backend: [`PostgresStore`], for deployments with several nodes, which learn
//! of each other's changes through `LISTEN`/`NOTIFY` (`notify`).
//!
//! Times are `timestamptz` (microsecond precision: finer digits of an `OffsetDateTime` are
//! dropped), GUIDs native `uuid`, JSON documents `jsonb`, an application's identifier URIs read
//! back as one `text[]`. A credential change locks the application's row with
//! `SELECT ... FOR UPDATE`; uniqueness under concurrency comes from the schema's constraints.

mod connect;
mod notify;

use crate::StoreResult;
use crate::codec::map_db_error;
use crate::sql::{Columns, Dialect, Param, SqlStore, Statement};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgRow};
use sqlx::query::Query;
use sqlx::{PgConnection, Postgres, Row as _};
use time::OffsetDateTime;
use uuid::Uuid;

/// A [`crate::Store`] on PostgreSQL.
pub type PostgresStore = SqlStore<Postgres>;

impl Dialect for Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const LOCK_APPLICATION: &'static str = " FOR UPDATE OF a";
    const INSERTION_ORDER: &'static str = "seq";
    const NOT_INDEXED: &'static str = "";
    const IDENTIFIER_URIS: &'static str = "ARRAY(SELECT u.uri FROM identifier_uris u \
        WHERE u.tenant_id = a.tenant_id AND u.application_id = a.id ORDER BY u.position)";
    const MARKER_ROWS: &'static str = "SELECT (m ->> 0)::uuid, (m ->> 1)::uuid, m ->> 2, \
        decode(m ->> 3, 'hex'), (m ->> 4)::bigint FROM jsonb_array_elements($2) AS m";

    async fn execute(conn: &mut PgConnection, statement: &Statement<'_>) -> StoreResult<u64> {
        let done = query(statement).execute(conn).await.map_err(map_db_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch_optional(
        conn: &mut PgConnection,
        statement: &Statement<'_>,
    ) -> StoreResult<Option<PgRow>> {
        query(statement).fetch_optional(conn).await.map_err(map_db_error)
    }

    async fn fetch_all(conn: &mut PgConnection, statement: &Statement<'_>) -> StoreResult<Vec<PgRow>> {
        query(statement).fetch_all(conn).await.map_err(map_db_error)
    }

    async fn change_feed(
        store: &PostgresStore,
    ) -> StoreResult<Option<Box<dyn crate::change_feed::ChangeFeed>>> {
        Ok(Some(Box::new(store.listen().await?)))
    }
}

/// `statement` with its parameters in PostgreSQL's native types. Integers are sent as `bigint`;
/// PostgreSQL converts them on assignment to `smallint` and `integer` columns.
fn query<'q>(statement: &'q Statement<'_>) -> Query<'q, Postgres, PgArguments> {
    statement.params().iter().fold(sqlx::query(statement.sql()), |query, param| match param {
        Param::Id(id) => query.bind(*id),
        Param::OptId(id) => query.bind(*id),
        Param::Text(text) => query.bind(&**text),
        Param::OptText(text) => query.bind(*text),
        Param::Int(value) => query.bind(*value),
        Param::OptInt(value) => query.bind(*value),
        Param::Bool(value) => query.bind(*value),
        Param::Time(time) => query.bind(*time),
        Param::OptTime(time) => query.bind(*time),
        Param::Json(document) => query.bind(document),
        Param::RawJson(document) => query.bind(sqlx::types::Json(&**document)),
        Param::Bytes(bytes) => query.bind(*bytes),
    })
}

fn get<'r, T>(row: &'r PgRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(column).map_err(map_db_error)
}

impl Columns for PgRow {
    fn uuid(&self, column: &str) -> StoreResult<Uuid> {
        get(self, column)
    }

    fn opt_uuid(&self, column: &str) -> StoreResult<Option<Uuid>> {
        get(self, column)
    }

    fn int(&self, column: &str) -> StoreResult<i64> {
        get(self, column)
    }

    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>> {
        get(self, column)
    }

    fn text(&self, column: &str) -> StoreResult<String> {
        get(self, column)
    }

    fn opt_text(&self, column: &str) -> StoreResult<Option<String>> {
        get(self, column)
    }

    fn opt_small_int(&self, column: &str) -> StoreResult<Option<i64>> {
        Ok(get::<Option<i16>>(self, column)?.map(i64::from))
    }

    fn boolean(&self, column: &str) -> StoreResult<bool> {
        get(self, column)
    }

    fn time(&self, column: &str) -> StoreResult<OffsetDateTime> {
        get(self, column)
    }

    fn opt_time(&self, column: &str) -> StoreResult<Option<OffsetDateTime>> {
        get(self, column)
    }

    fn json(&self, column: &str) -> StoreResult<Value> {
        get(self, column)
    }

    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>> {
        get(self, column)
    }

    fn text_list(&self, column: &str) -> StoreResult<Vec<String>> {
        get(self, column)
    }
}
