//! Log retention: sign-ins and directory audits older than their tenant's `logRetentionDays`
//! (`custos_core::settings`, 30 by default) are deleted by [`purge_once`], which `custos serve`
//! runs every [`PURGE_INTERVAL`] on a task of its own ([`run`]). Dead sign-in state (sessions,
//! codes, refresh tokens past their expiry) goes in the same pass.
//!
//! The token path never waits for it: each delete is one short statement of at most
//! [`PURGE_CHUNK`] rows through the (tenant, time) index, and the task yields between chunks, so
//! a backlog (a lowered retention, a server that was down) drains in many small steps rather
//! than one long lock. Time comes from the injected clock. Installation-wide records (signing
//! keys, no tenant) are kept.

use crate::{Store, StoreResult};
use custos_core::Clock;
use std::sync::Arc;
use std::time::Duration;

/// Most log records one delete statement removes.
pub const PURGE_CHUNK: u32 = 1000;

/// How often `custos serve` purges.
pub const PURGE_INTERVAL: Duration = Duration::from_secs(600);

/// One purge at the clock's time; the number of log records deleted.
pub async fn purge_once(store: &dyn Store, clock: &dyn Clock) -> StoreResult<u64> {
    let now = clock.now();
    store.purge_sign_in_state(now.unix_timestamp()).await?;
    let mut deleted = 0;
    for tenant in store.tenants().await? {
        let days = store.tenant_settings(tenant.id).await?.log_retention_days;
        let before = now - time::Duration::days(i64::from(days));
        loop {
            let chunk = store.purge_logs(tenant.id, before, PURGE_CHUNK).await?;
            deleted += chunk;
            if chunk < u64::from(PURGE_CHUNK) {
                break;
            }
            tokio::task::yield_now().await;
        }
    }
    Ok(deleted)
}

/// Purges every `every` (the first one at once) until the task is aborted; a failed pass is
/// logged and retried at the next tick.
pub async fn run(store: Arc<dyn Store>, clock: Arc<dyn Clock>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        match purge_once(store.as_ref(), clock.as_ref()).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "log records past their retention purged"),
            Err(e) => tracing::warn!(error = %e, "purging log records failed"),
        }
    }
}
