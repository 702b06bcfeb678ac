//! Certificate actions on applications: `addKey` (registers one more certificate) and
//! `removeKey`, both authorised by a proof-of-possession JWT signed with a certificate the
//! application already holds ([`crate::proof`]). The first certificate of an application is
//! registered with a PATCH of `keyCredentials` ([`crate::key_credentials`]).

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::key_credentials::{self, KeyCredentialInput};
use crate::privileged::{self, Target};
use crate::resolve;
use crate::{proof, shapes};
use axum::Json;
use axum::extract::State;
use custos_core::audit::Activity;
use custos_core::model::Application;
use custos_store::{ApplicationChange, StoreError};
use http::StatusCode;
use serde_json::Value;
use uuid::Uuid;

const RESOURCE: &str = "KeyCredential";

fn store_error(err: StoreError, app: &Application) -> GraphError {
    match err {
        StoreError::NotFound => GraphError::NotFound(app.id.to_string()),
        StoreError::Refused(refused) => key_credentials::refusal(&refused),
        other => GraphError::storage(other),
    }
}

/// Adds the certificate of `{"keyCredential","passwordCredential":null,"proof"}` to `app` and
/// returns the new key credential (without its certificate, as Graph does).
pub(crate) async fn add_to(
    state: &DirectoryState,
    caller: &Caller,
    app: Application,
    body: JsonBody,
) -> Result<Json<Value>, GraphError> {
    privileged::ensure_may_change(state, caller, Target::Application(&app)).await?;
    let mut body = body.required()?.only(&["keyCredential", "passwordCredential", "proof"])?;
    if body.take::<Option<Value>>("passwordCredential", RESOURCE)?.flatten().is_some() {
        return Err(GraphError::BadRequest(
            "Property 'passwordCredential' must be null: only AsymmetricX509Cert keys with usage Verify are supported."
                .to_owned(),
        ));
    }
    let input = body
        .take::<Option<Value>>("keyCredential", RESOURCE)?
        .flatten()
        .ok_or_else(|| invalid_value("keyCredential", "Application"))
        .and_then(KeyCredentialInput::parse)?;
    let proof: Option<String> = body.take::<Option<String>>("proof", RESOURCE)?.flatten();
    let now = state.clock.now();
    proof::verify(proof.as_deref(), &app, now)?;
    let credential = input.build(now)?;
    // The store refuses a keyId or certificate the application holds, and the 51st certificate,
    // on the row as stored.
    let record = audit::credentials(state, caller, &app, Activity::UpdateApplicationCredentials).await;
    state
        .store
        .modify_application(app.tenant_id, app.id, ApplicationChange::AddKey(credential.clone()), &[record])
        .await
        .map_err(|e| store_error(e, &app))?;
    tracing::info!(tenant = %app.tenant_id, app_id = %app.app_id, key_id = %credential.key_id, "certificate added");
    let mut body = shapes::key_credential(&credential, false);
    body["@odata.context"] =
        Value::String(format!("{}/v1.0/$metadata#microsoft.graph.keyCredential", state.origins.graph()));
    Ok(Json(body))
}

/// Removes the certificate `{"keyId","proof"}` names from `app`.
pub(crate) async fn remove_from(
    state: &DirectoryState,
    caller: &Caller,
    app: Application,
    body: JsonBody,
) -> Result<StatusCode, GraphError> {
    privileged::ensure_may_change(state, caller, Target::Application(&app)).await?;
    let mut body = body.required()?.only(&["keyId", "proof"])?;
    let key_id: Uuid = body.take("keyId", RESOURCE)?.ok_or_else(|| invalid_value("keyId", RESOURCE))?;
    let proof: Option<String> = body.take::<Option<String>>("proof", RESOURCE)?.flatten();
    proof::verify(proof.as_deref(), &app, state.clock.now())?;
    let record = audit::credentials(state, caller, &app, Activity::UpdateApplicationCredentials).await;
    state
        .store
        .modify_application(app.tenant_id, app.id, ApplicationChange::RemoveKey(key_id), &[record])
        .await
        .map_err(|e| store_error(e, &app))?;
    tracing::info!(tenant = %app.tenant_id, app_id = %app.app_id, %key_id, "certificate removed");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1.0/applications/{id}/addKey`
pub(crate) async fn add(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let app = resolve::application(state.store.as_ref(), caller.tenant_id, &id).await?;
    add_to(&state, caller, app, body?).await
}

/// `POST /v1.0/applications/{id}/removeKey`
pub(crate) async fn remove(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let app = resolve::application(state.store.as_ref(), caller.tenant_id, &id).await?;
    remove_from(&state, caller, app, body?).await
}
