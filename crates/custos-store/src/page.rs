//! Reading a tenant's applications, service principals or users a page at a time
//! ([`crate::Store::applications_page`], [`crate::Store::service_principals_page`],
//! [`crate::Store::users_page`]): which page ([`ObjectQuery`]), in list order (oldest first:
//! creation time, then insertion order), with the log's cursor and page shapes ([`LogCursor`],
//! [`LogPage`]). A page is one index range read from the cursor, so its cost does not grow with
//! the tenant.
//!
//! A page may be narrowed to the objects whose display name starts with a prefix
//! ([`ObjectQuery::display_name_prefix`]), compared as Graph's `startswith` is: both lower-cased
//! ([`name_key`]). The SQL store keeps that key in a column (migration 0018) and reads the prefix
//! as one range of it ([`key_range`]).

use crate::log::{LogCursor, LogPage};
use custos_core::TenantId;
use time::OffsetDateTime;

/// Most objects one [`ObjectQuery`] returns.
pub const MAX_OBJECT_PAGE: u32 = 1000;

/// Which page of a tenant's applications, service principals or users to read.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Only objects whose display name starts with this, compared case-insensitively (both
    /// sides lower-cased by [`name_key`], as `$filter`'s `startswith` compares them).
    pub display_name_prefix: Option<String>,
}

impl ObjectQuery {
    /// The first `limit` objects of `tenant`.
    pub fn first(tenant: TenantId, limit: u32) -> Self {
        Self { tenant, limit, after: None, skip_managed_identities: false, display_name_prefix: None }
    }

    /// Whether an object named `display_name` passes [`ObjectQuery::display_name_prefix`].
    fn admits_name(&self, display_name: &str) -> bool {
        self.display_name_prefix
            .as_deref()
            .is_none_or(|prefix| name_key(display_name).starts_with(&name_key(prefix)))
    }
}

/// A display name as prefixes are compared with it: lower-cased (Unicode), like `$filter`.
pub(crate) fn name_key(display_name: &str) -> String {
    display_name.to_lowercase()
}

/// The keys ([`name_key`]) that start with the key of `prefix`, as a range in code point order
/// (UTF-8 byte order): at least the first, below the second when there is one. The second is the
/// prefix with its last character raised by one (dropping trailing characters that cannot be).
pub(crate) fn key_range(prefix: &str) -> (String, Option<String>) {
    let lower = name_key(prefix);
    let mut chars: Vec<char> = lower.chars().collect();
    let mut upper = None;
    while let Some(last) = chars.pop() {
        let mut next = u32::from(last) + 1;
        if (0xD800..=0xDFFF).contains(&next) {
            next = 0xE000;
        }
        if let Some(next) = char::from_u32(next) {
            chars.push(next);
            upper = Some(chars.into_iter().collect());
            break;
        }
    }
    (lower, upper)
}

/// The cursor of an object created at `created` with insertion position `sequence`.
pub(crate) fn cursor(created: OffsetDateTime, sequence: i64) -> LogCursor {
    LogCursor { time_micros: micros(created), sequence }
}

/// Microseconds since the Unix epoch (the precision the store keeps).
pub(crate) fn micros(time: OffsetDateTime) -> i64 {
    i64::try_from(time.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// How [`slice`] reads an object: its creation time and display name.
pub(crate) struct Listed<T> {
    pub(crate) created: fn(&T) -> OffsetDateTime,
    pub(crate) display_name: fn(&T) -> &str,
}

/// The page `query` asks for out of a whole list in list order, each object's position being
/// its creation time and its index in `all` (the fallback of stores without a paged read; a
/// cursor from it is only meaningful to the same store).
pub(crate) fn slice<T>(all: Vec<T>, query: &ObjectQuery, listed: &Listed<T>) -> LogPage<T> {
    let limit = query.limit.min(MAX_OBJECT_PAGE) as usize;
    let positioned = all.into_iter().enumerate().map(|(i, item)| {
        let position = cursor((listed.created)(&item), i64::try_from(i).unwrap_or(i64::MAX));
        (item, position)
    });
    let rows: Vec<(T, LogCursor)> = positioned
        .filter(|(_, position)| query.after.is_none_or(|after| past(*position, after)))
        .filter(|(item, _)| query.admits_name((listed.display_name)(item)))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_ranges_hold_exactly_the_keys_with_the_prefix() {
        assert_eq!(key_range("Ab"), ("ab".to_owned(), Some("ac".to_owned())));
        assert_eq!(key_range(""), (String::new(), None));
        assert_eq!(key_range("a\u{d7ff}"), ("a\u{d7ff}".to_owned(), Some("a\u{e000}".to_owned())));
        assert_eq!(key_range("a\u{10ffff}"), ("a\u{10ffff}".to_owned(), Some("b".to_owned())));
        assert_eq!(key_range("\u{10ffff}"), ("\u{10ffff}".to_owned(), None));
        let (lower, upper) = key_range("ÉT");
        for (name, inside) in [("été", true), ("Étage", true), ("eta", false), ("é", false), ("éu", false)]
        {
            let key = name_key(name);
            let within = key >= lower && upper.as_ref().is_none_or(|u| key < *u);
            assert_eq!(within, inside, "{name}");
            assert_eq!(within, key.starts_with(&lower), "{name}");
        }
    }
}
