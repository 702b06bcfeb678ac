//! Storage conformance suite: every case in `suite` runs against each backend — SQLite in
//! memory, SQLite in a temporary file, and PostgreSQL (in a fresh schema per test) when
//! `CUSTOS_TEST_POSTGRES_URL` is set.
//!
//! Timestamps in the fixtures carry microseconds, the precision both backends keep.

mod suite;
use suite::audit;
mod support;

use custos_core::sign_in_log::SignInEventType;
use custos_store::postgres::PostgresStore;
use custos_store::sqlite::SqliteStore;
use custos_store::{LogOrder, LogQuery, SignInFilter, Store};
use sqlx::Executor as _;
use std::str::FromStr;
use std::sync::Arc;

/// A store under test and what must be cleaned up after it.
struct Fixture {
    store: Arc<dyn Store>,
    cleanup: Cleanup,
}

enum Cleanup {
    Nothing,
    TempDir(#[allow(dead_code)] tempfile::TempDir),
    Schema { url: String, schema: String, store: Arc<PostgresStore> },
}

impl Fixture {
    async fn finish(self) {
        drop(self.store);
        if let Cleanup::Schema { url, schema, store } = self.cleanup {
            store.close().await;
            support::drop_schema(&url, &schema).await;
        }
    }
}

async fn sqlite_memory() -> Option<Fixture> {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    Some(Fixture { store: Arc::new(store), cleanup: Cleanup::Nothing })
}

async fn sqlite_file() -> Option<Fixture> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("custos.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    Some(Fixture { store: Arc::new(store), cleanup: Cleanup::TempDir(dir) })
}

async fn postgres() -> Option<Fixture> {
    let url = support::postgres_url("conformance test")?;
    let schema = support::fresh_schema();
    let store = Arc::new(support::store_in_schema(&url, &schema).await);
    Some(Fixture { store: store.clone(), cleanup: Cleanup::Schema { url, schema, store } })
}

/// Instantiates every listed case of `suite` for one backend.
macro_rules! instantiate {
    ($backend:ident, $factory:path, [$($case:ident),* $(,)?]) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let Some(fixture) = $factory().await else { return };
                    crate::suite::$case(fixture.store.clone()).await;
                    fixture.finish().await;
                }
            )*
        }
    };
}

/// The list of cases, written once.
macro_rules! conformance {
    ($backend:ident, $factory:path) => {
        instantiate!(
            $backend,
            $factory,
            [
                ping,
                tenant_round_trip,
                tenant_conflicts,
                application_round_trip,
                application_update,
                application_conflicts,
                key_credentials_round_trip,
                identifier_uri_conflicts,
                concurrent_identifier_uri_claims,
                identifier_uri_variant_conflicts,
                concurrent_identifier_uri_variant_claims,
                service_principal_round_trip,
                service_principal_conflicts,
                assignment_round_trip,
                assignment_conflicts,
                delete_application_cascades,
                delete_service_principal_cascades,
                owners_round_trip_and_cascade,
                tenant_isolation,
                signing_keys,
                signing_key_es256_companions,
                directory_snapshot_lookups,
                directory_invalidation,
                directory_resolve_tenant,
                narrow_reads,
                slices_answer_as_the_whole_snapshot,
                password_changes,
                key_changes,
                update_leaves_credentials,
                concurrent_password_additions,
                removal_racing_additions,
                concurrent_key_additions_respect_the_limit,
                federated_changes,
                concurrent_federated_changes,
                federated_credentials_in_snapshots,
                nul_text_is_refused,
                nul_credential_changes_are_refused,
                nul_keys_find_nothing,
                user_round_trip,
                user_conflicts,
                directory_roles,
                permission_grants,
                grants_in_snapshots,
                applications_across_tenants,
                objects_read_in_pages_in_list_order,
                display_name_prefixes_narrow_pages,
                users_read_in_pages_in_list_order,
                applications_by_app_ids_in_one_read,
                sessions,
                codes_are_single_use,
                a_replay_before_the_family_starts_still_revokes_it,
                concurrent_redemptions_spend_a_code_once,
                refresh_tokens_rotate,
                refresh_tokens_expire,
                concurrent_refreshes_rotate_once,
                revoking_a_user_s_families,
                audits_commit_with_their_change,
                credential_changes_record_key_lists_without_secrets,
                audits_are_read_per_tenant_newest_first_in_pages,
                a_dropped_write_leaves_the_pool_usable,
                sign_ins_read_back_per_tenant_filtered_and_paged,
                a_sign_in_batch_is_written_whole_or_not_at_all,
                retention_purges_old_logs_per_tenant_in_chunks,
            ]
        );
    };
}

