//! Bounded, sharded in-memory tables keyed by who is asking, and the two throttles built on
//! them: [`FailureLock`] (after `max` failures within a window the key is locked for the
//! window, whatever it sends) and [`RateLimit`] (at most `max` requests per fixed window).
//!
//! Every throttle of the servers keeps its state here ([`Keyed`]): failed client
//! authentications per client id and per source address (custos-authority), request rates per
//! caller on the directory API (custos-directory), and smart lockout of users at sign-in
//! (custos-signin, with its own counter). Time comes from the injected [`crate::Clock`] as an
//! [`Instant`] the caller passes in; nothing here reads a clock.
//!
//! Why not `governor`: its keyed limiter is a GCRA rate limiter (one request back every
//! `window / max`), not a lockout that refuses the right secret for the rest of the window as
//! Entra does; its keyed store grows without a cap until `retain_recent` is called; and the
//! fixed-window counter both uses need is a few lines over the table below.
//!
//! Cost on the success path: [`FailureLock::check`] is one relaxed atomic load while nothing
//! failed recently, else one lock of one of [`SHARDS`] shards (a quiet key is dropped when next
//! checked, so the table empties again); [`RateLimit::admit`] locks one
//! shard. A full shard evicts idle entries first, then the least recently seen one, so memory
//! stays bounded however many keys an attacker invents. State is per process: a restart, or
//! another node, starts afresh.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Shards of a [`Keyed`] table (requests for different keys rarely wait for each other).
pub const SHARDS: usize = 16;

/// Keys a throttle tracks at most, unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 16_384;

/// `max` events per `window`. A `max` of 0 turns the throttle off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Events allowed per window (0: unlimited).
    pub max: u32,
    /// The window.
    pub window: Duration,
}

impl Limit {
    /// `max` events per `window`.
    pub const fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }

    /// No limit at all.
    pub const OFF: Self = Self { max: 0, window: Duration::ZERO };

    /// Whether the limit is off.
    pub fn is_off(&self) -> bool {
        self.max == 0 || self.window.is_zero()
    }
}

/// Refused: come back after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttled {
    /// How long the refusal lasts from now.
    pub retry_after: Duration,
}

impl Throttled {
    /// `Retry-After` in whole seconds, rounded up, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        let secs = self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0);
        secs.max(1)
    }
}

/// What a [`Keyed`] table holds per key: enough to decide which entries may go when it is full.
pub trait Slot {
    /// When the key was last seen (the least recently seen entry goes first).
    fn last_seen(&self) -> Instant;
    /// Whether the entry has nothing left to remember at `now` (it may be dropped at once).
    fn is_idle(&self, now: Instant) -> bool;
    /// Whether the entry refuses its key at `now` (kept longest when the table is full).
    fn is_locked(&self, now: Instant) -> bool;
}

/// A map from keys to slots in [`SHARDS`] shards, holding at most `capacity` keys.
#[derive(Debug)]
pub struct Keyed<K, V> {
    shards: Box<[Mutex<HashMap<K, V>>]>,
    shard_capacity: usize,
    hasher: RandomState,
    len: AtomicUsize,
}

