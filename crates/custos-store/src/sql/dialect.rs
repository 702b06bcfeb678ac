//! What differs between the databases the shared implementation runs on: [`Dialect`] (SQL
//! fragments, the write-transaction idiom, running a [`Statement`] with the backend's encodings)
//! and [`Columns`] (reading a row's typed columns back). Implemented for sqlx's `Sqlite` and
//! `Postgres` in `crate::sqlite` and `crate::postgres`; nothing here names either.

use super::Statement;
use crate::StoreResult;
use serde_json::Value;
use sqlx::Database;
use std::future::Future;
use time::OffsetDateTime;
use uuid::Uuid;

/// A database the shared implementation can run on.
pub(crate) trait Dialect: Database<Row: Columns> {
    /// Statement that begins a write transaction.
    const BEGIN_WRITE: &'static str;
    /// Clause ending the `SELECT` of one application (`a`) that [`crate::Store::modify_application`]
    /// reads, so that the row stays locked until commit (empty when [`Dialect::BEGIN_WRITE`]
    /// already holds the database's write lock).
    const LOCK_APPLICATION: &'static str;
    /// Column that orders the rows of a table by insertion: the tie-break of "oldest first".
    const INSERTION_ORDER: &'static str;
    /// Prefix of a column in a condition that must not be read by an index (SQLite's unary `+`;
    /// nothing on PostgreSQL, whose planner weighs the index by its statistics).
    const NOT_INDEXED: &'static str;
    /// Expression for the identifier URIs of application `a` in order, as one column that
    /// [`Columns::text_list`] reads.
    const IDENTIFIER_URIS: &'static str;

    /// `SELECT` of the rows (`tenant_id`, `client_id`, `jti`, `digest`, `expires`) of the
    /// `assertion_replay` table held by parameter `$2`, a JSON array of arrays (ids as text, the
    /// digest in lower-case hex, the expiry as a number).
    const MARKER_ROWS: &'static str;

    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(
        conn: &mut Self::Connection,
        statement: &Statement<'_>,
    ) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Runs a query for at most one row.
    fn fetch_optional(
        conn: &mut Self::Connection,
        statement: &Statement<'_>,
    ) -> impl Future<Output = StoreResult<Option<Self::Row>>> + Send;

    /// Runs a query for all its rows.
    fn fetch_all(
        conn: &mut Self::Connection,
        statement: &Statement<'_>,
    ) -> impl Future<Output = StoreResult<Vec<Self::Row>>> + Send;

    /// The changes every server sharing the database commits (`None`: one server per database).
    fn change_feed(
        store: &super::SqlStore<Self>,
    ) -> impl Future<Output = StoreResult<Option<Box<dyn crate::change_feed::ChangeFeed>>>> + Send;
}

/// Typed reads of a row's columns, in the backend's encoding; a value that does not decode is
/// a corrupt row ([`crate::StoreError::Backend`]).
pub(crate) trait Columns {
    fn uuid(&self, column: &str) -> StoreResult<Uuid>;
    fn opt_uuid(&self, column: &str) -> StoreResult<Option<Uuid>>;
    /// A 64-bit integer (`bigint` on PostgreSQL).
    fn int(&self, column: &str) -> StoreResult<i64>;
    /// A 64-bit integer or NULL.
    fn opt_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn text(&self, column: &str) -> StoreResult<String>;
    fn opt_text(&self, column: &str) -> StoreResult<Option<String>>;
    /// A small integer or NULL (`smallint` on PostgreSQL).
    fn opt_small_int(&self, column: &str) -> StoreResult<Option<i64>>;
    fn boolean(&self, column: &str) -> StoreResult<bool>;
    fn time(&self, column: &str) -> StoreResult<OffsetDateTime>;
    fn opt_time(&self, column: &str) -> StoreResult<Option<OffsetDateTime>>;
    fn json(&self, column: &str) -> StoreResult<Value>;
    fn bytes(&self, column: &str) -> StoreResult<Vec<u8>>;
    /// The list [`Dialect::IDENTIFIER_URIS`] selects.
    fn text_list(&self, column: &str) -> StoreResult<Vec<String>>;
}
