//! Whether a connection is in use: a per-connection count of requests in flight (from the moment
//! the service is called until the response body is dropped) and of requests ever started, and the
//! wait that ends when the connection has sat unused for a while.
//!
//! Counting costs two atomic additions per request and one reference-count increment; the waiting
//! side owns the timer, so nothing reads a clock per request.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// The activity of one connection.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    /// Requests started on the connection so far.
    started: AtomicU64,
    /// Requests whose response (body included) is not finished.
    in_flight: AtomicUsize,
    /// Signalled when `in_flight` drops to zero.
    went_idle: Notify,
}

impl Activity {
    /// Counts a request in flight until the returned guard is dropped.
    pub(crate) fn begin(self: &Arc<Self>) -> InFlight {
        // In this order, so that a request counted as started is always seen in flight too.
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.started.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(self))
    }

    /// Resolves once no request has been in flight, and none started, for `first_request` (while
    /// the connection has not had a request yet) or for `idle` (after its first request ended):
    /// never sooner. The first idle period starts exactly when the first request ends; later
    /// ones are checked at the end of each wait, so with traffic they may take up to twice as
    /// long, which spares the request path any timer work.
    pub(crate) async fn unused_for(&self, first_request: Duration, idle: Duration) {
        loop {
            let seen = self.started.load(Ordering::SeqCst);
            if self.in_flight.load(Ordering::SeqCst) > 0 {
                // A stale signal only costs one more pass round the loop.
                self.went_idle.notified().await;
                continue;
            }
            if seen == 0 {
                tokio::select! {
                    () = tokio::time::sleep(first_request) => {
                        if self.started.load(Ordering::SeqCst) == 0 {
                            return;
                        }
                    }
                    () = self.went_idle.notified() => {}
                }
                continue;
            }
            tokio::time::sleep(idle).await;
            if self.in_flight.load(Ordering::SeqCst) == 0 && self.started.load(Ordering::SeqCst) == seen {
                return;
            }
        }
    }
}

/// A request in flight on a connection; dropping it ends the request.
#[derive(Debug)]
pub(crate) struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            // Stores a permit when nobody waits: lock-free unless the watcher is parked.
            self.0.went_idle.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    //! On tokio's paused clock: the waits are tokio timers, so the tests are exact and instant.
    #![allow(clippy::disallowed_methods)] // tokio's paused test clock is the injected clock here

    use super::*;
    use tokio::time::{Instant, sleep};

    const FIRST: Duration = Duration::from_millis(100);
    const IDLE: Duration = Duration::from_millis(300);
    /// How long the watcher may take past an exact deadline (timer granularity: 1 ms).
    const SLACK: Duration = Duration::from_millis(2);

    fn watch(activity: &Arc<Activity>) -> tokio::task::JoinHandle<()> {
        let activity = Arc::clone(activity);
        tokio::spawn(async move { activity.unused_for(FIRST, IDLE).await })
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_without_requests_is_unused_after_the_first_request_timeout() {
        let started = Instant::now();
        Activity::default().unused_for(FIRST, IDLE).await;
        let waited = started.elapsed();
        assert!(waited >= FIRST && waited < FIRST + SLACK, "{waited:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_in_flight_keeps_the_connection_in_use() {
        let activity = Arc::new(Activity::default());
        let request = activity.begin();
        let watcher = watch(&activity);
        sleep(IDLE * 2).await;
        assert!(!watcher.is_finished(), "a long request is not idleness");
        let ended = Instant::now();
        drop(request);
        watcher.await.unwrap();
        let quiet = ended.elapsed();
        assert!(quiet >= IDLE && quiet < IDLE * 2 + SLACK, "{quiet:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_idle_period_starts_when_the_first_request_ends() {
        let activity = Arc::new(Activity::default());
        let watcher = watch(&activity);
        sleep(FIRST / 2).await;
        let request = activity.begin();
        sleep(FIRST * 2).await;
        let ended = Instant::now();
        drop(request);
        watcher.await.unwrap();
        let quiet = ended.elapsed();
        assert!(quiet >= IDLE && quiet < IDLE + SLACK, "{quiet:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_during_the_wait_postpones_the_end() {
        let activity = Arc::new(Activity::default());
        drop(activity.begin());
        let watcher = watch(&activity);
        sleep(IDLE / 2).await;
        drop(activity.begin());
        let last = Instant::now();
        watcher.await.unwrap();
        let quiet = last.elapsed();
        assert!(quiet >= IDLE && quiet < IDLE * 2 + SLACK, "{quiet:?}");
        assert_eq!(activity.in_flight.load(Ordering::SeqCst), 0);
    }
}
