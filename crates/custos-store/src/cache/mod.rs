//! [`Directory`]: the read-through cache the token hot path reads from, and that every write
//! made through it invalidates.
//!
//! Per tenant it keeps one [`TenantSnapshot`], built from six store reads and shared (`Arc`)
//! by every request until a write to the tenant drops it. Rebuilds are coalesced: concurrent
//! requests for a missing snapshot wait on one per-tenant async lock and only the first one
//! loads. A generation counter, bumped on every invalidation, keeps a snapshot whose load
//! overlapped a write from being installed. Only tenants that exist are cached (no negative
//! entries), so unknown ids or domains cannot grow the cache. std locks are never held across
//! an `.await`.
//!
//! A tenant with more applications and service principals than a threshold
//! ([`DEFAULT_SLICE_THRESHOLD`]) is not loaded whole by [`Directory::snapshot_for`], the read of
//! the token and sign-in paths: each request gets a slice of it ([`slices`]), cached in the same
//! slot, under the same generation counter and dropped by the same invalidations, so the choice
//! changes memory and load times, never what a request sees.
//!
//! Writes made by another process (several servers sharing one PostgreSQL database) do not pass
//! through this cache: [`Directory::apply`] drops what a [`crate::change_feed::Change`] names as
//! soon as the database's change feed announces it, and [`Directory::with_max_age`] bounds how
//! long a change the feed missed can go unseen.

mod slices;
mod snapshot;
mod store_impl;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_slices;

pub use slices::Needs;
pub use snapshot::TenantSnapshot;

use crate::codec::domain_key;
use crate::{Store, StoreResult};
use custos_core::model::Tenant;
use custos_core::{Clock, TenantId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How often a load that raced with writes is retried before its (uncached) result is returned.
const MAX_LOAD_ATTEMPTS: usize = 3;

/// Tenants with more applications and service principals than this are read in slices.
pub const DEFAULT_SLICE_THRESHOLD: u64 = 2_000;

/// How many slices a tenant's slot keeps; beyond it an arbitrary one is dropped per new one.
pub const DEFAULT_SLICE_CAPACITY: usize = 4_096;

/// The read-through directory cache; also a [`Store`] whose writes invalidate it.
pub struct Directory {
    store: Arc<dyn Store>,
    /// Snapshots older than this are reloaded (for writes made by other processes).
    max_age: Option<MaxAge>,
    tenants: RwLock<TenantIndex>,
    slots: RwLock<HashMap<TenantId, Arc<Slot>>>,
    slicing: Slicing,
}

/// When tenants are read in slices, and how many a tenant keeps.
#[derive(Debug, Clone, Copy)]
struct Slicing {
    threshold: u64,
    capacity: usize,
}

/// How old a snapshot may grow, measured on the injected clock.
struct MaxAge {
    age: Duration,
    clock: Arc<dyn Clock>,
}

impl MaxAge {
    fn expired(&self, installed: Instant) -> bool {
        self.clock.instant().saturating_duration_since(installed) >= self.age
    }
}

/// Cached tenant records, by id and by lower-cased domain.
#[derive(Default)]
struct TenantIndex {
    by_id: HashMap<TenantId, Tenant>,
    by_domain: HashMap<String, TenantId>,
}

/// The cache cell of one tenant's snapshot.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    /// Held while the snapshot is being loaded, so that concurrent misses wait for one load.
    loading: tokio::sync::Mutex<()>,
}

/// A snapshot or slice and, with a maximum age, when it was installed.
type Installed = (Arc<TenantSnapshot>, Option<Instant>);

#[derive(Default)]
struct SlotState {
    generation: u64,
    /// The whole tenant's snapshot.
    snapshot: Option<Installed>,
    /// Whether the tenant has more objects than the slice threshold: counted at its first read
    /// and updated by every whole load; kept across invalidations (a size class changes rarely,
    /// and counting after every write would cost as much as the loads it saves). A tenant once
    /// large stays sliced: only a choice of how to load, never of what a request sees.
    large: Option<bool>,
    /// Slices of a large tenant ([`slices`]), at most the directory's capacity.
    slices: HashMap<Needs, Installed>,
}

