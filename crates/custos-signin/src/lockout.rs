//! Smart lockout (`entra-user-flows.md` §1.10): 10 failed sign-ins within [`WINDOW`] lock an
//! account for a minute, doubling with each further lockout up to an hour (AADSTS50053). The
//! same is counted per source address (when the server knows it), so one address cannot spray
//! many accounts. Repeats of the same wrong password do not count. State is in memory and bounded
//! ([`CAPACITY`] entries per table; idle entries go first, then the least recently seen unlocked
//! one): a restart forgets it. The tables are the shared sharded ones of
//! [`custos_core::throttle`]; the counter (distinct passwords, escalating locks) is this module's.
//!
//! Wrong passwords are remembered only as 64-bit HMAC tags under a key drawn at start-up.

use custos_core::throttle::{Keyed, Slot};
use custos_jose::hmac::HmacKey;
use custos_jose::random::{self, RandomError};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failures that lock.
pub const THRESHOLD: usize = 10;
/// How long a failure counts.
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// The first lockout's length.
pub const FIRST_LOCK: Duration = Duration::from_secs(60);
/// The longest lockout.
pub const MAX_LOCK: Duration = Duration::from_secs(60 * 60);
/// Entries per table.
pub const CAPACITY: usize = 10_000;

#[derive(Debug)]
struct Counter {
    failures: VecDeque<(Instant, u64)>,
    locked_until: Option<Instant>,
    lockouts: u32,
    last_seen: Instant,
}

impl Counter {
    fn new(now: Instant) -> Self {
        Self { failures: VecDeque::new(), locked_until: None, lockouts: 0, last_seen: now }
    }

    fn fail(&mut self, tag: u64, now: Instant) {
        self.last_seen = now;
        while self.failures.front().is_some_and(|(at, _)| now.saturating_duration_since(*at) > WINDOW) {
            self.failures.pop_front();
        }
        if self.is_locked(now) || self.failures.iter().any(|(_, t)| *t == tag) {
            return;
        }
        self.failures.push_back((now, tag));
        if self.failures.len() >= THRESHOLD {
            let factor = 1u32 << self.lockouts.min(6);
            self.locked_until = Some(now + (FIRST_LOCK * factor).min(MAX_LOCK));
            self.lockouts = self.lockouts.saturating_add(1);
            self.failures.clear();
        }
    }
}

impl Slot for Counter {
    fn last_seen(&self) -> Instant {
        self.last_seen
    }

    fn is_idle(&self, now: Instant) -> bool {
        !self.is_locked(now) && now.saturating_duration_since(self.last_seen) > WINDOW
    }

    fn is_locked(&self, now: Instant) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }
}

/// Failed sign-ins per user and per source address.
#[derive(Debug)]
pub struct Lockout {
    tags: HmacKey,
    users: Keyed<String, Counter>,
    sources: Keyed<IpAddr, Counter>,
}

impl Lockout {
    /// An empty lockout table with a fresh tag key.
    pub fn new() -> Result<Self, RandomError> {
        let key = random::array::<32>()?;
        Ok(Self { tags: HmacKey::new(&key), users: Keyed::new(CAPACITY), sources: Keyed::new(CAPACITY) })
    }

    /// Whether sign-in is refused for `user` (a tenant-qualified, lower-cased name) or from
    /// `source` (when the server knows the peer's address).
    pub fn is_locked(&self, user: &str, source: Option<IpAddr>, now: Instant) -> bool {
        let locked = |c: &Counter| c.is_locked(now);
        self.users.get(user, locked).unwrap_or(false)
            || source.is_some_and(|s| self.sources.get(&s, locked).unwrap_or(false))
    }

    /// Counts a failed sign-in of `user` from `source` with `password`.
    pub fn fail(&self, user: &str, source: Option<IpAddr>, password: &str, now: Instant) {
        let tag = self.tags.sign_parts(&[user.as_bytes(), &[0], password.as_bytes()]);
        let tag = u64::from_le_bytes([tag[0], tag[1], tag[2], tag[3], tag[4], tag[5], tag[6], tag[7]]);
        self.users.update(&user.to_owned(), now, || Counter::new(now), |c| c.fail(tag, now));
        if let Some(source) = source {
            self.sources.update(&source, now, || Counter::new(now), |c| c.fail(tag, now));
        }
    }

