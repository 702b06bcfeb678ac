//! The sample's own SQLite file, `business-central.db` under `--data-dir` (WAL), with every BC
//! migration of `migrations/business_central` applied and the demo company seeded on first open.

use super::seed;
use custos_core::Clock;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The database file's name inside the data directory.
pub(crate) const FILE_NAME: &str = "business-central.db";

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite refused to open the file or to seed it.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("cannot migrate {path}: {source}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The migration error.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

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
        std::fs::create_dir_all(data_dir)
            .map_err(|source| DbError::DataDir { path: data_dir.to_owned(), source })?;
        let path = data_dir.join(FILE_NAME);
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .foreign_keys(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|source| DbError::Open { path: path.clone(), source })?;
        Self::prepare(pool, &path, clock).await
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
        Self::prepare(pool, Path::new(":memory:"), clock).await
    }

    async fn prepare(pool: SqlitePool, path: &Path, clock: &dyn Clock) -> Result<Self, DbError> {
        sqlx::migrate!("migrations/business_central")
            .run(&pool)
            .await
            .map_err(|source| DbError::Migrate { path: path.to_owned(), source })?;
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
