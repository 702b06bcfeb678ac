//! custos' admin API for managed identities, which Microsoft Graph cannot create:
//! `/admin/v1/tenants/{tenant}/managedIdentities` (list, create) and `.../{id}` (get, delete),
//! plus `.../{id}/credentials` (register a certificate the identity's `custos agent` signs its
//! client assertions with). Installation admin (`Custos.Admin` of the home tenant) only. The
//! identity's federated identity credentials (`.../{id}/federatedIdentityCredentials`) are
//! served by [`crate::federated_routes`].
//!
//! A managed identity is stored as an application (its `displayName` the identity's name, no
//! identifier URIs, no roles; hidden from Graph's `applications`, like the built-in directory
//! API) plus a service principal of type `ManagedIdentity`, which Graph lists read-only and
//! which app roles are assigned to like any principal. `{id}` is the principal's object id (the
//! `oid` of its tokens) or its appId (the client id).

use crate::DirectoryState;
use crate::admin::tenant_admin;
use crate::audit;
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::key_credentials::{self, KeyCredentialInput};
use crate::shapes;
use axum::Json;
use axum::extract::State;
use custos_core::audit::{Activity, DirectoryAudit, SERVICE_PRINCIPAL_TYPE_DETAIL};
use custos_core::model::{
    Application, KEY_TYPE_X509, KEY_USAGE_VERIFY, ServicePrincipal, ServicePrincipalType,
};
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::{ApplicationChange, StoreError};
use http::StatusCode;
use serde_json::{Value, json};

const RESOURCE: &str = "ManagedIdentity";
/// Longest managed identity name.
const MAX_NAME: usize = 128;

/// The admin API's JSON for a managed identity.
fn shape(sp: &ServicePrincipal) -> Value {
    json!({ "id": sp.id, "appId": sp.app_id, "displayName": sp.display_name })
}

fn is_managed_identity(sp: &ServicePrincipal) -> bool {
    sp.service_principal_type == ServicePrincipalType::ManagedIdentity
}

/// The managed identity `raw` names in `tenant` (object id or appId); 404 otherwise.
pub(crate) async fn find(
    state: &DirectoryState,
    tenant: TenantId,
    raw: &str,
) -> Result<ServicePrincipal, GraphError> {
    let not_found = || GraphError::NotFound(raw.to_owned());
    let by_object = match raw.parse::<ObjectId>() {
        Ok(id) => state.store.service_principal(tenant, id).await?,
        Err(_) => None,
    };
    let sp = match (by_object, raw.parse::<AppId>()) {
        (Some(sp), _) => Some(sp),
        (None, Ok(app_id)) => state.store.service_principal_by_app_id(tenant, app_id).await?,
        (None, Err(_)) => None,
    };
    sp.filter(is_managed_identity).ok_or_else(not_found)
}

/// `GET /admin/v1/tenants/{tenant}/managedIdentities`: `{"value": [...]}`, oldest first.
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: crate::auth::Authed,
    GraphPath(key): GraphPath<String>,
) -> Result<Json<Value>, GraphError> {
    let (_, tenant) = tenant_admin(&state, &auth, key).await?;
    let principals = state.store.service_principals(tenant.id).await?;
    let value: Vec<Value> = principals.iter().filter(|sp| is_managed_identity(sp)).map(shape).collect();
    Ok(Json(json!({ "value": value })))
}

/// `GET /admin/v1/tenants/{tenant}/managedIdentities/{id}`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: crate::auth::Authed,
    GraphPath((key, id)): GraphPath<(String, String)>,
) -> Result<Json<Value>, GraphError> {
    let (_, tenant) = tenant_admin(&state, &auth, key).await?;
    Ok(Json(shape(&find(&state, tenant.id, &id).await?)))
}

/// `POST /admin/v1/tenants/{tenant}/managedIdentities` with `{"displayName"}`: 201 and the new
/// identity. Names need not be unique (Azure's are unique per resource group, which custos has
/// not); the CLI refuses to resolve an ambiguous name.
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: crate::auth::Authed,
    GraphPath(key): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let (caller, tenant) = tenant_admin(&state, &auth, key).await?;
    let mut body = body?.required()?.only(&["displayName"])?;
    let name: String =
        body.take("displayName", RESOURCE)?.ok_or_else(|| invalid_value("displayName", RESOURCE))?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(invalid_value("displayName", RESOURCE));
    }
    let now = state.clock.now();
    let app = Application::new(tenant.id, AppId::new_random(), name.clone(), now);
    let sp = ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: tenant.id,
        app_id: app.app_id,
        display_name: name,
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::ManagedIdentity,
        properties: Default::default(),
        created: now,
    };
    let context = audit::context(&state, &caller).await;
    let identity =
        |record: DirectoryAudit| [record.with_detail(SERVICE_PRINCIPAL_TYPE_DETAIL, "ManagedIdentity")];
    let added = context.record(tenant.id, Activity::AddApplication, audit::application_added(&app));
    state.store.create_application(&app, &identity(added)).await.map_err(GraphError::storage)?;
    let added = context.record(tenant.id, Activity::AddServicePrincipal, audit::service_principal_added(&sp));
    if let Err(e) = state.store.create_service_principal(&sp, &identity(added)).await {
        let undone = context.record(tenant.id, Activity::DeleteApplication, audit::application(&app));
        if let Err(cleanup) = state.store.delete_application(tenant.id, app.id, &identity(undone)).await {
            tracing::error!(tenant = %tenant.id, error = %cleanup, "cannot undo a half-created managed identity");
        }
        return Err(GraphError::storage(e));
    }
    tracing::info!(by = %caller.app_id, tenant = %tenant.id, app_id = %sp.app_id, object_id = %sp.id, "managed identity created");
    Ok((StatusCode::CREATED, Json(shape(&sp))))
}