conformance!(sqlite_in_memory, crate::sqlite_memory);
conformance!(sqlite_in_file, crate::sqlite_file);
conformance!(postgresql, crate::postgres);

/// What an SQLite file store committed survives closing and reopening it.
#[tokio::test]
async fn sqlite_file_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("durable.db").display());
    let world = suite::World::new();
    let key = suite::signing_key("kid-durable");
    {
        let store = SqliteStore::open(&url).await.unwrap();
        world.create_all(&store).await;
        store.insert_signing_key(&key, &audit()).await.unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(&url).await.unwrap();
    assert_eq!(store.tenants().await.unwrap(), vec![world.tenant_a.clone(), world.tenant_b.clone()]);
    assert_eq!(
        store.applications(world.tenant_a.id).await.unwrap(),
        vec![world.resource_app.clone(), world.client_app.clone()]
    );
    assert_eq!(
        store.service_principals(world.tenant_a.id).await.unwrap(),
        vec![world.resource_sp.clone(), world.client_sp.clone()]
    );
    assert_eq!(store.assignments(world.tenant_a.id).await.unwrap(), vec![world.assignment.clone()]);
    assert_eq!(store.signing_keys().await.unwrap(), vec![key]);
}

/// A database written before migration 0002 opens with every application's key credentials
/// empty, and takes new ones afterwards.
#[tokio::test]
async fn sqlite_migration_0002_adds_empty_key_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let manifest = env!("CARGO_MANIFEST_DIR");
    std::fs::copy(
        format!("{manifest}/migrations/sqlite/0001_initial.sql"),
        migrations.join("0001_initial.sql"),
    )
    .unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let world = suite::World::new();
    {
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap().create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(migrations.as_path()).await.unwrap().run(&pool).await.unwrap();
        pool.execute(
            format!(
                "INSERT INTO tenants (id, domain, domain_key, display_name, created) \
                 VALUES ('{}', 'old.example', 'old.example', 'Old', 0); \
                 INSERT INTO applications (id, tenant_id, app_id, display_name, sign_in_audience, \
                 app_roles, password_credentials, created) \
                 VALUES ('{}', '{}', '{}', 'Old app', 'AzureADMyOrg', '[]', '[]', 0)",
                world.tenant_a.id, world.client_app.id, world.tenant_a.id, world.client_app.app_id
            )
            .as_str(),
        )
        .await
        .unwrap();
        pool.close().await;
    }
    let store = SqliteStore::open(&url).await.unwrap();
    let app = store.application(world.tenant_a.id, world.client_app.id).await.unwrap().unwrap();
    assert_eq!(app.display_name, "Old app");
    assert_eq!(app.key_credentials, vec![]);
    let entries = world.client_app.key_credentials.iter().cloned().map(custos_store::KeyEntry::New).collect();
    store
        .modify_application(
            app.tenant_id,
            app.id,
            custos_store::ApplicationChange::ReplaceKeys(entries),
            &audit(),
        )
        .await
        .unwrap();
    let read = store.application(world.tenant_a.id, app.id).await.unwrap().unwrap();
    assert_eq!(read.key_credentials, world.client_app.key_credentials);
}

/// An unsupported URL scheme is a backend error naming the scheme, never a panic.
#[tokio::test]
async fn open_rejects_unknown_schemes() {
    let err = custos_store::open("mysql://localhost/db").await.err().unwrap();
    assert_eq!(
        err.to_string(),
        "storage backend error: unsupported database URL scheme in 'mysql': use sqlite://PATH or postgres://..."
    );
}

/// Schema names are identifiers; anything else is refused before touching the database.
#[tokio::test]
async fn connect_in_schema_rejects_bad_names() {
    let err = PostgresStore::connect_in_schema("postgres://127.0.0.1:1/x", "a\"; DROP").await.err().unwrap();
    assert_eq!(
        err.to_string(),
        "storage backend error: invalid schema name 'a\"; DROP': use ASCII letters, digits and '_'"
    );
}

/// A PostgreSQL URL that is set but unreachable fails the PostgreSQL tests, naming the URL and
/// the error, instead of letting them pass.
#[tokio::test]
#[should_panic(
    expected = "CUSTOS_TEST_POSTGRES_URL=postgres://127.0.0.1:1/unreachable is set but PostgreSQL cannot be used there: storage backend error: "
)]
async fn unreachable_postgres_fails_the_tests() {
    support::store_in_schema("postgres://127.0.0.1:1/unreachable", &support::fresh_schema()).await;
}

