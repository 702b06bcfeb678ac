//! Reading directory audits back ([`crate::Store::directory_audits`]): which records
//! ([`AuditQuery`]) and where a page ends ([`AuditCursor`]). Records are written only by the
//! store's mutating methods, each in the transaction of its change; none is ever changed.

use custos_core::TenantId;
use custos_core::audit::DirectoryAudit;
use time::OffsetDateTime;

/// Most records one [`AuditQuery`] returns.
pub const MAX_AUDITS_PER_PAGE: u32 = 1000;

/// Which directory audits to read, newest first (by `activity_time`, then `id`).
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
    /// Only records older than this one: the last record of the previous page.
    pub after: Option<AuditCursor>,
}

impl AuditQuery {
    /// The newest `limit` records of `tenant`.
    pub fn newest(tenant: TenantId, limit: u32) -> Self {
        Self { tenant: Some(tenant), since: None, until: None, limit, after: None }
    }
}

/// The position of a record in the newest-first order: a page continues after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCursor {
    /// The record's time.
    pub time: OffsetDateTime,
    /// The record's id (the tie-break between records of the same microsecond).
    pub id: String,
}

impl AuditCursor {
    /// The cursor after `record`.
    pub fn after(record: &DirectoryAudit) -> Self {
        Self { time: record.activity_time, id: record.id.clone() }
    }
}
