//! OData query options and collection responses: `$filter`, `$select`, `$top`, `$orderby`,
//! `$search`, `$count` and the `/$count` segment, with Graph's rules for which need advanced query
//! mode (`ConsistencyLevel: eventual`, [`Eventual`]; `graph-fidelity.md` §2.1), and paging with an
//! opaque `$skiptoken` that is MAC'd with the paging key (HMAC-SHA-256, bound to the tenant and the
//! collection), so a client can neither forge nor edit one. Lists are filtered, searched, sorted
//! and paged in memory over the rendered JSON objects: no query option ever becomes SQL (a store
//! is at most asked for keys or a display-name prefix as bound values, [`crate::listing`]).

use crate::error::GraphError;
use crate::filter::{Filter, Logic, Property, Schema};
use crate::ordering::{self, SortKey};
use crate::search::Search;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::TenantId;
use custos_jose::hmac::{HmacKey, TAG_LEN};
use http::request::Parts;
use serde_json::{Map, Value, json};

/// Page size when `$top` is not given (Graph's default for directory objects).
const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest `$top`.
const MAX_PAGE_SIZE: usize = 999;

/// A Graph entity type as far as queries are concerned.
#[derive(Debug)]
pub(crate) struct EntityType {
    /// Name after `microsoft.graph.`, e.g. `application`.
    pub(crate) name: &'static str,
    /// Name in filter error messages, e.g. `Application`.
    pub(crate) resource: &'static str,
    /// Every property the rendered object has (what `$select` may name).
    pub(crate) properties: &'static [&'static str],
    /// Properties `$filter` may name.
    pub(crate) filterable: &'static [Property],
    /// What `$orderby` and `$search` may name.
    pub(crate) queries: &'static Queries,
}

/// What a collection supports beyond `$filter`, `$select` and `$top`.
#[derive(Debug)]
pub(crate) struct Queries {
    /// Properties `$orderby` may name.
    pub(crate) orderable: &'static [&'static str],
    /// Whether `$orderby` without `$filter` works outside advanced mode (users); on applications
    /// and service principals it is advanced only.
    pub(crate) order_by_default: bool,
    /// Properties `$search` may name.
    pub(crate) searchable: &'static [&'static str],
    /// Whether `$expand=owners` is served (applications and service principals).
    pub(crate) expands_owners: bool,
}

/// Neither `$orderby`, `$search` nor `$expand`.
pub(crate) static PLAIN: Queries =
    Queries { orderable: &[], order_by_default: false, searchable: &[], expands_owners: false };

/// `$expand=owners`, optionally with a nested `$select` (`owners($select=id,displayName)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExpandOwners {
    /// The nested `$select`.
    pub(crate) select: Option<Vec<String>>,
}

/// Parses `$expand` on `entity`: only `owners` where served; a declared property that cannot be
/// expanded is Graph's `ExpandNotSupported`, anything else an unknown property.
fn parse_expand(value: &str, entity: &EntityType) -> Result<ExpandOwners, GraphError> {
    let value = value.trim();
    let (name, nested) = match value.split_once('(') {
        Some((name, rest)) => (name.trim(), Some(rest.strip_suffix(')').ok_or_else(|| bad_expand(value))?)),
        None => (value, None),
    };
    if name != "owners" || !entity.queries.expands_owners {
        if entity.properties.contains(&name) || name == "owners" {
            return Err(GraphError::ExpandNotSupported(name.to_owned()));
        }
        return Err(GraphError::BadRequest(format!(
            "Could not find a property named '{name}' on type 'microsoft.graph.{}'.",
            entity.name
        )));
    }
    let select = match nested {
        None => None,
        Some(nested) => {
            let list = nested.strip_prefix("$select=").ok_or_else(|| bad_expand(value))?;
            Some(parse_select(list, &crate::shapes::DIRECTORY_OBJECT)?)
        }
    };
    Ok(ExpandOwners { select })
}

fn bad_expand(value: &str) -> GraphError {
    GraphError::Malformed(format!("Invalid $expand clause '{value}'."))
}

