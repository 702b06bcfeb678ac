//! Tenant settings and client-assertion replay markers (migration 0003) on each backend:
//! SQLite in memory, SQLite in a file (also across reopening), and PostgreSQL in a fresh schema
//! when `CUSTOS_TEST_POSTGRES_URL` is set.

use custos_core::model::Tenant;
use custos_core::settings::{AssertionReplayMode, TenantSettings};
use custos_core::{AppId, TenantId};
use custos_store::sqlite::SqliteStore;
use custos_store::{AssertionMarker, Directory, MarkerOutcome, Store, StoreError};
use std::sync::Arc;
use time::macros::datetime;

mod support;

fn tenant(domain: &str) -> Tenant {
    Tenant {
        id: TenantId::new_random(),
        domain: domain.to_owned(),
        display_name: domain.to_owned(),
        created: datetime!(2025-01-01 0:00 UTC),
    }
}

fn marker(tenant: TenantId, client: AppId, jti: &str, digest: u8, expires: i64) -> AssertionMarker {
    AssertionMarker { tenant, client, jti: jti.to_owned(), digest: [digest; 32], expires }
}

async fn settings_round_trip(store: Arc<dyn Store>) {
    let t = tenant("settings.example");
    store.create_tenant(&t, &audit()).await.unwrap();
    assert_eq!(store.tenant_settings(t.id).await.unwrap(), TenantSettings::default());
    let strict =
        TenantSettings { assertion_replay: AssertionReplayMode::Strict, ..TenantSettings::default() };
    store.update_tenant_settings(t.id, &strict, &audit()).await.unwrap();
    assert_eq!(store.tenant_settings(t.id).await.unwrap(), strict);
    store.update_tenant_settings(t.id, &TenantSettings::default(), &audit()).await.unwrap();
    assert_eq!(store.tenant_settings(t.id).await.unwrap(), TenantSettings::default());
    // Unknown tenants: defaults on read, NotFound on write.
    let missing = TenantId::new_random();
    assert_eq!(store.tenant_settings(missing).await.unwrap(), TenantSettings::default());
    assert!(matches!(
        store.update_tenant_settings(missing, &strict, &audit()).await,
        Err(StoreError::NotFound)
    ));
}

async fn markers_insert_if_absent(store: Arc<dyn Store>) {
    let (t, other_tenant) = (TenantId::new_random(), TenantId::new_random());
    let (client, other_client) = (AppId::new_random(), AppId::new_random());
    let now = 1_000;
    let first = marker(t, client, "jti-1", 1, now + 600);
    assert_eq!(store.record_assertion_markers(&[first], now).await.unwrap(), vec![MarkerOutcome::Recorded]);
    // Same key again (any digest): the live marker is reported and left unchanged.
    let again = marker(t, client, "jti-1", 2, now + 900);
    assert_eq!(
        store.record_assertion_markers(&[again], now).await.unwrap(),
        vec![MarkerOutcome::Seen { digest: [1; 32] }]
    );
    // The same jti of another client or tenant is another key.
    let outcomes = store
        .record_assertion_markers(
            &[
                marker(t, other_client, "jti-1", 3, now + 600),
                marker(other_tenant, client, "jti-1", 4, now + 600),
            ],
            now,
        )
        .await
        .unwrap();
    assert_eq!(outcomes, vec![MarkerOutcome::Recorded, MarkerOutcome::Recorded]);
    // Within one batch a later duplicate sees the earlier one.
    let outcomes = store
        .record_assertion_markers(
            &[marker(t, client, "jti-2", 5, now + 60), marker(t, client, "jti-2", 6, now + 60)],
            now,
        )
        .await
        .unwrap();
    assert_eq!(outcomes, vec![MarkerOutcome::Recorded, MarkerOutcome::Seen { digest: [5; 32] }]);
    assert_eq!(store.record_assertion_markers(&[], now).await.unwrap(), vec![]);

    // A large batch, with duplicates far apart and a live key among new ones: each outcome as if
    // the markers were applied one by one.
    let mut batch: Vec<_> = (0..40).map(|i| marker(t, client, &format!("big-{i}"), 10, now + 600)).collect();
    batch.push(marker(t, client, "big-3", 11, now + 600));
    batch.push(marker(t, client, "jti-1", 12, now + 600));
    batch.push(marker(t, client, "jti-1", 13, now + 600));
    batch.push(marker(t, client, "big-39", 14, now + 600));
    let outcomes = store.record_assertion_markers(&batch, now).await.unwrap();
    let mut expected = vec![MarkerOutcome::Recorded; 40];
    expected.extend([
        MarkerOutcome::Seen { digest: [10; 32] },
        MarkerOutcome::Seen { digest: [1; 32] },
        MarkerOutcome::Seen { digest: [1; 32] },
        MarkerOutcome::Seen { digest: [10; 32] },
    ]);
    assert_eq!(outcomes, expected);
    assert_eq!(
        store.record_assertion_markers(&[marker(t, client, "big-20", 15, now + 600)], now).await.unwrap(),
        vec![MarkerOutcome::Seen { digest: [10; 32] }]
    );
}