/// Directory audits are never changed: the table refuses an UPDATE on both databases, even
/// from a client that bypasses the store.
#[tokio::test]
async fn audit_rows_refuse_updates() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("audits.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    store.insert_signing_key(&suite::signing_key("kid-audit"), &audit()).await.unwrap();
    store.close().await;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap();
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    let err = pool.execute("UPDATE directory_audits SET activity = 'Nothing happened'").await.unwrap_err();
    assert!(err.to_string().contains("directory audits are never changed"), "{err}");
    pool.close().await;

    let Some(url) = support::postgres_url("audit update refusal") else { return };
    let schema = support::fresh_schema();
    let store = support::store_in_schema(&url, &schema).await;
    store.insert_signing_key(&suite::signing_key("kid-audit"), &audit()).await.unwrap();
    store.close().await;
    let mut conn = support::connect(&url).await;
    let update = format!("UPDATE \"{schema}\".directory_audits SET activity = 'Nothing happened'");
    let err = conn.execute(update.as_str()).await.unwrap_err();
    assert!(err.to_string().contains("directory audits are never changed"), "{err}");
    drop(conn);
    support::drop_schema(&url, &schema).await;
}

/// Sign-in rows refuse updates on both databases, also from a client that bypasses the store.
#[tokio::test]
async fn sign_in_rows_refuse_updates() {
    let tenant = custos_core::TenantId::new_random();
    let record = || suite::sign_in_record(tenant, SignInEventType::ServicePrincipal, "app", 1, 0);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("sign-ins.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    store.append_sign_ins(&[record()]).await.unwrap();
    store.close().await;
    let pool = sqlx::SqlitePool::connect_with(sqlx::sqlite::SqliteConnectOptions::from_str(&url).unwrap())
        .await
        .unwrap();
    let err = pool.execute("UPDATE sign_ins SET error_code = 0").await.unwrap_err();
    assert!(err.to_string().contains("sign-in records are never changed"), "{err}");
    pool.close().await;

    let Some(url) = support::postgres_url("sign-in update refusal") else { return };
    let schema = support::fresh_schema();
    let store = support::store_in_schema(&url, &schema).await;
    store.append_sign_ins(&[record()]).await.unwrap();
    store.close().await;
    let mut conn = support::connect(&url).await;
    let update = format!("UPDATE \"{schema}\".sign_ins SET error_code = 0");
    let err = conn.execute(update.as_str()).await.unwrap_err();
    assert!(err.to_string().contains("sign-in records are never changed"), "{err}");
    drop(conn);
    support::drop_schema(&url, &schema).await;
}

/// Two nodes on one PostgreSQL database append interleaved batches concurrently; either reads
/// every record back in time order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_of_two_nodes_read_back_in_time_order() {
    let Some(url) = support::postgres_url("multi-node sign-ins") else { return };
    let schema = support::fresh_schema();
    let nodes = [
        Arc::new(support::store_in_schema(&url, &schema).await),
        Arc::new(support::store_in_schema(&url, &schema).await),
    ];
    let tenant = custos_core::TenantId::new_random();
    // Node n writes the records of seconds n, n + 2, n + 4, ... in batches of five.
    let writers = nodes.iter().enumerate().map(|(n, node)| {
        let node = Arc::clone(node);
        tokio::spawn(async move {
            for batch in 0..10_i64 {
                let records: Vec<_> = (0..5_i64)
                    .map(|i| {
                        let second = (batch * 5 + i) * 2 + n as i64;
                        suite::sign_in_record(tenant, SignInEventType::ServicePrincipal, "app", second, 0)
                    })
                    .collect();
                node.append_sign_ins(&records).await.unwrap();
            }
        })
    });
    for writer in writers.collect::<Vec<_>>() {
        writer.await.unwrap();
    }
    for node in &nodes {
        let query = LogQuery { order: LogOrder::OldestFirst, ..LogQuery::newest(tenant, 1000) };
        let page = node.sign_ins(&query, &SignInFilter::default()).await.unwrap();
        let times: Vec<_> = page.records.iter().map(|r| r.created).collect();
        assert_eq!(times, (0..100).map(suite::at).collect::<Vec<_>>());
    }
    for node in nodes {
        node.close().await;
    }
    support::drop_schema(&url, &schema).await;
}