    /// Forgets the failures of `user` after a successful sign-in.
    pub fn succeed(&self, user: &str) {
        self.users.remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::{Clock, SystemClock};

    const HOME: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)));
    const AWAY: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 7)));

    #[test]
    fn ten_distinct_wrong_passwords_lock_the_user_for_a_minute_then_longer() {
        let lockout = Lockout::new().unwrap();
        let t0 = SystemClock.instant();
        for i in 0..9 {
            lockout.fail("t/alice", HOME, &format!("wrong{i}"), t0);
        }
        assert!(!lockout.is_locked("t/alice", AWAY, t0));
        lockout.fail("t/alice", HOME, "wrong9", t0);
        assert!(lockout.is_locked("t/alice", AWAY, t0), "locked from every address");
        assert!(!lockout.is_locked("t/bob", AWAY, t0));
        assert!(!lockout.is_locked("t/alice", AWAY, t0 + FIRST_LOCK));
        for i in 0..10 {
            lockout.fail("t/alice", AWAY, &format!("again{i}"), t0 + FIRST_LOCK);
        }
        assert!(
            lockout.is_locked("t/bob", AWAY, t0 + FIRST_LOCK + FIRST_LOCK / 2),
            "the source is locked too"
        );
        assert!(lockout.is_locked("t/alice", HOME, t0 + FIRST_LOCK * 2), "second lockout lasts two minutes");
        assert!(!lockout.is_locked("t/alice", HOME, t0 + FIRST_LOCK * 3));
    }

    #[test]
    fn the_same_wrong_password_counts_once_and_old_failures_expire() {
        let lockout = Lockout::new().unwrap();
        let t0 = SystemClock.instant();
        for _ in 0..50 {
            lockout.fail("t/alice", HOME, "Summer2026!", t0);
        }
        assert!(!lockout.is_locked("t/alice", HOME, t0));
        for i in 0..8 {
            lockout.fail("t/alice", HOME, &format!("w{i}"), t0);
        }
        let later = t0 + WINDOW + Duration::from_secs(1);
        lockout.fail("t/alice", HOME, "late", later);
        assert!(!lockout.is_locked("t/alice", HOME, later), "the first nine expired");
    }

    #[test]
    fn success_forgets_the_user_s_failures() {
        let lockout = Lockout::new().unwrap();
        let t0 = SystemClock.instant();
        for i in 0..9 {
            lockout.fail("t/alice", HOME, &format!("w{i}"), t0);
        }
        lockout.succeed("t/alice");
        lockout.fail("t/alice", AWAY, "w9", t0);
        assert!(!lockout.is_locked("t/alice", AWAY, t0));
    }

    #[test]
    fn a_source_spraying_many_users_is_locked() {
        let lockout = Lockout::new().unwrap();
        let t0 = SystemClock.instant();
        for i in 0..10 {
            lockout.fail(&format!("t/user{i}"), AWAY, "Password1", t0);
        }
        assert!(lockout.is_locked("t/someone", AWAY, t0));
        assert!(!lockout.is_locked("t/someone", HOME, t0));
        assert!(!lockout.is_locked("t/someone", None, t0), "an unknown source is never locked as a source");
    }

    #[test]
    fn tables_stay_bounded() {
        let lockout = Lockout::new().unwrap();
        let t0 = SystemClock.instant();
        for i in 0..(2 * CAPACITY) {
            lockout.fail(&format!("t/u{i}"), HOME, "x", t0 + Duration::from_millis(i as u64));
        }
        assert!(lockout.users.len() <= CAPACITY, "{}", lockout.users.len());
        assert!(!lockout.users.contains("t/u0"), "the least recently seen went first");
    }
}