async fn dead_markers_are_replaced_and_purged(store: Arc<dyn Store>) {
    let (t, client) = (TenantId::new_random(), AppId::new_random());
    store.record_assertion_markers(&[marker(t, client, "a", 1, 100)], 0).await.unwrap();
    store.record_assertion_markers(&[marker(t, client, "b", 1, 200)], 0).await.unwrap();
    // At 100 the first marker is dead: a new assertion with its jti is recorded over it.
    assert_eq!(
        store.record_assertion_markers(&[marker(t, client, "a", 2, 400)], 100).await.unwrap(),
        vec![MarkerOutcome::Recorded]
    );
    assert_eq!(
        store.record_assertion_markers(&[marker(t, client, "a", 3, 400)], 101).await.unwrap(),
        vec![MarkerOutcome::Seen { digest: [2; 32] }]
    );
    assert_eq!(store.purge_assertion_markers(199).await.unwrap(), 0);
    assert_eq!(store.purge_assertion_markers(200).await.unwrap(), 1);
    assert_eq!(
        store.record_assertion_markers(&[marker(t, client, "b", 4, 500)], 200).await.unwrap(),
        vec![MarkerOutcome::Recorded]
    );
    assert_eq!(store.purge_assertion_markers(10_000).await.unwrap(), 2);
}

/// Settings written through the directory cache reach the next snapshot at once.
async fn snapshot_carries_settings(store: Arc<dyn Store>) {
    let directory = Directory::new(store);
    let t = tenant("snapshot.example");
    directory.create_tenant(&t, &audit()).await.unwrap();
    let before = directory.snapshot(t.id).await.unwrap().unwrap();
    assert_eq!(before.settings.assertion_replay, AssertionReplayMode::Compat);
    let strict =
        TenantSettings { assertion_replay: AssertionReplayMode::Strict, ..TenantSettings::default() };
    directory.update_tenant_settings(t.id, &strict, &audit()).await.unwrap();
    let after = directory.snapshot(t.id).await.unwrap().unwrap();
    assert_eq!(after.settings, strict);
}

macro_rules! backend {
    ($name:ident, $open:expr) => {
        mod $name {
            use super::*;

            async fn open() -> Option<(Arc<dyn Store>, Option<tempfile::TempDir>)> {
                $open
            }

            #[tokio::test]
            async fn settings_round_trip() {
                let Some((store, _dir)) = open().await else { return };
                super::settings_round_trip(store).await;
            }

            #[tokio::test]
            async fn markers_insert_if_absent() {
                let Some((store, _dir)) = open().await else { return };
                super::markers_insert_if_absent(store).await;
            }

            #[tokio::test]
            async fn dead_markers_are_replaced_and_purged() {
                let Some((store, _dir)) = open().await else { return };
                super::dead_markers_are_replaced_and_purged(store).await;
            }

            #[tokio::test]
            async fn snapshot_carries_settings() {
                let Some((store, _dir)) = open().await else { return };
                super::snapshot_carries_settings(store).await;
            }
        }
    };
}

backend!(sqlite_in_memory, {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
    Some((store, None))
});

backend!(sqlite_in_file, {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("custos.db").display());
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&url).await.unwrap());
    Some((store, Some(dir)))
});

backend!(postgresql, {
    let url = support::postgres_url("replay test")?;
    let store: Arc<dyn Store> = Arc::new(support::store_in_schema(&url, &support::fresh_schema()).await);
    Some((store, None))
});

/// Markers and settings committed to an SQLite file survive closing and reopening it.
#[tokio::test]
async fn sqlite_markers_and_settings_survive_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("replay.db").display());
    let t = tenant("durable.example");
    let client = AppId::new_random();
    let strict =
        TenantSettings { assertion_replay: AssertionReplayMode::Strict, ..TenantSettings::default() };
    {
        let store = SqliteStore::open(&url).await.unwrap();
        store.create_tenant(&t, &audit()).await.unwrap();
        store.update_tenant_settings(t.id, &strict, &audit()).await.unwrap();
        store.record_assertion_markers(&[marker(t.id, client, "j", 9, 500)], 0).await.unwrap();
        store.close().await;
    }
    let store = SqliteStore::open(&url).await.unwrap();
    assert_eq!(store.tenant_settings(t.id).await.unwrap(), strict);
    assert_eq!(
        store.record_assertion_markers(&[marker(t.id, client, "j", 1, 500)], 10).await.unwrap(),
        vec![MarkerOutcome::Seen { digest: [9; 32] }]
    );
}

/// A file database keeps its markers in `NAME-replay.db`, and markers an older version left in
/// the main file's table are moved there on open (still blocking their `jti`, gone from the
/// main file); a second open finds nothing left to move.
#[tokio::test]
async fn sqlite_markers_of_the_main_file_move_to_the_marker_file() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("custos.db");
    let url = format!("sqlite://{}", main.display());
    let (t, client) = (TenantId::new_random(), AppId::new_random());
    SqliteStore::open(&url).await.unwrap().close().await;
    assert!(dir.path().join("custos-replay.db").exists(), "the marker file is created");
    {
        // What an older version wrote: a live marker in the main file.
        let old = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("INSERT INTO assertion_replay (tenant_id, client_id, jti, digest, expires) VALUES ($1, $2, 'old', $3, 500)")
            .bind(t.0.to_string())
            .bind(client.0.to_string())
            .bind(vec![7_u8; 32])
            .execute(&old)
            .await
            .unwrap();
        old.close().await;
    }
    for _ in 0..2 {
        let store = SqliteStore::open(&url).await.unwrap();
        assert_eq!(
            store.record_assertion_markers(&[marker(t, client, "old", 1, 500)], 10).await.unwrap(),
            vec![MarkerOutcome::Seen { digest: [7; 32] }]
        );
        store.close().await;
        let main_db = sqlx::SqlitePool::connect(&url).await.unwrap();
        let left: i64 =
            sqlx::query_scalar("SELECT count(*) FROM assertion_replay").fetch_one(&main_db).await.unwrap();
        assert_eq!(left, 0, "nothing stays in the main file");
        main_db.close().await;
    }
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;
