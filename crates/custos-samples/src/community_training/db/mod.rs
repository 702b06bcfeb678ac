//! The sample's SQLite database (`community-training.db` under `--data-dir`): opening it, its
//! migrations and demo data, and one module of queries per resource. Every write runs in one
//! statement or one transaction, so a refused request writes nothing.

mod catalog;
mod organizations;
mod seed;
mod users;

use std::path::Path;

use sqlx::SqlitePool;
use sqlx::migrate::Migrator;
use uuid::Uuid;

use crate::sqlite_file::{self, OpenError};

pub use organizations::OrganizationWrite;
pub use users::UserWrite;

/// The database file's name inside `--data-dir`.
pub const FILE_NAME: &str = "community-training.db";

/// A handle on the sample's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pool: SqlitePool,
}

impl Db {
    /// Opens (creating it if needed) `DIR/community-training.db`, applies the migrations and, on the
    /// first start only, inserts the demo data (its organization belongs to `tenant`).
    pub async fn open(data_dir: &Path, tenant: Uuid) -> Result<Self, OpenError> {
        static MIGRATIONS: Migrator = sqlx::migrate!("migrations/community_training");
        let pool = sqlite_file::open(data_dir, FILE_NAME, &MIGRATIONS).await?;
        seed::ensure(&pool, tenant)
            .await
            .map_err(|source| OpenError::Open { path: data_dir.join(FILE_NAME), source })?;
        Ok(Self { pool })
    }
}
