//! Finding the object a URL names, inside the caller's tenant only: by object id
//! (`applications/{id}`), or by client id (`applications(appId='...')`). Unknown or other-tenant
//! objects are the same 404. The built-in directory API application is owned by the platform, as
//! Microsoft Graph's is by Microsoft, and the application behind a managed identity by the custos
//! admin API: neither is addressable under `applications` (their service principals are listed
//! and readable like any other).

use crate::error::GraphError;
use custos_core::model::{Application, ServicePrincipal, ServicePrincipalType, Tenant};
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::Store;
use std::collections::HashSet;

/// Parses an object id from a URL segment; 400 when it is not a GUID.
pub(crate) fn object_id(raw: &str) -> Result<ObjectId, GraphError> {
    raw.parse().map_err(|_| GraphError::BadRequest(format!("Invalid object identifier '{raw}'.")))
}

/// Parses an appId; 400 when it is not a GUID.
pub(crate) fn app_id(raw: &str) -> Result<AppId, GraphError> {
    raw.parse().map_err(|_| GraphError::BadRequest(format!("Invalid object identifier '{raw}'.")))
}

/// The caller's tenant (it exists: its token was issued for it).
pub(crate) async fn tenant(store: &dyn Store, id: TenantId) -> Result<Tenant, GraphError> {
    store.tenant(id).await?.ok_or_else(|| GraphError::NotFound(id.to_string()))
}

/// Whether an application is visible under `applications`: neither built in
/// ([`crate::builtins::is_built_in`]) nor the application behind a managed identity.
pub(crate) async fn is_listed(store: &dyn Store, app: &Application) -> Result<bool, GraphError> {
    if crate::builtins::is_built_in(app.app_id) {
        return Ok(false);
    }
    let principal = store.service_principal_by_app_id(app.tenant_id, app.app_id).await?;
    Ok(!principal.is_some_and(|sp| sp.service_principal_type == ServicePrincipalType::ManagedIdentity))
}

/// The applications of a tenant that are visible under `applications`, oldest first.
pub(crate) async fn listed_applications(
    store: &dyn Store,
    tenant: TenantId,
) -> Result<Vec<Application>, GraphError> {
    let hidden: HashSet<AppId> = store
        .service_principals(tenant)
        .await?
        .into_iter()
        .filter(|sp| sp.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .map(|sp| sp.app_id)
        .collect();
    let mut apps = store.applications(tenant).await?;
    apps.retain(|app| !hidden.contains(&app.app_id) && !crate::builtins::is_built_in(app.app_id));
    Ok(apps)
}

async fn visible(store: &dyn Store, app: Option<Application>) -> Result<Option<Application>, GraphError> {
    match app {
        Some(app) if is_listed(store, &app).await? => Ok(Some(app)),
        _ => Ok(None),
    }
}

/// An application by object id.
pub(crate) async fn application(
    store: &dyn Store,
    tenant: TenantId,
    raw: &str,
) -> Result<Application, GraphError> {
    let id = object_id(raw)?;
    visible(store, store.application(tenant, id).await?)
        .await?
        .ok_or_else(|| GraphError::NotFound(raw.to_owned()))
}

/// An application by client id.
pub(crate) async fn application_by_app_id(
    store: &dyn Store,
    tenant: TenantId,
    app_id: AppId,
) -> Result<Application, GraphError> {
    visible(store, store.application_by_app_id(tenant, app_id).await?)
        .await?
        .ok_or_else(|| GraphError::NotFound(app_id.to_string()))
}

/// A service principal by object id.
pub(crate) async fn service_principal(
    store: &dyn Store,
    tenant: TenantId,
    raw: &str,
) -> Result<ServicePrincipal, GraphError> {
    let id = object_id(raw)?;
    store.service_principal(tenant, id).await?.ok_or_else(|| GraphError::NotFound(raw.to_owned()))
}

/// A service principal by client id.
pub(crate) async fn service_principal_by_app_id(
    store: &dyn Store,
    tenant: TenantId,
    app_id: AppId,
) -> Result<ServicePrincipal, GraphError> {
    store
        .service_principal_by_app_id(tenant, app_id)
        .await?
        .ok_or_else(|| GraphError::NotFound(app_id.to_string()))
}

/// The application behind a service principal (none for managed identities), including the
/// built-in directory application, whose roles its principal shows.
pub(crate) async fn application_of(
    store: &dyn Store,
    sp: &ServicePrincipal,
) -> Result<Option<Application>, GraphError> {
    Ok(store.application_by_app_id(sp.tenant_id, sp.app_id).await?)
}

/// A URL segment of the form `applications(appId='...')` or `servicePrincipals(appId='...')`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AlternateKey {
    /// `applications(appId='...')`
    Application(AppId),
    /// `servicePrincipals(appId='...')`
    ServicePrincipal(AppId),
}

impl AlternateKey {
    /// Parses the segment; unknown segments are Graph's 400 "Resource not found for the segment".
    pub(crate) fn parse(segment: &str) -> Result<Self, GraphError> {
        let unknown = || {
            let name = segment.split('(').next().unwrap_or(segment);
            GraphError::Malformed(format!("Resource not found for the segment '{name}'."))
        };
        let (set, rest) = segment.split_once('(').ok_or_else(unknown)?;
        let inner = rest.strip_suffix(')').ok_or_else(unknown)?;
        let (key, value) = inner.split_once('=').ok_or_else(unknown)?;
        if key.trim() != "appId" {
            return Err(unknown());
        }
        let value = value.trim();
        let value = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(value);
        let id = app_id(value)?;
        match set {
            "applications" => Ok(Self::Application(id)),
            "servicePrincipals" => Ok(Self::ServicePrincipal(id)),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternate_keys_parse() {
        let id = AppId::new_random();
        assert_eq!(
            AlternateKey::parse(&format!("applications(appId='{id}')")).unwrap(),
            AlternateKey::Application(id)
        );
        assert_eq!(
            AlternateKey::parse(&format!("servicePrincipals(appId='{id}')")).unwrap(),
            AlternateKey::ServicePrincipal(id)
        );
        assert_eq!(
            AlternateKey::parse("users").unwrap_err(),
            GraphError::Malformed("Resource not found for the segment 'users'.".into())
        );
        assert_eq!(
            AlternateKey::parse("applications(appId='nope')").unwrap_err(),
            GraphError::BadRequest("Invalid object identifier 'nope'.".into())
        );
        assert!(AlternateKey::parse(&format!("applications(displayName='{id}')")).is_err());
    }
}
