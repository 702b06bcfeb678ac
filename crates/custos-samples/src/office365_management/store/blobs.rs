//! Content blobs (the records of one window of one tenant and content type) and where each
//! producer stopped. A blob, its producer's cursor and its outbox entry are written together.

use sqlx::Row;

use super::Store;
use crate::office365_management::feed::{ContentType, Window};

/// A blob as listings show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobEntry {
    /// Listing order and page cursor.
    pub seq: i64,
    /// Its content type.
    pub content_type: ContentType,
    /// Its id.
    pub content_id: String,
    /// `contentCreated` (Unix ms).
    pub created_ms: i64,
    /// `contentExpiration` (Unix ms).
    pub expires_ms: i64,
}

/// A new blob to store.
#[derive(Debug, Clone)]
pub struct NewBlob<'a> {
    /// Its tenant.
    pub tenant_id: &'a str,
    /// Its content type.
    pub content_type: ContentType,
    /// Its id.
    pub content_id: &'a str,
    /// `contentCreated` (Unix ms).
    pub created_ms: i64,
    /// `contentExpiration` (Unix ms).
    pub expires_ms: i64,
    /// The JSON array of records.
    pub records: &'a str,
    /// The producer's new cursor (the end of the blob's window, Unix ms).
    pub until_ms: i64,
}

impl Store {
    /// Where the producer of `content_type` for `tenant` stopped (Unix ms), if it ever ran.
    pub async fn cursor(&self, tenant: &str, content_type: ContentType) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar("SELECT until_ms FROM cursors WHERE tenant_id = ? AND content_type = ?")
            .bind(tenant)
            .bind(content_type.as_str())
            .fetch_optional(self.pool())
            .await
    }

    /// Moves the producer's cursor without a blob (a window without records).
    pub async fn set_cursor(
        &self,
        tenant: &str,
        content_type: ContentType,
        until_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO cursors (tenant_id, content_type, until_ms) VALUES (?, ?, ?) \
             ON CONFLICT (tenant_id, content_type) DO UPDATE SET until_ms = excluded.until_ms",
        )
        .bind(tenant)
        .bind(content_type.as_str())
        .bind(until_ms)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Stores a blob, moves the cursor and, when the subscription has an enabled webhook, queues
    /// its notification due now: one transaction.
    pub async fn add_blob(&self, blob: &NewBlob<'_>, now_ms: i64) -> Result<i64, sqlx::Error> {
        let mut tx = self.pool().begin().await?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO blobs (tenant_id, content_type, content_id, created_ms, expires_ms, records) \
             VALUES (?, ?, ?, ?, ?, ?) RETURNING seq",
        )
        .bind(blob.tenant_id)
        .bind(blob.content_type.as_str())
        .bind(blob.content_id)
        .bind(blob.created_ms)
        .bind(blob.expires_ms)
        .bind(blob.records)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO cursors (tenant_id, content_type, until_ms) VALUES (?, ?, ?) \
             ON CONFLICT (tenant_id, content_type) DO UPDATE SET until_ms = excluded.until_ms",
        )
        .bind(blob.tenant_id)
        .bind(blob.content_type.as_str())
        .bind(blob.until_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox (blob_seq, tenant_id, content_type, due_ms) \
             SELECT ?, tenant_id, content_type, ? FROM subscriptions \
             WHERE tenant_id = ? AND content_type = ? AND enabled = 1 \
             AND webhook_address IS NOT NULL AND webhook_status = 'enabled'",
        )
        .bind(seq)
        .bind(now_ms)
        .bind(blob.tenant_id)
        .bind(blob.content_type.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(seq)
    }

    /// Up to `limit` blobs of the window created in `[start, end)`, after row `after`, oldest first.
    pub async fn list_blobs(
        &self,
        tenant: &str,
        content_type: ContentType,
        window: Window,
        after: i64,
        limit: i64,
    ) -> Result<Vec<BlobEntry>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT seq, content_id, created_ms, expires_ms FROM blobs \
             WHERE tenant_id = ? AND content_type = ? AND created_ms >= ? AND created_ms < ? AND seq > ? \
             ORDER BY seq LIMIT ?",
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
                Ok(BlobEntry {
                    seq: row.try_get("seq")?,
                    content_type,
                    content_id: row.try_get("content_id")?,
                    created_ms: row.try_get("created_ms")?,
                    expires_ms: row.try_get("expires_ms")?,
                })
            })
            .collect()
    }

    /// A blob's expiration (Unix ms) and records.
    pub async fn blob(&self, tenant: &str, content_id: &str) -> Result<Option<(i64, String)>, sqlx::Error> {
        let row = sqlx::query("SELECT expires_ms, records FROM blobs WHERE tenant_id = ? AND content_id = ?")
            .bind(tenant)
            .bind(content_id)
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| Ok((row.try_get("expires_ms")?, row.try_get("records")?))).transpose()
    }
}
