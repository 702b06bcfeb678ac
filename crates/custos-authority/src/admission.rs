//! Load shedding in front of token issuance (`security.md` §7 and §10: "503 load shedding
//! instead of queue collapse"). A token request may wait at most `max_wait` before it is issued,
//! counting both places it can wait:
//!
//! - **before the server reads it.** Signing is CPU work done on the request's own task, so
//!   under overload requests do not pile up at a gate but in front of the runtime: connections
//!   whose request has arrived but whose task has not run yet (measured: with 2,048 connections
//!   offering twice what one core signs, nearly every socket held an unread request while the
//!   runtime's timer tasks ran within 10 ms). [`Admission::watch_scheduling`] measures that wait
//!   the way a request meets it: a thread of its own writes the time to a socket every
//!   [`PROBE_PERIOD`], and a task reads it as the runtime gets to it, like any connection. While
//!   that wait (or how overdue the next probe is) exceeds `max_wait`, every token request is
//!   answered at once; shedding stops when it has fallen below half of `max_wait` (so it does not
//!   flap).
//! - **the gate.** At most `max_concurrent` token requests are being issued at a time (more only
//!   when issuance itself waits, for storage); up to `max_queued` more wait for a turn, each at
//!   most `max_wait`.
//!
//! A request shed either way gets 503, `temporarily_unavailable` and `Retry-After`, so that under
//! overload the latency of the requests served stays bounded instead of growing with the backlog,
//! and the backlog drains because refusing costs a small fraction of signing.
//!
//! The defaults are far above what one server's cores sustain with well-behaved clients (the
//! token benchmark's 64 connections keep the runtime's queue a few milliseconds deep), so only
//! overload is shed. The gate's waits are measured by tokio's timer (paused in tests); the probe
//! reads the injected clock's monotonic instant, which tests may move by hand.

use custos_core::Clock;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;
use std::time::Instant;
use tokio::sync::{Semaphore, SemaphorePermit};

/// Default requests issued at the same time.
pub const DEFAULT_MAX_CONCURRENT: u32 = 256;
/// Default requests waiting for a turn.
pub const DEFAULT_MAX_QUEUED: u32 = 1024;
/// Default longest wait for a turn (the p95 target of `security.md` is 250 ms).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_millis(250);
/// How often [`Admission::watch_scheduling`] samples the runtime's queue.
pub const PROBE_PERIOD: Duration = Duration::from_millis(10);

/// The limits of token issuance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Token requests issued at the same time.
    pub max_concurrent: u32,
    /// Token requests waiting for a turn beyond those.
    pub max_queued: u32,
    /// The longest a request waits, in the runtime's queue or for a turn.
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
    /// The clock the probe and the delay are measured on, and the instant they count from.
    clock: Arc<dyn Clock>,
    origin: Instant,
    /// When the probe that has not run yet is due (microseconds after `origin`; 0: none).
    probe_due: AtomicU64,
    /// How late the last probe ran (microseconds).
    last_delay: AtomicU64,
    /// Whether requests are being shed for the runtime's queue (until it is below half `max_wait`).
    backlogged: AtomicBool,
}

impl Admission {
    pub(crate) fn new(config: AdmissionConfig, clock: Arc<dyn Clock>) -> Self {
        let turns = Semaphore::new(usize::try_from(config.max_concurrent).unwrap_or(usize::MAX));
        Self {
            config,
            turns,
            waiting: AtomicUsize::new(0),
            shed: AtomicU64::new(0),
            origin: clock.instant(),
            clock,
            probe_due: AtomicU64::new(0),
            last_delay: AtomicU64::new(0),
            backlogged: AtomicBool::new(false),
        }
    }

    /// Measures how long an arrived request waits before the runtime reads it, for as long as
    /// it runs (the server spawns it once): a thread writes the time to one end of a socket pair
    /// every [`PROBE_PERIOD`]; this task reads the other end and notes how old the time it read
    /// is. Returns only if the socket pair cannot be made.
    pub(crate) async fn watch_scheduling(&self) -> std::io::Result<()> {
        let (sender, receiver) = std::os::unix::net::UnixDatagram::pair()?;
        receiver.set_nonblocking(true)?;
        let receiver = tokio::net::UnixDatagram::from_std(receiver)?;
        let (clock, origin) = (Arc::clone(&self.clock), self.origin);
        // Ends when the receiving task is gone (the send fails).
        std::thread::Builder::new().name("custos-probe".to_owned()).spawn(move || {
            loop {
                // A thread of its own, outside the runtime: sleeping is its job.
                #[allow(clippy::disallowed_methods)]
                std::thread::sleep(PROBE_PERIOD);
                let sent = saturating_micros(clock.instant().saturating_duration_since(origin));
                if sender.send(&sent.to_be_bytes()).is_err() {
                    break;
                }
            }
        })?;
        let mut sent = [0_u8; 8];
        loop {
            if receiver.recv(&mut sent).await? != sent.len() {
                continue;
            }
            let sent = u64::from_be_bytes(sent);
            let now = self.micros(self.clock.instant());
            self.last_delay.store(now.saturating_sub(sent), Ordering::Release);
            self.probe_due.store(sent + saturating_micros(PROBE_PERIOD * 2), Ordering::Release);
        }
    }

