//! The keyset read: a collection walked in its stored order, one store page at a time
//! ([`custos_store::Store::applications_page`] and its siblings), the `$filter` evaluated in
//! memory on each page's rendered objects, until `$top` matches and one more are found (or the
//! collection ends). A `startswith(displayName,'p')` the filter requires
//! ([`Filter::required_prefix`]) is passed to the store, which reads only that range of its
//! display-name index. Memory holds one store page and the response page, whatever the tenant's
//! size.
//!
//! The `$skiptoken` is the position (creation time, insertion order) of the last object
//! returned, tagged like the log collections' ([`crate::log_paging::mint_cursor`]) and bound to
//! the tenant and the collection; the next page resumes right after it. Without a `$filter`
//! each store read asks for what is still wanted and a few spare, so an unfiltered page costs
//! one index range read of `$top` + 1 objects.

use crate::DirectoryState;
use crate::auth::Caller;
use crate::error::GraphError;
use crate::filter::Filter;
use crate::log_paging::{mint_cursor, open_cursor};
use crate::odata::{Collection, ListQuery, project};
use crate::{builtins, owners, resolve, shapes, user_shapes};
use custos_core::TenantId;
use custos_core::model::{Application, ServicePrincipal};
use custos_core::users::User;
use custos_jose::hmac::HmacKey;
use custos_store::{LogCursor, LogPage, MAX_OBJECT_PAGE, ObjectQuery, Store, StoreResult};
use serde_json::{Map, Value};

/// Objects read beyond those still wanted, for ones the collection does not show.
const SPARE: usize = 4;

/// Objects read per store page when a `$filter` is evaluated on them (at least).
const FILTERED_READ: usize = 250;

/// A collection read by keyset: its store pages, what it shows, how it renders.
#[async_trait::async_trait]
trait Keyset: Send + Sync {
    type Item: Send;
    /// Path below `/v1.0` (also the `$metadata` fragment).
    const SET: &'static str;
    async fn read(&self, query: ObjectQuery) -> StoreResult<LogPage<Self::Item>>;
    fn listed(&self, item: &Self::Item) -> bool;
    /// The objects rendered whole (what `$filter` sees), in order.
    async fn render(&self, items: Vec<Self::Item>) -> Result<Vec<Value>, GraphError>;
    /// A matching object as the response shows it: `$select`ed.
    fn present(&self, item: Value, select: Option<&[String]>) -> Value {
        project(item, select)
    }
}

struct Applications<'a> {
    store: &'a dyn Store,
    domain: String,
    with_keys: bool,
}

#[async_trait::async_trait]
impl Keyset for Applications<'_> {
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
impl Keyset for ServicePrincipals<'_> {
    type Item = ServicePrincipal;
    const SET: &'static str = "servicePrincipals";

    async fn read(&self, query: ObjectQuery) -> StoreResult<LogPage<ServicePrincipal>> {
        self.store.service_principals_page(&query).await
    }

    fn listed(&self, _: &ServicePrincipal) -> bool {
        true
    }

    async fn render(&self, sps: Vec<ServicePrincipal>) -> Result<Vec<Value>, GraphError> {
        super::render_service_principals(self.store, self.tenant, &sps).await
    }
}

struct Users<'a> {
    store: &'a dyn Store,
}

#[async_trait::async_trait]
impl Keyset for Users<'_> {
    type Item = User;
    const SET: &'static str = "users";

    async fn read(&self, query: ObjectQuery) -> StoreResult<LogPage<User>> {
        self.store.users_page(&query).await
    }

    fn listed(&self, _: &User) -> bool {
        true
    }

    async fn render(&self, users: Vec<User>) -> Result<Vec<Value>, GraphError> {
        Ok(users.iter().map(user_shapes::user).collect())
    }

    /// Graph's default set of properties unless `$select` names others.
    fn present(&self, item: Value, select: Option<&[String]>) -> Value {
        match select {
            Some(_) => project(item, select),
            None => user_shapes::user_defaults(item),
        }
    }
}

/// One page of `applications` by keyset.
pub(crate) async fn applications_page(
    state: &DirectoryState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<axum::Json<Value>, GraphError> {
    let store = state.store.as_ref();
    let domain = resolve::tenant(store, caller.tenant_id).await?.domain;
    let set = Applications { store, domain, with_keys: query.selects("keyCredentials") };
    page(state, caller, query, &set).await
}

/// One page of `servicePrincipals` by keyset.
pub(crate) async fn service_principals_page(
    state: &DirectoryState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<axum::Json<Value>, GraphError> {
    let set = ServicePrincipals { store: state.store.as_ref(), tenant: caller.tenant_id };
    page(state, caller, query, &set).await
}

/// One page of `users` by keyset.
pub(crate) async fn users_page(
    state: &DirectoryState,
    caller: &Caller,
    query: &ListQuery,
) -> Result<axum::Json<Value>, GraphError> {
    page(state, caller, query, &Users { store: state.store.as_ref() }).await
}

/// The matches of `filter` (all objects without one) after `after`, at most `top`, rendered
/// whole and in the stored order, and the position of the last one when more match.
async fn matches<S: Keyset>(
    set: &S,
    tenant: TenantId,
    filter: Option<&Filter>,
    mut after: Option<LogCursor>,
    top: usize,
) -> Result<(Vec<Value>, Option<LogCursor>), GraphError> {
    let prefix = filter.and_then(|f| f.required_prefix("displayName")).map(str::to_owned);
    let mut kept: Vec<(Value, LogCursor)> = Vec::with_capacity(top);
    let (mut more, mut exhausted) = (false, false);
    while !more && !exhausted {
        let mut wanted = top + 1 - kept.len() + SPARE;
        if filter.is_some() {
            wanted = wanted.max(FILTERED_READ);
        }
        let limit = u32::try_from(wanted).unwrap_or(MAX_OBJECT_PAGE).min(MAX_OBJECT_PAGE);
        let query =
            ObjectQuery { after, display_name_prefix: prefix.clone(), ..ObjectQuery::first(tenant, limit) };
        let page = set.read(query).await?;
        exhausted = page.next.is_none();
        after = page.positions.last().copied().or(after);
        let (items, positions): (Vec<S::Item>, Vec<LogCursor>) =
            page.records.into_iter().zip(page.positions).filter(|(item, _)| set.listed(item)).unzip();
        for (item, position) in set.render(items).await?.into_iter().zip(positions) {
            if filter.is_some_and(|f| !f.matches(&item)) {
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
    Ok((kept.into_iter().map(|(item, _)| item).collect(), next))
}

/// The page of `set` that `query` (no `$search`, `$orderby` or counting) asks for.
async fn page<S: Keyset>(
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
    let after = query.skiptoken().map(|token| open_cursor(&key, &binding, token)).transpose()?;
    let (items, next) = matches(set, caller.tenant_id, query.filter(), after, query.page_size()).await?;
    let mut values: Vec<Value> = items.into_iter().map(|item| set.present(item, query.select())).collect();
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

#[cfg(test)]
#[path = "keyset_tests.rs"]
mod tests;
