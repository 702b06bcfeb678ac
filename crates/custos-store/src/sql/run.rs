//! Running [`Statement`]s on a pooled connection or inside a write transaction. The rule of
//! [`Statement::check`] is applied here, before anything reaches the database: a write binding
//! text with U+0000 is refused, a lookup by such text finds nothing.

use super::{Dialect, Statement};
use crate::codec::map_db_error;
use crate::{StoreError, StoreResult};
use custos_core::audit::DirectoryAudit;
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

/// The inserts of `audit`'s records; a change must carry at least one.
fn inserts(audit: &[DirectoryAudit]) -> StoreResult<Vec<Statement<'_>>> {
    if audit.is_empty() {
        return Err(crate::StoreError::InvalidInput("a directory change needs its audit record"));
    }
    audit.iter().map(super::audits::insert).collect()
}

/// Runs `statements` and the inserts of `audit`'s records in one write transaction and commits.
/// When `first_must_change` is set, a first statement that changes no row is
/// [`crate::StoreError::NotFound`] and nothing is committed (an update or delete of something
/// absent takes no record).
pub(super) async fn write_audited<D: Dialect>(
    pool: &Pool<D>,
    statements: &[&Statement<'_>],
    audit: &[DirectoryAudit],
    first_must_change: bool,
) -> StoreResult<()> {
    let inserts = inserts(audit)?;
    super::check_all(statements.iter().copied().chain(&inserts))?;
    let mut tx = begin_write(pool).await?;
    for (position, statement) in statements.iter().enumerate() {
        let changed = execute_in::<D>(&mut tx, statement).await?;
        if position == 0 && first_must_change {
            super::require_row(changed)?;
        }
    }
    for insert in &inserts {
        execute_in::<D>(&mut tx, insert).await?;
    }
    tx.commit().await.map_err(map_db_error)
}

/// Adds the inserts of `audit`'s records to an open write transaction.
pub(super) async fn record_in<D: Dialect>(
    conn: &mut D::Connection,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    for insert in &inserts(audit)? {
        execute_in::<D>(conn, insert).await?;
    }
    Ok(())
}
