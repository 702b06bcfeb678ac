//! The sample's SQLite database (`office365-management.db` under `--data-dir`): subscriptions and
//! their webhooks ([`subscriptions`]), content blobs and the producers' cursors ([`blobs`]), the
//! webhook outbox and the notification log ([`outbox`]). Every write that must not be half done
//! runs in one transaction; the file is in WAL mode with full synchronisation, so whatever a
//! request or the delivery loop committed survives a restart or `kill -9`.

pub mod blobs;
pub mod outbox;
pub mod subscriptions;

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use time::OffsetDateTime;

/// The database file's name inside `--data-dir`.
pub const FILE_NAME: &str = "office365-management.db";

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// SQLite refused to open or migrate the file.
    #[error("cannot open {path}: {source}")]
    Sqlite {
        /// The file.
        path: String,
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// A handle on the sample's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating it if needed) `DIR/office365-management.db` and applies the migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, OpenError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|source| OpenError::DataDir { path: data_dir.display().to_string(), source })?;
        let path = data_dir.join(FILE_NAME);
        let sqlite = |source| OpenError::Sqlite { path: path.display().to_string(), source };
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(sqlite)?
            .filename(&path)
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(sqlite)?;
        sqlx::migrate!("migrations/office365_management")
            .run(&pool)
            .await
            .map_err(|e| sqlite(sqlx::Error::Migrate(Box::new(e))))?;
        Ok(Self { pool })
    }

    /// Closes the pool (tests reopen the file to check what survived).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// An instant as stored: Unix milliseconds.
pub fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// A stored instant back.
pub fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
