//! The webhook outbox (blobs whose notification is still to be delivered, with their retry
//! schedule) and the notification log `/subscriptions/notifications` reads.

use sqlx::Row;

use super::Store;
use super::blobs::BlobEntry;
use crate::office365_management::feed::{ContentType, Window};

/// A notification due for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The outbox row.
    pub seq: i64,
    /// Its tenant.
    pub tenant_id: String,
    /// The blob to announce.
    pub blob: BlobEntry,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// One logged attempt, as `/notifications` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Listing order and page cursor.
    pub seq: i64,
    /// The blob announced.
    pub blob: BlobEntry,
    /// When (Unix ms).
    pub sent_ms: i64,
    /// Whether the webhook answered 200.
    pub succeeded: bool,
}

fn blob_of(row: &sqlx::sqlite::SqliteRow) -> Result<BlobEntry, sqlx::Error> {
    let content_type: String = row.try_get("content_type")?;
    Ok(BlobEntry {
        seq: row.try_get("blob_seq")?,
        content_type: ContentType::parse(&content_type)
            .map_err(|_| sqlx::Error::Decode(format!("unknown content type {content_type}").into()))?,
        content_id: row.try_get("content_id")?,
        created_ms: row.try_get("created_ms")?,
        expires_ms: row.try_get("expires_ms")?,
    })
}

impl Store {
    /// Notifications due at `now_ms`, oldest first, at most `limit`.
    pub async fn due(&self, now_ms: i64, limit: i64) -> Result<Vec<Pending>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT o.seq, o.tenant_id, o.content_type, o.attempts, o.blob_seq, b.content_id, b.created_ms, b.expires_ms \
             FROM outbox o JOIN blobs b ON b.seq = o.blob_seq WHERE o.due_ms <= ? ORDER BY o.seq LIMIT ?",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Pending {
                    seq: row.try_get("seq")?,
                    tenant_id: row.try_get("tenant_id")?,
                    blob: blob_of(row)?,
                    attempts: row.try_get("attempts")?,
                })
            })
            .collect()
    }

    /// Records one delivery attempt of `batch` (one POST): logs each notification, and either
    /// removes them from the outbox (success) or schedules the next attempt at `retry_at_ms`
    /// with the attempt counted. One transaction.
    pub async fn record_attempt(
        &self,
        batch: &[Pending],
        now_ms: i64,
        succeeded: bool,
        retry_at_ms: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        for pending in batch {
            sqlx::query(
                "INSERT INTO notifications (blob_seq, tenant_id, content_type, sent_ms, succeeded) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(pending.blob.seq)
            .bind(&pending.tenant_id)
            .bind(pending.blob.content_type.as_str())
            .bind(now_ms)
            .bind(i64::from(succeeded))
            .execute(&mut *tx)
            .await?;
            if succeeded {
                sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(pending.seq).execute(&mut *tx).await?;
            } else {
                sqlx::query("UPDATE outbox SET attempts = attempts + 1, due_ms = ? WHERE seq = ?")
                    .bind(retry_at_ms)
                    .bind(pending.seq)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await
    }

    /// Drops the pending notifications of a subscription that has no webhook to send to.
    pub async fn drop_pending(&self, tenant: &str, content_type: ContentType) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM outbox WHERE tenant_id = ? AND content_type = ?")
            .bind(tenant)
            .bind(content_type.as_str())
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// How many notifications wait in the outbox.
    pub async fn outbox_len(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox").fetch_one(self.pool()).await
    }

    /// Up to `limit` logged attempts sent in `[start, end)`, after row `after`, oldest first.
    pub async fn list_notifications(
        &self,
        tenant: &str,
        content_type: ContentType,
        window: Window,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Sent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT n.seq, n.sent_ms, n.succeeded, n.blob_seq, n.content_type, b.content_id, b.created_ms, b.expires_ms \
             FROM notifications n JOIN blobs b ON b.seq = n.blob_seq \
             WHERE n.tenant_id = ? AND n.content_type = ? AND n.sent_ms >= ? AND n.sent_ms < ? AND n.seq > ? \
             ORDER BY n.seq LIMIT ?",
        )
        .bind(tenant)
        .bind(content_type.as_str())
        .bind(super::millis(window.start))
        .bind(super::millis(window.end))
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Sent {
                    seq: row.try_get("seq")?,
                    blob: blob_of(row)?,
                    sent_ms: row.try_get("sent_ms")?,
                    succeeded: row.try_get::<i64, _>("succeeded")? == 1,
                })
            })
            .collect()
    }
}
