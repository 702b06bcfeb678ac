//! custos' own admin API for what Graph has no API for: `/admin/v1/tenants` (list, show by id
//! or domain, provision) and `/admin/v1/tenants/{tenant}/settings` (show, PATCH). Requires the `Custos.Admin` app role on the directory API, held by a
//! principal of the installation's home tenant (the first one provisioned): an admin of any
//! other tenant manages that tenant only, whatever roles it grants itself there.

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Permission};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::no_store::NoStore;
use crate::provision::{self, ProvisionError};
use crate::shapes;
use axum::Json;
use axum::extract::State;
use custos_core::TenantId;
use custos_core::audit::Activity;
use custos_core::settings::{self, TenantSettings};
use http::StatusCode;
use serde_json::{Value, json};

const RESOURCE: &str = "Tenant";
const SETTINGS_RESOURCE: &str = "TenantSettings";

/// The caller, when it administers the installation: `Custos.Admin` in the home tenant.
pub(crate) async fn installation_admin(
    state: &DirectoryState,
    auth: &Authed,
) -> Result<crate::auth::Caller, GraphError> {
    let caller = auth.require(Permission::Admin)?.clone();
    let home = state.store.tenants().await?.first().map(|t| t.id);
    if home != Some(caller.tenant_id) {
        tracing::info!(app_id = %caller.app_id, tenant = %caller.tenant_id, "admin API refused: not the home tenant");
        return Err(GraphError::Forbidden);
    }
    Ok(caller)
}

/// The caller and the tenant `key` names, when the caller administers the installation or,
/// signed in as a Global Administrator, that tenant. An app-only caller of another tenant never
/// qualifies (only the home tenant's directory API defines `Custos.Admin`). A tenant the caller
/// may not see is a 403, whether it exists or not.
pub(crate) async fn tenant_admin(
    state: &DirectoryState,
    auth: &Authed,
    key: String,
) -> Result<(crate::auth::Caller, custos_core::model::Tenant), GraphError> {
    let caller = auth.require(Permission::Admin)?.clone();
    let home = state.store.tenants().await?.first().map(|t| t.id);
    if home == Some(caller.tenant_id) {
        return Ok((caller, tenant_by_key(state, key).await?));
    }
    match tenant_by_key(state, key).await {
        Ok(tenant) if tenant.id == caller.tenant_id && caller.scopes.is_some() => Ok((caller, tenant)),
        _ => {
            tracing::info!(app_id = %caller.app_id, tenant = %caller.tenant_id, "admin API refused: another tenant");
            Err(GraphError::Forbidden)
        }
    }
}

/// `GET /admin/v1/tenants`
pub(crate) async fn list_tenants(
    State(state): State<DirectoryState>,
    auth: Authed,
) -> Result<Json<Value>, GraphError> {
    installation_admin(&state, &auth).await?;
    let tenants = state.store.tenants().await?;
    Ok(Json(json!({ "value": tenants.iter().map(shapes::tenant).collect::<Vec<_>>() })))
}

/// `GET /admin/v1/tenants/{id-or-domain}`
pub(crate) async fn get_tenant(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
) -> Result<Json<Value>, GraphError> {
    let (_, tenant) = tenant_admin(&state, &auth, key).await?;
    Ok(Json(shapes::tenant(&tenant)))
}

/// The tenant a path segment names, by GUID or domain; 404 when none.
pub(crate) async fn tenant_by_key(
    state: &DirectoryState,
    key: String,
) -> Result<custos_core::model::Tenant, GraphError> {
    let tenant = match key.parse::<TenantId>() {
        Ok(id) => state.store.tenant(id).await?,
        Err(_) => state.store.tenant_by_domain(&key).await?,
    };
    tenant.ok_or(GraphError::NotFound(key))
}

/// `GET /admin/v1/tenants/{id-or-domain}/settings`: `{"assertionReplay": "compat"|"strict",
/// "allowUserConsent": bool, "allowPasswordGrant": bool, "logRetentionDays": 1..=3650}`.
pub(crate) async fn get_settings(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
) -> Result<Json<TenantSettings>, GraphError> {
    let (_, tenant) = tenant_admin(&state, &auth, key).await?;
    Ok(Json(state.store.tenant_settings(tenant.id).await?))
}