/// `installed` unless it is older than `max_age`.
fn fresh(installed: &Installed, max_age: Option<&MaxAge>) -> Option<Arc<TenantSnapshot>> {
    match (max_age, installed.1) {
        (Some(max_age), Some(at)) if max_age.expired(at) => None,
        _ => Some(Arc::clone(&installed.0)),
    }
}

impl Slot {
    /// The cached snapshot, unless it is older than `max_age`.
    fn cached(&self, max_age: Option<&MaxAge>) -> Option<Arc<TenantSnapshot>> {
        fresh(self.lock().snapshot.as_ref()?, max_age)
    }

    /// The cached slice for `needs`, unless it is older than `max_age`.
    fn cached_slice(&self, needs: &Needs, max_age: Option<&MaxAge>) -> Option<Arc<TenantSnapshot>> {
        fresh(self.lock().slices.get(needs)?, max_age)
    }

    /// Installs `slice` for `needs` unless an invalidation happened since `generation` was read;
    /// at `capacity`, drops an arbitrary other slice first.
    fn install_slice(
        &self,
        generation: u64,
        needs: &Needs,
        slice: &Arc<TenantSnapshot>,
        now: Option<Instant>,
        capacity: usize,
    ) -> bool {
        let mut state = self.lock();
        if state.generation != generation {
            return false;
        }
        if state.slices.len() >= capacity && !state.slices.contains_key(needs) {
            let evicted = state.slices.keys().next().cloned();
            if let Some(evicted) = evicted {
                state.slices.remove(&evicted);
            }
        }
        if capacity > 0 {
            state.slices.insert(needs.clone(), (Arc::clone(slice), now));
        }
        true
    }

    fn large(&self) -> Option<bool> {
        self.lock().large
    }

    /// Records the tenant's size class (a tenant once large stays large).
    fn set_large(&self, large: bool) {
        let mut state = self.lock();
        state.large = Some(large || state.large == Some(true));
    }

    /// Whether nothing is cached in the slot.
    fn is_empty(&self) -> bool {
        let state = self.lock();
        state.snapshot.is_none() && state.slices.is_empty()
    }

    fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Installs `snapshot` unless an invalidation happened since `generation` was read.
    fn install(&self, generation: u64, snapshot: &Arc<TenantSnapshot>, now: Option<Instant>) -> bool {
        let mut state = self.lock();
        if state.generation != generation {
            return false;
        }
        state.snapshot = Some((Arc::clone(snapshot), now));
        true
    }

    fn invalidate(&self) {
        let mut state = self.lock();
        state.generation = state.generation.wrapping_add(1);
        state.snapshot = None;
        state.slices = HashMap::new();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SlotState> {
        // The state is a plain value replaced in one step: a panic elsewhere cannot tear it.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Directory {
    /// A cache in front of `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            max_age: None,
            tenants: RwLock::default(),
            slots: RwLock::default(),
            slicing: Slicing { threshold: DEFAULT_SLICE_THRESHOLD, capacity: DEFAULT_SLICE_CAPACITY },
        }
    }

    /// Reads tenants with more than `threshold` applications and service principals in slices
    /// ([`Directory::snapshot_for`]), keeping at most `capacity` slices per tenant (defaults:
    /// [`DEFAULT_SLICE_THRESHOLD`], [`DEFAULT_SLICE_CAPACITY`]). A threshold of 0 slices every
    /// tenant that has any object (tests of the slice path).
    #[must_use]
    pub fn with_slices(mut self, threshold: u64, capacity: usize) -> Self {
        self.slicing = Slicing { threshold, capacity };
        self
    }