impl EntityType {
    /// Parses a `$filter` on this entity type's filterable properties, combined as `logic` allows,
    /// in advanced query mode or not.
    pub(crate) fn parse_filter(
        &self,
        input: &str,
        logic: Logic,
        advanced: bool,
    ) -> Result<Filter, GraphError> {
        Filter::parse(
            input,
            &Schema { resource: self.resource, properties: self.filterable, logic, advanced },
        )
    }
}

/// Whether the request carries `ConsistencyLevel: eventual` (Graph's switch to advanced
/// queries; the value compared without regard to case).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Eventual(pub(crate) bool);

impl<S: Send + Sync> FromRequestParts<S> for Eventual {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let eventual = parts
            .headers
            .get_all("consistencylevel")
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.trim().eq_ignore_ascii_case("eventual")));
        Ok(Self(eventual))
    }
}

fn search_needs_header() -> GraphError {
    GraphError::UnsupportedQuery(
        "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"
            .to_owned(),
    )
}

fn parse_count(value: &str) -> Result<bool, GraphError> {
    match value {
        v if v.eq_ignore_ascii_case("true") => Ok(true),
        v if v.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(GraphError::Malformed(format!("Invalid value '{value}' for query option '$count'."))),
    }
}

/// A collection being listed: where it lives and what it holds.
#[derive(Debug)]
pub(crate) struct Collection {
    /// Path below `/v1.0`, e.g. `servicePrincipals/{id}/appRoleAssignedTo`.
    pub(crate) path: String,
    /// The `$metadata#...` fragment, e.g. `servicePrincipals('{id}')/appRoleAssignedTo`.
    pub(crate) context: String,
}

/// What the caller asked of a list.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    filter: Option<(String, Filter)>,
    select: Option<(String, Vec<String>)>,
    top: Option<usize>,
    skiptoken: Option<String>,
    /// `$count` as given (kept for the next link).
    count: Option<bool>,
    /// Whether `@odata.count` is answered (advanced mode).
    counted: bool,
    order: Option<(String, Vec<SortKey>)>,
    search: Option<(String, Search)>,
    expand: Option<(String, ExpandOwners)>,
}

/// The query string's `$`-options as (name, value) pairs, refusing duplicates.
pub(crate) fn options(raw: Option<&str>) -> Result<Vec<(String, String)>, GraphError> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for (name, value) in form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !name.starts_with('$') {
            continue;
        }
        if seen.iter().any(|(n, _)| *n == name) {
            return Err(GraphError::Malformed(format!(
                "Query option '{name}' was specified more than once, but it must be specified at most once."
            )));
        }
        seen.push((name.into_owned(), value.into_owned()));
    }
    Ok(seen)
}

pub(crate) fn unsupported_option(name: &str) -> GraphError {
    GraphError::UnsupportedQuery(format!("Query option '{name}' is not supported on this resource."))
}

pub(crate) fn parse_select(value: &str, entity: &EntityType) -> Result<Vec<String>, GraphError> {
    value
        .split(',')
        .map(str::trim)
        .map(|p| {
            if entity.properties.contains(&p) {
                Ok(p.to_owned())
            } else {
                Err(GraphError::BadRequest(format!(
                    "Could not find a property named '{p}' on type 'microsoft.graph.{}'.",
                    entity.name
                )))
            }
        })
        .collect()
}

/// `$select` of a single-entity GET (the only option it takes).
pub(crate) fn entity_select(
    raw: Option<&str>,
    entity: &EntityType,
) -> Result<Option<Vec<String>>, GraphError> {
    let (select, _) = entity_options(raw, entity)?;
    Ok(select)
}

/// `$select` and (where served) `$expand=owners` of a single-entity GET.
pub(crate) fn entity_options(
    raw: Option<&str>,
    entity: &EntityType,
) -> Result<(Option<Vec<String>>, Option<ExpandOwners>), GraphError> {
    let mut select = None;
    let mut expand = None;
    for (name, value) in options(raw)? {
        match name.as_str() {
            "$select" => select = Some(parse_select(&value, entity)?),
            "$expand" if entity.queries.expands_owners => expand = Some(parse_expand(&value, entity)?),
            _ => return Err(unsupported_option(&name)),
        }
    }
    Ok((select, expand))
}

impl ListQuery {
    /// Whether `$select` was given.
    pub(crate) fn has_select(&self) -> bool {
        self.select.is_some()
    }