impl<K: Hash + Eq + Clone, V: Slot> Keyed<K, V> {
    /// An empty table for at most `capacity` keys (rounded up to a multiple of [`SHARDS`]).
    pub fn new(capacity: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            shard_capacity: capacity.div_ceil(SHARDS).max(1),
            hasher: RandomState::new(),
            len: AtomicUsize::new(0),
        }
    }

    /// How many keys are tracked.
    pub fn len(&self) -> usize {
        self.len.load(Ordering::Relaxed)
    }

    /// Whether no key is tracked (one atomic load, no lock).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> &Mutex<HashMap<K, V>> {
        // The modulo keeps the index below SHARDS, so the cast cannot truncate a used bit.
        let index = (self.hasher.hash_one(key) % SHARDS as u64) as usize;
        &self.shards[index]
    }

    /// Runs `f` on the slot of `key`, if there is one.
    pub fn get<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let shard = self.shard(key).lock().unwrap_or_else(PoisonError::into_inner);
        shard.get(key).map(f)
    }

    /// Runs `f` on the slot of `key`, if there is one that is not idle at `now`; an idle one is
    /// dropped (so that a table whose keys all went quiet empties again, and
    /// [`Keyed::is_empty`] answers without a lock).
    pub fn get_live<Q, R>(&self, key: &Q, now: Instant, f: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut shard = self.shard(key).lock().unwrap_or_else(PoisonError::into_inner);
        let slot = shard.get(key)?;
        if slot.is_idle(now) {
            shard.remove(key);
            self.len.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(f(slot))
    }

    /// Runs `f` on the slot of `key`, made with `make` when absent. A full shard first drops
    /// its idle entries, then its least recently seen unlocked one (a locked one only when all
    /// are locked), so that inventing keys does not unlock a key.
    pub fn update<R>(
        &self,
        key: &K,
        now: Instant,
        make: impl FnOnce() -> V,
        f: impl FnOnce(&mut V) -> R,
    ) -> R {
        let mut shard = self.shard(key).lock().unwrap_or_else(PoisonError::into_inner);
        let before = shard.len();
        if before >= self.shard_capacity && !shard.contains_key(key) {
            shard.retain(|_, slot| !slot.is_idle(now));
            if shard.len() >= self.shard_capacity {
                let victim = shard
                    .iter()
                    .min_by_key(|(_, slot)| (slot.is_locked(now), slot.last_seen()))
                    .map(|(k, _)| k.clone());
                if let Some(victim) = victim {
                    shard.remove(&victim);
                }
            }
        }
        let result = f(shard.entry(key.clone()).or_insert_with(make));
        let after = shard.len();
        if after > before {
            self.len.fetch_add(after - before, Ordering::Relaxed);
        } else {
            self.len.fetch_sub(before - after, Ordering::Relaxed);
        }
        result
    }

    /// Forgets `key`.
    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut shard = self.shard(key).lock().unwrap_or_else(PoisonError::into_inner);
        if shard.remove(key).is_some() {
            self.len.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Whether `key` is tracked.
    pub fn contains<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.get(key, |_| ()).is_some()
    }
}

/// A fixed-window counter with an optional lock.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    count: u32,
    locked_until: Option<Instant>,
    last_seen: Instant,
}

impl Window {
    fn new(now: Instant) -> Self {
        Self { start: now, count: 0, locked_until: None, last_seen: now }
    }

    fn locked(&self, now: Instant) -> Option<Throttled> {
        let until = self.locked_until?;
        (now < until).then(|| Throttled { retry_after: until - now })
    }

    /// Starts a new window when the current one is over.
    fn roll(&mut self, window: Duration, now: Instant) {
        if now.saturating_duration_since(self.start) >= window {
            self.start = now;
            self.count = 0;
        }
    }
}

/// A [`Window`] is idle once its window and any lock are over.
#[derive(Debug, Clone, Copy)]
struct Timed {
    window: Window,
    length: Duration,
}

impl Slot for Timed {
    fn last_seen(&self) -> Instant {
        self.window.last_seen
    }

    fn is_idle(&self, now: Instant) -> bool {
        !self.is_locked(now) && now.saturating_duration_since(self.window.start) >= self.length
    }

    fn is_locked(&self, now: Instant) -> bool {
        self.window.locked(now).is_some()
    }
}

/// Locks a key for one window after `max` failures within a window: while locked, the key is
/// refused whatever it sends (the right secret included). Successes are not recorded, so a
/// well-behaved key never enters the table.
#[derive(Debug)]
pub struct FailureLock<K> {
    limit: Limit,
    table: Keyed<K, Timed>,
}

impl<K: Hash + Eq + Clone> FailureLock<K> {
    /// A lock table for `limit`, tracking at most `capacity` keys.
    pub fn new(limit: Limit, capacity: usize) -> Self {
        Self { limit, table: Keyed::new(capacity) }
    }

