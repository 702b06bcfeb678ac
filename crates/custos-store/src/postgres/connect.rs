//! Opening a [`PostgresStore`]: pool settings, optional per-schema isolation, migrations.

use super::PostgresStore;
use crate::codec::{map_db_error, map_migrate_error};
use crate::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _};
use std::str::FromStr;
use std::time::Duration;

/// Connections per pool.
const POOL_SIZE: u32 = 16;
/// How long to wait for a pooled connection before failing the call.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

impl PostgresStore {
    /// Connects to `postgres://...` and runs the migrations in the default schema.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = parse_url(url)?;
        let pool = pool_options().connect_with(options).await.map_err(map_db_error)?;
        Self::migrated(pool).await
    }

    /// Connects with every pooled connection's `search_path` set to `schema` (created when
    /// missing) and runs the migrations there, so that independent instances (tests) can share
    /// one database. `schema` must be an identifier: ASCII letters, digits and `_`, at most 63
    /// characters, not starting with a digit.
    pub async fn connect_in_schema(url: &str, schema: &str) -> StoreResult<Self> {
        if !is_identifier(schema) {
            return Err(StoreError::Backend(format!(
                "invalid schema name '{schema}': use ASCII letters, digits and '_'"
            )));
        }
        let options = parse_url(url)?;
        let mut setup = options.connect().await.map_err(map_db_error)?;
        setup
            .execute(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"").as_str())
            .await
            .map_err(map_db_error)?;
        setup.close().await.map_err(map_db_error)?;
        let set_path = format!("SET search_path TO \"{schema}\"");
        let pool = pool_options()
            .after_connect(move |conn, _meta| {
                let set_path = set_path.clone();
                Box::pin(async move {
                    conn.execute(set_path.as_str()).await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(map_db_error)?;
        Self::migrated(pool).await
    }

    async fn migrated(pool: PgPool) -> StoreResult<Self> {
        sqlx::migrate!("./migrations/postgres").run(&pool).await.map_err(map_migrate_error)?;
        crate::sql::fill_name_keys(&pool).await?;
        Ok(Self::on(pool))
    }
}

fn parse_url(url: &str) -> StoreResult<PgConnectOptions> {
    // The URL may hold a password: never echo it.
    PgConnectOptions::from_str(url).map_err(|_| StoreError::Backend("invalid PostgreSQL URL".to_owned()))
}

fn pool_options() -> PgPoolOptions {
    PgPoolOptions::new().max_connections(POOL_SIZE).acquire_timeout(ACQUIRE_TIMEOUT)
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