    /// Whether `$select` names `property` explicitly.
    pub(crate) fn selects(&self, property: &str) -> bool {
        self.select.as_ref().is_some_and(|(_, props)| props.iter().any(|p| p == property))
    }

    /// Parses the query string of a list request outside advanced mode.
    pub(crate) fn parse(raw: Option<&str>, entity: &EntityType) -> Result<Self, GraphError> {
        Self::parse_with(raw, entity, Eventual(false))
    }

    /// Parses the query string of a list request; `eventual` is the `ConsistencyLevel` header.
    /// Advanced mode is the header with `$count=true` (`$search` needs only the header);
    /// `$count=true` without the header is ignored, as Graph does.
    pub(crate) fn parse_with(
        raw: Option<&str>,
        entity: &EntityType,
        eventual: Eventual,
    ) -> Result<Self, GraphError> {
        let options = options(raw)?;
        let mut query = Self::default();
        if let Some((_, value)) = options.iter().find(|(n, _)| n == "$count") {
            query.count = Some(parse_count(value)?);
        }
        let advanced = eventual.0 && query.count == Some(true);
        query.counted = advanced;
        for (name, value) in options {
            match name.as_str() {
                "$filter" => {
                    let filter = entity.parse_filter(&value, Logic::Directory, advanced)?;
                    query.filter = Some((value, filter));
                }
                "$select" => {
                    let props = parse_select(&value, entity)?;
                    query.select = Some((value, props));
                }
                "$top" => {
                    let top = value.parse::<usize>().ok().filter(|t| (1..=MAX_PAGE_SIZE).contains(t));
                    let top = top.ok_or_else(|| {
                        GraphError::UnsupportedQuery(format!(
                            "Invalid page size specified: '{value}'. Must be between 1 and {MAX_PAGE_SIZE} inclusive."
                        ))
                    })?;
                    query.top = Some(top);
                }
                "$skiptoken" => query.skiptoken = Some(value),
                "$count" => {}
                "$orderby" if !entity.queries.orderable.is_empty() => {
                    let keys = ordering::parse(&value, entity.properties, entity.queries.orderable)?;
                    query.order = Some((value, keys));
                }
                "$search" if !entity.queries.searchable.is_empty() => {
                    if !eventual.0 {
                        return Err(search_needs_header());
                    }
                    let search = Search::parse(&value, entity.queries.searchable, entity.resource)?;
                    query.search = Some((value, search));
                }
                "$expand" if entity.queries.expands_owners => {
                    if advanced {
                        return Err(GraphError::UnsupportedQuery("Unsupported Query.".to_owned()));
                    }
                    let expand = parse_expand(&value, entity)?;
                    query.expand = Some((value, expand));
                }
                _ => return Err(unsupported_option(&name)),
            }
        }
        // Expanded objects are matched to their owners by id.
        if query.expand.is_some()
            && let Some((_, props)) = &mut query.select
            && !props.iter().any(|p| p == "id")
        {
            props.push("id".to_owned());
        }
        let sorts_by_default = entity.queries.order_by_default && query.filter.is_none();
        if query.order.is_some() && !advanced && !sorts_by_default {
            return Err(ordering::unsupported_sort());
        }
        Ok(query)
    }

    /// `$expand=owners`, when asked.
    pub(crate) fn expand(&self) -> Option<&ExpandOwners> {
        self.expand.as_ref().map(|(_, e)| e)
    }

    /// `$top`, or the default page size.
    pub(crate) fn page_size(&self) -> usize {
        self.top.unwrap_or(DEFAULT_PAGE_SIZE)
    }

