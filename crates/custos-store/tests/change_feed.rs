//! Changes announced across servers (migration 0015, `custos_store::change_feed`): two stores on
//! one PostgreSQL schema stand for two servers; what one commits, the other's feed announces, and
//! a `Directory` applying the feed serves the change at once instead of after its bounded age.
//! PostgreSQL only (when `CUSTOS_TEST_POSTGRES_URL` is set); SQLite has no feed.

use custos_core::audit::testing::placeholder as audit;
use custos_core::model::{Application, SigningKeyRecord, SigningKeyState, Tenant};
use custos_core::settings::{AssertionReplayMode, TenantSettings};
use custos_core::{AppId, TenantId};
use custos_store::change_feed::{Change, ChangeFeed};
use custos_store::sqlite::SqliteStore;
use custos_store::{Directory, Store};
use std::sync::Arc;
use std::time::Duration;
use time::macros::datetime;

mod support;

/// Liveness bound for a notification (the latency itself is measured by `bench/`, not asserted).
const DELIVERY: Duration = Duration::from_secs(10);

fn tenant(domain: &str) -> Tenant {
    Tenant {
        id: TenantId::new_random(),
        domain: domain.to_owned(),
        display_name: domain.to_owned(),
        created: datetime!(2025-01-01 0:00 UTC),
    }
}

/// The next change the feed yields for one of `tenants` or the keys (other tests share the
/// database and its channels, so their tenants' changes are skipped).
async fn next_of(feed: &mut Box<dyn ChangeFeed>, tenants: &[TenantId]) -> Change {
    loop {
        let change = tokio::time::timeout(DELIVERY, feed.next()).await.expect("no change announced in time");
        match change {
            Change::Tenant(t) if !tenants.contains(&t) => continue,
            other => return other,
        }
    }
}

async fn next_about(feed: &mut Box<dyn ChangeFeed>, tenant: TenantId) -> Change {
    next_of(feed, &[tenant]).await
}

#[tokio::test]
async fn one_server_s_commits_reach_the_other_s_cache() {
    let Some(url) = support::postgres_url("change notifications") else { return };
    let schema = support::fresh_schema();
    let writer = support::store_in_schema(&url, &schema).await;
    let reader: Arc<dyn Store> = Arc::new(support::store_in_schema(&url, &schema).await);
    let directory = Directory::new(reader.clone());
    let mut feed = reader.change_feed().await.unwrap().expect("PostgreSQL has a change feed");

    let t = tenant("feed.example");
    writer.create_tenant(&t, &audit()).await.unwrap();
    assert_eq!(next_about(&mut feed, t.id).await, Change::Tenant(t.id));
    let before = directory.snapshot(t.id).await.unwrap().unwrap();
    assert!(before.application(AppId::new_random()).is_none());

    // An application another server registers: announced, then served once applied.
    let app =
        Application::new(t.id, AppId::new_random(), "announced".to_owned(), datetime!(2025-01-02 0:00 UTC));
    writer.create_application(&app, &audit()).await.unwrap();
    let change = next_about(&mut feed, t.id).await;
    assert_eq!(change, Change::Tenant(t.id));
    assert!(
        directory.snapshot(t.id).await.unwrap().unwrap().application(app.app_id).is_none(),
        "cached until applied"
    );
    directory.apply(&change);
    assert!(directory.snapshot(t.id).await.unwrap().unwrap().application(app.app_id).is_some());

    // Settings (read by the token path from the snapshot) and deletions are announced too.
    let strict =
        TenantSettings { assertion_replay: AssertionReplayMode::Strict, ..TenantSettings::default() };
    writer.update_tenant_settings(t.id, &strict, &audit()).await.unwrap();
    assert_eq!(next_about(&mut feed, t.id).await, Change::Tenant(t.id));
    writer.delete_application(t.id, app.id, &audit()).await.unwrap();
    let change = next_about(&mut feed, t.id).await;
    directory.apply(&change);
    let after = directory.snapshot(t.id).await.unwrap().unwrap();
    assert!(after.application(app.app_id).is_none());
    assert_eq!(after.settings.assertion_replay, AssertionReplayMode::Strict);

    // A signing key another server publishes.
    let key = SigningKeyRecord {
        kid: format!("feed-{}", uuid::Uuid::new_v4().simple()),
        state: SigningKeyState::Next,
        created: datetime!(2025-01-01 0:00 UTC),
        activates: datetime!(2025-01-02 0:00 UTC),
        retires: None,
        sealed_private_key: vec![7; 64],
        certificate_der: vec![0x30, 0x82, 0x01, 0x0a],
        es256: None,
    };
    writer.insert_signing_key(&key, &audit()).await.unwrap();
    assert_eq!(next_about(&mut feed, t.id).await, Change::SigningKeys);

    // A rolled-back write announces nothing: the next change is the one committed after it.
    let other = tenant("feed-other.example");
    writer.create_tenant(&other, &audit()).await.unwrap();
    assert_eq!(next_about(&mut feed, other.id).await, Change::Tenant(other.id));
    assert!(writer.create_tenant(&other, &audit()).await.is_err(), "a duplicate tenant rolls back");
    writer.create_application(&app, &audit()).await.unwrap();
    let next = next_of(&mut feed, &[t.id, other.id]).await;
    assert_eq!(next, Change::Tenant(t.id), "nothing about the rolled-back write");
    support::drop_schema(&url, &schema).await;
}

#[tokio::test]
async fn missed_changes_drop_everything_cached() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
    assert!(store.change_feed().await.unwrap().is_none(), "one server per SQLite database");
    let directory = Directory::new(store.clone());
    let t = tenant("missed.example");
    store.create_tenant(&t, &audit()).await.unwrap();
    let first = directory.snapshot(t.id).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&first, &directory.snapshot(t.id).await.unwrap().unwrap()), "cached");
    directory.apply(&Change::SigningKeys);
    assert!(
        Arc::ptr_eq(&first, &directory.snapshot(t.id).await.unwrap().unwrap()),
        "keys are not the directory"
    );
    directory.apply(&Change::Tenant(TenantId::new_random()));
    assert!(Arc::ptr_eq(&first, &directory.snapshot(t.id).await.unwrap().unwrap()), "another tenant");
    directory.apply(&Change::Missed);
    assert!(!Arc::ptr_eq(&first, &directory.snapshot(t.id).await.unwrap().unwrap()), "reloaded");
}
