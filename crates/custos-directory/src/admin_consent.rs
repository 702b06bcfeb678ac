//! `POST /admin/v1/tenants/{tenant}/consent` (`custos consent grant`): what an administrator's
//! consent does, for scripts: for the application `appId` (registered in the tenant, or a
//! multi-tenant application of another tenant), [`crate::consent`] writes in the tenant the
//! client's service principal, the `AllPrincipals` delegated grants and the app role assignments
//! for everything its `requiredResourceAccess` asks. For the tenant's admins ([`crate::admin::tenant_admin`]).
//! [`consent_for_tenant`] is also what the Azure portal's API route does ([`crate::portal_consent`]).

use crate::DirectoryState;
use crate::admin::tenant_admin;
use crate::auth::{Authed, Caller};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::consent::{self, ConsentError, ConsentOutcome, Grantee};
use crate::error::GraphError;
use crate::shapes::date;
use crate::user_shapes;
use axum::Json;
use axum::extract::State;
use custos_core::{AppId, TenantId};
use serde_json::{Value, json};

const RESOURCE: &str = "Consent";

/// An administrator's consent for every user of `tenant` to the application `app_id`: what its
/// `requiredResourceAccess` asks, through [`consent::grant`]. The caller's right to it is checked
/// before ([`tenant_admin`]). 404 when the application is unknown there.
pub(crate) async fn consent_for_tenant(
    state: &DirectoryState,
    caller: &Caller,
    tenant: TenantId,
    app_id: AppId,
) -> Result<ConsentOutcome, GraphError> {
    let store = state.store.as_ref();
    let client = consent::registration_for(store, tenant, app_id)
        .await?
        .ok_or_else(|| GraphError::NotFound(app_id.to_string()))?;
    let asked = consent::required_permissions(store, tenant, &client).await.map_err(refused)?;
    let context = crate::audit::context(state, caller).await;
    let outcome =
        consent::grant(store, tenant, &client, Grantee::Tenant, &asked, &context).await.map_err(refused)?;
    tracing::info!(%tenant, %app_id, by = %caller.app_id, "admin consent granted");
    Ok(outcome)
}

fn refused(err: ConsentError) -> GraphError {
    match err {
        ConsentError::Store(e) => GraphError::storage(e),
        other => GraphError::BadRequest(format!("Consent cannot be granted: {other}.")),
    }
}

/// `POST /admin/v1/tenants/{id-or-domain}/consent` with `{"appId": "..."}`.
pub(crate) async fn grant(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(key): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<Json<Value>, GraphError> {
    let (caller, tenant) = tenant_admin(&state, &auth, key).await?;
    let mut body = body?.required()?.only(&["appId"])?;
    let app_id: AppId = body.take("appId", RESOURCE)?.ok_or_else(|| invalid_value("appId", RESOURCE))?;
    let outcome = consent_for_tenant(&state, &caller, tenant.id, app_id).await?;
    Ok(Json(json!({
        "tenantId": tenant.id,
        "appId": app_id,
        "servicePrincipalId": outcome.client.id,
        "createdServicePrincipal": outcome.created_service_principal,
        "oauth2PermissionGrants": outcome.grants.iter().map(user_shapes::permission_grant).collect::<Vec<_>>(),
        "appRoleAssignments": outcome
            .assignments
            .iter()
            .map(|a| json!({
                "id": a.id,
                "appRoleId": a.app_role_id,
                "principalId": a.principal_id,
                "resourceId": a.resource_id,
                "createdDateTime": date(a.created),
            }))
            .collect::<Vec<_>>(),
    })))
}
