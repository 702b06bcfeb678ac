//! Listing an append-only log through Graph (`auditLogs/directoryAudits`, `auditLogs/signIns`):
//! the query options of the log collections and the paging over any store read that takes a
//! [`LogQuery`].
//!
//! [`LogListQuery::parse`] reads `$filter` (the collection's [`EntityType::filterable`], with
//! `or`, `not` and lambdas), `$top` (default and most [`MAX_LOG_TOP`]), `$orderby` on the
//! collection's time property (`asc` or `desc`, default newest first), `$select` and
//! `$skiptoken`; anything else is a 400. [`LogPager::page`] answers one page: it reads the
//! store in the filter's time window ([`Filter::time_window`]) from the cursor in the
//! `$skiptoken` (in reads that grow from a few times `$top`), evaluates the whole filter in
//! memory, and stops when `$top` records matched or [`SCAN_BUDGET`] rows were read.
//! `@odata.nextLink` then resumes right after the last row read (so a page may be short, or even
//! empty, and still link on: legal Graph); the last page has none.
//!
//! A `$skiptoken` is the cursor (record time and insertion position) with an HMAC-SHA-256 tag
//! under the paging key over the tenant, the collection path (with its version), the `$filter`
//! text and the order, so a client can neither forge one nor use it with another tenant,
//! collection, filter or order (400). `$top` and `$select` may change between pages.

use crate::error::GraphError;
use crate::filter::{Filter, Logic};
use crate::odata::{EntityType, encode, options, parse_select, project, unsupported_option};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::TenantId;
use custos_jose::hmac::{HmacKey, TAG_LEN};
use custos_store::{LogCursor, LogOrder, LogPage, LogQuery, StoreResult};
use serde_json::{Value, json};
use std::future::Future;

/// `$top` when not given, and its largest value (Graph's for both log collections).
pub(crate) const MAX_LOG_TOP: u32 = 1000;

/// Most rows one page reads from the store while looking for `$top` matching records.
pub(crate) const SCAN_BUDGET: usize = 5000;

/// The first store read of a filtered page is four times `$top`, at least this many rows; each
/// further read is four times larger (at most [`MAX_LOG_TOP`]).
const FIRST_FILTERED_READ: usize = 50;

/// A log collection: its entity type (`$select`-able and filterable properties) and the time
/// property its records are ordered, windowed and `$orderby`'d by.
#[derive(Debug)]
pub(crate) struct LogCollection {
    /// The entity type.
    pub(crate) entity: &'static EntityType,
    /// E.g. `activityDateTime`.
    pub(crate) time_property: &'static str,
}

/// Where a log collection is served: its path and `$metadata` fragment below a version.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogLocation<'a> {
    /// `v1.0` or `beta`.
    pub(crate) version: &'a str,
    /// E.g. `auditLogs/directoryAudits` (also the `$metadata#` fragment).
    pub(crate) path: &'a str,
}

impl<'a> LogLocation<'a> {
    /// `path` under the version of the route `matched` (`/v1.0/…` or `/beta/…`).
    pub(crate) fn under(matched: &'a axum::extract::MatchedPath, path: &'a str) -> Self {
        let version = matched.as_str().trim_start_matches('/').split('/').next().unwrap_or("v1.0");
        Self { version, path }
    }
}

/// What the caller asked of a log collection.
#[derive(Debug)]
pub(crate) struct LogListQuery {
    filter: Option<(String, Filter)>,
    /// A restriction the collection adds to every request ([`LogListQuery::restrict`]).
    implicit: Option<Filter>,
    select: Option<(String, Vec<String>)>,
    top: Option<u32>,
    order: Option<(String, LogOrder)>,
    skiptoken: Option<String>,
}

impl LogListQuery {
    /// Parses the query string of a list request on `collection`.
    pub(crate) fn parse(raw: Option<&str>, collection: &LogCollection) -> Result<Self, GraphError> {
        let entity = collection.entity;
        let mut query =
            Self { filter: None, implicit: None, select: None, top: None, order: None, skiptoken: None };
        for (name, value) in options(raw)? {
            match name.as_str() {
                "$filter" => {
                    let filter = entity.parse_filter(&value, Logic::Full, false)?;
                    query.filter = Some((value, filter));
                }
                "$select" => {
                    let props = parse_select(&value, entity)?;
                    query.select = Some((value, props));
                }
                "$top" => {
                    let top = value.parse::<u32>().ok().filter(|t| (1..=MAX_LOG_TOP).contains(t));
                    let top = top.ok_or_else(|| {
                        GraphError::Malformed(format!("Invalid page size specified: '{value}'"))
                    })?;
                    query.top = Some(top);
                }
                "$orderby" => {
                    let order = parse_order(&value, collection.time_property)?;
                    query.order = Some((value, order));
                }
                "$skiptoken" => query.skiptoken = Some(value),
                _ => return Err(unsupported_option(&name)),
            }
        }
        Ok(query)
    }

