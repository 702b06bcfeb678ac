//! Subscriptions, one per tenant and content type ever started, and their webhooks.

use serde_json::{Value, json};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

use super::Store;
use crate::office365_management::feed::ContentType;

/// The state of a subscription's webhook, as `list` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Notifications are sent.
    Enabled,
    /// Disabled after failing continuously for too long; `/start` re-enables it.
    Disabled,
    /// Its expiration has passed.
    Expired,
}

impl WebhookStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "enabled",
            Self::Disabled => "disabled",
            Self::Expired => "expired",
        }
    }

    fn parse(raw: &str) -> Self {
        match raw {
            "disabled" => Self::Disabled,
            "expired" => Self::Expired,
            _ => Self::Enabled,
        }
    }
}

/// A subscription's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    /// Where notifications go.
    pub address: String,
    /// Sent back as `Webhook-AuthID`.
    pub auth_id: Option<String>,
    /// The expiration as the caller gave it.
    pub expiration: Option<String>,
    /// The expiration as an instant (Unix ms).
    pub expires_ms: Option<i64>,
    /// Enabled, disabled or expired.
    pub status: WebhookStatus,
    /// Since when deliveries have failed without a success in between (Unix ms).
    pub failing_since_ms: Option<i64>,
}

/// Why a subscription is not enabled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledBy {
    /// `/stop`.
    Stopped,
    /// A tenant admin (AF20023).
    Admin,
}

/// One subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Its tenant.
    pub tenant_id: String,
    /// Its content type.
    pub content_type: ContentType,
    /// `None` when enabled.
    pub disabled_by: Option<DisabledBy>,
    /// The application that started it (`clientId` of notifications).
    pub client_id: String,
    /// Its webhook, once validated.
    pub webhook: Option<Webhook>,
}

impl Subscription {
    /// Whether content is produced and listable.
    pub fn is_enabled(&self) -> bool {
        self.disabled_by.is_none()
    }

    /// The `list`/`start` JSON shape.
    pub fn to_json(&self) -> Value {
        json!({
            "contentType": self.content_type.as_str(),
            "status": if self.is_enabled() { "enabled" } else { "disabled" },
            "webhook": self.webhook.as_ref().map(|w| json!({
                "status": w.status.as_str(),
                "address": w.address,
                "authId": w.auth_id,
                "expiration": w.expiration,
            })),
        })
    }
}

fn from_row(row: &SqliteRow) -> Result<Subscription, sqlx::Error> {
    let content_type: String = row.try_get("content_type")?;
    let content_type = ContentType::parse(&content_type)
        .map_err(|_| sqlx::Error::Decode(format!("unknown content type {content_type}").into()))?;
    let disabled_by =
        match (row.try_get::<i64, _>("enabled")?, row.try_get::<Option<String>, _>("disabled_by")?) {
            (1, _) => None,
            (_, Some(by)) if by == "admin" => Some(DisabledBy::Admin),
            _ => Some(DisabledBy::Stopped),
        };
    let webhook = match row.try_get::<Option<String>, _>("webhook_address")? {
        Some(address) => Some(Webhook {
            address,
            auth_id: row.try_get("webhook_auth_id")?,
            expiration: row.try_get("webhook_expiration")?,
            expires_ms: row.try_get("webhook_expires_ms")?,
            status: WebhookStatus::parse(
                &row.try_get::<Option<String>, _>("webhook_status")?.unwrap_or_default(),
            ),
            failing_since_ms: row.try_get("webhook_failing_ms")?,
        }),
        None => None,
    };
    Ok(Subscription {
        tenant_id: row.try_get("tenant_id")?,
        content_type,
        disabled_by,
        client_id: row.try_get("client_id")?,
        webhook,
    })
}

