//! The shared key cache: the tenant's v1/v2 issuers and signing keys, fetched once and shared by every
//! request.
//!
//! - A request whose `kid` is unknown triggers a refresh; concurrent misses wait on one refresh instead of
//!   each fetching (coalescing), and refreshes happen at most once per cooldown (default 30 s, measured
//!   with the injected [`Clock`]), so a burst of random `kid`s cannot cause a fetch storm.
//! - Keys older than `max_age` are refreshed in the background by whichever request notices first.
//! - A failed refresh keeps the previous keys: when the authority is down, cached keys keep serving.

mod fetch;
mod ring;

use std::sync::{Arc, RwLock};
use std::time::Duration;

use custos_core::Clock;
use custos_jose::VerifyingKey;
use custos_jose::key_set::{KidRule, PublishedKey, parse_signing_keys};
use time::OffsetDateTime;

use crate::config::GuardConfig;
use fetch::{Discovered, MetadataClient};
pub use fetch::{FETCH_TIMEOUT, FetchError, MAX_DOCUMENT_BYTES, authority_http_client};
use ring::KeyRing;
pub use ring::{MAX_KEYS, MAX_KID_LEN};

/// Timing of the key cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheOptions {
    /// Least time between two fetches triggered by unknown `kid`s (default 30 s).
    pub cooldown: Duration,
    /// Age after which keys are refreshed in the background (default 10 min).
    pub max_age: Duration,
}

impl Default for CacheOptions {
    fn default() -> Self {
        Self { cooldown: Duration::from_secs(30), max_age: Duration::from_secs(600) }
    }
}

/// One successful fetch of the authority's metadata.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub(crate) v2_issuer: String,
    pub(crate) v1_issuer: String,
    ring: KeyRing,
    fetched_at: OffsetDateTime,
}

impl Snapshot {
    /// The key with `kid` and the issuers it may sign for.
    pub(crate) fn key(&self, kid: &str) -> Option<(&VerifyingKey, &[String])> {
        self.ring.get(kid)
    }
}

#[derive(Debug, Default)]
struct Current {
    snapshot: Option<Arc<Snapshot>>,
    last_error: Option<FetchError>,
    generation: u64,
}

#[derive(Debug, Default)]
struct RefreshState {
    last_attempt: Option<OffsetDateTime>,
}

/// Discovery and JWKS of one tenant, cached.
#[derive(Debug)]
pub(crate) struct KeyCache {
    client: MetadataClient,
    clock: Arc<dyn Clock>,
    options: CacheOptions,
    current: RwLock<Current>,
    refresh: Arc<tokio::sync::Mutex<RefreshState>>,
}

impl KeyCache {
    pub(crate) fn new(
        config: &GuardConfig,
        clock: Arc<dyn Clock>,
        options: CacheOptions,
    ) -> Result<Self, FetchError> {
        Ok(Self {
            client: MetadataClient::new(config)?,
            clock,
            options,
            current: RwLock::default(),
            refresh: Arc::default(),
        })
    }

    fn current(&self) -> (Option<Arc<Snapshot>>, u64) {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        (current.snapshot.clone(), current.generation)
    }

    /// The metadata to validate a token signed with `kid`: refreshes (within the cooldown rule) when the
    /// key is unknown. `Err` only when no metadata was ever obtained.
    pub(crate) async fn snapshot_for(self: &Arc<Self>, kid: &str) -> Result<Arc<Snapshot>, FetchError> {
        let (snapshot, seen) = self.current();
        if let Some(snapshot) = snapshot.filter(|s| s.key(kid).is_some()) {
            if self.is_stale(&snapshot) {
                self.refresh_in_background();
            }
            return Ok(snapshot);
        }
        self.refresh_once(seen).await
    }

    /// Fetches unless another caller refreshed since generation `seen` or the cooldown forbids it.
    async fn refresh_once(&self, seen: u64) -> Result<Arc<Snapshot>, FetchError> {
        let mut state = self.refresh.lock().await;
        let now = self.clock.now();
        let cooling = state.last_attempt.is_some_and(|t| now - t < self.options.cooldown);
        if self.current().1 == seen && !cooling {
            state.last_attempt = Some(now);
            self.fetch_and_store().await;
        }
        drop(state);
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        match (&current.snapshot, &current.last_error) {
            (Some(snapshot), _) => Ok(Arc::clone(snapshot)),
            (None, Some(error)) => Err(error.clone()),
            (None, None) => Err(FetchError::Client("keys were not fetched yet".to_owned())),
        }
    }

    fn is_stale(&self, snapshot: &Snapshot) -> bool {
        self.clock.now() - snapshot.fetched_at >= self.options.max_age
    }

    /// Refreshes stale keys without delaying the request that noticed, when a tokio runtime is present
    /// and no refresh is running.
    fn refresh_in_background(self: &Arc<Self>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let Ok(mut state) = Arc::clone(&self.refresh).try_lock_owned() else { return };
        let now = self.clock.now();
        if state.last_attempt.is_some_and(|t| now - t < self.options.cooldown) {
            return;
        }
        state.last_attempt = Some(now);
        let this = Arc::clone(self);
        runtime.spawn(async move {
            this.fetch_and_store().await;
            drop(state);
        });
    }

    /// Fetches once (first use), ignoring the cooldown.
    pub(crate) async fn warm_up(&self) -> Result<(), FetchError> {
        let mut state = self.refresh.lock().await;
        state.last_attempt = Some(self.clock.now());
        self.fetch_and_store().await;
        drop(state);
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        match &current.last_error {
            Some(error) => Err(error.clone()),
            None => Ok(()),
        }
    }

    async fn fetch_and_store(&self) {
        let result = self.fetch().await;
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        current.generation += 1;
        match result {
            Ok(snapshot) => {
                tracing::info!(keys = snapshot.ring.len(), "guard signing keys refreshed");
                current.snapshot = Some(Arc::new(snapshot));
                current.last_error = None;
            }
            Err(error) => {
                tracing::warn!(%error, cached = current.snapshot.is_some(), "guard key refresh failed");
                current.last_error = Some(error);
            }
        }
    }

    async fn fetch(&self) -> Result<Snapshot, FetchError> {
        let [v2, v1] = self.client.discover().await?;
        let mut ring = KeyRing::default();
        let v2_keys = self.fetch_keys(&v2).await?;
        let v1_keys = if v1.jwks_uri == v2.jwks_uri { v2_keys.clone() } else { self.fetch_keys(&v1).await? };
        let resolve = |s: &str| self.client.resolve_tenant(s);
        let dropped = ring.add(v2_keys, &v2.issuer, resolve) + ring.add(v1_keys, &v1.issuer, resolve);
        if dropped > 0 {
            tracing::warn!(dropped, max = MAX_KEYS, "guard ignored signing keys beyond the cap");
        }
        if ring.len() == 0 {
            return Err(FetchError::Document {
                url: v2.jwks_uri.to_string(),
                reason: "no usable RS256 signing key".to_owned(),
            });
        }
        Ok(Snapshot { v2_issuer: v2.issuer, v1_issuer: v1.issuer, ring, fetched_at: self.clock.now() })
    }

    async fn fetch_keys(&self, discovered: &Discovered) -> Result<Vec<PublishedKey>, FetchError> {
        let body = self.client.get(&discovered.jwks_uri).await?;
        parse_signing_keys(&body, KidRule::Required)
            .map_err(|e| FetchError::Document { url: discovered.jwks_uri.to_string(), reason: e.to_string() })
    }
}
