//! The per-issuer key cache. Each issuer has one entry guarded by an async mutex, so
//! concurrent misses for the same issuer wait for one fetch instead of each fetching
//! (coalescing). Keys are fresh for [`CacheOptions::ttl`]; a failed fetch is remembered for
//! [`CacheOptions::negative_ttl`] (requests meanwhile fail at once, without a fetch); a token
//! naming a `kid` the cached keys lack triggers a refetch at most once per
//! [`CacheOptions::kid_cooldown`], so random `kid`s cannot cause a fetch storm. When a refresh
//! fails, keys already held keep serving. Time comes from the injected [`Clock`]. The map is
//! bounded: it is emptied when it holds [`CacheOptions::max_issuers`] issuers and a new one
//! arrives (issuers come only from registered federated credentials, so this is rare).

use super::fetch::{FetchError, KeySource};
use super::keys::IssuerKeys;
use custos_core::Clock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use time::{Duration, OffsetDateTime};

/// Timing and size of the issuer cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// How long fetched keys are used before they are fetched again (default 1 h).
    pub ttl: Duration,
    /// How long a failed fetch is answered from the cache (default 1 min).
    pub negative_ttl: Duration,
    /// Least time between two fetches caused by unknown `kid`s (default 5 min).
    pub kid_cooldown: Duration,
    /// Most issuers cached at once (default 1024).
    pub max_issuers: usize,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::hours(1),
            negative_ttl: Duration::minutes(1),
            kid_cooldown: Duration::minutes(5),
            max_issuers: 1024,
        }
    }
}

#[derive(Debug, Default)]
struct EntryState {
    keys: Option<Arc<IssuerKeys>>,
    fetched_at: Option<OffsetDateTime>,
    /// The last failure and when it happened.
    failure: Option<(FetchError, OffsetDateTime)>,
    /// The last fetch caused by an unknown `kid`.
    kid_refresh: Option<OffsetDateTime>,
}

type Entry = Arc<tokio::sync::Mutex<EntryState>>;

/// Keys of external issuers, fetched from `S`.
#[derive(Debug)]
pub(crate) struct IssuerCache<S> {
    source: S,
    clock: Arc<dyn Clock>,
    options: CacheOptions,
    entries: Mutex<HashMap<String, Entry>>,
}

impl<S: KeySource> IssuerCache<S> {
    pub(crate) fn new(source: S, clock: Arc<dyn Clock>, options: CacheOptions) -> Self {
        Self { source, clock, options, entries: Mutex::default() }
    }

    fn entry(&self, issuer: &str) -> Entry {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = entries.get(issuer) {
            return Arc::clone(entry);
        }
        if entries.len() >= self.options.max_issuers {
            entries.clear();
        }
        Arc::clone(entries.entry(issuer.to_owned()).or_default())
    }

    /// The keys of `issuer` to verify a token signed with `kid`: cached keys while fresh, a
    /// fetch when there are none or they are stale, and a refetch for a `kid` they lack when the
    /// cooldown allows. `trusted` is passed to the source (allow-listed issuer).
    pub(crate) async fn keys(
        &self,
        issuer: &str,
        trusted: bool,
        kid: Option<&str>,
    ) -> Result<Arc<IssuerKeys>, FetchError> {
        let entry = self.entry(issuer);
        let mut state = entry.lock().await;
        let now = self.clock.now();
        let fresh = state.fetched_at.is_some_and(|at| now - at < self.options.ttl);
        if let (true, Some(keys)) = (fresh, &state.keys) {
            let cooling = state.kid_refresh.is_some_and(|at| now - at < self.options.kid_cooldown);
            if keys.has(kid) || cooling {
                return Ok(Arc::clone(keys));
            }
            state.kid_refresh = Some(now);
            tracing::info!(issuer, "federated assertion names an unknown key; refreshing the issuer's keys");
        } else if let Some((error, at)) = &state.failure
            && now - *at < self.options.negative_ttl
        {
            return match &state.keys {
                Some(keys) => Ok(Arc::clone(keys)),
                None => Err(error.clone()),
            };
        }
        match self.source.fetch(issuer, trusted).await {
            Ok(keys) => {
                tracing::info!(issuer, keys = keys.len(), "external issuer keys fetched");
                let keys = Arc::new(keys);
                state.keys = Some(Arc::clone(&keys));
                state.fetched_at = Some(now);
                state.failure = None;
                Ok(keys)
            }
            Err(error) => {
                tracing::warn!(issuer, %error, cached = state.keys.is_some(), "fetching external issuer keys failed");
                state.failure = Some((error.clone(), now));
                match &state.keys {
                    Some(keys) => Ok(Arc::clone(keys)),
                    None => Err(error),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::FixedClock;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A source returning one key `k1` (or an error) and counting fetches.
    #[derive(Debug, Default)]
    struct Counting {
        fetches: AtomicUsize,
        fail: std::sync::atomic::AtomicBool,
    }

    fn jwks(kid: &str) -> IssuerKeys {
        let n = base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, [0xC5; 256]);
        let doc = serde_json::json!({"keys": [{"kty":"RSA","kid":kid,"n":n,"e":"AQAB"}]});
        IssuerKeys::parse(doc.to_string().as_bytes()).unwrap()
    }

    impl KeySource for Arc<Counting> {
        async fn fetch(&self, issuer: &str, _trusted: bool) -> Result<IssuerKeys, FetchError> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            // Let concurrent callers pile up behind the entry lock.
            tokio::task::yield_now().await;
            if self.fail.load(Ordering::SeqCst) {
                Err(FetchError::Status { url: issuer.to_owned(), status: 500 })
            } else {
                Ok(jwks("k1"))
            }
        }
    }

    fn cache() -> (IssuerCache<Arc<Counting>>, Arc<Counting>, Arc<FixedClock>) {
        let source = Arc::new(Counting::default());
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()));
        let cache = IssuerCache::new(Arc::clone(&source), clock.clone(), CacheOptions::default());
        (cache, source, clock)
    }

