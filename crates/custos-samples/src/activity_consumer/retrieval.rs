//! Data retrieval (seed 004 "Building an app", 5): blobs learnt of by webhook or by polling are
//! noted in the store first (durable), then fetched with the tenant's token and their records
//! stored, each record once per tenant. Polling is the fallback: every `--poll-interval` it lists
//! each subscription's content from where the last listing stopped (minus [`OVERLAP`], windows of at
//! most 24 h, never older than the API keeps), so blobs whose notification never arrived, or arrived
//! while the listener was down, are caught up. It also retries subscriptions whose start failed.
//! Time comes from the injected clock; one round is [`Retrieval::poll_once`] or
//! [`Retrieval::fetch_pending`], so tests drive it without sleeping.

use std::sync::Arc;

use custos_core::Clock;
use time::{Duration, OffsetDateTime};
use tokio::sync::Notify;

use super::activity::{ActivityApi, ApiError};
use super::store::{PendingContent, Store};
use crate::office365_management::store::{from_millis, millis};

/// How far back each listing reaches before where the previous one stopped (blobs committed late).
pub const OVERLAP: Duration = Duration::minutes(5);
/// The widest window the API accepts.
pub const MAX_WINDOW: Duration = Duration::hours(24);
/// How far back the API keeps content (7 days; a margin of an hour below it).
pub const MAX_AGE: Duration = Duration::days(7);
/// The most blobs one fetch round takes.
const FETCH_ROUND: i64 = 500;

/// Why a round stopped.
#[derive(Debug, thiserror::Error)]
pub enum RetrievalError {
    /// The store failed.
    #[error("tenant store: {0}")]
    Store(#[from] sqlx::Error),
}

/// What a round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Blobs newly seen in listings.
    pub listed: usize,
    /// Blobs fetched and stored.
    pub fetched: usize,
    /// Records newly stored.
    pub records: u64,
    /// Calls that failed (logged; retried next round).
    pub failures: usize,
}

/// Retrieves content for every tenant.
#[derive(Debug, Clone)]
pub struct Retrieval {
    /// The tenant store.
    pub store: Store,
    /// The Activity API.
    pub api: Arc<ActivityApi>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Woken by the webhook listener when it noted blobs.
    pub kick: Arc<Notify>,
    /// The webhook address subscriptions are started with, if any.
    pub webhook: Option<String>,
}

impl Retrieval {
    /// Starts the subscriptions of `tenant` (with the webhook and `auth_id`) and records each
    /// answer; a failed start is retried by the next poll.
    pub async fn start_subscriptions(
        &self,
        tenant: &str,
        auth_id: &str,
        content_types: &[String],
    ) -> Result<Vec<(String, Result<(), String>)>, RetrievalError> {
        let now = millis(self.clock.now() - OVERLAP);
        let mut answers = Vec::new();
        for content_type in content_types {
            let webhook = self.webhook.as_deref().map(|address| (address, auth_id));
            let result = self.api.start(tenant, content_type, webhook).await.map_err(|e| e.to_string());
            match &result {
                Ok(()) => self.store.set_subscription(tenant, content_type, "enabled", None, now).await?,
                Err(error) => {
                    tracing::warn!(%tenant, %content_type, %error, "subscription start failed");
                    self.store.set_subscription(tenant, content_type, "failed", Some(error), now).await?;
                }
            }
            answers.push((content_type.clone(), result));
        }
        Ok(answers)
    }

    /// Fetches every blob noted but not stored yet.
    pub async fn fetch_pending(&self) -> Result<Round, RetrievalError> {
        let mut round = Round::default();
        for content in self.store.pending(FETCH_ROUND).await? {
            match self.api.fetch(&content.tenant_id, &content.content_uri).await {
                Ok(records) => {
                    round.records +=
                        self.store.store_records(&content, &records, millis(self.clock.now())).await?;
                    round.fetched += 1;
                }
                Err(error) => {
                    tracing::warn!(tenant = %content.tenant_id, content_id = %content.content_id, %error, "content fetch failed");
                    self.store.fetch_failed(&content.tenant_id, &content.content_id).await?;
                    round.failures += 1;
                }
            }
        }
        Ok(round)
    }

    /// One polling round: retries failed starts, lists every subscription's new content, then
    /// fetches what is pending.
    pub async fn poll_once(&self) -> Result<Round, RetrievalError> {
        let mut round = Round::default();
        let now = self.clock.now();
        for subscription in self.store.subscriptions().await? {
            let (tenant, content_type) = (&subscription.tenant_id, &subscription.content_type);
            if subscription.status != "enabled" {
                let Some(stored) = self.store.tenant(tenant).await? else { continue };
                self.start_subscriptions(tenant, &stored.auth_id, std::slice::from_ref(content_type)).await?;
                continue;
            }
            let oldest = now - MAX_AGE + Duration::hours(1);
            let mut start = (from_millis(subscription.polled_ms) - OVERLAP).max(oldest);
            while start < now {
                let end = (start + MAX_WINDOW).min(now);
                match self.list_window(tenant, content_type, start, end).await {
                    Ok(listed) => round.listed += listed,
                    Err(ListError::Api(error)) => {
                        tracing::warn!(%tenant, %content_type, %error, "content listing failed");
                        round.failures += 1;
                        break;
                    }
                    Err(ListError::Store(error)) => return Err(error.into()),
                }
                self.store.set_polled(tenant, content_type, millis(end)).await?;
                start = end;
            }
        }
        let fetched = self.fetch_pending().await?;
        round.fetched = fetched.fetched;
        round.records = fetched.records;
        round.failures += fetched.failures;
        Ok(round)
    }

    async fn list_window(
        &self,
        tenant: &str,
        content_type: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<usize, ListError> {
        let entries =
            self.api.list_content(tenant, content_type, start, end).await.map_err(ListError::Api)?;
        let mut new = 0;
        for entry in entries {
            let content = PendingContent {
                tenant_id: tenant.to_owned(),
                content_id: entry.content_id,
                content_type: entry.content_type,
                content_uri: entry.content_uri,
            };
            if self
                .store
                .note_content(&content, "poll", millis(self.clock.now()))
                .await
                .map_err(ListError::Store)?
            {
                new += 1;
            }
        }
        Ok(new)
    }

    /// Polls every `period` and fetches as soon as the webhook listener noted blobs.
    pub fn spawn(self, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let result = tokio::select! {
                    _ = ticks.tick() => self.poll_once().await,
                    () = self.kick.notified() => self.fetch_pending().await,
                };
                if let Err(error) = result {
                    tracing::warn!(%error, "content retrieval round failed");
                }
            }
        })
    }
}

enum ListError {
    Api(ApiError),
    Store(sqlx::Error),
}
