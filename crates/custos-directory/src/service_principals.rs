//! `/v1.0/servicePrincipals`: list, get, create (one per application), update
//! (`accountEnabled`, `appRoleAssignmentRequired` and the stored properties of
//! [`crate::sp_properties`]) and delete. Managed identities appear here but
//! are read-only; the built-in directory API principal cannot be disabled or deleted (it would
//! lock every admin of the tenant out), and administrators are guarded by [`crate::privileged`].

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::listing::{self, Read};
use crate::odata::{Eventual, ListQuery, count_response, entity_options, entity_response};
use crate::owners;
use crate::privileged::{self, Target};
use crate::resolve;
use crate::shapes::{self, SERVICE_PRINCIPAL};
use crate::sp_properties;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use custos_core::audit::Activity;
use custos_core::ids::GRAPH_APP_ID;
use custos_core::model::{ServicePrincipal, ServicePrincipalType};
use custos_core::{AppId, ObjectId};
use custos_store::StoreError;
use http::StatusCode;
use serde_json::Value;
use std::collections::HashMap;

const RESOURCE: &str = "ServicePrincipal";

fn read_only(sp: &ServicePrincipal) -> GraphError {
    GraphError::BadRequest(format!(
        "The service principal '{}' is a managed identity; it cannot be changed through this API.",
        sp.id
    ))
}

/// The refusal to disable or delete the built-in directory API's service principal: every
/// Graph and admin token of the tenant is issued for it.
fn built_in(sp: &ServicePrincipal, done: &str) -> GraphError {
    tracing::info!(tenant = %sp.tenant_id, done, "refused to remove a built-in resource's service principal");
    let which = if sp.app_id == GRAPH_APP_ID { "The directory API" } else { "A built-in resource's" };
    GraphError::BadRequest(format!("{which} service principal cannot be {done}."))
}

fn store_error(err: StoreError, id: ObjectId) -> GraphError {
    match err {
        StoreError::NotFound => GraphError::NotFound(id.to_string()),
        other => GraphError::storage(other),
    }
}

/// The tenant's service principals, rendered.
async fn rendered(state: &DirectoryState, caller: &Caller) -> Result<Vec<Value>, GraphError> {
    let apps: HashMap<AppId, _> =
        state.store.applications(caller.tenant_id).await?.into_iter().map(|a| (a.app_id, a)).collect();
    Ok(state
        .store
        .service_principals(caller.tenant_id)
        .await?
        .iter()
        .map(|sp| shapes::service_principal(sp, apps.get(&sp.app_id)))
        .collect())
}

/// `GET /v1.0/servicePrincipals`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    eventual: Eventual,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let query = ListQuery::parse_with(query.as_deref(), &SERVICE_PRINCIPAL, eventual)?;
    let read = Read::of(&query);
    let _permit = read.permit(&state.whole_reads).await?;
    let items = match read {
        Read::Keyset => return listing::service_principals_page(&state, caller, &query).await,
        Read::Pinned(key, values) => {
            let store = state.store.as_ref();
            let sps = listing::pinned::service_principals(store, caller.tenant_id, key, &values).await?;
            listing::render_service_principals(store, caller.tenant_id, &sps).await?
        }
        Read::Whole => rendered(&state, caller).await?,
    };
    owners::page(&state, caller, "servicePrincipals", &query, items).await
}

/// `GET /v1.0/servicePrincipals/$count`
pub(crate) async fn count(
    State(state): State<DirectoryState>,
    auth: Authed,
    eventual: Eventual,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let _permit = state.whole_reads.admit().await?;
    let items = rendered(&state, caller).await?;
    count_response(query.as_deref(), &SERVICE_PRINCIPAL, eventual, &items)
}

/// `POST /v1.0/servicePrincipals` with `{"appId"}` (and optionally the two settable flags).
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let mut body = body?.required()?.only(&["appId", "accountEnabled", "appRoleAssignmentRequired"])?;
    let app_id: AppId = body.take("appId", RESOURCE)?.ok_or_else(|| invalid_value("appId", RESOURCE))?;
    let account_enabled: Option<bool> = body.take("accountEnabled", RESOURCE)?;
    let assignment_required: Option<bool> = body.take("appRoleAssignmentRequired", RESOURCE)?;
    let app = resolve::application_by_app_id(state.store.as_ref(), caller.tenant_id, app_id).await.map_err(
        |e| match e {
            GraphError::NotFound(_) => GraphError::BadRequest(format!(
                "The appId '{app_id}' of the service principal does not reference a valid application object."
            )),
            other => other,
        },
    )?;
    let in_use = || {
        GraphError::DuplicateKey(format!(
            "The service principal cannot be created, updated, or restored because the service principal name {app_id} is already in use."
        ))
    };
    if state.store.service_principal_by_app_id(caller.tenant_id, app_id).await?.is_some() {
        return Err(in_use());
    }
    let sp = ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: caller.tenant_id,
        app_id,
        display_name: app.display_name.clone(),
        account_enabled: account_enabled.unwrap_or(true),
        app_role_assignment_required: assignment_required.unwrap_or(false),
        service_principal_type: ServicePrincipalType::Application,
        properties: Default::default(),
        created: state.clock.now(),
    };
    let record = audit::context(&state, caller).await.record(
        sp.tenant_id,
        Activity::AddServicePrincipal,
        audit::service_principal_added(&sp),
    );
    state.store.create_service_principal(&sp, &[record]).await.map_err(|e| match e {
        StoreError::Conflict(_) => in_use(),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %sp.tenant_id, app_id = %sp.app_id, "service principal created");
    let item = shapes::service_principal(&sp, Some(&app));
    Ok((StatusCode::CREATED, Json(entity_response(state.origins.graph(), "servicePrincipals", item, None))))
}

