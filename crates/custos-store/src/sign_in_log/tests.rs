//! The writer on an in-memory SQLite store, on Tokio's paused clock: time moves only when a test
//! advances it, so the flush interval is checked without sleeping.

use super::*;
use crate::sqlite::SqliteStore;
use crate::{LogQuery, SignInFilter};
use custos_core::TenantId;
use custos_core::sign_in_log::{SignInApp, SignInCredential, SignInEventType, SignInStatus};
use std::sync::atomic::AtomicUsize;
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
        user_agent: None,
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
    // A read on the paused clock could time out waiting for a connection: the runtime skips
    // ahead to the pool's timeout while SQLite works on its own thread.
    tokio::time::resume();
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

/// A sink whose first `failures` appends fail with `error`; later appends are counted, not
/// stored (a real database's pool would time out on the paused clock).
struct Flaky {
    failures: AtomicUsize,
    error: fn() -> StoreError,
    attempts: Arc<AtomicUsize>,
}

impl Flaky {
    fn new(failures: usize, error: fn() -> StoreError) -> Self {
        Self { failures: failures.into(), error, attempts: Arc::default() }
    }
}

#[async_trait]
impl Sink for Flaky {
    async fn append(&self, _: &[SignIn]) -> StoreResult<()> {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        let failing = self.failures.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
        if failing.is_ok() { Err((self.error)()) } else { Ok(()) }
    }
}

/// Tokio's timer fires a sleep on the millisecond after its deadline.
const MS: Duration = Duration::from_millis(1);

fn busy() -> StoreError {
    StoreError::Backend("database is locked".to_owned())
}

#[tokio::test(start_paused = true)]
async fn a_batch_the_database_fails_is_tried_again_and_written() {
    let sink = Flaky::new(2, busy);
    let attempts = Arc::clone(&sink.attempts);
    let log = SignInLog::start_with(sink, WriterOptions::default());
    log.record(record(TenantId::new_random()));
    let flushed = tokio::spawn({
        let log = log.clone();
        async move { log.flush().await }
    });
    until(|| attempts.load(Ordering::Relaxed) == 1).await;
    tokio::time::advance(RETRY_AFTER[0] + MS).await;
    until(|| attempts.load(Ordering::Relaxed) == 2).await;
    assert_eq!(log.metrics().recorded(), 0, "not before the second wait");
    tokio::time::advance(RETRY_AFTER[1] + MS).await;
    flushed.await.unwrap();
    assert_eq!(
        (attempts.load(Ordering::Relaxed), log.metrics().recorded(), log.metrics().failed()),
        (3, 1, 0)
    );
}

#[tokio::test(start_paused = true)]
async fn a_database_failing_past_the_retries_fails_the_batch_and_the_writer_goes_on() {
    let sink = Flaky::new(RETRY_AFTER.len() + 1, busy);
    let attempts = Arc::clone(&sink.attempts);
    let log = SignInLog::start_with(sink, WriterOptions::default());
    log.record(record(TenantId::new_random()));
    let flushed = tokio::spawn({
        let log = log.clone();
        async move { log.flush().await }
    });
    for (n, wait) in RETRY_AFTER.iter().enumerate() {
        until(|| attempts.load(Ordering::Relaxed) == n + 1).await;
        tokio::time::advance(*wait + MS).await;
    }
    flushed.await.unwrap();
    assert_eq!((attempts.load(Ordering::Relaxed), log.metrics().failed()), (RETRY_AFTER.len() + 1, 1));
    log.record(record(TenantId::new_random()));
    log.flush().await;
    assert_eq!(log.metrics().recorded(), 1);
}

#[tokio::test]
async fn a_batch_the_store_refuses_is_not_tried_again() {
    let sink = Flaky::new(1, || StoreError::Conflict("a sign-in with this id exists".to_owned()));
    let attempts = Arc::clone(&sink.attempts);
    let log = SignInLog::start_with(sink, WriterOptions::default());
    log.record(record(TenantId::new_random()));
    log.flush().await;
    assert_eq!((attempts.load(Ordering::Relaxed), log.metrics().failed()), (1, 1));
}