impl Store {
    /// The tenant's subscription to `content_type`, if it was ever started.
    pub async fn subscription(
        &self,
        tenant: &str,
        content_type: ContentType,
    ) -> Result<Option<Subscription>, sqlx::Error> {
        let row = sqlx::query("SELECT * FROM subscriptions WHERE tenant_id = ? AND content_type = ?")
            .bind(tenant)
            .bind(content_type.as_str())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Every subscription of the tenant, in content-type order.
    pub async fn subscriptions(&self, tenant: &str) -> Result<Vec<Subscription>, sqlx::Error> {
        let rows = sqlx::query("SELECT * FROM subscriptions WHERE tenant_id = ?")
            .bind(tenant)
            .fetch_all(self.pool())
            .await?;
        let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
        out.sort_by_key(|s| s.content_type);
        Ok(out)
    }

    /// Every enabled subscription (what the producers work for).
    pub async fn enabled_subscriptions(&self) -> Result<Vec<Subscription>, sqlx::Error> {
        let rows =
            sqlx::query("SELECT * FROM subscriptions WHERE enabled = 1").fetch_all(self.pool()).await?;
        rows.iter().map(from_row).collect()
    }

    /// Starts (or re-enables) the subscription with `webhook` (already validated) or none.
    pub async fn start(
        &self,
        tenant: &str,
        content_type: ContentType,
        client_id: &str,
        webhook: Option<&Webhook>,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO subscriptions (tenant_id, content_type, enabled, disabled_by, client_id, started_ms, \
             webhook_address, webhook_auth_id, webhook_expiration, webhook_expires_ms, webhook_status, webhook_failing_ms) \
             VALUES (?, ?, 1, NULL, ?, ?, ?, ?, ?, ?, ?, NULL) \
             ON CONFLICT (tenant_id, content_type) DO UPDATE SET enabled = 1, disabled_by = NULL, \
             client_id = excluded.client_id, webhook_address = excluded.webhook_address, \
             webhook_auth_id = excluded.webhook_auth_id, webhook_expiration = excluded.webhook_expiration, \
             webhook_expires_ms = excluded.webhook_expires_ms, webhook_status = excluded.webhook_status, \
             webhook_failing_ms = NULL",
        )
        .bind(tenant)
        .bind(content_type.as_str())
        .bind(client_id)
        .bind(now_ms)
        .bind(webhook.map(|w| w.address.as_str()))
        .bind(webhook.and_then(|w| w.auth_id.as_deref()))
        .bind(webhook.and_then(|w| w.expiration.as_deref()))
        .bind(webhook.and_then(|w| w.expires_ms))
        .bind(webhook.map(|_| WebhookStatus::Enabled.as_str()))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Disables the subscription (`/stop`, or an admin) and drops its pending notifications.
    pub async fn disable(
        &self,
        tenant: &str,
        content_type: ContentType,
        by: DisabledBy,
    ) -> Result<(), sqlx::Error> {
        let by = match by {
            DisabledBy::Stopped => "stopped",
            DisabledBy::Admin => "admin",
        };
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE subscriptions SET enabled = 0, disabled_by = ? WHERE tenant_id = ? AND content_type = ?",
        )
        .bind(by)
        .bind(tenant)
        .bind(content_type.as_str())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM outbox WHERE tenant_id = ? AND content_type = ?")
            .bind(tenant)
            .bind(content_type.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await
    }

    /// Sets the webhook's status (and failure start) and, unless it stays enabled, drops its
    /// pending notifications.
    pub async fn set_webhook_state(
        &self,
        tenant: &str,
        content_type: ContentType,
        status: WebhookStatus,
        failing_since_ms: Option<i64>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "UPDATE subscriptions SET webhook_status = ?, webhook_failing_ms = ? \
             WHERE tenant_id = ? AND content_type = ? AND webhook_address IS NOT NULL",
        )
        .bind(status.as_str())
        .bind(failing_since_ms)
        .bind(tenant)
        .bind(content_type.as_str())
        .execute(&mut *tx)
        .await?;
        if status != WebhookStatus::Enabled {
            sqlx::query("DELETE FROM outbox WHERE tenant_id = ? AND content_type = ?")
                .bind(tenant)
                .bind(content_type.as_str())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
}
