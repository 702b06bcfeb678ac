//! Reading a tenant's applications or service principals a page at a time
//! ([`crate::Store::applications_page`], [`crate::Store::service_principals_page`]): which page
//! ([`ObjectQuery`]), in list order (oldest first: creation time, then insertion order), with
//! the log's cursor and page shapes ([`LogCursor`], [`LogPage`]). A page is one index range read
//! from the cursor, so its cost does not grow with the tenant.

use crate::log::{LogCursor, LogPage};
use custos_core::TenantId;
use time::OffsetDateTime;

/// Most objects one [`ObjectQuery`] returns.
pub const MAX_OBJECT_PAGE: u32 = 1000;

/// Which page of a tenant's applications or service principals to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectQuery {
    /// The tenant whose objects are read.
    pub tenant: TenantId,
    /// At most this many (capped at [`MAX_OBJECT_PAGE`]).
    pub limit: u32,
    /// Only objects past this position: a previous page's [`LogPage::next`] or one of its
    /// [`LogPage::positions`].
    pub after: Option<LogCursor>,
    /// Applications only: leave out those whose service principal is a managed identity (the
    /// admin API owns them; Graph does not list them). Ignored for service principals.
    pub skip_managed_identities: bool,
}

impl ObjectQuery {
    /// The first `limit` objects of `tenant`.
    pub fn first(tenant: TenantId, limit: u32) -> Self {
        Self { tenant, limit, after: None, skip_managed_identities: false }
    }
}

/// The cursor of an object created at `created` with insertion position `sequence`.
pub(crate) fn cursor(created: OffsetDateTime, sequence: i64) -> LogCursor {
    LogCursor { time_micros: micros(created), sequence }
}

/// Microseconds since the Unix epoch (the precision the store keeps).
pub(crate) fn micros(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// The page `query` asks for out of a whole list in list order, each object's position being
/// its creation time and its index in `all` (the fallback of stores without a paged read; a
/// cursor from it is only meaningful to the same store).
pub(crate) fn slice<T>(all: Vec<T>, query: &ObjectQuery, created: fn(&T) -> OffsetDateTime) -> LogPage<T> {
    let limit = query.limit.min(MAX_OBJECT_PAGE) as usize;
    let positioned = all.into_iter().enumerate().map(|(i, item)| {
        let position = cursor(created(&item), i64::try_from(i).unwrap_or(i64::MAX));
        (item, position)
    });
    let rows: Vec<(T, LogCursor)> = positioned
        .filter(|(_, position)| query.after.is_none_or(|after| past(*position, after)))
        .take(limit)
        .collect();
    let next = if rows.len() == limit && limit > 0 { rows.last().map(|(_, c)| *c) } else { None };
    let (records, positions) = rows.into_iter().unzip();
    LogPage { records, positions, next }
}

/// Whether `position` comes after `after` in list order.
fn past(position: LogCursor, after: LogCursor) -> bool {
    (position.time_micros, position.sequence) > (after.time_micros, after.sequence)
}
