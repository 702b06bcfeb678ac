//! The replay-marker file of an SQLite file database: client-assertion replay markers live in
//! a database file of their own next to the main one (`custos.db` → `custos-replay.db`), so
//! that their group commits never queue behind directory writes or sign-in log batches for
//! SQLite's one write lock, nor share their WAL (and its checkpoints).
//!
//! Durability is the main file's: WAL with `synchronous=FULL`, so every commit (one per batch of
//! markers) is fsynced before the call returns and survives a process kill and a power loss.
//! Markers that an older version kept in the main file's `assertion_replay` table are moved
//! here on open (copied, then deleted there; a crash in between only repeats the copy).

use crate::codec::map_db_error;
use crate::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Executor as _, Row as _, SqlitePool};
use std::path::{Path, PathBuf};

/// Connections of the marker pool: the replay guard's one writer and the purge.
const POOL_SIZE: u32 = 2;

/// WAL pages between checkpoints (SQLite's default is 1,000). Markers have random keys, so each
/// one dirties a leaf page of its own; checkpointing ten times less often writes a page that
/// several batches touched once, and fsyncs the main file ten times less often.
const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;
/// Page cache per connection, in KiB when negative (SQLite's default is 2 MiB): the live markers'
/// leaf pages stay in memory instead of being read back for every batch.
const CACHE_SIZE: i32 = -32_768;

/// The table, as in the main file's migration 0003 (whose copy there stays empty).
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS assertion_replay (
    tenant_id TEXT    NOT NULL,
    client_id TEXT    NOT NULL,
    jti       TEXT    NOT NULL,
    digest    BLOB    NOT NULL,
    expires   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, client_id, jti)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS assertion_replay_expires ON assertion_replay (expires);";

/// The marker file of the database file `main`: its name with `-replay` before the extension.
pub(super) fn marker_path(main: &Path) -> PathBuf {
    let stem = main.file_stem().map_or_else(|| "custos".into(), |s| s.to_string_lossy().into_owned());
    let name = match main.extension() {
        Some(ext) => format!("{stem}-replay.{}", ext.to_string_lossy()),
        None => format!("{stem}-replay"),
    };
    main.with_file_name(name)
}

/// Opens (creating it when missing) the marker file for the main database whose options are
/// `main_options`, creates its table, and moves any markers left in the main database `main`.
pub(super) async fn open(main_options: &SqliteConnectOptions, main: &SqlitePool) -> StoreResult<SqlitePool> {
    let main_path = main_options.get_filename().to_path_buf();
    let options = main_options
        .clone()
        .filename(marker_path(&main_path))
        .foreign_keys(false)
        .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
        .pragma("cache_size", CACHE_SIZE.to_string());
    let pool = SqlitePoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect_with(options)
        .await
        .map_err(map_db_error)?;
    pool.execute(SCHEMA).await.map_err(map_db_error)?;
    move_old_markers(main, &pool, &main_path).await?;
    Ok(pool)
}

/// Copies the markers of the main file's table here, then deletes them there.
async fn move_old_markers(main: &SqlitePool, markers: &SqlitePool, main_path: &Path) -> StoreResult<()> {
    let left: i64 = sqlx::query("SELECT count(*) AS n FROM assertion_replay")
        .fetch_one(main)
        .await
        .and_then(|row| row.try_get("n"))
        .map_err(map_db_error)?;
    if left == 0 {
        return Ok(());
    }
    let path =
        main_path.to_str().ok_or_else(|| StoreError::Backend("database path is not UTF-8".to_owned()))?;
    let mut conn = markers.acquire().await.map_err(map_db_error)?;
    sqlx::query("ATTACH DATABASE $1 AS directory")
        .bind(path)
        .execute(&mut *conn)
        .await
        .map_err(map_db_error)?;
    let copied = sqlx::query(
        "INSERT OR IGNORE INTO main.assertion_replay (tenant_id, client_id, jti, digest, expires) \
         SELECT tenant_id, client_id, jti, digest, expires FROM directory.assertion_replay",
    )
    .execute(&mut *conn)
    .await;
    let detached = sqlx::query("DETACH DATABASE directory").execute(&mut *conn).await;
    copied.map_err(map_db_error)?;
    detached.map_err(map_db_error)?;
    sqlx::query("DELETE FROM assertion_replay").execute(main).await.map_err(map_db_error)?;
    tracing::info!(markers = left, "assertion replay markers moved to their own database file");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::marker_path;
    use std::path::Path;

    #[test]
    fn the_marker_file_sits_next_to_the_main_file() {
        assert_eq!(marker_path(Path::new("/d/custos.db")), Path::new("/d/custos-replay.db"));
        assert_eq!(marker_path(Path::new("/d/store")), Path::new("/d/store-replay"));
    }
}
