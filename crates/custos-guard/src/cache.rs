//! [`TokenCache`]: a bounded cache of tokens that passed the signature and claim checks, so a client
//! reusing one access token (typically for up to an hour) pays the RS256 verification once.
//!
//! What it owns and what it does not:
//!
//! - The key is the SHA-256 of the exact token bytes: a token differing in any byte misses.
//! - Only tokens that fully validated are stored (never failures), so filling the cache needs valid
//!   tokens; a bound still applies: at most `capacity` entries.
//! - A hit re-checks the token's lifetime (`exp`, and `nbf`/`iat`) against the injected clock with the
//!   configured leeway, exactly as a first validation would ([`Lifetime::check`] is shared with it).
//! - Request-specific rules are never cached: the app-or-user, `ClientType` header and route
//!   [`Policy`](crate::Policy) checks run on every request, hit or miss (`security.md` E36).
//! - Key rotation: a cached token stays accepted until its `exp` even if its signing key leaves the
//!   JWKS (or the JWKS becomes unreachable) meanwhile, since its signature was valid when checked. This
//!   matches a token validated just before the rotation and is bounded by the token lifetime.
//!
//! The entries are spread over up to [`SHARDS`] mutex-protected maps by the first digest byte, to keep
//! lock contention low. A full shard first drops its expired entries, then the entry expiring soonest.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use custos_jose::hash::sha256;

use crate::error::InvalidToken;
use crate::principal::Principal;

/// Default number of cached tokens.
pub const DEFAULT_TOKEN_CACHE_CAPACITY: usize = 10_000;
/// Maximum number of independently locked shards.
const SHARDS: usize = 16;

type Key = [u8; 32];

/// When a token may be used: its NumericDate claims, already checked to be finite numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Lifetime {
    /// `exp`.
    pub(crate) expires: f64,
    /// The later of `nbf` and `iat`, when present.
    pub(crate) not_before: Option<f64>,
}

