//! `/v1.0/oauth2PermissionGrants`: delegated permissions a client may use on a resource in the
//! caller's tenant (`entra-user-flows.md` §8.4). `clientId` and `resourceId` are service
//! principals of the tenant, `principalId` a user of it for `Principal` grants (null for
//! `AllPrincipals`), and every value of `scope` an enabled delegated permission of the resource.
//! Deleting a `Principal` grant, or narrowing its `scope`, revokes that user's refresh tokens for
//! the client; `AllPrincipals` grants are re-checked by the token endpoint at every refresh.

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::odata::{ListQuery, entity_response};
use crate::user_shapes::{self, PERMISSION_GRANT};
use axum::Json;
use axum::extract::{RawQuery, State};
use custos_core::ObjectId;
use custos_core::audit::Activity;
use custos_core::consent::{ConsentType, OAuth2PermissionGrant};
use custos_core::model::ServicePrincipal;
use custos_store::StoreError;
use http::StatusCode;
use serde_json::Value;

const RESOURCE: &str = "OAuth2PermissionGrant";
const ENTITY_SET: &str = "oauth2PermissionGrants";

async fn find(
    state: &DirectoryState,
    caller: &Caller,
    id: &str,
) -> Result<OAuth2PermissionGrant, GraphError> {
    state
        .store
        .permission_grants(caller.tenant_id)
        .await?
        .into_iter()
        .find(|g| g.id == id)
        .ok_or_else(|| GraphError::NotFound(id.to_owned()))
}

async fn principal(
    state: &DirectoryState,
    caller: &Caller,
    raw: &str,
) -> Result<ServicePrincipal, GraphError> {
    let id = raw.parse::<ObjectId>().map_err(|_| GraphError::NotFound(raw.to_owned()))?;
    state
        .store
        .service_principal(caller.tenant_id, id)
        .await?
        .ok_or_else(|| GraphError::NotFound(raw.to_owned()))
}

/// The normalised `scope`: each value an enabled delegated permission of `resource`.
async fn checked_scope(
    state: &DirectoryState,
    resource: &ServicePrincipal,
    scope: &str,
) -> Result<String, GraphError> {
    // A multi-tenant resource of another tenant is defined by its home registration.
    let app =
        crate::consent::registration_for(state.store.as_ref(), resource.tenant_id, resource.app_id).await?;
    let mut values: Vec<&str> = Vec::new();
    for value in scope.split(' ').filter(|v| !v.is_empty()) {
        if app.as_ref().is_none_or(|a| a.scope_by_value(value).is_none()) {
            return Err(invalid_value("scope", RESOURCE));
        }
        if !values.contains(&value) {
            values.push(value);
        }
    }
    Ok(values.join(" "))
}

/// Revokes what a `Principal` grant's user holds for its client.
async fn revoke_user_tokens(state: &DirectoryState, grant: &OAuth2PermissionGrant) -> Result<(), GraphError> {
    let Some(user) = grant.principal_id.filter(|_| grant.consent_type == ConsentType::Principal) else {
        return Ok(());
    };
    let Some(client) = state.store.service_principal(grant.tenant_id, grant.client_id).await? else {
        return Ok(());
    };
    let now = state.clock.now().unix_timestamp();
    let revoked = state.store.revoke_refresh_grants(grant.tenant_id, user, Some(client.app_id), now).await?;
    tracing::info!(tenant = %grant.tenant_id, %user, revoked, "refresh tokens revoked with a delegated grant");
    Ok(())
}

/// `GET /v1.0/oauth2PermissionGrants`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadGrants)?;
    let query = ListQuery::parse(query.as_deref(), &PERMISSION_GRANT)?;
    let items = state
        .store
        .permission_grants(caller.tenant_id)
        .await?
        .iter()
        .map(user_shapes::permission_grant)
        .collect();
    state.list_page(caller.tenant_id, ENTITY_SET, &query, items)
}

