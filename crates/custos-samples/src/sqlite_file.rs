//! A sample's own SQLite file under `--data-dir`, opened one way for every sample: the directory
//! created if missing, WAL with full sync (a 200 has reached the disk), foreign keys on, a 5 s
//! busy timeout, and the sample's migrations applied.

use sqlx::SqlitePool;
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a sample's database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data directory could not be created.
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// SQLite refused to open the file (or the sample to seed it).
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
        source: MigrateError,
    },
}

/// Opens (creating them if needed) `data_dir` and `data_dir/file_name`, and applies `migrations`.
pub async fn open(data_dir: &Path, file_name: &str, migrations: &Migrator) -> Result<SqlitePool, OpenError> {
    std::fs::create_dir_all(data_dir)
        .map_err(|source| OpenError::DataDir { path: data_dir.to_owned(), source })?;
    let path = data_dir.join(file_name);
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .map_err(|source| OpenError::Open { path: path.clone(), source })?;
    migrations.run(&pool).await.map_err(|source| OpenError::Migrate { path, source })?;
    Ok(pool)
}
