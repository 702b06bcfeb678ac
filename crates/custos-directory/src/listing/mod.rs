//! Listing `applications` and `servicePrincipals` without reading the whole tenant. A list
//! request takes one of three reads ([`Read::of`]):
//!
//! - **stored order** (no `$filter`, `$search`, `$orderby` or `$count`; `$top`, `$select` and
//!   `$expand` apply to the page alone): keyset pages from the store
//!   ([`custos_store::Store::applications_page`]). The `$skiptoken` is the position (creation
//!   time, insertion order) of the last object on the page, tagged like the log collections'
//!   ([`crate::log_paging::mint_cursor`]) and bound to the tenant and the collection. Cost: one
//!   index range read of `$top` + 1 objects and their rendering, whatever the tenant's size.
//! - **pinned keys** (a `$filter` whose every match needs one of at most 15 `id` or `appId`
//!   values: `eq`, `in`, an `or` of those, or an `and` with one; what az sends to resolve
//!   `--id`): only those objects are read, by key, and the whole query is evaluated in memory
//!   over them ([`crate::odata::Pager`], offset `$skiptoken`s over that small set).
//! - **everything else** (`startswith`, lambdas such as `servicePrincipalNames/any(…)`,
//!   `$search`, `$orderby`, `$count`): the whole tenant is read and rendered and the query
//!   evaluated in memory. Its cost grows with the tenant (BENCHMARKS.md, issue 17 goal 5).
//!
//! Either way the objects and their order are those of the whole-tenant read: applications
//! oldest first without the built-in ones and those behind a managed identity, service
//! principals oldest first.

use crate::DirectoryState;
use crate::auth::Caller;
use crate::error::GraphError;
use crate::log_paging::{mint_cursor, open_cursor};
use crate::odata::{Collection, ListQuery, project};
use crate::{builtins, owners, resolve, shapes};
use custos_core::model::{Application, ServicePrincipal};
use custos_core::{AppId, ObjectId, TenantId};
use custos_jose::hmac::HmacKey;
use custos_store::{LogCursor, LogPage, MAX_OBJECT_PAGE, ObjectQuery, Store, StoreResult};
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Which read answers a list request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read<'q> {
    /// Keyset pages in the stored order.
    StoredOrder,
    /// Only the objects with these values of the key.
    Pinned(Key, Vec<&'q str>),
    /// The whole tenant, in memory.
    Whole,
}

/// A key property a `$filter` may pin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// `id`
    Id,
    /// `appId`
    AppId,
}

impl<'q> Read<'q> {
    /// The read for `query`.
    pub(crate) fn of(query: &'q ListQuery) -> Self {
        if query.reads_in_stored_order() {
            return Self::StoredOrder;
        }
        let Some(filter) = query.filter() else { return Self::Whole };
        if let Some(values) = filter.pinned_values("id") {
            return Self::Pinned(Key::Id, values);
        }
        match filter.pinned_values("appId") {
            Some(values) => Self::Pinned(Key::AppId, values),
            None => Self::Whole,
        }
    }
}

/// The GUIDs among `values`, without repeats (a value that is no GUID matches no object).
fn guids<T: std::str::FromStr + PartialEq>(values: &[&str]) -> Vec<T> {
    let mut ids: Vec<T> = Vec::new();
    for id in values.iter().filter_map(|v| v.parse::<T>().ok()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The listed applications with one of `values` as `key`, in list order.
pub(crate) async fn pinned_applications(
    store: &dyn Store,
    tenant: TenantId,
    key: Key,
    values: &[&str],
) -> Result<Vec<Application>, GraphError> {
    let mut found = Vec::new();
    let candidates = match key {
        Key::Id => {
            let mut apps = Vec::new();
            for id in guids::<ObjectId>(values) {
                apps.extend(store.application(tenant, id).await?);
            }
            apps
        }
        Key::AppId => store.applications_by_app_ids(tenant, &guids::<AppId>(values)).await?,
    };
    for app in candidates {
        if resolve::is_listed(store, &app).await? {
            found.push(app);
        }
    }
    found.sort_by_key(|app| app.created);
    Ok(found)
}

/// The service principals with one of `values` as `key`, in list order.
pub(crate) async fn pinned_service_principals(
    store: &dyn Store,
    tenant: TenantId,
    key: Key,
    values: &[&str],
) -> Result<Vec<ServicePrincipal>, GraphError> {
    let mut found = Vec::new();
    match key {
        Key::Id => {
            for id in guids::<ObjectId>(values) {
                found.extend(store.service_principal(tenant, id).await?);
            }
        }
        Key::AppId => {
            for app_id in guids::<AppId>(values) {
                found.extend(store.service_principal_by_app_id(tenant, app_id).await?);
            }
        }
    }
    found.sort_by_key(|sp| sp.created);
    Ok(found)
}

/// Service principals rendered with their applications (read in one go).
pub(crate) async fn render_service_principals(
    store: &dyn Store,
    tenant: TenantId,
    sps: &[ServicePrincipal],
) -> Result<Vec<Value>, GraphError> {
    let app_ids: Vec<AppId> = sps.iter().map(|sp| sp.app_id).collect();
    let apps: HashMap<AppId, Application> =
        store.applications_by_app_ids(tenant, &app_ids).await?.into_iter().map(|a| (a.app_id, a)).collect();
    Ok(sps.iter().map(|sp| shapes::service_principal(sp, apps.get(&sp.app_id))).collect())
}

/// A collection read in the stored order: its store pages, what it shows, how it renders.
#[async_trait::async_trait]
trait StoredOrder: Send + Sync {
    type Item: Send;
    /// Path below `/v1.0` (also the `$metadata` fragment).
    const SET: &'static str;
    async fn read(&self, query: ObjectQuery) -> StoreResult<LogPage<Self::Item>>;
    fn listed(&self, item: &Self::Item) -> bool;
    async fn render(&self, items: Vec<Self::Item>) -> Result<Vec<Value>, GraphError>;
}

struct Applications<'a> {
    store: &'a dyn Store,
    domain: String,
    with_keys: bool,
}

#[async_trait::async_trait]
impl StoredOrder for Applications<'_> {
    type Item = Application;
    const SET: &'static str = "applications";

    async fn read(&self, query: ObjectQuery) -> StoreResult<LogPage<Application>> {
        self.store.applications_page(&ObjectQuery { skip_managed_identities: true, ..query }).await
    }

    fn listed(&self, app: &Application) -> bool {
        !builtins::is_built_in(app.app_id)
    }

    async fn render(&self, apps: Vec<Application>) -> Result<Vec<Value>, GraphError> {
        Ok(apps.iter().map(|app| shapes::application(app, &self.domain, self.with_keys)).collect())
    }
}

