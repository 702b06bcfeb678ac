//! Slices of large tenants: a [`TenantSnapshot`] holding only the objects one request reads
//! ([`Needs`]), built from a few indexed store reads instead of the whole tenant.
//!
//! A tenant with more applications and service principals than the directory's threshold is
//! never loaded whole by [`Directory::snapshot_for`]: each distinct [`Needs`] gets its slice, kept
//! in the tenant's cache slot in a map of bounded size and dropped with the rest of the slot on
//! every invalidation (a write through the cache, the change feed, the maximum age). A slice
//! whose load overlapped a write is not installed, by the slot's generation counter, exactly as a
//! whole snapshot is not. The lookups of a slice answer as the whole snapshot would for every
//! object its [`Needs`] names, since it holds those objects and every assignment and grant
//! between them.

use super::{Directory, MAX_LOAD_ATTEMPTS, Slot, TenantSnapshot};
use crate::{Store, StoreResult};
use custos_core::model::{Application, ServicePrincipal};
use custos_core::{AppId, ObjectId, TenantId};
use std::collections::HashSet;
use std::sync::Arc;

/// What one request reads of a tenant: a client application, a service principal by object id,
/// and resources by identifier. A slice for it holds each with its application and service
/// principal, the role assignments of the client's (or the principal's) service principal on each
/// resource's, and the delegated grants between them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Needs {
    /// A client application by client id, with its service principal in the tenant (also when
    /// the application itself is registered in another tenant).
    pub client: Option<AppId>,
    /// A service principal by object id (a managed identity's), with its application.
    pub principal: Option<ObjectId>,
    /// Resource applications by identifier, as
    /// [`TenantSnapshot::application_by_identifier`] takes them (an identifier URI with Entra's
    /// slash rules, or an appId), each with its service principal.
    pub resources: Vec<String>,
}

impl Needs {
    /// The client application `client_id` names (none when it is not a GUID: no application
    /// has such a client id).
    pub fn client(client_id: &str) -> Self {
        Self { client: client_id.parse().ok(), ..Self::default() }
    }

    /// The service principal with this object id.
    pub fn principal(id: ObjectId) -> Self {
        Self { principal: Some(id), ..Self::default() }
    }

    /// These needs and the resource `identifier` names.
    #[must_use]
    pub fn and_resource(mut self, identifier: impl Into<String>) -> Self {
        self.resources.push(identifier.into());
        self
    }
}

impl Directory {
    /// The slice of `tenant` for `needs`, loaded and installed in `slot` unless a write overlapped
    /// the load (then loaded again, at most [`MAX_LOAD_ATTEMPTS`] times, the last one returned
    /// uncached). `None` when the tenant does not exist.
    pub(super) async fn load_slice(
        &self,
        tenant: TenantId,
        slot: &Slot,
        needs: &Needs,
    ) -> StoreResult<Option<Arc<TenantSnapshot>>> {
        let mut attempt = 1;
        loop {
            let generation = slot.generation();
            let Some(slice) = load(self.store.as_ref(), tenant, needs).await? else { return Ok(None) };
            let slice = Arc::new(slice);
            let now = self.max_age.as_ref().map(|m| m.clock.instant());
            if slot.install_slice(generation, needs, &slice, now, self.slicing.capacity)
                || attempt >= MAX_LOAD_ATTEMPTS
            {
                return Ok(Some(slice));
            }
            attempt += 1;
        }
    }
}

/// Reads the objects `needs` names (see [`Needs`]) and indexes them as a snapshot.
async fn load(store: &dyn Store, tenant: TenantId, needs: &Needs) -> StoreResult<Option<TenantSnapshot>> {
    let Some(record) = store.tenant(tenant).await? else { return Ok(None) };
    let settings = store.tenant_settings(tenant).await?;
    let mut applications: Vec<Application> = Vec::new();
    let mut principals: Vec<ServicePrincipal> = Vec::new();
    let mut clients: Vec<ObjectId> = Vec::new();
    if let Some(app_id) = needs.client {
        applications.extend(store.application_by_app_id(tenant, app_id).await?);
        if let Some(sp) = store.service_principal_by_app_id(tenant, app_id).await? {
            clients.push(sp.id);
            principals.push(sp);
        }
    }
    if let Some(id) = needs.principal
        && let Some(sp) = store.service_principal(tenant, id).await?
    {
        applications.extend(store.application_by_app_id(tenant, sp.app_id).await?);
        clients.push(sp.id);
        principals.push(sp);
    }
    let mut resources: Vec<ObjectId> = Vec::new();
    for identifier in &needs.resources {
        let by_app_id = match identifier.parse::<AppId>() {
            Ok(app_id) => store.application_by_app_id(tenant, app_id).await?,
            Err(_) => None,
        };
        let by_uri = store.application_by_identifier_uri(tenant, identifier).await?;
        for app in by_app_id.into_iter().chain(by_uri) {
            if let Some(sp) = store.service_principal_by_app_id(tenant, app.app_id).await? {
                resources.push(sp.id);
                principals.push(sp);
            }
            applications.push(app);
        }
    }
    unique(&mut applications, |app| app.id);
    unique(&mut principals, |sp| sp.id);
    unique(&mut clients, |id| *id);
    unique(&mut resources, |id| *id);
    let mut assignments = Vec::new();
    let mut grants = Vec::new();
    for &client in &clients {
        for &resource in &resources {
            assignments.extend(store.assignments_between(tenant, client, resource).await?);
            grants.extend(store.permission_grants_between(tenant, client, resource).await?);
        }
    }
    let mut slice = TenantSnapshot::build(record, applications, principals, assignments);
    slice.settings = settings;
    slice.index_grants(grants);
    Ok(Some(slice))
}

/// Keeps the first of the items with the same `key`, in order.
fn unique<T>(items: &mut Vec<T>, key: impl Fn(&T) -> ObjectId) {
    let mut seen = HashSet::new();
    items.retain(|item| seen.insert(key(item)));
}
