//! Client secrets: `addPassword` (generates a secret, stores only its keyed hash, shows the
//! secret once) and `removePassword`.

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, JsonObject, invalid_value};
use crate::error::GraphError;
use crate::no_store::NoStore;
use crate::privileged::{self, Target};
use crate::resolve;
use crate::shapes;
use axum::Json;
use axum::extract::State;
use custos_core::audit::Activity;
use custos_core::model::{Application, PasswordCredential};
use custos_jose::secret::generate_client_secret;
use custos_store::{ApplicationChange, ChangeRefused, MAX_PASSWORD_CREDENTIALS, StoreError};
use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

const RESOURCE: &str = "PasswordCredential";
/// Default lifetime of a secret: two years, as Graph's.
const DEFAULT_LIFETIME: time::Duration = time::Duration::days(2 * 365);
/// Longest secret display name.
const MAX_DISPLAY_NAME: usize = 256;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PasswordInput {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    start_date_time: Option<OffsetDateTime>,
    #[serde(default, with = "time::serde::rfc3339::option")]
    end_date_time: Option<OffsetDateTime>,
}

fn read_input(body: Option<JsonObject>) -> Result<Option<PasswordInput>, GraphError> {
    let Some(body) = body else { return Ok(None) };
    let mut body = body.only(&["passwordCredential"])?;
    Ok(body.take::<Option<PasswordInput>>("passwordCredential", RESOURCE)?.flatten())
}

fn store_error(err: StoreError, app: &Application) -> GraphError {
    match err {
        StoreError::NotFound => GraphError::NotFound(app.id.to_string()),
        StoreError::Refused(ChangeRefused::TooMany { limit }) => {
            GraphError::BadRequest(format!("An application can hold at most {limit} password credentials."))
        }
        StoreError::Refused(ChangeRefused::UnknownKeyId(key_id)) => GraphError::BadRequest(format!(
            "No password credential with keyId '{key_id}' exists on the application."
        )),
        other => GraphError::storage(other),
    }
}

/// Adds a generated secret to `app` and returns it (the only time it is shown). The store adds
/// it to the row as stored, enforcing the limit of [`MAX_PASSWORD_CREDENTIALS`] there.
pub(crate) async fn add_to(
    state: &DirectoryState,
    caller: &Caller,
    app: Application,
    body: Option<JsonObject>,
) -> Result<NoStore<Json<Value>>, GraphError> {
    privileged::ensure_may_change(state, caller, Target::Application(&app)).await?;
    let input = read_input(body)?;
    let (display_name, start, end) = match input {
        Some(i) => (i.display_name, i.start_date_time, i.end_date_time),
        None => (None, None, None),
    };
    if display_name.as_ref().is_some_and(|n| n.chars().count() > MAX_DISPLAY_NAME) {
        return Err(invalid_value("displayName", RESOURCE));
    }
    let start = start.unwrap_or_else(|| state.clock.now());
    let end = match end {
        Some(end) => end,
        None => {
            start.checked_add(DEFAULT_LIFETIME).ok_or_else(|| invalid_value("startDateTime", RESOURCE))?
        }
    };
    if end <= start {
        return Err(invalid_value("endDateTime", RESOURCE));
    }
    // Refused early when the read already shows the limit reached; the store checks again.
    if app.password_credentials.len() >= MAX_PASSWORD_CREDENTIALS {
        return Err(store_error(
            StoreError::Refused(ChangeRefused::TooMany { limit: MAX_PASSWORD_CREDENTIALS }),
            &app,
        ));
    }
    let secret = generate_client_secret();
    let credential = PasswordCredential {
        key_id: Uuid::new_v4(),
        display_name,
        hint: secret.chars().take(3).collect(),
        start,
        end,
        secret_hash: state.hasher.hash(&secret).into(),
    };
    let mut body = shapes::password_credential(&credential, Some(&secret));
    let record = audit::credentials(state, caller, &app, Activity::UpdateApplicationCredentials).await;
    state
        .store
        .modify_application(app.tenant_id, app.id, ApplicationChange::AddPassword(credential), &[record])
        .await
        .map_err(|e| store_error(e, &app))?;
    tracing::info!(tenant = %app.tenant_id, app_id = %app.app_id, "client secret added");
    body["@odata.context"] =
        Value::String(format!("{}/v1.0/$metadata#microsoft.graph.passwordCredential", state.origins.graph()));
    Ok(NoStore(Json(body)))
}

/// Removes the secret `{"keyId"}` names from `app`, atomically against the row as stored.
pub(crate) async fn remove_from(
    state: &DirectoryState,
    caller: &Caller,
    app: Application,
    body: JsonBody,
) -> Result<StatusCode, GraphError> {
    privileged::ensure_may_change(state, caller, Target::Application(&app)).await?;
    let mut body = body.required()?.only(&["keyId"])?;
    let key_id: Uuid = body.take("keyId", RESOURCE)?.ok_or_else(|| invalid_value("keyId", RESOURCE))?;
    let record = audit::credentials(state, caller, &app, Activity::UpdateApplicationCredentials).await;
    state
        .store
        .modify_application(app.tenant_id, app.id, ApplicationChange::RemovePassword(key_id), &[record])
        .await
        .map_err(|e| store_error(e, &app))?;
    tracing::info!(tenant = %app.tenant_id, app_id = %app.app_id, %key_id, "client secret removed");
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1.0/applications/{id}/addPassword`
pub(crate) async fn add(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<NoStore<Json<Value>>, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let app = resolve::application(state.store.as_ref(), caller.tenant_id, &id).await?;
    add_to(&state, caller, app, body?.0).await
}

/// `POST /v1.0/applications/{id}/removePassword`
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