    /// The caller's `$filter`, parsed (for a collection whose answer depends on it, e.g. which
    /// `signInEventTypes` it names).
    pub(crate) fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref().map(|(_, filter)| filter)
    }

    /// Also requires `clause` of every record (a collection's own restriction, such as v1.0
    /// `signIns` answering interactive user sign-ins only). It narrows the store's time window
    /// like the caller's filter, but is neither echoed in `@odata.nextLink` nor part of the
    /// `$skiptoken`'s binding (the collection adds it again on every page).
    #[cfg_attr(not(test), expect(dead_code, reason = "for signIns (v1.0 answers interactive sign-ins only)"))]
    pub(crate) fn restrict(&mut self, clause: Filter) {
        self.implicit = Some(match self.implicit.take() {
            Some(existing) => Filter::And(Box::new(existing), Box::new(clause)),
            None => clause,
        });
    }

    /// The caller's filter and the collection's restriction, as one.
    fn effective_filter(&self) -> Option<Filter> {
        match (self.filter(), &self.implicit) {
            (Some(a), Some(b)) => Some(Filter::And(Box::new(a.clone()), Box::new(b.clone()))),
            (a, b) => a.or(b.as_ref()).cloned(),
        }
    }

    /// The order asked for (newest first unless `$orderby=… asc`).
    pub(crate) fn order(&self) -> LogOrder {
        self.order.as_ref().map_or(LogOrder::NewestFirst, |(_, order)| *order)
    }
}

/// `$orderby=<time property> [asc|desc]`; no other key.
fn parse_order(value: &str, time_property: &str) -> Result<LogOrder, GraphError> {
    let mut words = value.split_whitespace();
    let order = match (words.next(), words.next(), words.next()) {
        (Some(p), None, None) if p == time_property => Some(LogOrder::NewestFirst),
        (Some(p), Some(d), None) if p == time_property && d.eq_ignore_ascii_case("desc") => {
            Some(LogOrder::NewestFirst)
        }
        (Some(p), Some(d), None) if p == time_property && d.eq_ignore_ascii_case("asc") => {
            Some(LogOrder::OldestFirst)
        }
        _ => None,
    };
    order.ok_or_else(|| {
        GraphError::UnsupportedQuery(format!(
            "Unsupported $orderby '{value}': only '{time_property} asc' and '{time_property} desc' are supported."
        ))
    })
}

/// Pages a tenant's log collections.
pub(crate) struct LogPager<'a> {
    key: HmacKey,
    tenant: TenantId,
    base_url: &'a str,
}

/// Bytes of a `$skiptoken` before its tag: the cursor's time and position.
const CURSOR_LEN: usize = 16;

impl<'a> LogPager<'a> {
    /// A pager for `tenant`, keyed with the paging key, linking below `base_url` (the public URL).
    pub(crate) fn new(paging_key: &[u8], tenant: TenantId, base_url: &'a str) -> Self {
        Self { key: HmacKey::new(paging_key), tenant, base_url }
    }

    fn mint(&self, path: &str, query: &LogListQuery, cursor: LogCursor) -> String {
        let (filter, tenant) =
            (query.filter.as_ref().map_or("", |(raw, _)| raw.as_str()), self.tenant.as_uuid());
        mint_cursor(&self.key, &binding(&tenant, path, filter, query.order()), cursor)
    }

    fn open(&self, path: &str, query: &LogListQuery, token: &str) -> Result<LogCursor, GraphError> {
        let (filter, tenant) =
            (query.filter.as_ref().map_or("", |(raw, _)| raw.as_str()), self.tenant.as_uuid());
        open_cursor(&self.key, &binding(&tenant, path, filter, query.order()), token)
    }

