//! Following the other servers sharing the database: every [`Change`] the store's feed announces
//! drops the cached copy it makes stale, the directory snapshot of a tenant or the signing keys
//! (re-read at once, so a key another server published is in this server's JWKS within moments).

use custos_authority::Authority;
use custos_store::cache::Directory;
use custos_store::change_feed::{Change, ChangeFeed};
use std::sync::Arc;

/// Applies every change `feed` yields to `directory` and `authority`'s keys; never returns.
pub async fn follow_changes(
    mut feed: Box<dyn ChangeFeed>,
    directory: Arc<Directory>,
    authority: Arc<Authority>,
) {
    loop {
        let change = feed.next().await;
        tracing::debug!(?change, "change announced by the database");
        directory.apply(&change);
        if matches!(change, Change::SigningKeys | Change::Missed)
            && let Err(e) = authority.keys().reload().await
        {
            tracing::warn!(error = %e, "cannot re-read the signing keys after another server's change");
        }
    }
}
