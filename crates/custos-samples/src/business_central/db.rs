//! The sample's own SQLite file, `business-central.db` under `--data-dir` (WAL), with every BC
//! migration of `migrations/business_central` applied and the demo company seeded on first open.

use super::seed;
use crate::sqlite_file;
use custos_core::Clock;
use sqlx::migrate::Migrator;
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::path::Path;
#[cfg(test)]
use {
    sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions},
    std::path::PathBuf,
};

/// The database file's name inside the data directory.
pub(crate) const FILE_NAME: &str = "business-central.db";

/// Every BC migration.
static MIGRATIONS: Migrator = sqlx::migrate!("migrations/business_central");

/// Why the database could not be opened.
pub(crate) type DbError = crate::sqlite_file::OpenError;

/// How a transaction begins: `BEGIN IMMEDIATE` takes SQLite's write lock at once (so a concurrent
/// writer waits for the busy timeout instead of failing when a read would have to be upgraded),
/// `BEGIN` takes none until the first write (reads).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Begin {
    /// `BEGIN IMMEDIATE`.
    Write,
    /// `BEGIN`.
    Read,
}

/// Begins a transaction on `pool`. sqlx's begin is not cancel-safe (a future dropped after `BEGIN`
/// left but before the transaction came back returns the connection to the pool inside an open
/// transaction, and every later begin on it fails), and a client that disconnects drops its
/// handler's future; so the begin runs on its own task, and a transaction nobody waits for any
/// more is dropped there, which rolls it back.
pub(crate) async fn begin(
    pool: &SqlitePool,
    how: Begin,
) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    let pool = pool.clone();
    let statement = match how {
        Begin::Write => "BEGIN IMMEDIATE",
        Begin::Read => "BEGIN",
    };
    tokio::spawn(async move { pool.begin_with(statement).await })
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?
}

/// The Business Central sample's database.
#[derive(Debug, Clone)]
pub(crate) struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating when missing) `<data_dir>/business-central.db`, migrates it and seeds the
    /// demo company if there is none.
    pub(crate) async fn open(data_dir: &Path, clock: &dyn Clock) -> Result<Self, DbError> {
        let pool = sqlite_file::open(data_dir, FILE_NAME, &MIGRATIONS).await?;
        Self::seed(pool, &data_dir.join(FILE_NAME), clock).await
    }

    /// An in-memory database (one connection) for tests.
    #[cfg(test)]
    pub(crate) async fn open_in_memory(clock: &dyn Clock) -> Result<Self, DbError> {
        let options = SqliteConnectOptions::new().in_memory(true).foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options)
            .await
            .map_err(|source| DbError::Open { path: PathBuf::from(":memory:"), source })?;
        MIGRATIONS
            .run(&pool)
            .await
            .map_err(|source| DbError::Migrate { path: PathBuf::from(":memory:"), source })?;
        Self::seed(pool, Path::new(":memory:"), clock).await
    }

    /// Seeds the demo company into a migrated database that has none.
    async fn seed(pool: SqlitePool, path: &Path, clock: &dyn Clock) -> Result<Self, DbError> {
        seed::seed_if_empty(&pool, clock.now())
            .await
            .map_err(|source| DbError::Open { path: path.to_owned(), source })?;
        Ok(Self { pool })
    }

    /// The connection pool.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool, waiting for connections to be returned.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::FixedClock;
    use time::macros::datetime;

    #[tokio::test]
    async fn opens_a_wal_file_under_the_data_dir_and_seeds_once() {
        let dir = tempfile::tempdir().unwrap();
        let data_dir = dir.path().join("nested");
        let clock = FixedClock::new(datetime!(2026-01-02 03:04:05 UTC));
        let db = Db::open(&data_dir, &clock).await.unwrap();
        assert!(data_dir.join(FILE_NAME).is_file());
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(db.pool()).await.unwrap();
        assert_eq!(mode, "wal");
        let first: String =
            sqlx::query_scalar("SELECT id FROM companies").fetch_one(db.pool()).await.unwrap();
        db.close().await;

        let again = Db::open(&data_dir, &clock).await.unwrap();
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM companies").fetch_all(again.pool()).await.unwrap();
        assert_eq!(ids, [first], "seeded once, kept on reopen");
        let customers: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM customers").fetch_one(again.pool()).await.unwrap();
        assert_eq!(customers, 5);
    }

    #[tokio::test]
    async fn an_unusable_data_dir_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let clock = FixedClock::new(datetime!(2026-01-02 03:04:05 UTC));
        let error = Db::open(&file, &clock).await.unwrap_err();
        assert!(matches!(error, DbError::DataDir { .. }), "{error}");
    }

    /// A begin whose caller went away at any point leaves no open transaction behind: the next
    /// writes on every pooled connection still begin (`BEGIN IMMEDIATE`) and commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_begin_leaves_the_pool_usable() {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(datetime!(2026-01-02 03:04:05 UTC));
        let db = Db::open(dir.path(), &clock).await.unwrap();
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for polls in (1..=4).cycle().take(32) {
            let mut begin = std::pin::pin!(begin(db.pool(), Begin::Write));
            for _ in 0..polls {
                let _ = begin.as_mut().poll(&mut context);
            }
            tokio::task::yield_now().await;
        }
        for n in 0..8 {
            let mut tx = begin(db.pool(), Begin::Write).await.expect("a begin after dropped ones");
            sqlx::query("UPDATE companies SET name = name").execute(&mut *tx).await.unwrap();
            tx.commit().await.unwrap_or_else(|e| panic!("commit {n}: {e}"));
        }
    }
}
