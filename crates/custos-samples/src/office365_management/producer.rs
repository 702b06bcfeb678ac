//! Cuts content blobs: for every enabled subscription, once per blob interval, the records of the
//! window since the producer's cursor become one blob (none when the window is empty), which is
//! listed from then on and, with an enabled webhook, queued for notification in the same
//! transaction. `Audit.AzureActiveDirectory` windows start 24 h before the first run (Microsoft
//! backfills about a day) and end a little before now, so that records the authority writes in
//! batches are in before their window closes; the other content types carry events the sample
//! generates at `--generate-activity` per minute (none by default).

use std::sync::Arc;

use custos_core::Clock;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::feed::{ContentType, RETENTION, content_id, format_record_time};
use super::graph::AuditSource;
use super::store::blobs::NewBlob;
use super::store::{Store, millis};

/// How long after an event its window closes (the authority's log writers batch).
pub const INGEST_LAG: Duration = Duration::seconds(15);
/// The widest window one blob covers (a backfill is cut into several).
pub const MAX_BLOB_WINDOW: Duration = Duration::hours(1);
/// The most windows one subscription's producer goes through in one round (a day and a bit).
const MAX_WINDOWS_PER_ROUND: usize = 26;
/// The most generated events in one blob.
const MAX_GENERATED: usize = 1000;

/// What producing one window did.
enum Step {
    /// A blob was stored.
    Stored,
    /// The window had no records; the cursor moved past it.
    Empty,
    /// Nothing more to do this round (caught up, or the source failed).
    CaughtUp,
}

/// Cuts blobs.
#[derive(Debug, Clone)]
pub struct Producer {
    /// The database.
    pub store: Store,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The tenants' Entra logs (none: `Audit.AzureActiveDirectory` stays empty).
    pub aad: Option<Arc<dyn AuditSource>>,
    /// Generated events per minute for the other content types.
    pub generate_per_minute: Option<f64>,
    /// The shortest window of a blob.
    pub interval: Duration,
}

impl Producer {
    /// One round over every enabled subscription: each producer catches up to now, one blob per
    /// window of at most [`MAX_BLOB_WINDOW`]; returns how many blobs were stored.
    pub async fn run_once(&self) -> Result<usize, sqlx::Error> {
        let mut stored = 0;
        for subscription in self.store.enabled_subscriptions().await? {
            for _ in 0..MAX_WINDOWS_PER_ROUND {
                match self.next_window(&subscription.tenant_id, subscription.content_type).await? {
                    Step::Stored => stored += 1,
                    Step::Empty => {}
                    Step::CaughtUp => break,
                }
            }
        }
        Ok(stored)
    }

    /// Produces the next window of one subscription, if a whole interval has passed.
    async fn next_window(&self, tenant: &str, content_type: ContentType) -> Result<Step, sqlx::Error> {
        let now = self.clock.now();
        let aad = content_type == ContentType::AzureActiveDirectory;
        let end = if aad { now - INGEST_LAG } else { now };
        let start = match self.store.cursor(tenant, content_type).await? {
            Some(ms) => super::store::from_millis(ms),
            None if aad => now - Duration::hours(24),
            None => {
                self.store.set_cursor(tenant, content_type, millis(now)).await?;
                return Ok(Step::CaughtUp);
            }
        };
        if end - start < self.interval {
            return Ok(Step::CaughtUp);
        }
        let end = end.min(start + MAX_BLOB_WINDOW);
        let records = if aad {
            let Some(source) = &self.aad else {
                self.store.set_cursor(tenant, content_type, millis(end)).await?;
                return Ok(Step::Empty);
            };
            match source.records(tenant, start, end).await {
                Ok(records) => records,
                Err(error) => {
                    tracing::warn!(%tenant, %error, "cannot read the tenant's log; the window is tried again");
                    return Ok(Step::CaughtUp);
                }
            }
        } else {
            match self.generate_per_minute {
                Some(rate) => generated(content_type, tenant, start, end, rate),
                None => Vec::new(),
            }
        };
        if records.is_empty() {
            self.store.set_cursor(tenant, content_type, millis(end)).await?;
            return Ok(Step::Empty);
        }
        let id = content_id(content_type, start, end);
        let body = Value::Array(records).to_string();
        let blob = NewBlob {
            tenant_id: tenant,
            content_type,
            content_id: &id,
            created_ms: millis(now),
            expires_ms: millis(start + RETENTION),
            records: &body,
            until_ms: millis(end),
        };
        self.store.add_blob(&blob, millis(now)).await?;
        Ok(Step::Stored)
    }

    /// Runs a round every `period` until the process ends.
    pub fn spawn(self, period: std::time::Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(error) = self.run_once().await {
                    tracing::warn!(%error, "content production round failed");
                }
            }
        })
    }
}

/// `rate` per minute generated events of `content_type` spread over `[start, end)`.
pub fn generated(
    content_type: ContentType,
    tenant: &str,
    start: OffsetDateTime,
    end: OffsetDateTime,
    rate: f64,
) -> Vec<Value> {
    let minutes = (end - start).as_seconds_f64() / 60.0;
    let wanted = (rate * minutes).floor();
    let count = if wanted.is_finite() && wanted > 0.0 { (wanted as usize).min(MAX_GENERATED) } else { 0 };
    let step = (end - start) / u32::try_from(count.max(1)).unwrap_or(1);
    (0..count)
        .map(|i| {
            let at = start + step * u32::try_from(i).unwrap_or(0);
            generated_event(content_type, tenant, at, i)
        })
        .collect()
}

/// One generated event in the common schema, shaped after the workload's documented records.
fn generated_event(content_type: ContentType, tenant: &str, at: OffsetDateTime, index: usize) -> Value {
    let user = format!("sample.user{}@contoso.example", index % 5);
    let (record_type, workload, operation, object) = match content_type {
        ContentType::Exchange => {
            (2, "Exchange", "MailItemsAccessed", format!("<message{index}@contoso.example>"))
        }
        ContentType::SharePoint => (
            6,
            "SharePoint",
            "FileAccessed",
            format!("https://contoso.sharepoint.example/sites/team/Shared Documents/report{index}.docx"),
        ),
        ContentType::DlpAll => (
            11,
            "SharePoint",
            "DlpRuleMatch",
            format!("https://contoso.sharepoint.example/sites/team/Shared Documents/card{index}.xlsx"),
        ),
        ContentType::General | ContentType::AzureActiveDirectory => {
            (25, "MicrosoftTeams", "MessageSent", format!("19:meeting{index}@thread.v2"))
        }
    };
    json!({
        "CreationTime": format_record_time(at),
        "Id": uuid::Uuid::new_v4().to_string(),
        "Operation": operation,
        "OrganizationId": tenant,
        "RecordType": record_type,
        "ResultStatus": "Succeeded",
        "UserKey": user,
        "UserType": 0,
        "Version": 1,
        "Workload": workload,
        "ClientIP": "203.0.113.10",
        "ObjectId": object,
        "UserId": user,
    })
}
