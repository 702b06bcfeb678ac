//! Reading logs back: directory audits ([`crate::Store::directory_audits`]) and, with the same
//! shapes, sign-ins ([`crate::Store::sign_ins`], narrowed by a [`SignInFilter`]). Which records ([`LogQuery`]), in which order
//! ([`LogOrder`]) and where a page ends ([`LogCursor`]). Records are written only by the store's
//! own methods (a directory audit in the transaction of its change); none is ever changed.

use custos_core::TenantId;
use custos_core::sign_in_log::SignInEventType;
use time::OffsetDateTime;

/// Most records one [`LogQuery`] returns.
pub const MAX_LOG_PAGE: u32 = 1000;

/// The order a log is read in: by record time, then insertion order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogOrder {
    /// Newest first (Graph's default).
    #[default]
    NewestFirst,
    /// Oldest first (`$orderby=… asc`: pollers that keep a watermark).
    OldestFirst,
}

/// Which records of a log to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    /// The tenant whose records are read; `None` reads the installation-wide ones (signing keys).
    /// Never both: a tenant sees only its own records.
    pub tenant: Option<TenantId>,
    /// Only records at or after this time.
    pub since: Option<OffsetDateTime>,
    /// Only records at or before this time.
    pub until: Option<OffsetDateTime>,
    /// At most this many (capped at [`MAX_LOG_PAGE`]).
    pub limit: u32,
    /// Only records past this position in `order`: the previous page's [`LogPage::next`].
    pub after: Option<LogCursor>,
    /// The order of the records (and of the cursor).
    pub order: LogOrder,
}

impl LogQuery {
    /// The newest `limit` records of `tenant`.
    pub fn newest(tenant: TenantId, limit: u32) -> Self {
        Self {
            tenant: Some(tenant),
            since: None,
            until: None,
            limit,
            after: None,
            order: LogOrder::NewestFirst,
        }
    }
}

/// A position in a log's order: a page continues after it. Opaque to callers (a reader may
/// encode its two numbers in a `$skiptoken`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogCursor {
    /// The record's time, in microseconds since the Unix epoch.
    pub time_micros: i64,
    /// The record's insertion position (the tie-break between records of the same microsecond).
    pub sequence: i64,
}

/// One page of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPage<T> {
    /// The records, in the query's order.
    pub records: Vec<T>,
    /// Where each record sits: `positions[i]` is the cursor a page continuing right after
    /// `records[i]` starts from (so a reader that stops mid-page can resume exactly there).
    pub positions: Vec<LogCursor>,
    /// Where the next page starts, when this page is full (there may be more).
    pub next: Option<LogCursor>,
}

/// Which sign-in records to read besides [`LogQuery`]'s tenant and window: every set condition
/// must hold (the Graph `$filter` and the CLI's options come down to these).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SignInFilter {
    /// Only these kinds; empty means every kind.
    pub event_types: Vec<SignInEventType>,
    /// Only sign-ins of this client id (exact).
    pub app_id: Option<String>,
    /// Only sign-ins of this user principal name (case-insensitive).
    pub user_principal_name: Option<String>,
    /// Only sign-ins with this AADSTS number (0: the successful ones).
    pub error_code: Option<u32>,
    /// Only failed sign-ins (error code not 0).
    pub failed_only: bool,
}
