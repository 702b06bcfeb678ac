//! Migration 0005 (federated identity credentials) on databases written by 0001-0004, for both
//! backends (PostgreSQL when `CUSTOS_TEST_POSTGRES_URL` is set): an existing application reads
//! back with no federated identity credentials, keeps its other credentials, and takes new ones.

use custos_core::model::{FEDERATION_DEFAULT_AUDIENCE, FederatedIdentityCredential};
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::sqlite::SqliteStore;
use custos_store::{ApplicationChange, Store};
use sqlx::{Connection as _, Executor as _};
use std::path::Path;
use std::str::FromStr;

mod support;

const TENANT: TenantId = TenantId(uuid::Uuid::from_u128(0xa0));
const APP: ObjectId = ObjectId(uuid::Uuid::from_u128(0xb1));
const MIGRATIONS_BEFORE_0005: [&str; 4] = [
    "0001_initial.sql",
    "0002_key_credentials.sql",
    "0003_assertion_replay.sql",
    "0004_identifier_uri_key.sql",
];

/// Copies the migrations of `backend` before 0005 into `dir`.
fn migrations_before_0005(backend: &str, dir: &Path) {
    let source = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    for name in MIGRATIONS_BEFORE_0005 {
        std::fs::copy(format!("{source}/{name}"), dir.join(name)).unwrap();
    }
}

/// SQL inserting the tenant and one application in the 0004 schema; `created` is the literal
/// for the creation times.
fn old_rows(created: &str) -> String {
    format!(
        "INSERT INTO tenants (id, domain, domain_key, display_name, created) \
         VALUES ('{TENANT}', 'old.example', 'old.example', 'Old', {created}); \
         INSERT INTO applications (id, tenant_id, app_id, display_name, sign_in_audience, \
         app_roles, password_credentials, created) \
         VALUES ('{APP}', '{TENANT}', '{}', 'Old app', 'AzureADMyOrg', '[]', '[]', {created});",
        AppId::new_random()
    )
}

fn credential() -> FederatedIdentityCredential {
    FederatedIdentityCredential {
        id: uuid::Uuid::new_v4(),
        name: "github-main".to_owned(),
        issuer: "https://token.actions.githubusercontent.com".to_owned(),
        subject: "repo:contoso/orders:ref:refs/heads/main".to_owned(),
        audiences: vec![FEDERATION_DEFAULT_AUDIENCE.to_owned()],
        description: None,
    }
}

/// After 0005 the old application has no federated identity credentials and takes one.
async fn assert_migrated(store: &dyn Store) {
    let app = store.application(TENANT, APP).await.unwrap().unwrap();
    assert_eq!(app.display_name, "Old app");
    assert_eq!(app.federated_identity_credentials, vec![]);
    assert_eq!(app.key_credentials, vec![]);
    let added = credential();
    store
        .modify_application(TENANT, APP, ApplicationChange::AddFederated(added.clone()), &audit())
        .await
        .unwrap();
    let read = store.application(TENANT, APP).await.unwrap().unwrap();
    assert_eq!(read.federated_identity_credentials, vec![added]);
}

#[tokio::test]
async fn sqlite_0005_adds_empty_federated_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    migrations_before_0005("sqlite", &migrations);
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.as_path()).await.unwrap().run(&pool).await.unwrap();
    // SQLite stores times as integer microseconds.
    pool.execute(old_rows("0").as_str()).await.unwrap();
    pool.close().await;

    let store = SqliteStore::open(&url).await.unwrap();
    assert_migrated(&store).await;
}

#[tokio::test]
async fn postgres_0005_adds_empty_federated_credentials() {
    let Some(url) = support::postgres_url("migration test") else { return };
    let schema = support::fresh_schema();
    let dir = tempfile::tempdir().unwrap();
    migrations_before_0005("postgres", dir.path());
    let mut conn = support::connect(&url).await;
    conn.execute(format!("CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\"").as_str())
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(dir.path()).await.unwrap().run(&mut conn).await.unwrap();
    conn.execute(old_rows("'2025-01-01T00:00:00Z'").as_str()).await.unwrap();

    let store = support::store_in_schema(&url, &schema).await;
    assert_migrated(&store).await;
    store.close().await;
    conn.execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str()).await.unwrap();
    conn.close().await.unwrap();
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;
