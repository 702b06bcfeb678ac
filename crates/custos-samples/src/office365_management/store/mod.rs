//! The sample's SQLite database (`office365-management.db` under `--data-dir`): subscriptions and
//! their webhooks ([`subscriptions`]), content blobs and the producers' cursors ([`blobs`]), the
//! webhook outbox and the notification log ([`outbox`]). Every write that must not be half done
//! runs in one transaction; the file is in WAL mode with full synchronisation, so whatever a
//! request or the delivery loop committed survives a restart or `kill -9`.

pub mod blobs;
pub mod outbox;
pub mod subscriptions;

use std::path::Path;

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use time::OffsetDateTime;

use crate::sqlite_file::{self, OpenError};

/// The database file's name inside `--data-dir`.
pub const FILE_NAME: &str = "office365-management.db";

/// A handle on the sample's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating it if needed) `DIR/office365-management.db` and applies the migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, OpenError> {
        static MIGRATIONS: Migrator = sqlx::migrate!("migrations/office365_management");
        Ok(Self { pool: sqlite_file::open(data_dir, FILE_NAME, &MIGRATIONS).await? })
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