    /// The parsed `$filter`, when given.
    pub(crate) fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref().map(|(_, filter)| filter)
    }

    /// The `$skiptoken`, when given.
    pub(crate) fn skiptoken(&self) -> Option<&str> {
        self.skiptoken.as_deref()
    }

    /// The `$select`ed properties, when given.
    pub(crate) fn select(&self) -> Option<&[String]> {
        self.select.as_ref().map(|(_, props)| props.as_slice())
    }

    /// Whether the list can be read in its stored order a page at a time: no `$search`,
    /// `$orderby` or counting, which need every match before the first page (`$filter`, `$select`,
    /// `$top` and `$expand` apply to each object alone).
    pub(crate) fn reads_page_by_page(&self) -> bool {
        self.search.is_none() && self.order.is_none() && !self.counted
    }

    /// The `$metadata` context of `collection` as this query projects it.
    pub(crate) fn context(&self, base_url: &str, collection: &Collection) -> String {
        let context = format!("{base_url}/v1.0/$metadata#{}", collection.context);
        match &self.select {
            Some((_, props)) => format!("{context}({})", props.join(",")),
            None => context,
        }
    }

    /// The `@odata.nextLink` of `collection` under `base_url`: every option of this query, then
    /// `$skiptoken=token`.
    pub(crate) fn next_link(&self, base_url: &str, collection: &Collection, token: &str) -> String {
        let mut link = format!("{base_url}/v1.0/{}?", collection.path);
        let count = self.count.map(|c| if c { "true" } else { "false" });
        let top = self.top.map(|t| t.to_string());
        let pairs = [
            self.filter.as_ref().map(|(raw, _)| ("$filter", raw.as_str())),
            self.search.as_ref().map(|(raw, _)| ("$search", raw.as_str())),
            self.order.as_ref().map(|(raw, _)| ("$orderby", raw.as_str())),
            self.select.as_ref().map(|(raw, _)| ("$select", raw.as_str())),
            self.expand.as_ref().map(|(raw, _)| ("$expand", raw.as_str())),
            count.map(|c| ("$count", c)),
        ];
        for (name, value) in pairs.into_iter().flatten() {
            link.push_str(&format!("{name}={}&", encode(value)));
        }
        if let Some(top) = top {
            link.push_str(&format!("$top={top}&"));
        }
        link.push_str(&format!("$skiptoken={token}"));
        link
    }

    /// Whether `item` passes `$filter` and `$search`.
    fn admits(&self, item: &Value) -> bool {
        self.filter.as_ref().is_none_or(|(_, f)| f.matches(item))
            && self.search.as_ref().is_none_or(|(_, s)| s.matches(item))
    }
}

/// The answer to `GET {collection}/$count` (advanced mode only; `$filter` and `$search` apply):
/// the number of matching members as `text/plain` digits, no byte-order mark.
pub(crate) fn count_response(
    raw: Option<&str>,
    entity: &EntityType,
    eventual: Eventual,
    items: &[Value],
) -> Result<Response, GraphError> {
    if !eventual.0 {
        return Err(GraphError::BadRequest("$count is not currently supported.".to_owned()));
    }
    let mut query = ListQuery::default();
    for (name, value) in options(raw)? {
        match name.as_str() {
            "$filter" => {
                query.filter = Some((String::new(), entity.parse_filter(&value, Logic::Directory, true)?))
            }
            "$search" if !entity.queries.searchable.is_empty() => {
                query.search =
                    Some((String::new(), Search::parse(&value, entity.queries.searchable, entity.resource)?));
            }
            _ => return Err(unsupported_option(&name)),
        }
    }
    let count = items.iter().filter(|i| query.admits(i)).count();
    Ok(([(http::header::CONTENT_TYPE, "text/plain")], count.to_string()).into_response())
}

/// Mints and checks `$skiptoken`s.
pub(crate) struct Pager<'a> {
    key: HmacKey,
    tenant: TenantId,
    base_url: &'a str,
}

impl<'a> Pager<'a> {
    /// A pager for `tenant`, keyed with the paging key, linking below `base_url` (the public URL).
    pub(crate) fn new(paging_key: &[u8], tenant: TenantId, base_url: &'a str) -> Self {
        Self { key: HmacKey::new(paging_key), tenant, base_url }
    }

    /// The MAC of a domain label, the tenant, the collection path and the offset.
    fn tag(&self, path: &str, offset: u64) -> [u8; TAG_LEN] {
        let tenant = self.tenant.as_uuid();
        let offset = offset.to_be_bytes();
        self.key.sign_parts(&[b"custos-skiptoken-v1\0", tenant.as_bytes(), path.as_bytes(), b"\0", &offset])
    }

    /// A token for `value` (an offset, or a delta round's time) bound to `path`.
    pub(crate) fn mint_token(&self, path: &str, value: usize) -> String {
        self.mint(path, value)
    }