/// A service principal's GET response.
pub(crate) async fn show(
    state: &DirectoryState,
    caller: &Caller,
    sp: &ServicePrincipal,
    query: Option<&str>,
) -> Result<Json<Value>, GraphError> {
    let (select, expand) = entity_options(query, &SERVICE_PRINCIPAL)?;
    let app = resolve::application_of(state.store.as_ref(), sp).await?;
    let item = shapes::service_principal(sp, app.as_ref());
    let mut body = entity_response(state.origins.graph(), "servicePrincipals", item, select.as_deref());
    if let Some(expand) = expand {
        body["id"] = serde_json::json!(sp.id);
        owners::expand(state, caller, std::slice::from_mut(&mut body), expand.select.as_deref()).await?;
    }
    Ok(Json(body))
}

/// Applies a PATCH body to a service principal.
pub(crate) async fn update(
    state: &DirectoryState,
    caller: &Caller,
    mut sp: ServicePrincipal,
    body: JsonBody,
) -> Result<StatusCode, GraphError> {
    let body = body.required()?;
    if shapes::is_read_only(&sp) {
        return Err(read_only(&sp));
    }
    sp_properties::refuse_fixed(&body)?;
    let allowed: Vec<&str> = ["accountEnabled", "appRoleAssignmentRequired"]
        .into_iter()
        .chain(sp_properties::MEMBERS.iter().copied())
        .collect();
    let mut body = body.only(&allowed)?;
    privileged::ensure_may_change(state, caller, Target::Principal(sp.id)).await?;
    let before = sp.clone();
    if let Some(enabled) = body.take::<bool>("accountEnabled", RESOURCE)? {
        if !enabled && sp.account_enabled {
            if crate::builtins::is_built_in(sp.app_id) {
                return Err(built_in(&sp, "disabled"));
            }
            privileged::ensure_may_remove(state, caller, Target::Principal(sp.id)).await?;
        }
        sp.account_enabled = enabled;
    }
    if let Some(required) = body.take::<bool>("appRoleAssignmentRequired", RESOURCE)? {
        sp.app_role_assignment_required = required;
    }
    sp_properties::apply(&mut body, &mut sp)?;
    let record = audit::context(state, caller).await.record(
        sp.tenant_id,
        Activity::UpdateServicePrincipal,
        audit::service_principal_updated(&before, &sp),
    );
    state.store.update_service_principal(&sp, &[record]).await.map_err(|e| store_error(e, sp.id))?;
    tracing::info!(tenant = %sp.tenant_id, app_id = %sp.app_id, "service principal updated");
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a service principal and its assignments.
pub(crate) async fn remove(
    state: &DirectoryState,
    caller: &Caller,
    sp: &ServicePrincipal,
) -> Result<StatusCode, GraphError> {
    if shapes::is_read_only(sp) {
        return Err(read_only(sp));
    }
    if crate::builtins::is_built_in(sp.app_id) {
        return Err(built_in(sp, "deleted"));
    }
    privileged::ensure_may_remove(state, caller, Target::Principal(sp.id)).await?;
    let record = audit::context(state, caller).await.record(
        sp.tenant_id,
        Activity::RemoveServicePrincipal,
        audit::service_principal(sp),
    );
    state
        .store
        .delete_service_principal(sp.tenant_id, sp.id, &[record])
        .await
        .map_err(|e| store_error(e, sp.id))?;
    tracing::info!(tenant = %sp.tenant_id, app_id = %sp.app_id, "service principal deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1.0/servicePrincipals/{id}`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let sp = resolve::service_principal(state.store.as_ref(), caller.tenant_id, &id).await?;
    show(&state, caller, &sp, query.as_deref()).await
}

/// `PATCH /v1.0/servicePrincipals/{id}`
pub(crate) async fn patch(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let sp = resolve::service_principal(state.store.as_ref(), caller.tenant_id, &id).await?;
    update(&state, caller, sp, body?).await
}

/// `DELETE /v1.0/servicePrincipals/{id}`
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let sp = resolve::service_principal(state.store.as_ref(), caller.tenant_id, &id).await?;
    remove(&state, caller, &sp).await
}
