//! Reading directory audits back ([`crate::Store::directory_audits`]): which records
//! ([`AuditQuery`]) and where a page ends ([`AuditCursor`]). Records are written only by the
//! store's mutating methods, each in the transaction of its change; none is ever changed.

use custos_core::TenantId;
use custos_core::audit::DirectoryAudit;
use time::OffsetDateTime;

/// Most records one [`AuditQuery`] returns.
pub const MAX_AUDITS_PER_PAGE: u32 = 1000;

/// Which directory audits to read, newest first (by `activity_time`, then insertion order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditQuery {
    /// The tenant whose records are read; `None` reads the installation-wide ones (signing keys).
    /// Never both: a tenant sees only its own records.
    pub tenant: Option<TenantId>,
    /// Only records at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only records at or before this time.
    pub until: Option<OffsetDateTime>,
    /// At most this many (capped at [`MAX_AUDITS_PER_PAGE`]).
    pub limit: u32,
    /// Only records after this position: the previous page's [`AuditPage::next`].
    pub after: Option<AuditCursor>,
}

impl AuditQuery {
    /// The newest `limit` records of `tenant`.
    pub fn newest(tenant: TenantId, limit: u32) -> Self {
        Self { tenant: Some(tenant), since: None, until: None, limit, after: None }
    }
}

/// A position in the newest-first order: a page continues after it. Opaque to callers (a reader
/// may encode its two numbers in a `$skiptoken`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    /// The record's time, in microseconds since the Unix epoch.
    pub time_micros: i64,
    /// The record's insertion position (the tie-break between records of the same microsecond).
    pub sequence: i64,
}

/// One page of directory audits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// The records, newest first.
    pub records: Vec<DirectoryAudit>,
    /// Where the next page starts, when this page is full (there may be more).
    pub next: Option<AuditCursor>,
}