    /// How long an arrived request now waits to be read: the last probe's wait, or longer if
    /// the next probe is overdue (it is due within two periods of the last one's sending).
    fn scheduling_delay(&self) -> Duration {
        let overdue = match self.probe_due.load(Ordering::Acquire) {
            0 => 0,
            due => self.micros(self.clock.instant()).saturating_sub(due),
        };
        Duration::from_micros(overdue.max(self.last_delay.load(Ordering::Acquire)))
    }

    /// Whether the runtime's queue is too deep to take more token requests (see the module).
    fn backlogged(&self) -> bool {
        let delay = self.scheduling_delay();
        if delay > self.config.max_wait {
            self.backlogged.store(true, Ordering::Relaxed);
            return true;
        }
        if self.backlogged.load(Ordering::Relaxed) {
            if delay > self.config.max_wait / 2 {
                return true;
            }
            self.backlogged.store(false, Ordering::Relaxed);
        }
        false
    }

    fn micros(&self, at: Instant) -> u64 {
        saturating_micros(at.saturating_duration_since(self.origin))
    }

    /// A turn to issue a token (held until dropped), or [`Overloaded`].
    pub(crate) async fn admit(&self) -> Result<SemaphorePermit<'_>, Overloaded> {
        if self.backlogged() {
            return Err(self.shed());
        }
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
        let _ = writeln!(
            out,
            "# HELP custos_runtime_scheduling_delay_seconds How long a ready task waits to run (the token requests' queue)."
        );
        let _ = writeln!(out, "# TYPE custos_runtime_scheduling_delay_seconds gauge");
        let _ = writeln!(
            out,
            "custos_runtime_scheduling_delay_seconds {:.6}",
            self.scheduling_delay().as_secs_f64()
        );
    }
}

fn saturating_micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(max_concurrent: u32, max_queued: u32) -> Admission {
        admission_on(max_concurrent, max_queued, Arc::new(FixedClock::new(datetime!(2026-03-01 12:00 UTC))))
    }

    fn admission_on(max_concurrent: u32, max_queued: u32, clock: Arc<dyn Clock>) -> Admission {
        let config = AdmissionConfig { max_concurrent, max_queued, max_wait: Duration::from_millis(100) };
        Admission::new(config, clock)
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

    #[tokio::test(start_paused = true)]
    async fn a_deep_runtime_queue_is_shed_until_it_is_below_half_max_wait() {
        let gate = admission(4, 4); // max_wait 100 ms
        let delay = |ms: u64| gate.last_delay.store(ms * 1_000, Ordering::Release);
        delay(100);
        assert!(gate.admit().await.is_ok(), "a delay of max_wait is still served");
        delay(101);
        assert_eq!(gate.admit().await.err(), Some(Overloaded));
        delay(60);
        assert_eq!(gate.admit().await.err(), Some(Overloaded), "not yet below half max_wait");
        delay(50);
        assert!(gate.admit().await.is_ok());
        delay(60);
        assert!(gate.admit().await.is_ok(), "below max_wait once shedding has stopped");
        let mut out = String::new();
        gate.render_prometheus(&mut out);
        assert!(out.contains("custos_token_requests_shed_total 2\n"), "{out}");
        assert!(out.contains("custos_runtime_scheduling_delay_seconds 0.060000\n"), "{out}");
    }

    /// The wait is measured on the injected clock: a probe read on time shows none; 150 ms that
    /// pass without the runtime reading make the next probe 130 ms overdue (due within two
    /// periods of the last one's sending), and requests are shed.
    #[tokio::test(flavor = "current_thread")]
    async fn the_probe_sees_how_long_the_runtime_does_not_read() {
        let clock = Arc::new(FixedClock::new(datetime!(2026-03-01 12:00 UTC)));
        let gate = Arc::new(admission_on(4, 4, clock.clone())); // max_wait 100 ms
        let probe = tokio::spawn({
            let gate = Arc::clone(&gate);
            async move { gate.watch_scheduling().await }
        });
        while gate.probe_due.load(Ordering::Acquire) == 0 {
            tokio::task::yield_now().await;
        }
        assert_eq!(gate.scheduling_delay(), Duration::ZERO, "read at once");
        // No await between the move and the check: the runtime does not read meanwhile.
        clock.advance(time::Duration::milliseconds(150));
        assert_eq!(gate.scheduling_delay(), Duration::from_millis(130));
        assert_eq!(gate.admit().await.err(), Some(Overloaded));
        probe.abort();
    }

    #[tokio::test]
    async fn nothing_is_admitted_without_turns_or_queue() {
        assert_eq!(admission(0, 0).admit().await.err(), Some(Overloaded));
    }

    use custos_core::FixedClock;
    use time::macros::datetime;
}
