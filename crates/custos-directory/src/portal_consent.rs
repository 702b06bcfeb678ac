//! `POST /api/RegisteredApplications/{appId}/Consent?onBehalfOfAll=true`: the Azure portal's API
//! call behind `az ad app permission admin-consent --id {appId}` (az posts it to
//! `https://main.iam.ad.ext.azure.com` in Microsoft's cloud, with a token for the portal's API,
//! [`crate::builtins::PORTAL_API_APP_ID`]). It is the admin portal's "Grant admin consent for this
//! tenant" under another name: the same right ([`crate::permissions::Permission::Admin`] through
//! [`crate::admin::tenant_admin`]) and the same consent ([`crate::admin_consent::consent_for_tenant`])
//! for the caller's own tenant.
//!
//! The token is for the portal's API, not the directory API, so the right is read from what the
//! caller holds on the directory API: for an application, its app role assignments there (the
//! roles a directory API token of it would carry); for a signed-in user, `user_impersonation`
//! counts as the admin portal's own sign-in (`Directory.ReadWrite.All`), which is then open to a
//! Global Administrator. Errors are Graph's shape (401, 403, 404 for an unknown application, 400
//! without `onBehalfOfAll=true`); success is `204 No Content` (az reads only the status).

use crate::DirectoryState;
use crate::admin::tenant_admin;
use crate::admin_consent::consent_for_tenant;
use crate::auth::{Authed, roles};
use crate::builtins::PORTAL_API_SCOPE;
use crate::error::GraphError;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use custos_core::ids::GRAPH_APP_ID;
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::Store;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub(crate) struct ConsentQuery {
    #[serde(rename = "onBehalfOfAll")]
    on_behalf_of_all: Option<String>,
}

/// `POST /api/RegisteredApplications/{appId}/Consent?onBehalfOfAll=true`.
pub(crate) async fn consent(
    State(state): State<DirectoryState>,
    auth: Authed,
    Path(app_id): Path<String>,
    Query(query): Query<ConsentQuery>,
) -> Result<StatusCode, GraphError> {
    let auth = with_directory_permissions(state.store.as_ref(), auth).await?;
    let (caller, tenant) = tenant_admin(&state, &auth, auth.caller().tenant_id.to_string()).await?;
    if !query.on_behalf_of_all.is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return Err(GraphError::BadRequest(
            "custos grants admin consent for every user of the tenant only: onBehalfOfAll=true is required."
                .to_owned(),
        ));
    }
    let app_id: AppId = app_id.parse().map_err(|_| GraphError::NotFound(app_id.clone()))?;
    consent_for_tenant(&state, &caller, tenant.id, app_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `auth` with the directory API permissions its caller holds in place of its portal API
/// token's (see the module docs).
async fn with_directory_permissions(store: &dyn Store, auth: Authed) -> Result<Authed, GraphError> {
    let caller = auth.caller();
    let (roles, scopes) = match &caller.scopes {
        None => (directory_roles_of(store, caller.tenant_id, caller.object_id).await?, None),
        Some(scopes) => {
            let portal = scopes.iter().any(|s| s == PORTAL_API_SCOPE);
            let as_portal = portal.then(|| roles::DIRECTORY_READ_WRITE_ALL.to_owned());
            (Vec::new(), Some(as_portal.into_iter().collect()))
        }
    };
    Ok(auth.with_permissions(roles, scopes))
}

/// The values of the enabled directory API app roles assigned to the service principal
/// `principal`: what a directory API token of it would carry in `roles`.
async fn directory_roles_of(
    store: &dyn Store,
    tenant: TenantId,
    principal: ObjectId,
) -> Result<Vec<String>, GraphError> {
    let Some(directory) = store.application_by_app_id(tenant, GRAPH_APP_ID).await? else {
        return Ok(Vec::new());
    };
    let Some(directory_sp) = store.service_principal_by_app_id(tenant, GRAPH_APP_ID).await? else {
        return Ok(Vec::new());
    };
    let mut values: Vec<String> = store
        .assignments_between(tenant, principal, directory_sp.id)
        .await?
        .into_iter()
        .filter_map(|a| directory.role_by_id(a.app_role_id))
        .filter(|role| role.is_enabled)
        .filter_map(|role| role.value.clone())
        .collect();
    values.sort_unstable();
    values.dedup();
    Ok(values)
}
