//! The consumer's tenant store (`activity-consumer.db` under `--data-dir`, SQLite in WAL mode with
//! full synchronisation): the onboarded tenants and their webhook secrets, the subscriptions and how
//! far polling listed content, every content blob seen (and whether its records are stored yet), and
//! the records themselves, one row per tenant and record `Id`.

use std::path::Path;

use sqlx::migrate::Migrator;
use sqlx::{Row, SqlitePool};

use crate::sqlite_file;
pub use crate::sqlite_file::OpenError;

/// The database file's name inside `--data-dir`.
pub const FILE_NAME: &str = "activity-consumer.db";

/// A blob whose fetch failed this many times is given up (it expired or never existed; the
/// failures are logged).
pub const MAX_ATTEMPTS: i64 = 30;

/// A handle on the consumer's database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

/// An onboarded tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// Its id (GUID).
    pub tenant_id: String,
    /// The `authId` its subscriptions' webhook presents as `Webhook-AuthID`.
    pub auth_id: String,
    /// Who consented (`upn` or `unique_name` of the admin's token), when known.
    pub admin: Option<String>,
    /// When it was onboarded (Unix ms).
    pub onboarded_ms: i64,
}

/// A subscription as last answered by the Activity API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    /// Its tenant.
    pub tenant_id: String,
    /// Its content type.
    pub content_type: String,
    /// `enabled`, or `failed` when the start was refused.
    pub status: String,
    /// The refusal, when it failed.
    pub detail: Option<String>,
    /// Polling has listed content created before this instant (Unix ms).
    pub polled_ms: i64,
}

/// A content blob seen but whose records are not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingContent {
    /// Its tenant.
    pub tenant_id: String,
    /// Its id.
    pub content_id: String,
    /// Its content type.
    pub content_type: String,
    /// Where to fetch it.
    pub content_uri: String,
}

/// A stored record, as the tenants page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Its tenant.
    pub tenant_id: String,
    /// The record's `Id`.
    pub record_id: String,
    /// Its content type.
    pub content_type: String,
    /// `Operation`.
    pub operation: Option<String>,
    /// `CreationTime`.
    pub creation_time: Option<String>,
    /// How the blob was first learnt of (`webhook` or `poll`).
    pub source: String,
}