    /// The limit.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Refused when `key` is locked at `now`.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Throttled> {
        if self.limit.is_off() || self.table.is_empty() {
            return Ok(());
        }
        match self.table.get_live(key, now, |slot| slot.window.locked(now)) {
            Some(Some(throttled)) => Err(throttled),
            _ => Ok(()),
        }
    }

    /// Counts a failure of `key` at `now`; `true` when this failure locked it. Failures while
    /// locked do not extend the lock.
    pub fn fail(&self, key: &K, now: Instant) -> bool {
        if self.limit.is_off() {
            return false;
        }
        let Limit { max, window } = self.limit;
        let make = || Timed { window: Window::new(now), length: window };
        self.table.update(key, now, make, |slot| {
            let w = &mut slot.window;
            w.last_seen = now;
            if w.locked(now).is_some() {
                return false;
            }
            w.roll(window, now);
            w.count = w.count.saturating_add(1);
            if w.count < max {
                return false;
            }
            w.locked_until = Some(now + window);
            w.start = now;
            w.count = 0;
            true
        })
    }

    /// How many keys are tracked.
    pub fn tracked(&self) -> usize {
        self.table.len()
    }
}

/// At most `max` requests per key in each fixed window; past that, refused until the window
/// ends.
#[derive(Debug)]
pub struct RateLimit<K> {
    limit: Limit,
    table: Keyed<K, Timed>,
}

impl<K: Hash + Eq + Clone> RateLimit<K> {
    /// A rate limiter for `limit`, tracking at most `capacity` keys.
    pub fn new(limit: Limit, capacity: usize) -> Self {
        Self { limit, table: Keyed::new(capacity) }
    }

    /// The limit.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    /// Counts a request of `key` at `now`, or refuses it when the key's window is used up.
    pub fn admit(&self, key: &K, now: Instant) -> Result<(), Throttled> {
        if self.limit.is_off() {
            return Ok(());
        }
        let Limit { max, window } = self.limit;
        let make = || Timed { window: Window::new(now), length: window };
        self.table.update(key, now, make, |slot| {
            let w = &mut slot.window;
            w.last_seen = now;
            w.roll(window, now);
            if w.count >= max {
                return Err(Throttled { retry_after: (w.start + window).saturating_duration_since(now) });
            }
            w.count += 1;
            Ok(())
        })
    }

    /// How many keys are tracked.
    pub fn tracked(&self) -> usize {
        self.table.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Clock, SystemClock};

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn the_key_is_locked_for_the_window_after_max_failures_and_others_are_not() {
        let lock = FailureLock::new(Limit::new(3, MINUTE), 100);
        let t0 = SystemClock.instant();
        assert_eq!(lock.check(&"a", t0), Ok(()));
        assert!(!lock.fail(&"a", t0));
        assert!(!lock.fail(&"a", t0 + Duration::from_secs(1)));
        assert_eq!(lock.check(&"a", t0 + Duration::from_secs(2)), Ok(()));
        assert!(lock.fail(&"a", t0 + Duration::from_secs(2)), "the third failure locks");
        assert_eq!(
            lock.check(&"a", t0 + Duration::from_secs(2)),
            Err(Throttled { retry_after: MINUTE }),
            "locked for the whole window"
        );
        assert_eq!(lock.check(&"b", t0 + Duration::from_secs(2)), Ok(()));
        assert!(!lock.fail(&"a", t0 + Duration::from_secs(30)), "failures while locked do not extend it");
        let refused = lock.check(&"a", t0 + Duration::from_millis(61_500)).unwrap_err();
        assert_eq!(refused.retry_after_secs(), 1, "rounded up");
        assert_eq!(lock.check(&"a", t0 + Duration::from_secs(62)), Ok(()), "the lock is over");
        assert!(!lock.fail(&"a", t0 + Duration::from_secs(62)), "counting starts again");
    }

