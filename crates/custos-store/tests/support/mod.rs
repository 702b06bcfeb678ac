//! PostgreSQL setup shared by this crate's test binaries. PostgreSQL tests run when
//! `CUSTOS_TEST_POSTGRES_URL` is set. Unset, each prints SKIPPED and passes; set, a database
//! that cannot be reached or used fails the test with the URL and the error, so a broken
//! environment never passes silently.

// Each test binary uses the part it needs.
#![allow(dead_code)]

use custos_store::postgres::PostgresStore;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions as _, Executor as _};
use std::str::FromStr;
use std::time::Duration;

/// The variable naming the test database.
pub(crate) const POSTGRES_URL_VAR: &str = "CUSTOS_TEST_POSTGRES_URL";

/// How long reaching the database may take before the test fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// The PostgreSQL URL to test `what` against; None, after printing SKIPPED, when the variable is
/// unset.
pub(crate) fn postgres_url(what: &str) -> Option<String> {
    let Some(url) = std::env::var_os(POSTGRES_URL_VAR) else {
        eprintln!("SKIPPED: PostgreSQL {what}, {POSTGRES_URL_VAR} not set");
        return None;
    };
    Some(url.into_string().unwrap_or_else(|url| panic!("{POSTGRES_URL_VAR}={url:?} is not UTF-8")))
}

/// Fails the test: the database at `url` cannot be used.
fn unusable(url: &str, error: impl std::fmt::Display) -> ! {
    panic!("{POSTGRES_URL_VAR}={url} is set but PostgreSQL cannot be used there: {error}")
}

/// Runs `connect` against `url`, failing the test (naming the URL) on an error or after
/// [`CONNECT_TIMEOUT`].
async fn reach<T, E: std::fmt::Display>(url: &str, connect: impl Future<Output = Result<T, E>>) -> T {
    match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
        Ok(Ok(connected)) => connected,
        Ok(Err(error)) => unusable(url, error),
        Err(_) => unusable(url, format!("no answer within {CONNECT_TIMEOUT:?}")),
    }
}

/// A connection to `url`.
pub(crate) async fn connect(url: &str) -> PgConnection {
    let options = PgConnectOptions::from_str(url).unwrap_or_else(|error| unusable(url, error));
    reach(url, options.connect()).await
}

/// A store in `schema` (created and migrated).
pub(crate) async fn store_in_schema(url: &str, schema: &str) -> PostgresStore {
    reach(url, PostgresStore::connect_in_schema(url, schema)).await
}

/// A schema name no other test uses.
pub(crate) fn fresh_schema() -> String {
    format!("custos_test_{}", uuid::Uuid::new_v4().simple())
}

/// Drops `schema` and everything in it.
pub(crate) async fn drop_schema(url: &str, schema: &str) {
    let mut conn = connect(url).await;
    conn.execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str()).await.unwrap();
}
