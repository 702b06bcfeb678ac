//! Migration 0004 (identifier-URI keys) on databases written by 0001-0003, for both backends
//! (PostgreSQL when `CUSTOS_TEST_POSTGRES_URL` is set): existing URIs keep their text, get their
//! key backfilled and then block their variants; a database already holding two variants of one
//! URI refuses the migration and keeps its rows.

use custos_core::model::{Application, SIGN_IN_AUDIENCE_MY_ORG};
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::postgres::PostgresStore;
use custos_store::sqlite::SqliteStore;
use custos_store::{Store, StoreError};
use sqlx::{Connection as _, Executor as _};
use std::path::Path;
use std::str::FromStr;

mod support;

const TENANT: TenantId = TenantId(uuid::Uuid::from_u128(0xa0));
const APP_1: ObjectId = ObjectId(uuid::Uuid::from_u128(0xb1));
const APP_2: ObjectId = ObjectId(uuid::Uuid::from_u128(0xb2));

/// Copies the migrations of `backend` before 0004 into `dir`.
fn migrations_before_0004(backend: &str, dir: &Path) {
    let source = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
    for name in ["0001_initial.sql", "0002_key_credentials.sql", "0003_assertion_replay.sql"] {
        std::fs::copy(format!("{source}/{name}"), dir.join(name)).unwrap();
    }
}

/// SQL inserting the tenant, two applications and `uris` (application, URI) in the 0003 schema.
fn old_rows(uris: &[(ObjectId, &str)]) -> String {
    let mut sql = format!(
        "INSERT INTO tenants (id, domain, domain_key, display_name, created) \
         VALUES ('{TENANT}', 'old.example', 'old.example', 'Old', '2025-01-01T00:00:00Z');"
    );
    for (i, app) in [APP_1, APP_2].into_iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO applications (id, tenant_id, app_id, display_name, sign_in_audience, \
             app_roles, password_credentials, created) \
             VALUES ('{app}', '{TENANT}', '{}', 'App {i}', 'AzureADMyOrg', '[]', '[]', '2025-01-01T00:00:00Z');",
            AppId::new_random()
        ));
    }
    for (position, (app, uri)) in uris.iter().enumerate() {
        sql.push_str(&format!(
            "INSERT INTO identifier_uris (tenant_id, uri, application_id, position) \
             VALUES ('{TENANT}', '{uri}', '{app}', {position});"
        ));
    }
    sql
}

/// Creates the SQLite database at `url` at schema 0003, holding `uris`.
async fn old_sqlite(url: &str, dir: &Path, uris: &[(ObjectId, &str)]) {
    let migrations = dir.join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    migrations_before_0004("sqlite", &migrations);
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(url).unwrap().create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(migrations.as_path()).await.unwrap().run(&pool).await.unwrap();
    // SQLite stores times as integer microseconds.
    pool.execute(old_rows(uris).replace("'2025-01-01T00:00:00Z'", "0").as_str()).await.unwrap();
    pool.close().await;
}

/// Creates schema `schema` at 0003 holding `uris`; None without a PostgreSQL URL.
async fn old_postgres(schema: &str, uris: &[(ObjectId, &str)]) -> Option<String> {
    let url = support::postgres_url("migration test")?;
    let dir = tempfile::tempdir().unwrap();
    migrations_before_0004("postgres", dir.path());
    let mut conn = support::connect(&url).await;
    conn.execute(format!("CREATE SCHEMA \"{schema}\"; SET search_path TO \"{schema}\"").as_str())
        .await
        .unwrap();
    sqlx::migrate::Migrator::new(dir.path()).await.unwrap().run(&mut conn).await.unwrap();
    conn.execute(old_rows(uris).as_str()).await.unwrap();
    conn.close().await.unwrap();
    Some(url)
}

const LEGACY_URIS: [(ObjectId, &str); 3] =
    [(APP_1, "API://Legacy/"), (APP_1, "https://Svc.example"), (APP_2, "api://other")];

/// After 0004 the old URIs read back unchanged and their variants are taken.
async fn assert_backfilled(store: &dyn Store) {
    let app = store.application(TENANT, APP_1).await.unwrap().unwrap();
    assert_eq!(app.identifier_uris, ["API://Legacy/", "https://Svc.example"]);
    for variant in ["api://legacy", "https://svc.example/", "API://OTHER"] {
        let mut claimant = new_application(variant);
        assert_eq!(
            store.create_application(&claimant, &audit()).await.err().map(|e| e.to_string()),
            Some("conflict: an identifier URI is already used in the tenant".to_owned()),
            "{variant}"
        );
        claimant.identifier_uris = vec![format!("{variant}/new")];
        store.create_application(&claimant, &audit()).await.unwrap();
    }
}

fn new_application(uri: &str) -> Application {
    Application {
        id: ObjectId::new_random(),
        tenant_id: TENANT,
        app_id: AppId::new_random(),
        display_name: "New".to_owned(),
        description: None,
        identifier_uris: vec![uri.to_owned()],
        app_roles: Vec::new(),
        requested_access_token_version: None,
        sign_in_audience: SIGN_IN_AUDIENCE_MY_ORG.to_owned(),
        password_credentials: Vec::new(),
        key_credentials: Vec::new(),
        federated_identity_credentials: Vec::new(),
        oauth2_permission_scopes: Vec::new(),
        required_resource_access: Vec::new(),
        redirect_uris: custos_core::consent::RedirectUris::default(),
        properties: Default::default(),
        access_token_signing_algorithm: Default::default(),
        created: time::OffsetDateTime::UNIX_EPOCH,
    }
}

fn assert_refused(result: Result<impl std::fmt::Debug, StoreError>) {
    match result {
        Err(StoreError::Backend(text)) => assert!(text.starts_with("migrating the database: "), "{text}"),
        other => panic!("expected a migration failure, got {other:?}"),
    }
}

#[tokio::test]
async fn sqlite_0004_backfills_uri_keys() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    old_sqlite(&url, dir.path(), &LEGACY_URIS).await;
    let store = SqliteStore::open(&url).await.unwrap();
    assert_backfilled(&store).await;
}

#[tokio::test]
async fn sqlite_0004_refuses_existing_variants() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    old_sqlite(&url, dir.path(), &[(APP_1, "api://dup"), (APP_2, "API://dup/")]).await;
    assert_refused(SqliteStore::open(&url).await);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let uris: Vec<String> =
        sqlx::query_scalar("SELECT uri FROM identifier_uris ORDER BY uri").fetch_all(&pool).await.unwrap();
    assert_eq!(uris, ["API://dup/", "api://dup"]);
}

#[tokio::test]
async fn postgres_0004_backfills_uri_keys() {
    let schema = support::fresh_schema();
    let Some(url) = old_postgres(&schema, &LEGACY_URIS).await else { return };
    let store = support::store_in_schema(&url, &schema).await;
    assert_backfilled(&store).await;
    store.close().await;
    support::drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn postgres_0004_refuses_existing_variants() {
    let schema = support::fresh_schema();
    let Some(url) = old_postgres(&schema, &[(APP_1, "api://dup"), (APP_2, "API://dup/")]).await else {
        return;
    };
    assert_refused(PostgresStore::connect_in_schema(&url, &schema).await);
    let mut conn = support::connect(&url).await;
    let uris: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT uri FROM \"{schema}\".identifier_uris ORDER BY uri COLLATE \"C\""
    ))
    .fetch_all(&mut conn)
    .await
    .unwrap();
    assert_eq!(uris, ["API://dup/", "api://dup"]);
    conn.close().await.unwrap();
    support::drop_schema(&url, &schema).await;
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;
