//! Alternate-key addressing: `applications(appId='...')` and `servicePrincipals(appId='...')`,
//! for GET, PATCH, DELETE and the password and key actions. Any other top-level segment is Graph's
//! 400 "Resource not found for the segment".

use crate::DirectoryState;
use crate::auth::{Authed, Permission};
use crate::body::{GraphPath, JsonBody};
use crate::error::GraphError;
use crate::no_store::NoStore;
use crate::resolve::{self, AlternateKey};
use crate::{applications, certificates, passwords, service_principals};
use axum::Json;
use axum::extract::{RawQuery, State};
use http::StatusCode;
use serde_json::Value;

/// `GET /v1.0/{set}(appId='...')`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(segment): GraphPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let key = AlternateKey::parse(&segment)?;
    let caller = auth.require(Permission::ReadApplications)?;
    let store = state.store.as_ref();
    match key {
        AlternateKey::Application(app_id) => {
            let app = resolve::application_by_app_id(store, caller.tenant_id, app_id).await?;
            applications::show(&state, caller, &app, query.as_deref()).await
        }
        AlternateKey::ServicePrincipal(app_id) => {
            let sp = resolve::service_principal_by_app_id(store, caller.tenant_id, app_id).await?;
            service_principals::show(&state, caller, &sp, query.as_deref()).await
        }
    }
}

/// `PATCH /v1.0/{set}(appId='...')`
pub(crate) async fn patch(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(segment): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let key = AlternateKey::parse(&segment)?;
    let caller = auth.require(Permission::WriteApplications)?;
    let store = state.store.as_ref();
    match key {
        AlternateKey::Application(app_id) => {
            let app = resolve::application_by_app_id(store, caller.tenant_id, app_id).await?;
            applications::update(&state, caller, app, body?).await
        }
        AlternateKey::ServicePrincipal(app_id) => {
            let sp = resolve::service_principal_by_app_id(store, caller.tenant_id, app_id).await?;
            service_principals::update(&state, caller, sp, body?).await
        }
    }
}

/// `DELETE /v1.0/{set}(appId='...')`
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(segment): GraphPath<String>,
) -> Result<StatusCode, GraphError> {
    let key = AlternateKey::parse(&segment)?;
    let caller = auth.require(Permission::WriteApplications)?;
    let store = state.store.as_ref();
    match key {
        AlternateKey::Application(app_id) => {
            let app = resolve::application_by_app_id(store, caller.tenant_id, app_id).await?;
            applications::remove(&state, caller, &app).await
        }
        AlternateKey::ServicePrincipal(app_id) => {
            let sp = resolve::service_principal_by_app_id(store, caller.tenant_id, app_id).await?;
            service_principals::remove(&state, caller, &sp).await
        }
    }
}

/// The application an action segment names; actions exist on applications only.
fn action_target(segment: &str, action: &str) -> Result<custos_core::AppId, GraphError> {
    match AlternateKey::parse(segment)? {
        AlternateKey::Application(app_id) => Ok(app_id),
        AlternateKey::ServicePrincipal(_) => {
            Err(GraphError::Malformed(format!("Resource not found for the segment '{action}'.")))
        }
    }
}

/// `POST /v1.0/applications(appId='...')/addPassword`
pub(crate) async fn add_password(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(segment): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<NoStore<Json<Value>>, GraphError> {
    let app_id = action_target(&segment, "addPassword")?;
    let caller = auth.require(Permission::WriteApplications)?;
    let app = resolve::application_by_app_id(state.store.as_ref(), caller.tenant_id, app_id).await?;
    passwords::add_to(&state, caller, app, body?.0).await
}

/// `POST /v1.0/applications(appId='...')/removePassword`
pub(crate) async fn remove_password(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(segment): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let app_id = action_target(&segment, "removePassword")?;
    let caller = auth.require(Permission::WriteApplications)?;
    let app = resolve::application_by_app_id(state.store.as_ref(), caller.tenant_id, app_id).await?;
    passwords::remove_from(&state, caller, app, body?).await
}

/// `POST /v1.0/applications(appId='...')/addKey`
pub(crate) async fn add_key(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(segment): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<Json<Value>, GraphError> {
    let app_id = action_target(&segment, "addKey")?;
    let caller = auth.require(Permission::WriteApplications)?;
    let app = resolve::application_by_app_id(state.store.as_ref(), caller.tenant_id, app_id).await?;
    certificates::add_to(&state, caller, app, body?).await
}

/// `POST /v1.0/applications(appId='...')/removeKey`
pub(crate) async fn remove_key(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(segment): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let app_id = action_target(&segment, "removeKey")?;
    let caller = auth.require(Permission::WriteApplications)?;
    let app = resolve::application_by_app_id(state.store.as_ref(), caller.tenant_id, app_id).await?;
    certificates::remove_from(&state, caller, app, body?).await
}
