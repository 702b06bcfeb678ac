//! The sample's SQLite database (`community-training.db` under `--data-dir`): opening it, its
//! migrations and demo data, and one module of queries per resource. Every write runs in one
//! statement or one transaction, so a refused request writes nothing.

mod catalog;
mod organizations;
mod seed;
mod users;

use std::path::Path;
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use uuid::Uuid;

pub use organizations::OrganizationWrite;
pub use users::UserWrite;

/// The database file's name inside `--data-dir`.
pub const FILE_NAME: &str = "community-training.db";

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
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating it if needed) `DIR/community-training.db`, applies the migrations and, on the
    /// first start only, inserts the demo data (its organization belongs to `tenant`).
    pub async fn open(data_dir: &Path, tenant: Uuid) -> Result<Self, OpenError> {
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
            .busy_timeout(std::time::Duration::from_secs(5));
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await.map_err(sqlite)?;
        sqlx::migrate!("migrations/community_training")
            .run(&pool)
            .await
            .map_err(|e| sqlite(sqlx::Error::Migrate(Box::new(e))))?;
        let db = Self { pool };
        seed::ensure(&db.pool, tenant).await.map_err(sqlite)?;
        Ok(db)
    }
}
