//! The in-memory token cache: one slot per (tenant, target), at most `capacity` slots. Each slot is
//! an async mutex, so concurrent callers of one slot share one request (single flight), while
//! other slots go on independently.
//!
//! A token is refreshed at its `refresh_in` or at half its lifetime, and at the latest
//! [`MIN_REMAINING_SECS`] before it expires; a token with less left is never handed out from the
//! cache. When a refresh fails, the cached token is served while it has more than that left.

use crate::token::{AccessToken, Target};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A cached token is not handed out with less than this many seconds left.
pub const MIN_REMAINING_SECS: i64 = 300;

/// Default number of cached (tenant, target) pairs.
pub(crate) const DEFAULT_CAPACITY: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) tenant: String,
    pub(crate) target: Target,
}

#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) token: AccessToken,
    pub(crate) refresh_at: i64,
}

impl Cached {
    /// `token`, obtained at `now`, with its refresh time; `None` when it has too little left to be
    /// cached at all.
    pub(crate) fn new(token: AccessToken, now: i64) -> Option<Self> {
        (token.expires_on - now > MIN_REMAINING_SECS)
            .then(|| Self { refresh_at: refresh_at(&token, now), token })
    }

    /// Whether the token can still be handed out at `now` after a failed refresh.
    pub(crate) fn usable_at(&self, now: i64) -> bool {
        self.token.expires_on - now > MIN_REMAINING_SECS
    }
}

/// When a token obtained at `now` should be replaced: at `refresh_in` when the server sent it,
/// else after half its lifetime; never later than [`MIN_REMAINING_SECS`] before expiry.
pub(crate) fn refresh_at(token: &AccessToken, now: i64) -> i64 {
    let half = now + (token.expires_on - now).max(0) / 2;
    token.refresh_on.unwrap_or(half).min(token.expires_on - MIN_REMAINING_SECS)
}

pub(crate) type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// The slots.
#[derive(Debug)]
pub(crate) struct Cache {
    slots: Mutex<HashMap<Key, Slot>>,
    capacity: usize,
}

impl Cache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { slots: Mutex::new(HashMap::new()), capacity }
    }

    /// The slot for `key`. When the cache is full, slots that hold nothing usable at `now` are
    /// dropped first, then the one expiring soonest; if every slot is busy, an unshared slot is
    /// returned (that request is not cached).
    pub(crate) fn slot(&self, key: &Key, now: i64) -> Slot {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get(key) {
            return slot.clone();
        }
        if slots.len() >= self.capacity {
            evict(&mut slots, now);
        }
        let slot = Slot::default();
        if slots.len() < self.capacity {
            slots.insert(key.clone(), slot.clone());
        }
        slot
    }

    /// Forgets the token of `key` (e.g. after the resource refused it).
    pub(crate) fn remove(&self, key: &Key) {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

fn evict(slots: &mut HashMap<Key, Slot>, now: i64) {
    // Idle slots and when their token expires (`None`: nothing usable).
    let mut idle: Vec<(Key, Option<i64>)> = slots
        .iter()
        .filter_map(|(key, slot)| {
            let cached = slot.try_lock().ok()?;
            let expires = cached.as_ref().filter(|c| c.usable_at(now)).map(|c| c.token.expires_on);
            Some((key.clone(), expires))
        })
        .collect();
    let useless: Vec<Key> = idle.iter().filter(|(_, e)| e.is_none()).map(|(k, _)| k.clone()).collect();
    if !useless.is_empty() {
        for key in useless {
            slots.remove(&key);
        }
        return;
    }
    idle.sort_by_key(|(_, expires)| *expires);
    if let Some((key, _)) = idle.into_iter().next() {
        slots.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::Secret;

    fn token(now: i64, lifetime: i64, refresh_in: Option<i64>) -> AccessToken {
        AccessToken {
            secret: Secret::new("t".to_owned()),
            token_type: "Bearer".to_owned(),
            expires_on: now + lifetime,
            not_before: None,
            refresh_on: refresh_in.map(|r| now + r),
            resource: None,
            obtained_at: now,
        }
    }

    fn key(n: usize) -> Key {
        Key { tenant: "t".to_owned(), target: Target::scope(format!("api://{n}/.default")) }
    }

    #[test]
    fn refresh_is_at_refresh_in_or_half_life_and_five_minutes_before_expiry_at_the_latest() {
        assert_eq!(refresh_at(&token(1_000, 3_599, None), 1_000), 1_000 + 1_799);
        assert_eq!(refresh_at(&token(1_000, 86_399, Some(43_199)), 1_000), 1_000 + 43_199);
        assert_eq!(refresh_at(&token(1_000, 86_399, Some(86_300)), 1_000), 1_000 + 86_099);
        assert_eq!(refresh_at(&token(1_000, 400, None), 1_000), 1_000 + 100);
        assert!(Cached::new(token(1_000, 300, None), 1_000).is_none(), "too short-lived to cache");
    }

    #[tokio::test]
    async fn a_full_cache_drops_useless_slots_then_the_one_expiring_first() {
        let cache = Cache::new(2);
        let (a, b, c) = (key(1), key(2), key(3));
        *cache.slot(&a, 0).lock().await = Cached::new(token(0, 3_600, None), 0);
        *cache.slot(&b, 0).lock().await = Cached::new(token(0, 7_200, None), 0);
        // Full: `a` expires first and goes.
        let slot_c = cache.slot(&c, 0);
        assert_eq!(cache.len(), 2);
        assert!(cache.slot(&b, 0).lock().await.is_some(), "b kept");
        // `c` holds nothing usable: the next newcomer replaces it.
        drop(slot_c);
        let _ = cache.slot(&a, 0);
        assert!(cache.slot(&b, 0).lock().await.is_some(), "b still kept");
        assert_eq!(cache.len(), 2);
    }

    #[tokio::test]
    async fn busy_slots_are_not_evicted_and_the_newcomer_is_not_cached() {
        let cache = Cache::new(1);
        let slot = cache.slot(&key(1), 0);
        let _busy = slot.lock().await;
        let other = cache.slot(&key(2), 0);
        assert!(!Arc::ptr_eq(&other, &cache.slot(&key(2), 0)), "not cached");
        assert_eq!(cache.len(), 1);
    }
}