/// `POST /v1.0/oauth2PermissionGrants`
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let caller = auth.require(Permission::WriteGrants)?;
    let mut body =
        body?.required()?.only(&["clientId", "consentType", "principalId", "resourceId", "scope"])?;
    let client_raw: String =
        body.take("clientId", RESOURCE)?.ok_or_else(|| invalid_value("clientId", RESOURCE))?;
    let resource_raw: String =
        body.take("resourceId", RESOURCE)?.ok_or_else(|| invalid_value("resourceId", RESOURCE))?;
    let consent_type = match body.take::<String>("consentType", RESOURCE)?.as_deref() {
        Some("AllPrincipals") => ConsentType::AllPrincipals,
        Some("Principal") => ConsentType::Principal,
        _ => return Err(invalid_value("consentType", RESOURCE)),
    };
    let principal_raw: Option<String> = body.take::<Option<String>>("principalId", RESOURCE)?.flatten();
    let scope: String = body.take("scope", RESOURCE)?.unwrap_or_default();
    let client = principal(&state, caller, &client_raw).await?;
    let resource = principal(&state, caller, &resource_raw).await?;
    let principal_id = match (consent_type, principal_raw) {
        (ConsentType::AllPrincipals, None) => None,
        (ConsentType::Principal, Some(raw)) => {
            let id = raw.parse::<ObjectId>().map_err(|_| invalid_value("principalId", RESOURCE))?;
            if state.store.user(caller.tenant_id, id).await?.is_none() {
                return Err(GraphError::NotFound(raw));
            }
            Some(id)
        }
        _ => return Err(invalid_value("principalId", RESOURCE)),
    };
    let grant = OAuth2PermissionGrant {
        id: crate::new_assignment_id(),
        tenant_id: caller.tenant_id,
        client_id: client.id,
        consent_type,
        principal_id,
        resource_id: resource.id,
        scope: checked_scope(&state, &resource, &scope).await?,
        created: state.clock.now(),
    };
    let target = audit::permission_grant(&grant, Some(&resource), None, Some(&grant.scope));
    let record = audit::context(&state, caller).await.record(
        caller.tenant_id,
        Activity::AddDelegatedPermissionGrant,
        target,
    );
    state.store.create_permission_grant(&grant, &[record]).await.map_err(|e| match e {
        StoreError::Conflict(_) => GraphError::Conflict("Permission entry already exists.".to_owned()),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %caller.tenant_id, client = %client.app_id, resource = %resource.app_id, "delegated permission grant created");
    let item = user_shapes::permission_grant(&grant);
    Ok((StatusCode::CREATED, Json(entity_response(state.origins.graph(), ENTITY_SET, item, None))))
}

/// `GET /v1.0/oauth2PermissionGrants/{id}`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadGrants)?;
    let grant = find(&state, caller, &id).await?;
    Ok(Json(entity_response(state.origins.graph(), ENTITY_SET, user_shapes::permission_grant(&grant), None)))
}

/// `PATCH /v1.0/oauth2PermissionGrants/{id}` (`scope` only)
pub(crate) async fn patch(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteGrants)?;
    let grant = find(&state, caller, &id).await?;
    let mut body = body?.required()?.only(&["scope"])?;
    let Some(scope) = body.take::<String>("scope", RESOURCE)? else { return Ok(StatusCode::NO_CONTENT) };
    let resource = principal(&state, caller, &grant.resource_id.to_string()).await?;
    let scope = checked_scope(&state, &resource, &scope).await?;
    let narrowed = grant.scopes().any(|old| !scope.split(' ').any(|new| new == old));
    let target = audit::permission_grant(&grant, Some(&resource), Some(&grant.scope), Some(&scope));
    let record = audit::context(&state, caller).await.record(
        caller.tenant_id,
        Activity::UpdateDelegatedPermissionGrant,
        target,
    );
    state.store.update_permission_grant(caller.tenant_id, &id, &scope, &[record]).await.map_err(
        |e| match e {
            StoreError::NotFound => GraphError::NotFound(id.clone()),
            other => GraphError::storage(other),
        },
    )?;
    if narrowed {
        revoke_user_tokens(&state, &grant).await?;
    }
    tracing::info!(tenant = %caller.tenant_id, grant = %id, "delegated permission grant updated");
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /v1.0/oauth2PermissionGrants/{id}`
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteGrants)?;
    let grant = find(&state, caller, &id).await?;
    let resource = state.store.service_principal(caller.tenant_id, grant.resource_id).await?;
    let target = audit::permission_grant(&grant, resource.as_ref(), Some(&grant.scope), None);
    let record = audit::context(&state, caller).await.record(
        caller.tenant_id,
        Activity::RemoveDelegatedPermissionGrant,
        target,
    );
    state.store.delete_permission_grant(caller.tenant_id, &id, &[record]).await.map_err(|e| match e {
        StoreError::NotFound => GraphError::NotFound(id.clone()),
        other => GraphError::storage(other),
    })?;
    revoke_user_tokens(&state, &grant).await?;
    tracing::info!(tenant = %caller.tenant_id, grant = %id, "delegated permission grant deleted");
    Ok(StatusCode::NO_CONTENT)
}
