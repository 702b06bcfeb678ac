//! `/v1.0/applications`: list, get, create, update and delete application registrations.
//! The `show`/`update`/`remove` functions work on a resolved application so that both object-id
//! and `(appId='...')` addressing ([`crate::keyed`]) share them.

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
use crate::shapes::{self, APPLICATION};
use crate::validate::ApplicationInput;
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use custos_core::audit::Activity;
use custos_core::model::Application;
use custos_core::{AppId, ObjectId};
use custos_store::{ApplicationChange, Store, StoreError};
use http::StatusCode;
use serde_json::Value;

fn uri_conflict() -> GraphError {
    GraphError::BadRequest(
        "Another object with the same value for property identifierUris already exists.".to_owned(),
    )
}

/// Refuses identifier URIs another application of the tenant already uses (compared by
/// [`custos_core::scope::identifier_uri_key`]), for Graph's error text: one lookup by key per
/// URI. The store enforces the same rule atomically on write, which decides concurrent claims.
async fn ensure_unique_uris(store: &dyn Store, app: &Application, uris: &[String]) -> Result<(), GraphError> {
    for uri in uris {
        if store
            .application_by_identifier_uri(app.tenant_id, uri)
            .await?
            .is_some_and(|other| other.id != app.id)
        {
            return Err(uri_conflict());
        }
    }
    Ok(())
}

fn map_write_error(err: StoreError, id: ObjectId) -> GraphError {
    match err {
        StoreError::Conflict(_) => uri_conflict(),
        StoreError::NotFound => GraphError::NotFound(id.to_string()),
        StoreError::Refused(_) | StoreError::InvalidInput(_) | StoreError::Backend(_) => {
            GraphError::storage(err)
        }
    }
}

/// The tenant's listed applications, rendered (certificates only `with_keys`).
async fn rendered(
    state: &DirectoryState,
    caller: &Caller,
    with_keys: bool,
) -> Result<Vec<Value>, GraphError> {
    let tenant = resolve::tenant(state.store.as_ref(), caller.tenant_id).await?;
    Ok(resolve::listed_applications(state.store.as_ref(), caller.tenant_id)
        .await?
        .iter()
        .map(|a| shapes::application(a, &tenant.domain, with_keys))
        .collect())
}

/// `GET /v1.0/applications`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    eventual: Eventual,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let query = ListQuery::parse_with(query.as_deref(), &APPLICATION, eventual)?;
    let with_keys = query.selects("keyCredentials");
    let read = Read::of(&query);
    let _permit = read.permit(&state.whole_reads).await?;
    let items = match read {
        Read::Keyset => return listing::applications_page(&state, caller, &query).await,
        Read::Pinned(key, values) => {
            let store = state.store.as_ref();
            let apps = listing::pinned::applications(store, caller.tenant_id, key, &values).await?;
            let tenant = resolve::tenant(store, caller.tenant_id).await?;
            apps.iter().map(|a| shapes::application(a, &tenant.domain, with_keys)).collect()
        }
        Read::Whole => rendered(&state, caller, with_keys).await?,
    };
    owners::page(&state, caller, "applications", &query, items).await
}

/// `GET /v1.0/applications/$count`
pub(crate) async fn count(
    State(state): State<DirectoryState>,
    auth: Authed,
    eventual: Eventual,
    RawQuery(query): RawQuery,
) -> Result<Response, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let _permit = state.whole_reads.admit().await?;
    let items = rendered(&state, caller, false).await?;
    count_response(query.as_deref(), &APPLICATION, eventual, &items)
}

/// `POST /v1.0/applications`
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let input = ApplicationInput::parse(body?.required()?)?;
    let display_name =
        input.display_name().ok_or_else(|| invalid_value("displayName", "Application"))?.to_owned();
    let mut app = Application::new(caller.tenant_id, AppId::new_random(), display_name, state.clock.now());
    if let Some(uris) = input.identifier_uris() {
        ensure_unique_uris(state.store.as_ref(), &app, uris).await?;
    }
    input.apply(&mut app, state.clock.now())?;
    let tenant = resolve::tenant(state.store.as_ref(), caller.tenant_id).await?;
    let record = audit::context(&state, caller).await.record(
        app.tenant_id,
        Activity::AddApplication,
        audit::application_added(&app),
    );
    state.store.create_application(&app, &[record]).await.map_err(|e| map_write_error(e, app.id))?;
    tracing::info!(tenant = %app.tenant_id, app_id = %app.app_id, "application created");
    let body = entity_response(
        state.origins.graph(),
        "applications",
        shapes::application(&app, &tenant.domain, false),
        None,
    );
    Ok((StatusCode::CREATED, Json(body)))
}