/// `PATCH /admin/v1/tenants/{id-or-domain}/settings`: changes the settings named in the body
/// and returns them all. The change is committed, and the token endpoint's cached copy
/// dropped, before the response.
pub(crate) async fn patch_settings(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<Json<TenantSettings>, GraphError> {
    let (caller, tenant) = tenant_admin(&state, &auth, key).await?;
    let mut body = body?.required()?.only(&[
        settings::ASSERTION_REPLAY,
        settings::ALLOW_USER_CONSENT,
        settings::ALLOW_PASSWORD_GRANT,
        settings::LOG_RETENTION_DAYS,
    ])?;
    let mut current = state.store.tenant_settings(tenant.id).await?;
    let before = current;
    let replay: Option<String> = body.take(settings::ASSERTION_REPLAY, SETTINGS_RESOURCE)?;
    if let Some(value) = replay {
        current
            .set(settings::ASSERTION_REPLAY, &value)
            .map_err(|_| invalid_value(settings::ASSERTION_REPLAY, SETTINGS_RESOURCE))?;
    }
    if let Some(allow) = body.take::<bool>(settings::ALLOW_USER_CONSENT, SETTINGS_RESOURCE)? {
        current.allow_user_consent = allow;
    }
    if let Some(allow) = body.take::<bool>(settings::ALLOW_PASSWORD_GRANT, SETTINGS_RESOURCE)? {
        current.allow_password_grant = allow;
    }
    if let Some(days) = body.take::<u32>(settings::LOG_RETENTION_DAYS, SETTINGS_RESOURCE)? {
        current.log_retention_days = settings::parse_days(&days.to_string())
            .map_err(|_| invalid_value(settings::LOG_RETENTION_DAYS, SETTINGS_RESOURCE))?;
    }
    let record = audit::context(&state, &caller).await.record(
        tenant.id,
        Activity::UpdateAuthorizationPolicy,
        audit::settings_updated(tenant.id, &before, &current),
    );
    state.store.update_tenant_settings(tenant.id, &current, &[record]).await?;
    tracing::info!(
        by = %caller.app_id,
        tenant = %tenant.id,
        assertion_replay = %current.assertion_replay,
        allow_user_consent = current.allow_user_consent,
        allow_password_grant = current.allow_password_grant,
        log_retention_days = current.log_retention_days,
        "tenant settings changed"
    );
    Ok(Json(current))
}

/// `POST /admin/v1/tenants` with `{"domain","displayName"?}`: provisions a tenant and returns
/// its bootstrap admin's credentials (the secret is shown this once).
pub(crate) async fn create_tenant(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, NoStore<Json<Value>>), GraphError> {
    let caller = installation_admin(&state, &auth).await?;
    let mut body = body?.required()?.only(&["domain", "displayName"])?;
    let domain: String = body.take("domain", RESOURCE)?.ok_or_else(|| invalid_value("domain", RESOURCE))?;
    let display_name: Option<String> = body.take("displayName", RESOURCE)?;
    let display_name = display_name.unwrap_or_else(|| domain.trim().to_ascii_lowercase());
    let context = audit::context(&state, &caller).await;
    let provisioned = provision::provision_tenant(
        state.store.as_ref(),
        &context,
        &state.hasher,
        state.clock.as_ref(),
        &domain,
        &display_name,
        provision::AdminScope::Tenant,
    )
    .await
    .map_err(|e| match e {
        ProvisionError::InvalidDomain(_) => invalid_value("domain", RESOURCE),
        ProvisionError::InvalidDisplayName => invalid_value("displayName", RESOURCE),
        ProvisionError::DomainTaken(d) => {
            GraphError::Conflict(format!("A tenant with the domain '{d}' already exists."))
        }
        ProvisionError::Store(e) => GraphError::storage(e),
    })?;
    let portal = crate::portal_app::ensure_portal_in(
        state.store.as_ref(),
        &context,
        provisioned.tenant.id,
        state.origins.public(),
    )
    .await;
    if let Err(e) = portal {
        // The tenant is usable without it; the next server start registers it.
        tracing::warn!(tenant = %provisioned.tenant.id, error = %e, "cannot register the portal in the new tenant");
    }
    tracing::info!(by = %caller.app_id, tenant = %provisioned.tenant.id, "tenant created through the admin API");
    let mut body = shapes::tenant(&provisioned.tenant);
    body["adminClientId"] = json!(provisioned.admin_app_id);
    body["adminClientSecret"] = json!(provisioned.admin_secret.expose());
    Ok((StatusCode::CREATED, NoStore(Json(body))))
}
