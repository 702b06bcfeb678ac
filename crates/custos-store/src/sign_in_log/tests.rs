//! The writer on an in-memory SQLite store, on Tokio's paused clock: time moves only when a test
//! advances it, so the flush interval is checked without sleeping.

use super::*;
use crate::sqlite::SqliteStore;
use crate::{LogQuery, SignInFilter};
use custos_core::TenantId;
use custos_core::sign_in_log::{SignInApp, SignInCredential, SignInEventType, SignInStatus};
use time::macros::datetime;
use uuid::Uuid;

fn record(tenant: TenantId) -> SignIn {
    SignIn {
        id: Uuid::new_v4(),
        tenant_id: tenant,
        created: datetime!(2026-01-01 00:00 UTC),
        event_type: SignInEventType::ServicePrincipal,
        app: SignInApp { app_id: "daemon".to_owned(), ..Default::default() },
        user: None,
        resource: None,
        ip: None,
        correlation_id: Uuid::new_v4(),
        credential: SignInCredential::default(),
        status: SignInStatus::success(),
        scopes: Vec::new(),
        login_hint_present: false,
    }
}

async fn store() -> Arc<dyn Store> {
    Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap())
}

async fn stored(store: &dyn Store, tenant: TenantId) -> usize {
    store.sign_ins(&LogQuery::newest(tenant, 1000), &SignInFilter::default()).await.unwrap().records.len()
}

/// Lets the writer run until `done` holds (the store's I/O runs on its own thread).
async fn until(done: impl Fn() -> bool) {
    for _ in 0..1_000_000 {
        if done() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the writer did not get there");
}

#[tokio::test]
async fn records_wait_at_most_the_flush_interval() {
    let (store, tenant) = (store().await, TenantId::new_random());
    tokio::time::pause(); // after opening the store: its pool's timeouts run on this clock too
    let log = SignInLog::start(Arc::clone(&store), WriterOptions::default());
    tokio::task::yield_now().await;
    for _ in 0..3 {
        log.record(record(tenant));
    }
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    tokio::time::advance(Duration::from_millis(990)).await;
    for _ in 0..100 {
        tokio::task::yield_now().await;
    }
    assert_eq!(log.metrics().recorded(), 0, "a partial batch waits for the interval");
    tokio::time::advance(Duration::from_millis(20)).await;
    until(|| log.metrics().recorded() == 3).await;
    assert_eq!(stored(store.as_ref(), tenant).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_batch_is_written_at_once() {
    let (store, tenant) = (store().await, TenantId::new_random());
    // An interval that never comes: only a full batch explains a write.
    let options =
        WriterOptions { max_batch: 2, flush_every: Duration::from_secs(3600), ..WriterOptions::default() };
    let log = SignInLog::start(Arc::clone(&store), options);
    log.record(record(tenant));
    log.record(record(tenant));
    log.record(record(tenant));
    until(|| log.metrics().recorded() == 2).await;
    assert_eq!(stored(store.as_ref(), tenant).await, 2, "the third waits for its batch");
}

#[tokio::test]
async fn a_full_queue_drops_and_counts() {
    let (store, tenant) = (store().await, TenantId::new_random());
    let log = SignInLog::start(Arc::clone(&store), WriterOptions { queue: 2, ..WriterOptions::default() });
    // The writer does not run between these calls (one thread, no await): the queue fills.
    for _ in 0..5 {
        log.record(record(tenant));
    }
    assert_eq!(log.metrics().dropped(), 3);
    log.flush().await;
    assert_eq!((log.metrics().recorded(), stored(store.as_ref(), tenant).await), (2, 2));
}

#[tokio::test]
async fn close_writes_everything_queued_and_later_records_are_dropped() {
    let (store, tenant) = (store().await, TenantId::new_random());
    let log =
        SignInLog::start(Arc::clone(&store), WriterOptions { max_batch: 7, ..WriterOptions::default() });
    for _ in 0..50 {
        log.record(record(tenant));
    }
    log.close().await;
    assert_eq!(stored(store.as_ref(), tenant).await, 50);
    assert_eq!(log.metrics().recorded(), 50);
    log.record(record(tenant));
    assert_eq!(log.metrics().dropped(), 1);
    log.flush().await; // answers at once: the writer has stopped
}

#[tokio::test]
async fn a_refused_batch_is_counted_as_failed_and_rendered() {
    let (store, tenant) = (store().await, TenantId::new_random());
    let log = SignInLog::start(store, WriterOptions::default());
    let mut bad = record(tenant);
    bad.app.app_id = "nul\0".to_owned();
    log.record(bad);
    log.flush().await;
    log.record(record(tenant));
    log.flush().await;
    assert_eq!((log.metrics().failed(), log.metrics().recorded()), (1, 1));
    let mut out = String::new();
    log.metrics().render_prometheus(&mut out);
    assert!(
        out.contains("# TYPE custos_sign_ins_failed_total counter\ncustos_sign_ins_failed_total 1\n"),
        "{out}"
    );
    assert!(out.contains("custos_sign_ins_recorded_total 1\n"), "{out}");
    assert!(out.contains("custos_sign_ins_dropped_total 0\n"), "{out}");
}

#[tokio::test]
async fn an_off_log_keeps_and_counts_nothing() {
    let log = SignInLog::off();
    log.record(record(TenantId::new_random()));
    log.flush().await;
    log.close().await;
    assert!(!log.is_on());
    assert_eq!((log.metrics().recorded(), log.metrics().dropped()), (0, 0));
}