    fn fetches(source: &Counting) -> usize {
        source.fetches.load(Ordering::SeqCst)
    }

    #[tokio::test]
    async fn fresh_keys_are_reused_and_refetched_after_the_ttl() {
        let (cache, source, clock) = cache();
        assert!(cache.keys("https://i", false, Some("k1")).await.unwrap().has(Some("k1")));
        cache.keys("https://i", false, Some("k1")).await.unwrap();
        assert_eq!(fetches(&source), 1);
        clock.advance(Duration::hours(1));
        cache.keys("https://i", false, Some("k1")).await.unwrap();
        assert_eq!(fetches(&source), 2);
        cache.keys("https://other", false, Some("k1")).await.unwrap();
        assert_eq!(fetches(&source), 3);
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_fetch() {
        let (cache, source, _) = cache();
        let cache = Arc::new(cache);
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let cache = Arc::clone(&cache);
                tokio::spawn(async move { cache.keys("https://i", false, Some("k1")).await.map(|_| ()) })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(fetches(&source), 1);
    }

    #[tokio::test]
    async fn unknown_kids_refresh_at_most_once_per_cooldown() {
        let (cache, source, clock) = cache();
        cache.keys("https://i", false, Some("k1")).await.unwrap();
        for _ in 0..5 {
            let keys = cache.keys("https://i", false, Some("rotated")).await.unwrap();
            assert!(!keys.has(Some("rotated")));
        }
        assert_eq!(fetches(&source), 2, "one refresh for the first unknown kid, none for the rest");
        clock.advance(Duration::minutes(5));
        cache.keys("https://i", false, Some("another")).await.unwrap();
        assert_eq!(fetches(&source), 3);
    }

    #[tokio::test]
    async fn failures_are_cached_briefly_and_old_keys_keep_serving() {
        let (cache, source, clock) = cache();
        source.fail.store(true, Ordering::SeqCst);
        let error = cache.keys("https://i", false, None).await.unwrap_err();
        assert!(matches!(error, FetchError::Status { status: 500, .. }));
        assert_eq!(cache.keys("https://i", false, None).await.unwrap_err(), error);
        assert_eq!(fetches(&source), 1, "the failure is answered from the cache");
        clock.advance(Duration::minutes(1));
        source.fail.store(false, Ordering::SeqCst);
        cache.keys("https://i", false, None).await.unwrap();
        assert_eq!(fetches(&source), 2);

        // Stale keys plus a failing issuer: the old keys serve.
        clock.advance(Duration::hours(2));
        source.fail.store(true, Ordering::SeqCst);
        assert!(cache.keys("https://i", false, Some("k1")).await.unwrap().has(Some("k1")));
        assert_eq!(fetches(&source), 3);
    }

    #[tokio::test]
    async fn the_issuer_map_is_bounded() {
        let source = Arc::new(Counting::default());
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap()));
        let options = CacheOptions { max_issuers: 2, ..CacheOptions::default() };
        let cache = IssuerCache::new(Arc::clone(&source), clock, options);
        for issuer in ["https://a", "https://b", "https://c"] {
            cache.keys(issuer, false, None).await.unwrap();
        }
        assert_eq!(cache.entries.lock().unwrap().len(), 1);
    }
}
