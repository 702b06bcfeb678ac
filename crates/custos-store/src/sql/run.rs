//! Running [`Statement`]s on a pooled connection or inside a write transaction. The rule of
//! [`Statement::check`] is applied here, before anything reaches the database: a write binding
//! text with U+0000 is refused, a lookup by such text finds nothing.

use super::{Dialect, Statement};
use crate::codec::map_db_error;
use crate::{StoreError, StoreResult};
use sqlx::pool::PoolConnection;
use sqlx::{Pool, Transaction};

async fn connection<D: Dialect>(pool: &Pool<D>) -> StoreResult<PoolConnection<D>> {
    pool.acquire().await.map_err(map_db_error)
}

/// Begins a write transaction; the caller has checked its statements ([`super::check_all`]) first.
///
/// sqlx's `begin` is not cancel-safe: a future dropped after `BEGIN` went to the database but
/// before the transaction came back (an HTTP client that disconnects drops its handler's future)
/// returned the connection to the pool inside an open transaction, and every later write on it
/// failed. So the begin runs on its own task, which finishes even when the caller is gone; if
/// it is, the transaction it hands back is dropped, and dropping one rolls it back. Once the
/// caller holds the transaction, dropping it mid-way is safe the same way.
pub(super) async fn begin_write<D: Dialect>(pool: &Pool<D>) -> StoreResult<Transaction<'static, D>> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.begin_with(D::BEGIN_WRITE).await })
        .await
        .map_err(|e| StoreError::Backend(format!("beginning a transaction: {e}")))?
        .map_err(map_db_error)
}

/// Runs a write on its own; the number of rows it changed.
pub(super) async fn execute<D: Dialect>(pool: &Pool<D>, statement: &Statement<'_>) -> StoreResult<u64> {
    statement.check()?;
    D::execute(&mut *connection(pool).await?, statement).await
}

/// Runs a write inside a transaction; the number of rows it changed.
pub(super) async fn execute_in<D: Dialect>(
    conn: &mut D::Connection,
    statement: &Statement<'_>,
) -> StoreResult<u64> {
    statement.check()?;
    D::execute(conn, statement).await
}

/// The row `statement` selects, mapped by `map`. None when it looks for text containing
/// U+0000, which is never stored.
pub(super) async fn find<D: Dialect, T>(
    pool: &Pool<D>,
    statement: &Statement<'_>,
    map: fn(&D::Row) -> StoreResult<T>,
) -> StoreResult<Option<T>> {
    if statement.binds_nul() {
        return Ok(None);
    }
    let row = D::fetch_optional(&mut *connection(pool).await?, statement).await?;
    row.as_ref().map(map).transpose()
}

/// The rows `statement` selects, mapped by `map`.
pub(super) async fn list<D: Dialect, T>(
    pool: &Pool<D>,
    statement: &Statement<'_>,
    map: fn(&D::Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    if statement.binds_nul() {
        return Ok(Vec::new());
    }
    let rows = D::fetch_all(&mut *connection(pool).await?, statement).await?;
    rows.iter().map(map).collect()
}