    #[test]
    fn a_quiet_key_is_forgotten_when_it_is_next_checked() {
        let lock = FailureLock::new(Limit::new(3, MINUTE), 100);
        let t0 = SystemClock.instant();
        lock.fail(&"a", t0);
        assert_eq!((lock.check(&"a", t0 + Duration::from_secs(59)), lock.tracked()), (Ok(()), 1));
        assert_eq!(
            (lock.check(&"a", t0 + MINUTE), lock.tracked()),
            (Ok(()), 0),
            "back to the lock-free path"
        );
    }

    #[test]
    fn failures_spread_over_more_than_a_window_do_not_lock() {
        let lock = FailureLock::new(Limit::new(3, MINUTE), 100);
        let t0 = SystemClock.instant();
        for i in 0..10 {
            assert!(!lock.fail(&7u32, t0 + Duration::from_secs(31 * i)), "failure {i}");
        }
        assert_eq!(lock.check(&7, t0 + Duration::from_secs(400)), Ok(()));
    }

    #[test]
    fn an_off_limit_never_refuses_and_tracks_nothing() {
        let lock = FailureLock::new(Limit::OFF, 100);
        let limit = RateLimit::new(Limit::new(0, MINUTE), 100);
        let t0 = SystemClock.instant();
        for _ in 0..100 {
            assert!(!lock.fail(&1u8, t0));
            assert_eq!(limit.admit(&1u8, t0), Ok(()));
        }
        assert_eq!((lock.tracked(), limit.tracked()), (0, 0));
    }

    #[test]
    fn the_rate_limit_admits_max_per_window_then_refuses_until_the_window_ends() {
        let limit = RateLimit::new(Limit::new(5, Duration::from_secs(10)), 100);
        let t0 = SystemClock.instant();
        for _ in 0..5 {
            assert_eq!(limit.admit(&"app", t0), Ok(()));
        }
        assert_eq!(
            limit.admit(&"app", t0 + Duration::from_secs(4)),
            Err(Throttled { retry_after: Duration::from_secs(6) })
        );
        assert_eq!(limit.admit(&"other", t0 + Duration::from_secs(4)), Ok(()));
        assert_eq!(limit.admit(&"app", t0 + Duration::from_secs(10)), Ok(()), "a new window");
    }

    #[test]
    fn tables_stay_bounded_and_keep_locked_keys_longest() {
        let capacity = SHARDS * 4;
        let lock = FailureLock::new(Limit::new(2, MINUTE), capacity);
        let t0 = SystemClock.instant();
        assert!(!lock.fail(&u64::MAX, t0));
        assert!(lock.fail(&u64::MAX, t0), "one locked key");
        for i in 0..(capacity as u64 * 10) {
            lock.fail(&i, t0 + Duration::from_millis(i));
        }
        assert!(lock.tracked() <= capacity, "{} keys", lock.tracked());
        assert!(
            lock.check(&u64::MAX, t0 + Duration::from_secs(30)).is_err(),
            "inventing keys does not unlock one"
        );
        let later = t0 + Duration::from_secs(120);
        lock.fail(&u64::MAX, later);
        assert_eq!(lock.check(&u64::MAX, later), Ok(()));
        for i in 0..(capacity as u64 * 10) {
            lock.fail(&(1_000_000 + i), later);
        }
        assert!(lock.tracked() <= capacity, "{} keys", lock.tracked());
        let count = (0..SHARDS).map(|i| lock.table.shards[i].lock().unwrap().len()).sum::<usize>();
        assert_eq!(count, lock.tracked(), "the count is exact");
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        assert_eq!(Throttled { retry_after: Duration::ZERO }.retry_after_secs(), 1);
        assert_eq!(Throttled { retry_after: Duration::from_secs(60) }.retry_after_secs(), 60);
        assert_eq!(Throttled { retry_after: Duration::from_millis(59_001) }.retry_after_secs(), 60);
    }
}
