//! The SQLite backend: [`SqliteStore`], for single-node deployments and tests.
//!
//! The database runs in WAL mode with `synchronous=FULL`, foreign keys on and a 5 s busy
//! timeout; a file database keeps its assertion replay markers in a file of their own with the
//! same settings (`markers.rs`). Write transactions start with `BEGIN IMMEDIATE` so that two writers
//! queue on the busy timeout instead of failing on a lock upgrade; that lock is also what holds
//! an application's row during a credential change. GUIDs are stored as lower-case hyphenated
//! text, times as integer microseconds since the Unix epoch (UTC; finer digits of an
//! `OffsetDateTime` are dropped, as in PostgreSQL), JSON documents as text.

mod connect;
mod markers;

use crate::StoreResult;
use crate::codec::{corrupt, map_db_error};
use crate::sql::{Columns, Dialect, Param, SqlStore, Statement};
use serde_json::Value;
use sqlx::query::Query;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row as _, Sqlite, SqliteConnection};
use time::OffsetDateTime;
use uuid::Uuid;

/// A [`crate::Store`] on SQLite.
pub type SqliteStore = SqlStore<Sqlite>;

impl Dialect for Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const LOCK_APPLICATION: &'static str = "";
    const INSERTION_ORDER: &'static str = "rowid";
    const NOT_INDEXED: &'static str = "+";
    const IDENTIFIER_URIS: &'static str = "(SELECT json_group_array(u.uri ORDER BY u.position) \
        FROM identifier_uris u WHERE u.tenant_id = a.tenant_id AND u.application_id = a.id)";
    // `WHERE true`: an `INSERT … SELECT` with an upsert clause needs one (SQLite's parser).
    const MARKER_ROWS: &'static str = "SELECT value ->> 0, value ->> 1, value ->> 2, unhex(value ->> 3), \
        value ->> 4 FROM json_each($2) WHERE true";

    async fn execute(conn: &mut SqliteConnection, statement: &Statement<'_>) -> StoreResult<u64> {
        let done = query(statement).execute(conn).await.map_err(map_db_error)?;
        Ok(done.rows_affected())
    }

    async fn fetch_optional(
        conn: &mut SqliteConnection,
        statement: &Statement<'_>,
    ) -> StoreResult<Option<SqliteRow>> {
        query(statement).fetch_optional(conn).await.map_err(map_db_error)
    }

    async fn fetch_all(
        conn: &mut SqliteConnection,
        statement: &Statement<'_>,
    ) -> StoreResult<Vec<SqliteRow>> {
        query(statement).fetch_all(conn).await.map_err(map_db_error)
    }

    /// One server per SQLite database: nobody else changes it.
    async fn change_feed(
        _store: &SqlStore<Self>,
    ) -> StoreResult<Option<Box<dyn crate::change_feed::ChangeFeed>>> {
        Ok(None)
    }
}

/// `statement` with its parameters in SQLite's encodings.
fn query<'q>(statement: &'q Statement<'_>) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    statement.params().iter().fold(sqlx::query(statement.sql()), |query, param| match param {
        Param::Id(id) => query.bind(id.to_string()),
        Param::OptId(id) => query.bind(id.map(|id| id.to_string())),
        Param::Text(text) => query.bind(&**text),
        Param::OptText(text) => query.bind(*text),
        Param::Int(value) => query.bind(*value),
        Param::OptInt(value) => query.bind(*value),
        Param::Bool(value) => query.bind(*value),
        Param::Time(time) => query.bind(micros(*time)),
        Param::OptTime(time) => query.bind(time.map(micros)),
        Param::Json(document) => query.bind(document.to_string()),
        Param::RawJson(document) => query.bind(document.get()),
        Param::Bytes(bytes) => query.bind(*bytes),
    })
}

/// Microseconds since the Unix epoch; sub-microsecond digits are dropped (rounding down).
fn micros(t: OffsetDateTime) -> i64 {
    // i64 microseconds cover ±292,000 years, far beyond `time`'s default range.
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000)).unwrap_or(i64::MAX)
}

fn time_from_micros(column: &str, micros: i64) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).map_err(|e| corrupt(column, e))
}

fn get<'r, T>(row: &'r SqliteRow, column: &str) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(column).map_err(map_db_error)
}

impl Columns for SqliteRow {
    fn uuid(&self, column: &str) -> StoreResult<Uuid> {
        Uuid::try_parse(get(self, column)?).map_err(|e| corrupt(column, e))
    }

    fn opt_uuid(&self, column: &str) -> StoreResult<Option<Uuid>> {
        let text: Option<&str> = get(self, column)?;
        text.map(|t| Uuid::try_parse(t).map_err(|e| corrupt(column, e))).transpose()
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
        get(self, column)
    }

    fn boolean(&self, column: &str) -> StoreResult<bool> {
        get(self, column)
    }

    fn time(&self, column: &str) -> StoreResult<OffsetDateTime> {
        time_from_micros(column, get(self, column)?)
    }

    fn opt_time(&self, column: &str) -> StoreResult<Option<OffsetDateTime>> {
        let micros: Option<i64> = get(self, column)?;
        micros.map(|m| time_from_micros(column, m)).transpose()
    }

    fn json(&self, column: &str) -> StoreResult<Value> {
        serde_json::from_str(get(self, column)?).map_err(|e| corrupt(column, e))
    }

    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>> {
        get(self, column)
    }

    fn text_list(&self, column: &str) -> StoreResult<Vec<String>> {
        serde_json::from_value(self.json(column)?).map_err(|e| corrupt(column, e))
    }
}