    /// One page of `collection` at `location` as `query` asks: `fetch` reads the store (it is
    /// handed a [`LogQuery`] for this pager's tenant, window, order and cursor), `render` turns
    /// a record into its Graph JSON (what `$filter` and `$select` apply to).
    pub(crate) async fn page<T, F, Fut>(
        &self,
        collection: &LogCollection,
        location: LogLocation<'_>,
        query: &LogListQuery,
        mut fetch: F,
        render: impl Fn(&T) -> Value,
    ) -> Result<Value, GraphError>
    where
        F: FnMut(LogQuery) -> Fut,
        Fut: Future<Output = StoreResult<LogPage<T>>>,
    {
        let path = format!("{}/{}", location.version, location.path);
        let mut after = match &query.skiptoken {
            Some(token) => Some(self.open(&path, query, token)?),
            None => None,
        };
        let filter = query.effective_filter();
        let filter = filter.as_ref();
        let window = filter.map(|f| f.time_window(collection.time_property)).unwrap_or_default();
        let top = query.top.unwrap_or(MAX_LOG_TOP) as usize;
        let select = query.select.as_ref().map(|(_, props)| props.as_slice());

        let mut matched = Vec::new();
        let mut scanned = 0;
        let mut more = true;
        let mut chunk = top.saturating_mul(4).clamp(FIRST_FILTERED_READ, MAX_LOG_TOP as usize);
        while more && matched.len() < top && scanned < SCAN_BUDGET {
            // Unfiltered, exactly the records still wanted; filtered, growing reads within the budget.
            let wanted = match filter {
                Some(_) => chunk.min(SCAN_BUDGET - scanned),
                None => top - matched.len(),
            };
            chunk = chunk.saturating_mul(4).min(MAX_LOG_TOP as usize);
            let store_query = LogQuery {
                tenant: Some(self.tenant),
                since: window.since,
                until: window.until,
                limit: u32::try_from(wanted).unwrap_or(MAX_LOG_TOP).min(MAX_LOG_TOP),
                after,
                order: query.order(),
            };
            let page = fetch(store_query).await?;
            more = page.next.is_some();
            let rows = page.records.len();
            for (i, (record, position)) in page.records.iter().zip(&page.positions).enumerate() {
                scanned += 1;
                after = Some(*position);
                let item = render(record);
                if filter.is_none_or(|f| f.matches(&item)) {
                    matched.push(project(item, select));
                }
                if matched.len() == top || scanned == SCAN_BUDGET {
                    more = more || i + 1 < rows;
                    break;
                }
            }
        }

        let mut context = format!("{}/{}/$metadata#{}", self.base_url, location.version, location.path);
        if let Some((_, props)) = &query.select {
            context = format!("{context}({})", props.join(","));
        }
        let mut body = json!({ "@odata.context": context, "value": matched });
        if let (true, Some(cursor)) = (more, after) {
            body["@odata.nextLink"] = Value::String(self.next_link(&path, query, cursor));
        }
        Ok(body)
    }

    /// The same request continuing after `cursor`.
    fn next_link(&self, path: &str, query: &LogListQuery, cursor: LogCursor) -> String {
        let mut link = format!("{}/{path}?", self.base_url);
        let top = query.top.map(|t| t.to_string());
        let pairs = [
            query.filter.as_ref().map(|(raw, _)| ("$filter", raw.as_str())),
            top.as_deref().map(|t| ("$top", t)),
            query.order.as_ref().map(|(raw, _)| ("$orderby", raw.as_str())),
            query.select.as_ref().map(|(raw, _)| ("$select", raw.as_str())),
        ];
        for (name, value) in pairs.into_iter().flatten() {
            link.push_str(&format!("{name}={}&", encode(value)));
        }
        link.push_str(&format!("$skiptoken={}", self.mint(path, query, cursor)));
        link
    }
}

/// What a log `$skiptoken` is bound to: the tenant, the collection path, the `$filter` text and
/// the order.
fn binding<'b>(tenant: &'b uuid::Uuid, path: &'b str, filter: &'b str, order: LogOrder) -> [&'b [u8]; 8] {
    let order: &[u8] = match order {
        LogOrder::NewestFirst => b"desc",
        LogOrder::OldestFirst => b"asc",
    };
    [
        b"custos-log-skiptoken-v1\0",
        tenant.as_bytes(),
        path.as_bytes(),
        b"\0",
        filter.as_bytes(),
        b"\0",
        order,
        b"\0",
    ]
}

/// A `$skiptoken` carrying `cursor` (its time and position, big-endian), tagged with
/// HMAC-SHA-256 under `key` over `binding` and the cursor bytes: whoever reads it back with
/// [`open_cursor`] and a different binding (another tenant, collection, filter ...) is refused.
pub(crate) fn mint_cursor(key: &HmacKey, binding: &[&[u8]], cursor: LogCursor) -> String {
    let mut bytes = Vec::with_capacity(CURSOR_LEN + TAG_LEN);
    bytes.extend_from_slice(&cursor.time_micros.to_be_bytes());
    bytes.extend_from_slice(&cursor.sequence.to_be_bytes());
    let tag = cursor_tag(key, binding, &bytes);
    bytes.extend_from_slice(&tag);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The cursor of a token [`mint_cursor`] made with the same `key` and `binding`; Graph's 400
/// when it is malformed, forged or bound to something else.
pub(crate) fn open_cursor(key: &HmacKey, binding: &[&[u8]], token: &str) -> Result<LogCursor, GraphError> {
    let invalid = || GraphError::BadRequest("The specified page token value is invalid.".to_owned());
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    if bytes.len() != CURSOR_LEN + TAG_LEN {
        return Err(invalid());
    }
    let (cursor, tag) = bytes.split_at(CURSOR_LEN);
    if !custos_jose::constant_time::eq(&cursor_tag(key, binding, cursor), tag) {
        return Err(invalid());
    }
    let (time, sequence) = cursor.split_at(8);
    let number = |b: &[u8]| b.try_into().map(i64::from_be_bytes).map_err(|_| invalid());
    Ok(LogCursor { time_micros: number(time)?, sequence: number(sequence)? })
}

fn cursor_tag(key: &HmacKey, binding: &[&[u8]], cursor: &[u8]) -> [u8; TAG_LEN] {
    let mut parts = binding.to_vec();
    parts.push(cursor);
    key.sign_parts(&parts)
}

#[cfg(test)]
#[path = "log_paging_tests.rs"]
mod tests;