impl Lifetime {
    /// Refuses a token at or after `exp + leeway`, or before `not_before - leeway`.
    pub(crate) fn check(&self, now: i64, leeway_secs: f64) -> Result<(), InvalidToken> {
        let now = now as f64;
        if now >= self.expires + leeway_secs {
            return Err(InvalidToken::Expired);
        }
        if self.not_before.is_some_and(|t| t > now + leeway_secs) {
            return Err(InvalidToken::NotYetValid);
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Entry {
    principal: Principal,
    lifetime: Lifetime,
}

/// Validated tokens by SHA-256 of their bytes. `Debug` shows only the capacity (no token-derived data).
pub(crate) struct TokenCache {
    shards: Vec<Mutex<HashMap<Key, Entry>>>,
    per_shard: usize,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache").field("capacity", &self.capacity()).finish_non_exhaustive()
    }
}

/// What a lookup found.
#[derive(Debug, PartialEq)]
pub(crate) enum Lookup {
    /// Not cached: validate in full.
    Miss,
    /// Cached and within its lifetime now.
    Hit(Principal),
    /// Cached, but its lifetime check fails now (the entry is removed when expired).
    Refused(InvalidToken),
}

impl TokenCache {
    /// A cache of at most `capacity` tokens, or `None` when `capacity` is 0 (caching disabled).
    pub(crate) fn new(capacity: usize) -> Option<Self> {
        if capacity == 0 {
            return None;
        }
        let shards = capacity.min(SHARDS);
        let per_shard = capacity / shards;
        Some(Self { shards: (0..shards).map(|_| Mutex::new(HashMap::new())).collect(), per_shard })
    }

    /// The maximum number of entries.
    pub(crate) fn capacity(&self) -> usize {
        self.per_shard * self.shards.len()
    }

    /// The number of entries now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len()).sum()
    }

    /// The cache key of `token`.
    pub(crate) fn key(token: &str) -> Key {
        sha256(token.as_bytes())
    }

    fn shard(&self, key: &Key) -> &Mutex<HashMap<Key, Entry>> {
        &self.shards[usize::from(key[0]) % self.shards.len()]
    }

    /// Looks `key` up and re-checks the cached lifetime at `now`.
    pub(crate) fn get(&self, key: &Key, now: i64, leeway_secs: f64) -> Lookup {
        let mut shard = self.shard(key).lock().unwrap_or_else(PoisonError::into_inner);
        let Some(entry) = shard.get(key) else {
            return Lookup::Miss;
        };
        match entry.lifetime.check(now, leeway_secs) {
            Ok(()) => Lookup::Hit(entry.principal.clone()),
            Err(error) => {
                if error == InvalidToken::Expired {
                    shard.remove(key);
                }
                Lookup::Refused(error)
            }
        }
    }

    /// Stores a token that passed every signature and claim check at `now`.
    pub(crate) fn insert(
        &self,
        key: Key,
        principal: Principal,
        lifetime: Lifetime,
        now: i64,
        leeway_secs: f64,
    ) {
        let mut shard = self.shard(&key).lock().unwrap_or_else(PoisonError::into_inner);
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            shard.retain(|_, e| e.lifetime.check(now, leeway_secs) != Err(InvalidToken::Expired));
            if shard.len() >= self.per_shard {
                let soonest = shard
                    .iter()
                    .min_by(|(_, a), (_, b)| a.lifetime.expires.total_cmp(&b.lifetime.expires))
                    .map(|(k, _)| *k);
                if let Some(soonest) = soonest {
                    shard.remove(&soonest);
                }
            }
        }
        shard.insert(key, Entry { principal, lifetime });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::principal::{PrincipalKind, TokenVersion};
    use custos_core::{AppId, ObjectId, TenantId};

    const NOW: i64 = 1_800_000_000;

    fn principal() -> Principal {
        Principal {
            tenant_id: TenantId::new_random(),
            client_app_id: AppId::new_random(),
            object_id: ObjectId::new_random(),
            roles: vec!["R".into()],
            scopes: Vec::new(),
            token_version: TokenVersion::V2,
            kind: PrincipalKind::App,
            user: None,
        }
    }

    fn lifetime(expires: i64) -> Lifetime {
        Lifetime { expires: expires as f64, not_before: Some((NOW - 60) as f64) }
    }

    #[test]
    fn zero_capacity_disables() {
        assert!(TokenCache::new(0).is_none());
        assert_eq!(TokenCache::new(1).map(|c| c.capacity()), Some(1));
        assert_eq!(TokenCache::new(10_000).map(|c| c.capacity()), Some(10_000));
    }

    #[test]
    fn hit_and_one_byte_miss() {
        let cache = TokenCache::new(8).expect("enabled");
        let who = principal();
        cache.insert(TokenCache::key("a.b.c"), who.clone(), lifetime(NOW + 3600), NOW, 0.0);
        assert_eq!(cache.get(&TokenCache::key("a.b.c"), NOW, 0.0), Lookup::Hit(who));
        assert_eq!(cache.get(&TokenCache::key("a.b.d"), NOW, 0.0), Lookup::Miss);
    }

    #[test]
    fn lifetime_rechecked_with_leeway() {
        let cache = TokenCache::new(8).expect("enabled");
        let key = TokenCache::key("t");
        let who = principal();
        cache.insert(key, who.clone(), lifetime(NOW + 100), NOW, 0.0);
        assert_eq!(cache.get(&key, NOW - 61, 0.0), Lookup::Refused(InvalidToken::NotYetValid));
        assert_eq!(cache.get(&key, NOW - 61, 5.0), Lookup::Hit(who.clone()));
        assert_eq!(cache.get(&key, NOW + 104, 5.0), Lookup::Hit(who));
        assert_eq!(cache.get(&key, NOW + 105, 5.0), Lookup::Refused(InvalidToken::Expired));
        assert_eq!(cache.get(&key, NOW, 5.0), Lookup::Miss, "an expired entry is dropped");
    }

    #[test]
    fn bound_holds_and_evicts_soonest_expiry() {
        let cache = TokenCache::new(SHARDS * 2).expect("enabled");
        for i in 0..1_000 {
            cache.insert(TokenCache::key(&format!("t{i}")), principal(), lifetime(NOW + 10 + i), NOW, 0.0);
            assert!(cache.len() <= SHARDS * 2);
        }
        assert_eq!(cache.len(), SHARDS * 2);
        // The most recent (latest-expiring) token survives; the first one was evicted.
        assert!(matches!(cache.get(&TokenCache::key("t999"), NOW, 0.0), Lookup::Hit(_)));
        assert_eq!(cache.get(&TokenCache::key("t0"), NOW, 0.0), Lookup::Miss);
    }

    #[test]
    fn full_shard_drops_expired_entries_first() {
        let cache = TokenCache::new(1).expect("enabled");
        cache.insert(TokenCache::key("old"), principal(), lifetime(NOW + 10), NOW, 0.0);
        cache.insert(TokenCache::key("new"), principal(), lifetime(NOW + 100), NOW + 20, 0.0);
        assert_eq!(cache.len(), 1);
        assert!(matches!(cache.get(&TokenCache::key("new"), NOW + 20, 0.0), Lookup::Hit(_)));
    }
}