/// An application's GET response.
pub(crate) async fn show(
    state: &DirectoryState,
    caller: &Caller,
    app: &Application,
    query: Option<&str>,
) -> Result<Json<Value>, GraphError> {
    let (select, expand) = entity_options(query, &APPLICATION)?;
    let tenant = resolve::tenant(state.store.as_ref(), app.tenant_id).await?;
    let with_keys = select.as_ref().is_some_and(|s| s.iter().any(|p| p == "keyCredentials"));
    let item = shapes::application(app, &tenant.domain, with_keys);
    let mut body = entity_response(state.origins.graph(), "applications", item, select.as_deref());
    if let Some(expand) = expand {
        body["id"] = serde_json::json!(app.id);
        owners::expand(state, caller, std::slice::from_mut(&mut body), expand.select.as_deref()).await?;
    }
    Ok(Json(body))
}

/// Applies a PATCH body to an application. Everything is checked before anything is written;
/// `keyCredentials` are then written atomically against the stored row (so a concurrent
/// `addKey`/`removeKey` is neither lost nor undone), the other properties after them.
pub(crate) async fn update(
    state: &DirectoryState,
    caller: &Caller,
    mut app: Application,
    body: JsonBody,
) -> Result<StatusCode, GraphError> {
    privileged::ensure_may_change(state, caller, Target::Application(&app)).await?;
    let input = ApplicationInput::parse(body.required()?)?;
    if let Some(uris) = input.identifier_uris() {
        ensure_unique_uris(state.store.as_ref(), &app, uris).await?;
    }
    let sets_fields = input.sets_fields();
    let before = app.clone();
    let context = audit::context(state, caller).await;
    if let Some(keys) = input.apply(&mut app, state.clock.now())? {
        let change = ApplicationChange::ReplaceKeys(keys.entries.clone());
        let record =
            context.record(app.tenant_id, Activity::UpdateApplicationCredentials, audit::application(&app));
        state.store.modify_application(app.tenant_id, app.id, change, &[record]).await.map_err(
            |e| match e {
                StoreError::Refused(refused) => keys.refusal(&refused),
                other => map_write_error(other, app.id),
            },
        )?;
    }
    if sets_fields {
        let record = context.record(
            app.tenant_id,
            Activity::UpdateApplication,
            audit::application_updated(&before, &app),
        );
        state.store.update_application(&app, &[record]).await.map_err(|e| map_write_error(e, app.id))?;
    }
    tracing::info!(tenant = %app.tenant_id, app_id = %app.app_id, "application updated");
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes an application (its service principal and assignments go with it).
pub(crate) async fn remove(
    state: &DirectoryState,
    caller: &Caller,
    app: &Application,
) -> Result<StatusCode, GraphError> {
    privileged::ensure_may_remove(state, caller, Target::Application(app)).await?;
    let context = audit::context(state, caller).await;
    let mut records =
        vec![context.record(app.tenant_id, Activity::DeleteApplication, audit::application(app))];
    // Its service principal goes with it, with a record of its own (what `delta()` reads).
    if let Some(sp) = state.store.service_principal_by_app_id(app.tenant_id, app.app_id).await? {
        records.push(context.record(
            app.tenant_id,
            Activity::RemoveServicePrincipal,
            audit::service_principal(&sp),
        ));
    }
    state
        .store
        .delete_application(app.tenant_id, app.id, &records)
        .await
        .map_err(|e| map_write_error(e, app.id))?;
    tracing::info!(tenant = %app.tenant_id, app_id = %app.app_id, "application deleted");
    Ok(StatusCode::NO_CONTENT)
}

async fn by_id(state: &DirectoryState, caller: &Caller, id: &str) -> Result<Application, GraphError> {
    resolve::application(state.store.as_ref(), caller.tenant_id, id).await
}

/// `GET /v1.0/applications/{id}`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let app = by_id(&state, caller, &id).await?;
    show(&state, caller, &app, query.as_deref()).await
}

/// `PATCH /v1.0/applications/{id}`
pub(crate) async fn patch(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let app = by_id(&state, caller, &id).await?;
    update(&state, caller, app, body?).await
}

/// `DELETE /v1.0/applications/{id}`
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let app = by_id(&state, caller, &id).await?;
    remove(&state, caller, &app).await
}
