//! The pinned read: a `$filter` every match of which needs one of a few values of a key
//! ([`Key`], [`crate::filter::Filter::pinned_values`]) reads only the objects with those
//! values, by key, in list order; the caller evaluates the whole query on them. The objects
//! returned are a superset of the matches: never one fewer than the whole-tenant read matches.

use crate::error::GraphError;
use crate::resolve;
use custos_core::model::{Application, ServicePrincipal};
use custos_core::users::User;
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::Store;

/// A key property a `$filter` may pin (at most 15 values outside advanced mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// `id`
    Id,
    /// `appId`
    AppId,
    /// `identifierUris/any(c: c eq …)` (applications)
    IdentifierUri,
    /// `servicePrincipalNames/any(c: c eq …)` (service principals: the appId and the
    /// application's identifier URIs; what az and the SDKs send to find a principal)
    ServicePrincipalName,
    /// `userPrincipalName` (users)
    UserPrincipalName,
}

impl Key {
    /// Every key, in the order a filter pinning several is read by.
    pub(crate) const ALL: [Self; 5] =
        [Self::Id, Self::AppId, Self::ServicePrincipalName, Self::IdentifierUri, Self::UserPrincipalName];

    /// The property (or string array) the key is.
    pub(crate) fn property(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::AppId => "appId",
            Self::IdentifierUri => "identifierUris",
            Self::ServicePrincipalName => "servicePrincipalNames",
            Self::UserPrincipalName => "userPrincipalName",
        }
    }

    /// Whether the store's lookup by this key finds every object `value` matches. GUIDs are
    /// parsed; identifier URIs and user principal names are looked up by their ASCII lower case
    /// ([`custos_core::scope::identifier_uri_key`]), where `$filter` compares Unicode lower case.
    /// Both are ASCII as Graph writes them ([`crate::validate`], [`custos_core::users`]), and on
    /// ASCII the two agree, so only ASCII values are pinned.
    pub(crate) fn reads(self, value: &str) -> bool {
        match self {
            Self::Id | Self::AppId => true,
            Self::IdentifierUri | Self::ServicePrincipalName | Self::UserPrincipalName => value.is_ascii(),
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

/// The applications of `tenant` (listed or not) one of whose identifier URIs is one of `uris`.
async fn by_identifier_uris(
    store: &dyn Store,
    tenant: TenantId,
    uris: &[&str],
) -> Result<Vec<Application>, GraphError> {
    let mut found = Vec::new();
    for uri in uris {
        found.extend(store.application_by_identifier_uri(tenant, uri).await?);
    }
    Ok(found)
}

/// Adds `items` to `found` unless already there (by `id`).
fn add_new<T>(found: &mut Vec<T>, items: Vec<T>, id: fn(&T) -> ObjectId) {
    for item in items {
        if !found.iter().any(|f| id(f) == id(&item)) {
            found.push(item);
        }
    }
}

/// The listed applications with one of `values` as `key`, in list order. Applications have no
/// `servicePrincipalNames` or `userPrincipalName`: no application has such a value.
pub(crate) async fn applications(
    store: &dyn Store,
    tenant: TenantId,
    key: Key,
    values: &[&str],
) -> Result<Vec<Application>, GraphError> {
    let mut candidates = Vec::new();
    match key {
        Key::Id => {
            for id in guids::<ObjectId>(values) {
                candidates.extend(store.application(tenant, id).await?);
            }
        }
        Key::AppId => candidates = store.applications_by_app_ids(tenant, &guids::<AppId>(values)).await?,
        Key::IdentifierUri => {
            add_new(&mut candidates, by_identifier_uris(store, tenant, values).await?, |a| a.id)
        }
        Key::ServicePrincipalName | Key::UserPrincipalName => {}
    }
    let mut found = Vec::new();
    for app in candidates {
        if resolve::is_listed(store, &app).await? {
            found.push(app);
        }
    }
    found.sort_by_key(|app| app.created);
    Ok(found)
}

/// The service principals with one of `values` as `key`, in list order. Service principals
/// have no `identifierUris` or `userPrincipalName`: none has such a value.
pub(crate) async fn service_principals(
    store: &dyn Store,
    tenant: TenantId,
    key: Key,
    values: &[&str],
) -> Result<Vec<ServicePrincipal>, GraphError> {
    let mut found = Vec::new();
    let mut app_ids: Vec<AppId> = Vec::new();
    match key {
        Key::Id => {
            for id in guids::<ObjectId>(values) {
                found.extend(store.service_principal(tenant, id).await?);
            }
        }
        Key::AppId => app_ids = guids(values),
        Key::ServicePrincipalName => {
            // A name is the appId or one of its application's identifier URIs.
            app_ids = guids(values);
            for app in by_identifier_uris(store, tenant, values).await? {
                if !app_ids.contains(&app.app_id) {
                    app_ids.push(app.app_id);
                }
            }
        }
        Key::IdentifierUri | Key::UserPrincipalName => {}
    }
    for app_id in app_ids {
        found.extend(store.service_principal_by_app_id(tenant, app_id).await?);
    }
    found.sort_by_key(|sp| sp.created);
    Ok(found)
}

/// The users with one of `values` as `key`, in list order. Users have no `appId`, identifier
/// URIs or service principal names: none has such a value.
pub(crate) async fn users(
    store: &dyn Store,
    tenant: TenantId,
    key: Key,
    values: &[&str],
) -> Result<Vec<User>, GraphError> {
    let mut found = Vec::new();
    match key {
        Key::Id => {
            for id in guids::<ObjectId>(values) {
                found.extend(store.user(tenant, id).await?);
            }
        }
        Key::UserPrincipalName => {
            for upn in values {
                add_new(&mut found, store.user_by_upn(tenant, upn).await?.into_iter().collect(), |u| u.id);
            }
        }
        Key::AppId | Key::IdentifierUri | Key::ServicePrincipalName => {}
    }
    found.sort_by_key(|user| user.created);
    Ok(found)
}
