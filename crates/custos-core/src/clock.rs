//! Time is injected so that expiry, rotation and replay windows are testable without sleeping.
//!
//! This is the one module that reads the system's clocks: `clippy.toml` forbids
//! `OffsetDateTime::now_utc`, `SystemTime::now` and `Instant::now` everywhere else.

use std::sync::Mutex;
use std::time::Instant;
use time::OffsetDateTime;

/// Source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// The current UTC time.
    fn now(&self) -> OffsetDateTime;

    /// The current time as seconds since the Unix epoch.
    fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// A monotonic instant, for measuring how long something took or how old a cached value is.
    /// Unlike [`Clock::now`] it never goes back.
    fn instant(&self) -> Instant;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one place that reads the wall clock
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }

    #[allow(clippy::disallowed_methods)] // the one place that reads the monotonic clock
    fn instant(&self) -> Instant {
        Instant::now()
    }
}

/// A clock for tests: it stands still until told to move. Its [`Clock::instant`] moves forward
/// with it (and stays put when the clock is moved back, as a monotonic clock must).
#[derive(Debug)]
pub struct FixedClock(Mutex<(OffsetDateTime, Instant)>);

impl FixedClock {
    /// A clock standing at `at`.
    pub fn new(at: OffsetDateTime) -> Self {
        Self(Mutex::new((at, SystemClock.instant())))
    }

    /// Moves the clock forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let at = state.0 + by;
        Self::move_to(&mut state, at);
    }

    /// Sets the clock to `at`.
    pub fn set(&self, at: OffsetDateTime) {
        Self::move_to(&mut self.0.lock().unwrap_or_else(|e| e.into_inner()), at);
    }

    fn move_to(state: &mut (OffsetDateTime, Instant), at: OffsetDateTime) {
        if let Ok(forward) = std::time::Duration::try_from(at - state.0) {
            state.1 += forward;
        }
        state.0 = at;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    fn instant(&self) -> Instant {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_instant_follows_forward_moves_only() {
        let clock = FixedClock::new(time::macros::datetime!(2026-01-01 0:00 UTC));
        let start = clock.instant();
        clock.advance(time::Duration::seconds(90));
        assert_eq!(clock.instant() - start, std::time::Duration::from_secs(90));
        clock.advance(time::Duration::seconds(-30));
        assert_eq!(clock.instant() - start, std::time::Duration::from_secs(90), "monotonic");
        assert_eq!(clock.now(), time::macros::datetime!(2026-01-01 0:01 UTC));
        clock.set(time::macros::datetime!(2026-01-01 0:02 UTC));
        assert_eq!(clock.instant() - start, std::time::Duration::from_secs(150));
    }
}
