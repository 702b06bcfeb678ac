//! Opening a [`SqliteStore`]: connection pragmas, the pool's shape (one shared connection for
//! an in-memory database) and migrations.

use super::SqliteStore;
use crate::codec::{map_db_error, map_migrate_error};
use crate::{StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// Connections of a file database's pool (readers run in parallel under WAL).
const FILE_POOL_SIZE: u32 = 8;

impl SqliteStore {
    /// Opens `sqlite://PATH` (the file is created when missing) or `sqlite::memory:` (one shared
    /// connection, so every query sees the same database), and runs the migrations. A file
    /// database keeps its replay markers in a second file next to it (`markers.rs`).
    pub async fn open(url: &str) -> StoreResult<Self> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let mut options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid SQLite URL: {e}")))?
            .create_if_missing(true)
            .foreign_keys(true)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(5));
        if !in_memory {
            options = options.journal_mode(SqliteJournalMode::Wal);
        }
        let pool_options = if in_memory {
            // An in-memory database lives as long as its one connection: never close it.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(FILE_POOL_SIZE)
        };
        let pool = pool_options.connect_with(options.clone()).await.map_err(map_db_error)?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await.map_err(map_migrate_error)?;
        crate::sql::fill_name_keys(&pool).await?;
        if in_memory {
            return Ok(Self::on(pool));
        }
        let markers = super::markers::open(&options, &pool).await?;
        Ok(Self::on(pool).with_markers(markers))
    }
}
