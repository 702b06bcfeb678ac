//! The sign-in writer: sign-in records leave the token path through a bounded queue and reach
//! the store in batches, one transaction each ([`crate::Store::append_sign_ins`]).
//!
//! - **Never blocks a request**: [`SignInLog::record`] only offers the record to the queue; when
//!   the queue is full the record is dropped and counted ([`SignInLogMetrics`]).
//! - **Batches**: the writer task commits what has queued up when a batch is full
//!   ([`WriterOptions::max_batch`]) and at least every [`WriterOptions::flush_every`] (one
//!   second by default), so at most that much is lost on a crash.
//! - **Clean shutdown loses nothing**: [`SignInLog::close`] writes everything queued before it
//!   and stops the writer; records offered afterwards are dropped and counted.
//! - **A failing database is retried, briefly**: a batch that fails with a backend error
//!   (database busy, connection lost) is tried again after [`RETRY_AFTER`] (1.25 s in all) while
//!   new records wait in the queue; then it is counted as failed and dropped, so that the writer
//!   never falls behind a broken database without bound. A batch the store refuses as such (a
//!   conflict, invalid input) is not retried. The error is logged, never the records.
//!
//! [`SignInLog::off`] is a log that discards every record (`custos serve --sign-in-log off`).

use crate::{Store, StoreError, StoreResult};
use async_trait::async_trait;
use custos_core::sign_in_log::SignIn;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;

/// The waits before a batch that failed with a backend error is tried again.
pub const RETRY_AFTER: [Duration; 2] = [Duration::from_millis(250), Duration::from_secs(1)];

/// How the writer batches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// Most records waiting in the queue; more are dropped.
    pub queue: usize,
    /// Most records in one transaction.
    pub max_batch: usize,
    /// Longest a record waits in the queue before it is written.
    pub flush_every: Duration,
}

impl Default for WriterOptions {
    fn default() -> Self {
        Self { queue: 16_384, max_batch: 1000, flush_every: Duration::from_secs(1) }
    }
}

/// Counts of the sign-in log, for `/metrics`.
#[derive(Debug, Default)]
pub struct SignInLogMetrics {
    recorded: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

impl SignInLogMetrics {
    /// Records committed to the store.
    pub fn recorded(&self) -> u64 {
        self.recorded.load(Ordering::Relaxed)
    }

    /// Records dropped because the queue was full or the writer had stopped.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Records in batches the store refused.
    pub fn failed(&self) -> u64 {
        self.failed.load(Ordering::Relaxed)
    }

    /// Appends the counters in the Prometheus text exposition format.
    pub fn render_prometheus(&self, out: &mut String) {
        let counters = [
            ("recorded", "Sign-in records written to the store.", self.recorded()),
            ("dropped", "Sign-in records dropped: the writer's queue was full or closed.", self.dropped()),
            ("failed", "Sign-in records in batches the store refused.", self.failed()),
        ];
        for (name, help, value) in counters {
            // Writing into a String cannot fail.
            let _ = write!(
                out,
                "# HELP custos_sign_ins_{name}_total {help}\n# TYPE custos_sign_ins_{name}_total counter\n\
                 custos_sign_ins_{name}_total {value}\n"
            );
        }
    }
}

enum Message {
    Record(Box<SignIn>),
    /// Write what is queued, then answer.
    Flush(oneshot::Sender<()>),
    /// Write what is queued, answer and stop.
    Close(oneshot::Sender<()>),
}

/// The handle requests record sign-ins through; cheap to clone.
#[derive(Debug, Clone)]
pub struct SignInLog {
    queue: Option<mpsc::Sender<Message>>,
    metrics: Arc<SignInLogMetrics>,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Record(_) => "Record",
            Self::Flush(_) => "Flush",
            Self::Close(_) => "Close",
        })
    }
}

impl SignInLog {
    /// A log that keeps nothing (sign-in logging turned off); nothing is counted.
    pub fn off() -> Self {
        Self { queue: None, metrics: Arc::default() }
    }

    /// Starts the writer task on the current Tokio runtime.
    pub fn start(store: Arc<dyn Store>, options: WriterOptions) -> Self {
        Self::start_with(store, options)
    }

    fn start_with(sink: impl Sink, options: WriterOptions) -> Self {
        let (sender, receiver) = mpsc::channel(options.queue.max(1));
        let metrics = Arc::new(SignInLogMetrics::default());
        tokio::spawn(write(sink, options, receiver, Arc::clone(&metrics)));
        Self { queue: Some(sender), metrics }
    }

    /// Whether records are kept.
    pub fn is_on(&self) -> bool {
        self.queue.is_some()
    }

