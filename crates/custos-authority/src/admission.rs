//! Load shedding in front of token issuance (`security.md` §7 and §10: "503 load shedding
//! instead of queue collapse"). At most `max_concurrent` token requests are being issued at a
//! time; up to `max_queued` more wait for a turn, each at most `max_wait`. A request that finds
//! the queue full, or waits its whole `max_wait`, is answered at once with 503,
//! `temporarily_unavailable` and `Retry-After`, so that under overload the latency of the
//! requests served stays bounded instead of growing with the backlog.
//!
//! The defaults are far above what one server's cores sustain with well-behaved clients (the
//! token benchmark's 64 connections never queue), so only overload is shed. The wait is measured
//! by tokio's timer (paused in tests).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Default requests issued at the same time.
pub const DEFAULT_MAX_CONCURRENT: u32 = 256;
/// Default requests waiting for a turn.
pub const DEFAULT_MAX_QUEUED: u32 = 1024;
/// Default longest wait for a turn (the p95 target of `security.md` is 250 ms).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_millis(250);

/// The limits of token issuance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Token requests issued at the same time.
    pub max_concurrent: u32,
    /// Token requests waiting for a turn beyond those.
    pub max_queued: u32,
    /// The longest a request waits for its turn.
    pub max_wait: Duration,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        Self {
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            max_queued: DEFAULT_MAX_QUEUED,
            max_wait: DEFAULT_MAX_WAIT,
        }
    }
}

/// A request turned away: the server is overloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overloaded;

/// The gate every token request passes.
#[derive(Debug)]
pub(crate) struct Admission {
    config: AdmissionConfig,
    turns: Semaphore,
    waiting: AtomicUsize,
    shed: AtomicU64,
}

impl Admission {
    pub(crate) fn new(config: AdmissionConfig) -> Self {
        let turns = Semaphore::new(usize::try_from(config.max_concurrent).unwrap_or(usize::MAX));
        Self { config, turns, waiting: AtomicUsize::new(0), shed: AtomicU64::new(0) }
    }

    /// A turn to issue a token (held until dropped), or [`Overloaded`].
    pub(crate) async fn admit(&self) -> Result<SemaphorePermit<'_>, Overloaded> {
        if let Ok(turn) = self.turns.try_acquire() {
            return Ok(turn);
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        if u32::try_from(queued).map_or(true, |queued| queued >= self.config.max_queued) {
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(self.shed());
        }
        let turn = tokio::time::timeout(self.config.max_wait, self.turns.acquire()).await;
        self.waiting.fetch_sub(1, Ordering::AcqRel);
        match turn {
            Ok(Ok(turn)) => Ok(turn),
            // Timed out, or the semaphore was closed (never done).
            _ => Err(self.shed()),
        }
    }

    fn shed(&self) -> Overloaded {
        self.shed.fetch_add(1, Ordering::Relaxed);
        Overloaded
    }

    /// `custos_token_requests_shed_total` in the Prometheus text format.
    pub(crate) fn render_prometheus(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "# HELP custos_token_requests_shed_total Token requests answered 503 because the server was overloaded."
        );
        let _ = writeln!(out, "# TYPE custos_token_requests_shed_total counter");
        let _ = writeln!(out, "custos_token_requests_shed_total {}", self.shed.load(Ordering::Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(max_concurrent: u32, max_queued: u32) -> Admission {
        Admission::new(AdmissionConfig { max_concurrent, max_queued, max_wait: Duration::from_millis(100) })
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_is_shed_at_once_and_a_long_wait_after_max_wait() {
        let gate = Arc::new(admission(1, 1));
        let first = gate.admit().await.unwrap();
        let waiter = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.admit().await.map(drop) }
        });
        tokio::task::yield_now().await;
        assert_eq!(gate.waiting.load(Ordering::Acquire), 1);
        assert_eq!(gate.admit().await.err(), Some(Overloaded), "the queue is full");
        tokio::time::advance(Duration::from_millis(100)).await;
        assert_eq!(waiter.await.unwrap(), Err(Overloaded), "waited its whole max_wait");
        assert_eq!(gate.waiting.load(Ordering::Acquire), 0);
        drop(first);
        let mut out = String::new();
        gate.render_prometheus(&mut out);
        assert!(out.contains("custos_token_requests_shed_total 2\n"), "{out}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_gets_the_turn_that_frees_up_in_time() {
        let gate = Arc::new(admission(1, 4));
        let first = gate.admit().await.unwrap();
        let waiter = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.admit().await.map(drop) }
        });
        tokio::time::advance(Duration::from_millis(50)).await;
        drop(first);
        assert_eq!(waiter.await.unwrap(), Ok(()));
        assert!(gate.admit().await.is_ok(), "turns are returned");
    }

    #[tokio::test]
    async fn nothing_is_admitted_without_turns_or_queue() {
        assert_eq!(admission(0, 0).admit().await.err(), Some(Overloaded));
    }

    use std::sync::Arc;
}