    /// The value of a token [`Pager::mint_token`] made for `path`; 400 when forged or foreign.
    pub(crate) fn open_token(&self, path: &str, token: &str) -> Result<usize, GraphError> {
        self.open(path, token)
    }

    fn mint(&self, path: &str, offset: usize) -> String {
        let offset = offset as u64;
        let mut bytes = offset.to_be_bytes().to_vec();
        bytes.extend_from_slice(&self.tag(path, offset));
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn open(&self, path: &str, token: &str) -> Result<usize, GraphError> {
        let invalid = || GraphError::BadRequest("The specified page token value is invalid.".to_owned());
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        if bytes.len() != 8 + TAG_LEN {
            return Err(invalid());
        }
        let (offset, tag) = bytes.split_at(8);
        let offset = u64::from_be_bytes(offset.try_into().map_err(|_| invalid())?);
        if !custos_jose::constant_time::eq(&self.tag(path, offset), tag) {
            return Err(invalid());
        }
        usize::try_from(offset).map_err(|_| invalid())
    }

    /// The collection response for `items` (every member, rendered, in stable order): filtered,
    /// paged and projected as `query` asks, with `@odata.nextLink` when more remain.
    pub(crate) fn page(
        &self,
        collection: &Collection,
        query: &ListQuery,
        items: Vec<Value>,
    ) -> Result<Value, GraphError> {
        let offset = match &query.skiptoken {
            Some(token) => self.open(&collection.path, token)?,
            None => 0,
        };
        let top = query.top.unwrap_or(DEFAULT_PAGE_SIZE);
        let mut matching: Vec<Value> = items.into_iter().filter(|i| query.admits(i)).collect();
        if let Some((_, keys)) = &query.order {
            ordering::sort(&mut matching, keys);
        }
        let total = matching.len();
        let page: Vec<Value> = matching
            .drain(offset.min(total)..)
            .take(top)
            .map(|item| project(item, query.select.as_ref().map(|(_, p)| p.as_slice())))
            .collect();

        let mut body = Map::new();
        body.insert("@odata.context".to_owned(), Value::String(query.context(self.base_url, collection)));
        if query.counted && query.skiptoken.is_none() {
            body.insert("@odata.count".to_owned(), json!(total));
        }
        if offset + top < total {
            let token = self.mint(&collection.path, offset + top);
            body.insert(
                "@odata.nextLink".to_owned(),
                Value::String(query.next_link(self.base_url, collection, &token)),
            );
        }
        body.insert("value".to_owned(), Value::Array(page));
        Ok(Value::Object(body))
    }
}

pub(crate) fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Keeps only the `select`ed properties of a rendered object (all of them for `None`); OData
/// annotations (`@odata.type`) are not properties and stay.
pub(crate) fn project(item: Value, select: Option<&[String]>) -> Value {
    match (item, select) {
        (Value::Object(map), Some(props)) => {
            let kept: Map<String, Value> = map
                .into_iter()
                .filter(|(k, _)| k.starts_with("@odata.") || props.iter().any(|p| p == k))
                .collect();
            Value::Object(kept)
        }
        (item, _) => item,
    }
}

/// A single entity's response: `@odata.context` plus its (projected) properties.
pub(crate) fn entity_response(
    base_url: &str,
    entity_set: &str,
    item: Value,
    select: Option<&[String]>,
) -> Value {
    entity_response_in(base_url, "v1.0", entity_set, item, select)
}

/// [`entity_response`] under a Graph `version` (`v1.0` or `beta`).
pub(crate) fn entity_response_in(
    base_url: &str,
    version: &str,
    entity_set: &str,
    item: Value,
    select: Option<&[String]>,
) -> Value {
    let fragment = match select {
        Some(props) => format!("{entity_set}({})/$entity", props.join(",")),
        None => format!("{entity_set}/$entity"),
    };
    let mut item = project(item, select);
    if let Value::Object(map) = &mut item {
        map.insert("@odata.context".to_owned(), json!(format!("{base_url}/{version}/$metadata#{fragment}")));
    }
    item
}

#[cfg(test)]
#[path = "odata_tests.rs"]
mod tests;