impl Store {
    /// Opens (creating it if needed) `DIR/activity-consumer.db` and applies the migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, OpenError> {
        static MIGRATIONS: Migrator = sqlx::migrate!("migrations/activity_consumer");
        Ok(Self { pool: sqlite_file::open(data_dir, FILE_NAME, &MIGRATIONS).await? })
    }

    /// Stores a tenant, or keeps the one already stored (a second consent keeps its `authId`, so
    /// the webhooks already registered keep working). Returns the tenant as stored.
    pub async fn upsert_tenant(&self, tenant: &Tenant) -> Result<Tenant, sqlx::Error> {
        sqlx::query(
            "INSERT INTO tenants (tenant_id, auth_id, admin, onboarded_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT (tenant_id) DO UPDATE SET admin = COALESCE(excluded.admin, tenants.admin)",
        )
        .bind(&tenant.tenant_id)
        .bind(&tenant.auth_id)
        .bind(&tenant.admin)
        .bind(tenant.onboarded_ms)
        .execute(&self.pool)
        .await?;
        let stored = self.tenant(&tenant.tenant_id).await?;
        stored.ok_or(sqlx::Error::RowNotFound)
    }

    /// One tenant.
    pub async fn tenant(&self, tenant_id: &str) -> Result<Option<Tenant>, sqlx::Error> {
        let row =
            sqlx::query("SELECT tenant_id, auth_id, admin, onboarded_ms FROM tenants WHERE tenant_id = ?")
                .bind(tenant_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|r| tenant_row(&r)))
    }

    /// Every tenant, oldest first.
    pub async fn tenants(&self) -> Result<Vec<Tenant>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT tenant_id, auth_id, admin, onboarded_ms FROM tenants ORDER BY onboarded_ms, tenant_id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(tenant_row).collect())
    }

    /// Records the Activity API's answer to a start; a new subscription polls from `polled_ms`.
    pub async fn set_subscription(
        &self,
        tenant_id: &str,
        content_type: &str,
        status: &str,
        detail: Option<&str>,
        polled_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO subscriptions (tenant_id, content_type, status, detail, polled_ms) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, content_type) DO UPDATE SET status = excluded.status, detail = excluded.detail",
        )
        .bind(tenant_id)
        .bind(content_type)
        .bind(status)
        .bind(detail)
        .bind(polled_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every subscription.
    pub async fn subscriptions(&self) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT tenant_id, content_type, status, detail, polled_ms FROM subscriptions ORDER BY tenant_id, content_type",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| SubscriptionRow {
                tenant_id: r.get(0),
                content_type: r.get(1),
                status: r.get(2),
                detail: r.get(3),
                polled_ms: r.get(4),
            })
            .collect())
    }

    /// Moves a subscription's polling cursor forward (never back).
    pub async fn set_polled(
        &self,
        tenant_id: &str,
        content_type: &str,
        polled_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE subscriptions SET polled_ms = MAX(polled_ms, ?) WHERE tenant_id = ? AND content_type = ?",
        )
        .bind(polled_ms)
        .bind(tenant_id)
        .bind(content_type)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Notes a content blob; returns whether it was new (a blob seen twice is kept once).
    pub async fn note_content(
        &self,
        content: &PendingContent,
        source: &str,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO contents (tenant_id, content_id, content_type, content_uri, source, seen_ms)
             VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, content_id) DO NOTHING",
        )
        .bind(&content.tenant_id)
        .bind(&content.content_id)
        .bind(&content.content_type)
        .bind(&content.content_uri)
        .bind(source)
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Blobs whose records are not stored yet and that failed fewer than [`MAX_ATTEMPTS`] times,
    /// oldest first.
    pub async fn pending(&self, limit: i64) -> Result<Vec<PendingContent>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT tenant_id, content_id, content_type, content_uri FROM contents
             WHERE fetched_ms IS NULL AND attempts < ? ORDER BY seen_ms, content_id LIMIT ?",
        )
        .bind(MAX_ATTEMPTS)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| PendingContent {
                tenant_id: r.get(0),
                content_id: r.get(1),
                content_type: r.get(2),
                content_uri: r.get(3),
            })
            .collect())
    }

    /// Counts a failed fetch of a blob (it stays pending).
    pub async fn fetch_failed(&self, tenant_id: &str, content_id: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE contents SET attempts = attempts + 1 WHERE tenant_id = ? AND content_id = ?")
            .bind(tenant_id)
            .bind(content_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Stores a blob's records (each record at most once per tenant, by `Id`) and marks the blob
    /// fetched, in one transaction. Returns how many records were new.
    pub async fn store_records(
        &self,
        content: &PendingContent,
        records: &[serde_json::Value],
        now_ms: i64,
    ) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let mut added = 0;
        for record in records {
            let Some(id) = record.get("Id").and_then(serde_json::Value::as_str) else { continue };
            let text = |name: &str| record.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
            let done = sqlx::query(
                "INSERT INTO events (tenant_id, record_id, content_type, content_id, operation, creation_time, record, stored_ms)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tenant_id, record_id) DO NOTHING",
            )
            .bind(&content.tenant_id)
            .bind(id)
            .bind(&content.content_type)
            .bind(&content.content_id)
            .bind(text("Operation"))
            .bind(text("CreationTime"))
            .bind(record.to_string())
            .bind(now_ms)
            .execute(&mut *tx)
            .await?;
            added += done.rows_affected();
        }
        sqlx::query("UPDATE contents SET fetched_ms = ? WHERE tenant_id = ? AND content_id = ?")
            .bind(now_ms)
            .bind(&content.tenant_id)
            .bind(&content.content_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(added)
    }

    /// The latest `limit` records of a tenant, newest first.
    pub async fn latest_events(&self, tenant_id: &str, limit: i64) -> Result<Vec<EventRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT e.tenant_id, e.record_id, e.content_type, e.operation, e.creation_time, c.source
             FROM events e JOIN contents c ON c.tenant_id = e.tenant_id AND c.content_id = e.content_id
             WHERE e.tenant_id = ? ORDER BY e.seq DESC LIMIT ?",
        )
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| EventRow {
                tenant_id: r.get(0),
                record_id: r.get(1),
                content_type: r.get(2),
                operation: r.get(3),
                creation_time: r.get(4),
                source: r.get(5),
            })
            .collect())
    }

    /// How many records a tenant has.
    pub async fn event_count(&self, tenant_id: &str) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE tenant_id = ?")
            .bind(tenant_id)
            .fetch_one(&self.pool)
            .await
    }
}

fn tenant_row(row: &sqlx::sqlite::SqliteRow) -> Tenant {
    Tenant { tenant_id: row.get(0), auth_id: row.get(1), admin: row.get(2), onboarded_ms: row.get(3) }
}
