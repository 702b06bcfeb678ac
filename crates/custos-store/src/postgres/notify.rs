//! The PostgreSQL [`ChangeFeed`]: one pooled connection `LISTEN`ing on the channels the
//! triggers of migration 0015 notify (`custos_directory` with a tenant id, `custos_keys`).

use super::PostgresStore;
use crate::StoreResult;
use crate::change_feed::{Change, ChangeFeed};
use crate::codec::map_db_error;
use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgNotification};
use std::time::Duration;

/// The channel of directory changes; the payload is the tenant id.
const DIRECTORY_CHANNEL: &str = "custos_directory";
/// The channel of signing-key changes.
const KEYS_CHANNEL: &str = "custos_keys";
/// Waits between attempts to reach a database that does not answer: doubling up to the last.
const RETRY: [Duration; 4] =
    [Duration::from_millis(100), Duration::from_millis(500), Duration::from_secs(2), Duration::from_secs(5)];

/// A feed of the changes committed to one PostgreSQL database.
pub(crate) struct PgChangeFeed {
    listener: PgListener,
    /// Notifications may have been lost since the last change yielded.
    lost: bool,
    failures: usize,
}

impl PostgresStore {
    /// Listens for the changes every server commits to this database.
    pub(crate) async fn listen(&self) -> StoreResult<PgChangeFeed> {
        let mut listener = PgListener::connect_with(self.pool()).await.map_err(map_db_error)?;
        listener.listen_all([DIRECTORY_CHANNEL, KEYS_CHANNEL]).await.map_err(map_db_error)?;
        Ok(PgChangeFeed { listener, lost: false, failures: 0 })
    }
}

/// The change a notification announces; `None` for a payload no trigger sends.
fn change(notification: &PgNotification) -> Option<Change> {
    match notification.channel() {
        DIRECTORY_CHANNEL => notification.payload().parse().ok().map(Change::Tenant),
        KEYS_CHANNEL => Some(Change::SigningKeys),
        _ => None,
    }
}

#[async_trait]
impl ChangeFeed for PgChangeFeed {
    async fn next(&mut self) -> Change {
        loop {
            match self.listener.try_recv().await {
                Ok(received) => {
                    self.failures = 0;
                    if std::mem::take(&mut self.lost) {
                        // Reconnected: whatever was sent meanwhile is gone. The notification
                        // received, if any, is covered by dropping everything.
                        return Change::Missed;
                    }
                    match received {
                        Some(notification) => match change(&notification) {
                            Some(change) => return change,
                            None => tracing::warn!(
                                channel = notification.channel(),
                                "ignored an unexpected change notification"
                            ),
                        },
                        // The connection was lost and has been re-established.
                        None => return Change::Missed,
                    }
                }
                Err(e) => {
                    let wait = RETRY[self.failures.min(RETRY.len() - 1)];
                    self.failures += 1;
                    self.lost = true;
                    tracing::warn!(error = %e, retry_in = ?wait, "lost the database's change notifications; reconnecting");
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}