    /// Reloads a tenant's snapshot once it is `max_age` old, so that directory changes written by
    /// other processes sharing the database are seen within that time. Without it (the default,
    /// right for a single server) a snapshot lives until a write through this cache drops it.
    /// Ages are measured on `clock`.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration, clock: Arc<dyn Clock>) -> Self {
        self.max_age = Some(MaxAge { age: max_age, clock });
        self
    }

    /// The store behind the cache.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// GUID (canonical form) or domain name (case-insensitive) -> tenant; cached once found.
    pub async fn resolve_tenant(&self, segment: &str) -> StoreResult<Option<Tenant>> {
        let id = segment.parse::<TenantId>().ok();
        let domain = if id.is_none() { Some(domain_key(segment)) } else { None };
        {
            let index = self.tenants.read().unwrap_or_else(PoisonError::into_inner);
            let cached_id = id.or_else(|| domain.as_ref().and_then(|d| index.by_domain.get(d).copied()));
            if let Some(tenant) = cached_id.and_then(|id| index.by_id.get(&id)) {
                return Ok(Some(tenant.clone()));
            }
        }
        let found = match id {
            Some(id) => self.store.tenant(id).await?,
            None => self.store.tenant_by_domain(segment).await?,
        };
        if let Some(tenant) = &found {
            let mut index = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
            index.by_domain.insert(domain_key(&tenant.domain), tenant.id);
            index.by_id.insert(tenant.id, tenant.clone());
        }
        Ok(found)
    }

    /// Everything the token path needs about one tenant, built once and shared until a write
    /// invalidates it. `None` when the tenant does not exist.
    pub async fn snapshot(&self, tenant: TenantId) -> StoreResult<Option<Arc<TenantSnapshot>>> {
        let slot = self.slot(tenant);
        if let Some(snapshot) = slot.cached(self.max_age.as_ref()) {
            return Ok(Some(snapshot));
        }
        let _loading = slot.loading.lock().await;
        if let Some(snapshot) = slot.cached(self.max_age.as_ref()) {
            return Ok(Some(snapshot));
        }
        let mut attempt = 1;
        loop {
            let generation = slot.generation();
            let loaded = match self.load(tenant).await {
                Ok(Some(snapshot)) => {
                    slot.set_large(snapshot.object_count() > self.slicing.threshold);
                    Arc::new(snapshot)
                }
                Ok(None) => {
                    self.forget_empty_slot(tenant, &slot);
                    return Ok(None);
                }
                Err(e) => {
                    self.forget_empty_slot(tenant, &slot);
                    return Err(e);
                }
            };
            if slot.install(generation, &loaded, self.max_age.as_ref().map(|m| m.clock.instant()))
                || attempt >= MAX_LOAD_ATTEMPTS
            {
                return Ok(Some(loaded));
            }
            attempt += 1;
        }
    }

    /// What one request reads of a tenant, as [`Directory::snapshot`] gives it: the whole
    /// tenant's snapshot when the tenant is small (or its whole snapshot is cached anyway), else
    /// the tenant's slice for `needs` ([`slices`]), whose lookups answer as the whole snapshot's
    /// for every object `needs` names. `None` when the tenant does not exist.
    pub async fn snapshot_for(
        &self,
        tenant: TenantId,
        needs: &Needs,
    ) -> StoreResult<Option<Arc<TenantSnapshot>>> {
        let slot = self.slot(tenant);
        let max_age = self.max_age.as_ref();
        if let Some(cached) = slot.cached(max_age).or_else(|| slot.cached_slice(needs, max_age)) {
            return Ok(Some(cached));
        }
        let large = match slot.large() {
            Some(large) => large,
            None => {
                let count = match self.store.directory_object_count(tenant).await {
                    Ok(count) => count,
                    Err(e) => {
                        self.forget_empty_slot(tenant, &slot);
                        return Err(e);
                    }
                };
                let large = count > self.slicing.threshold;
                slot.set_large(large);
                large
            }
        };
        if !large {
            return self.snapshot(tenant).await;
        }
        let slice = self.load_slice(tenant, &slot, needs).await;
        if !matches!(slice, Ok(Some(_))) {
            self.forget_empty_slot(tenant, &slot);
        }
        slice
    }

    /// Drops what `change` (another server's write, announced by the database) makes stale.
    pub fn apply(&self, change: &crate::change_feed::Change) {
        use crate::change_feed::Change;
        match change {
            Change::Tenant(tenant) => self.invalidate(*tenant),
            Change::Missed => self.invalidate_all(),
            Change::SigningKeys => {}
        }
    }

    /// Drops every cached snapshot and tenant.
    pub fn invalidate_all(&self) {
        let tenants: Vec<TenantId> =
            self.slots.read().unwrap_or_else(PoisonError::into_inner).keys().copied().collect();
        for tenant in tenants {
            self.invalidate(tenant);
        }
        *self.tenants.write().unwrap_or_else(PoisonError::into_inner) = TenantIndex::default();
    }

    /// Drops cached data of a tenant (its snapshot and its entries in the tenant lookup cache).
    pub fn invalidate(&self, tenant: TenantId) {
        {
            let mut index = self.tenants.write().unwrap_or_else(PoisonError::into_inner);
            if let Some(old) = index.by_id.remove(&tenant) {
                index.by_domain.remove(&domain_key(&old.domain));
            }
        }
        let slot = self.slots.read().unwrap_or_else(PoisonError::into_inner).get(&tenant).cloned();
        if let Some(slot) = slot {
            slot.invalidate();
        }
    }

    async fn load(&self, tenant: TenantId) -> StoreResult<Option<TenantSnapshot>> {
        let Some(record) = self.store.tenant(tenant).await? else {
            return Ok(None);
        };
        let applications = self.store.applications(tenant).await?;
        let service_principals = self.store.service_principals(tenant).await?;
        let assignments = self.store.assignments(tenant).await?;
        let settings = self.store.tenant_settings(tenant).await?;
        let grants = self.store.permission_grants(tenant).await?;
        let mut snapshot = TenantSnapshot::build(record, applications, service_principals, assignments);
        snapshot.settings = settings;
        snapshot.index_grants(grants);
        Ok(Some(snapshot))
    }

    fn slot(&self, tenant: TenantId) -> Arc<Slot> {
        if let Some(slot) = self.slots.read().unwrap_or_else(PoisonError::into_inner).get(&tenant) {
            return Arc::clone(slot);
        }
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        Arc::clone(slots.entry(tenant).or_default())
    }

    /// Removes the slot of a tenant that turned out not to exist (or failed to load), so that
    /// unknown ids leave nothing behind.
    fn forget_empty_slot(&self, tenant: TenantId, slot: &Arc<Slot>) {
        let mut slots = self.slots.write().unwrap_or_else(PoisonError::into_inner);
        if slots.get(&tenant).is_some_and(|s| Arc::ptr_eq(s, slot)) && slot.is_empty() {
            slots.remove(&tenant);
        }
    }

    /// Number of tenants with a snapshot slot and of cached tenant records (tests of the bound).
    #[cfg(test)]
    fn cache_sizes(&self) -> (usize, usize) {
        let slots = self.slots.read().unwrap_or_else(PoisonError::into_inner).len();
        let tenants = self.tenants.read().unwrap_or_else(PoisonError::into_inner).by_id.len();
        (slots, tenants)
    }

    /// How many slices of `tenant` are cached (for tests and metrics).
    pub fn cached_slices(&self, tenant: TenantId) -> usize {
        let slot = self.slots.read().unwrap_or_else(PoisonError::into_inner).get(&tenant).cloned();
        slot.map_or(0, |slot| slot.lock().slices.len())
    }

    /// Whether the whole snapshot of `tenant` is cached (for tests and metrics).
    pub fn caches_whole_snapshot(&self, tenant: TenantId) -> bool {
        let slot = self.slots.read().unwrap_or_else(PoisonError::into_inner).get(&tenant).cloned();
        slot.is_some_and(|slot| slot.lock().snapshot.is_some())
    }
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenants = self.tenants.read().map_or(0, |i| i.by_id.len());
        let snapshots = self.slots.read().map_or(0, |s| s.len());
        f.debug_struct("Directory")
            .field("cached_tenants", &tenants)
            .field("snapshot_slots", &snapshots)
            .finish_non_exhaustive()
    }
}
