//! What other servers sharing the database changed: a [`ChangeFeed`] yields a [`Change`] for
//! every committed change of what the token path caches (a tenant's directory: applications,
//! service principals, assignments, grants, settings; the signing keys), so that a server drops
//! its cached copy within moments of another server's write. Only PostgreSQL has one (LISTEN /
//! NOTIFY, fed by triggers of migration 0015); a SQLite database has one server.
//!
//! A feed never ends: when its connection is lost it reconnects, and then yields
//! [`Change::Missed`], since notifications sent meanwhile are gone. The cache's bounded age
//! ([`crate::cache::Directory::with_max_age`]) stays the fallback for anything a feed misses.

use async_trait::async_trait;
use custos_core::TenantId;

/// One change another server (or this one) committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Something the token path caches about this tenant.
    Tenant(TenantId),
    /// The signing keys.
    SigningKeys,
    /// Changes may have been missed (the connection was lost): drop everything cached.
    Missed,
}

/// A stream of [`Change`]s.
#[async_trait]
pub trait ChangeFeed: Send {
    /// The next change; waits until there is one.
    async fn next(&mut self) -> Change;
}