struct ServicePrincipals<'a> {
    store: &'a dyn Store,
    tenant: TenantId,
}

#[async_trait::async_trait]
impl StoredOrder for ServicePrincipals<'_> {
    type Item = ServicePrincipal;
    const SET: &'static str = "servicePrincipals";

    async fn read(&self, query: ObjectQuery) -> StoreResult<LogPage<ServicePrincipal>> {
        self.store.service_principals_page(&query).await
    }

    fn listed(&self, _: &ServicePrincipal) -> bool {
        true
    }

    async fn render(&self, sps: Vec<ServicePrincipal>) -> Result<Vec<Value>, GraphError> {
        render_service_principals(self.store, self.tenant, &sps).await
    }
}

/// One page of `applications` in the stored order.
pub(crate) async fn applications_page(
    state: &DirectoryState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<axum::Json<Value>, GraphError> {
    let store = state.store.as_ref();
    let domain = resolve::tenant(store, caller.tenant_id).await?.domain;
    let set = Applications { store, domain, with_keys: query.selects("keyCredentials") };
    stored_order_page(state, caller, query, &set).await
}

/// One page of `servicePrincipals` in the stored order.
pub(crate) async fn service_principals_page(
    state: &DirectoryState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<axum::Json<Value>, GraphError> {
    let set = ServicePrincipals { store: state.store.as_ref(), tenant: caller.tenant_id };
    stored_order_page(state, caller, query, &set).await
}

/// The page of `set` that `query` (stored order) asks for.
async fn stored_order_page<S: StoredOrder>(
    state: &DirectoryState,
    caller: &Caller,
    query: &ListQuery,
    set: &S,
) -> Result<axum::Json<Value>, GraphError> {
    let entity_set = S::SET;
    let key = HmacKey::new(&state.paging_key);
    let tenant = caller.tenant_id.as_uuid();
    let binding: [&[u8]; 4] =
        [b"custos-object-skiptoken-v1\0", tenant.as_bytes(), entity_set.as_bytes(), b"\0"];
    let mut after = query.skiptoken().map(|token| open_cursor(&key, &binding, token)).transpose()?;
    let top = query.page_size();

    // Read until the page is full and one more listed object shows that more remain.
    let mut kept: Vec<(S::Item, LogCursor)> = Vec::with_capacity(top);
    let (mut more, mut exhausted) = (false, false);
    while !more && !exhausted {
        // One more than still wanted, and a few spare for objects the collection does not show.
        let wanted = (top + 1 - kept.len() + 4).min(MAX_OBJECT_PAGE as usize);
        let limit = u32::try_from(wanted).unwrap_or(MAX_OBJECT_PAGE);
        let page = set.read(ObjectQuery { after, ..ObjectQuery::first(caller.tenant_id, limit) }).await?;
        exhausted = page.next.is_none();
        for (item, position) in page.records.into_iter().zip(page.positions) {
            after = Some(position);
            if !set.listed(&item) {
                continue;
            }
            if kept.len() == top {
                more = true;
                break;
            }
            kept.push((item, position));
        }
    }
    let next = if more { kept.last().map(|(_, position)| *position) } else { None };
    let items: Vec<S::Item> = kept.into_iter().map(|(item, _)| item).collect();
    let mut values: Vec<Value> =
        set.render(items).await?.into_iter().map(|item| project(item, query.select())).collect();
    if let Some(expand) = query.expand() {
        owners::expand(state, caller, &mut values, expand.select.as_deref()).await?;
    }

    let collection = Collection { path: entity_set.to_owned(), context: entity_set.to_owned() };
    let mut body = Map::new();
    body.insert(
        "@odata.context".to_owned(),
        Value::String(query.context(state.origins.graph(), &collection)),
    );
    if let Some(next) = next {
        let token = mint_cursor(&key, &binding, next);
        body.insert(
            "@odata.nextLink".to_owned(),
            Value::String(query.next_link(state.origins.graph(), &collection, &token)),
        );
    }
    body.insert("value".to_owned(), Value::Array(values));
    Ok(axum::Json(Value::Object(body)))
}