/// `DELETE /admin/v1/tenants/{tenant}/managedIdentities/{id}`: removes the identity, its
/// credentials and every app role assignment it holds. 204.
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: crate::auth::Authed,
    GraphPath((key, id)): GraphPath<(String, String)>,
) -> Result<StatusCode, GraphError> {
    let (caller, tenant) = tenant_admin(&state, &auth, key).await?;
    let sp = find(&state, tenant.id, &id).await?;
    let context = audit::context(&state, &caller).await;
    let detail =
        |record: DirectoryAudit| record.with_detail(SERVICE_PRINCIPAL_TYPE_DETAIL, "ManagedIdentity");
    let removed =
        detail(context.record(tenant.id, Activity::RemoveServicePrincipal, audit::service_principal(&sp)));
    match state.store.application_by_app_id(tenant.id, sp.app_id).await? {
        Some(app) => {
            let deleted =
                detail(context.record(tenant.id, Activity::DeleteApplication, audit::application(&app)));
            state.store.delete_application(tenant.id, app.id, &[removed, deleted]).await
        }
        None => state.store.delete_service_principal(tenant.id, sp.id, &[removed]).await,
    }
    .map_err(|e| match e {
        StoreError::NotFound => GraphError::NotFound(id.clone()),
        other => GraphError::storage(other),
    })?;
    tracing::info!(by = %caller.app_id, tenant = %tenant.id, app_id = %sp.app_id, "managed identity deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /admin/v1/tenants/{tenant}/managedIdentities/{id}/credentials` with `{"key": base64
/// DER certificate, "displayName"?}`: registers the certificate (checked as Graph checks
/// `keyCredentials`: X.509, RSA ≥ 2048 bits, not expired) and returns the key credential
/// (Graph's `keyCredential` shape, without the certificate). 201.
pub(crate) async fn add_credential(
    State(state): State<DirectoryState>,
    auth: crate::auth::Authed,
    GraphPath((key, id)): GraphPath<(String, String)>,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let (caller, tenant) = tenant_admin(&state, &auth, key).await?;
    let mut body = body?.required()?.only(&["key", "displayName"])?;
    let certificate: String = body.take("key", RESOURCE)?.ok_or_else(|| invalid_value("key", RESOURCE))?;
    let display_name: Option<String> = body.take::<Option<String>>("displayName", RESOURCE)?.flatten();
    let input = KeyCredentialInput::parse(json!({
        "type": KEY_TYPE_X509,
        "usage": KEY_USAGE_VERIFY,
        "key": certificate,
        "displayName": display_name,
    }))?;
    let sp = find(&state, tenant.id, &id).await?;
    let app = state.store.application_by_app_id(tenant.id, sp.app_id).await?.ok_or_else(|| {
        tracing::warn!(tenant = %tenant.id, app_id = %sp.app_id, "managed identity without its application");
        GraphError::NotFound(id.clone())
    })?;
    let credential = input.build(state.clock.now())?;
    let record = audit::credentials(&state, &caller, &app, Activity::UpdateApplicationCredentials)
        .await
        .with_detail(SERVICE_PRINCIPAL_TYPE_DETAIL, "ManagedIdentity");
    state
        .store
        .modify_application(tenant.id, app.id, ApplicationChange::AddKey(credential.clone()), &[record])
        .await
        .map_err(|e| match e {
            StoreError::NotFound => GraphError::NotFound(id.clone()),
            StoreError::Refused(refused) => key_credentials::refusal(&refused),
            other => GraphError::storage(other),
        })?;
    tracing::info!(by = %caller.app_id, tenant = %tenant.id, app_id = %sp.app_id, key_id = %credential.key_id, "managed identity credential added");
    Ok((StatusCode::CREATED, Json(shapes::key_credential(&credential, false))))
}
