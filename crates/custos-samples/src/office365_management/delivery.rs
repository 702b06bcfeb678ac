//! The outbox's delivery loop: every due notification is POSTed to its subscription's webhook,
//! batched per subscription (Microsoft's arrays vary in length), logged for `/notifications`, and
//! on failure retried after 1, 2, 4, … minutes capped at an hour; a webhook failing for 24 hours
//! without a success is disabled, one past its `expiration` marked expired (§3.5). Time comes from
//! the injected clock and one round is [`Delivery::run_once`], so tests drive it without sleeping.

use std::sync::Arc;

use custos_core::Clock;
use serde_json::Value;
use time::Duration;

use super::feed::{PublicBase, blob_fields};
use super::store::outbox::Pending;
use super::store::subscriptions::{Subscription, WebhookStatus};
use super::store::{Store, millis};
use super::webhook::WebhookClient;

/// The longest gap between two attempts.
pub const MAX_BACKOFF: Duration = Duration::hours(1);
/// How long a webhook may fail continuously before it is disabled.
pub const DISABLE_AFTER: Duration = Duration::hours(24);
/// The most notifications in one POST.
pub const BATCH: usize = 100;
/// The most notifications one round looks at.
const ROUND: i64 = 1000;

/// The gap after the `attempt`-th consecutive failure of a notification (1 → 1 min, 2 → 2 min, …).
pub fn backoff(attempt: i64) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 7) - 1).unwrap_or(6);
    Duration::minutes(1i64 << exponent).min(MAX_BACKOFF)
}

/// Delivers the outbox.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The database.
    pub store: Store,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The HTTP client.
    pub client: Arc<WebhookClient>,
    /// The origin of `contentUri`.
    pub base: PublicBase,
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Notifications the webhooks accepted.
    pub delivered: usize,
    /// Notifications whose POST failed.
    pub failed: usize,
}

impl Delivery {
    /// Delivers what is due now; returns what happened.
    pub async fn run_once(&self) -> Result<Round, sqlx::Error> {
        let now = self.clock.now();
        let due = self.store.due(millis(now), ROUND).await?;
        let mut groups: Vec<Vec<Pending>> = Vec::new();
        for pending in due {
            match groups.iter_mut().find(|g| {
                g[0].tenant_id == pending.tenant_id && g[0].blob.content_type == pending.blob.content_type
            }) {
                Some(group) => group.push(pending),
                None => groups.push(vec![pending]),
            }
        }
        let mut round = Round::default();
        for group in groups {
            let (tenant, content_type) = (group[0].tenant_id.clone(), group[0].blob.content_type);
            let subscription = self.store.subscription(&tenant, content_type).await?;
            let Some((subscription, webhook)) = subscription
                .filter(Subscription::is_enabled)
                .and_then(|s| s.webhook.clone().map(|w| (s, w)))
                .filter(|(_, w)| w.status == WebhookStatus::Enabled)
            else {
                // Stopped, or the webhook was removed or disabled meanwhile: nothing to send to.
                self.store.drop_pending(&tenant, content_type).await?;
                continue;
            };
            if webhook.expires_ms.is_some_and(|at| at <= millis(now)) {
                tracing::info!(%tenant, content_type = content_type.as_str(), "webhook expired");
                self.store.set_webhook_state(&tenant, content_type, WebhookStatus::Expired, None).await?;
                continue;
            }
            for batch in group.chunks(BATCH) {
                let body = Value::Array(
                    batch
                        .iter()
                        .map(|p| {
                            let mut fields = blob_fields(&self.base, &tenant, &p.blob);
                            fields.insert("tenantId".into(), Value::String(tenant.clone()));
                            fields.insert("clientId".into(), Value::String(subscription.client_id.clone()));
                            Value::Object(fields)
                        })
                        .collect(),
                );
                match self.client.notify(&webhook.address, webhook.auth_id.as_deref(), &body).await {
                    Ok(()) => {
                        self.store.record_attempt(batch, millis(now), true, 0).await?;
                        if webhook.failing_since_ms.is_some() {
                            self.store
                                .set_webhook_state(&tenant, content_type, WebhookStatus::Enabled, None)
                                .await?;
                        }
                        round.delivered += batch.len();
                    }
                    Err(error) => {
                        round.failed += batch.len();
                        let since = webhook.failing_since_ms.unwrap_or(millis(now));
                        let attempts = batch.iter().map(|p| p.attempts).max().unwrap_or(0) + 1;
                        let retry_at = millis(now + backoff(attempts));
                        self.store.record_attempt(batch, millis(now), false, retry_at).await?;
                        let disable = now - super::store::from_millis(since) >= DISABLE_AFTER;
                        let status = if disable { WebhookStatus::Disabled } else { WebhookStatus::Enabled };
                        tracing::info!(%tenant, content_type = content_type.as_str(), %error, attempts, disabled = disable, "webhook notification failed");
                        self.store.set_webhook_state(&tenant, content_type, status, Some(since)).await?;
                        break;
                    }
                }
            }
        }
        Ok(round)
    }

    /// Runs a round every `period` until the process ends.
    pub fn spawn(self, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(error) = self.run_once().await {
                    tracing::warn!(%error, "webhook delivery round failed");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        let minutes: Vec<i64> = (1..=9).map(|n| backoff(n).whole_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }
}