    /// Offers `record` to the writer without waiting; dropped (and counted) when the queue is
    /// full or the writer has stopped.
    pub fn record(&self, record: SignIn) {
        let Some(queue) = &self.queue else { return };
        if queue.try_send(Message::Record(Box::new(record))).is_err() {
            self.metrics.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until every record offered before has been written (or refused).
    pub async fn flush(&self) {
        self.ask(Message::Flush).await;
    }

    /// Writes every record offered before and stops the writer (a clean shutdown).
    pub async fn close(&self) {
        self.ask(Message::Close).await;
    }

    async fn ask(&self, message: fn(oneshot::Sender<()>) -> Message) {
        let Some(queue) = &self.queue else { return };
        let (reply, done) = oneshot::channel();
        if queue.send(message(reply)).await.is_ok() {
            // An error means the writer has already stopped: nothing is left to wait for.
            let _ = done.await;
        }
    }

    /// The counters.
    pub fn metrics(&self) -> &SignInLogMetrics {
        &self.metrics
    }
}

/// Where the writer's batches go: the store (tests put a failing one in its place).
#[async_trait]
trait Sink: Send + Sync + 'static {
    async fn append(&self, records: &[SignIn]) -> StoreResult<()>;
}

#[async_trait]
impl Sink for Arc<dyn Store> {
    async fn append(&self, records: &[SignIn]) -> StoreResult<()> {
        self.append_sign_ins(records).await
    }
}

/// The writer task.
async fn write(
    store: impl Sink,
    options: WriterOptions,
    mut queue: mpsc::Receiver<Message>,
    metrics: Arc<SignInLogMetrics>,
) {
    let max_batch = options.max_batch.max(1);
    // Tokio's timer (paused in tests): the first tick one interval from now, not at once.
    let mut ticker = tokio::time::interval(options.flush_every);
    ticker.reset();
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut batch: Vec<SignIn> = Vec::with_capacity(max_batch);
    let mut messages = Vec::with_capacity(max_batch);
    loop {
        tokio::select! {
            received = queue.recv_many(&mut messages, max_batch) => {
                if received == 0 {
                    commit(&store, &mut batch, &metrics).await;
                    return;
                }
                for message in messages.drain(..) {
                    match message {
                        Message::Record(record) => {
                            batch.push(*record);
                            if batch.len() >= max_batch {
                                commit(&store, &mut batch, &metrics).await;
                            }
                        }
                        Message::Flush(reply) => {
                            commit(&store, &mut batch, &metrics).await;
                            let _ = reply.send(());
                        }
                        Message::Close(reply) => {
                            queue.close();
                            // What was queued before the close is written too.
                            while let Ok(message) = queue.try_recv() {
                                if let Message::Record(record) = message {
                                    batch.push(*record);
                                }
                            }
                            for mut chunk in chunks(std::mem::take(&mut batch), max_batch) {
                                commit(&store, &mut chunk, &metrics).await;
                            }
                            let _ = reply.send(());
                            return;
                        }
                    }
                }
            }
            _ = ticker.tick() => commit(&store, &mut batch, &metrics).await,
        }
    }
}

fn chunks(mut records: Vec<SignIn>, size: usize) -> Vec<Vec<SignIn>> {
    let mut chunks = Vec::new();
    while records.len() > size {
        let rest = records.split_off(size);
        chunks.push(std::mem::replace(&mut records, rest));
    }
    chunks.push(records);
    chunks
}

/// Writes `batch` in one transaction, trying again after a backend error, and empties it.
async fn commit(store: &impl Sink, batch: &mut Vec<SignIn>, metrics: &SignInLogMetrics) {
    if batch.is_empty() {
        return;
    }
    let count = batch.len() as u64;
    let mut waits = RETRY_AFTER.iter();
    let outcome = loop {
        let outcome = store.append(batch).await;
        let retry = match &outcome {
            Err(StoreError::Backend(e)) => waits.next().map(|wait| (e, wait)),
            _ => None,
        };
        let Some((error, wait)) = retry else { break outcome };
        tracing::warn!(%error, records = count, retry_in = ?wait, "sign-in records could not be written");
        tokio::time::sleep(*wait).await;
    };
    match outcome {
        Ok(()) => metrics.recorded.fetch_add(count, Ordering::Relaxed),
        Err(e) => {
            tracing::warn!(error = %e, records = count, "sign-in records dropped: they could not be written");
            metrics.failed.fetch_add(count, Ordering::Relaxed)
        }
    };
    batch.clear();
}

#[cfg(test)]
mod tests;
