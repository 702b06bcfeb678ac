//! `POST /v1.0/directoryObjects/getByIds` (`graph-fidelity.md` §6): the directory objects with
//! the given ids — applications, service principals and users of the caller's tenant — each
//! with its `@odata.type`, in the order asked, optionally only of the given `types` (compared
//! without regard to case; types custos does not hold, such as `group`, match nothing). Unknown
//! ids are left out. Users appear only to callers that may read users, applications and service
//! principals only to callers that may read applications.

use crate::DirectoryState;
use crate::auth::{Authed, Permission};
use crate::body::{JsonBody, invalid_value};
use crate::error::GraphError;
use crate::resolve;
use crate::shapes;
use crate::user_shapes;
use axum::Json;
use axum::extract::State;
use custos_core::ObjectId;
use serde_json::{Value, json};
use std::collections::HashMap;

const RESOURCE: &str = "DirectoryObject";
/// Most ids one request may name.
const MAX_IDS: usize = 1000;

/// An object with its `@odata.type`.
fn typed(kind: &str, mut item: Value) -> Value {
    if let Value::Object(map) = &mut item {
        map.insert("@odata.type".to_owned(), json!(format!("#microsoft.graph.{kind}")));
    }
    item
}

/// `POST /v1.0/directoryObjects/getByIds`
pub(crate) async fn get_by_ids(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<Json<Value>, GraphError> {
    let reads_apps = auth.require(Permission::ReadApplications).is_ok();
    let reads_users = auth.require(Permission::ReadUsers).is_ok();
    let caller = match auth.require(Permission::ReadApplications) {
        Ok(caller) => caller,
        Err(_) => auth.require(Permission::ReadUsers)?,
    };
    let mut body = body?.required()?.only(&["ids", "types"])?;
    let ids: Vec<String> = body.take("ids", RESOURCE)?.ok_or_else(|| invalid_value("ids", RESOURCE))?;
    if ids.len() > MAX_IDS {
        return Err(invalid_value("ids", RESOURCE));
    }
    let ids: Vec<ObjectId> = ids.iter().map(|id| resolve::object_id(id)).collect::<Result<_, _>>()?;
    let types: Option<Vec<String>> = body.take::<Option<Vec<String>>>("types", RESOURCE)?.flatten();
    let wants = |kind: &str| {
        types.as_ref().is_none_or(|t| t.is_empty() || t.iter().any(|t| t.eq_ignore_ascii_case(kind)))
    };

    let tenant = caller.tenant_id;
    let store = state.store.as_ref();
    let mut found: HashMap<ObjectId, Value> = HashMap::new();
    if reads_apps && (wants("application") || wants("servicePrincipal")) {
        let domain = resolve::tenant(store, tenant).await?.domain;
        let apps = resolve::listed_applications(store, tenant).await?;
        let by_app_id: HashMap<_, _> =
            store.applications(tenant).await?.into_iter().map(|a| (a.app_id, a)).collect();
        if wants("application") {
            for app in &apps {
                found.insert(app.id, typed("application", shapes::application(app, &domain, false)));
            }
        }
        if wants("servicePrincipal") {
            for sp in store.service_principals(tenant).await? {
                let item = shapes::service_principal(&sp, by_app_id.get(&sp.app_id));
                found.insert(sp.id, typed("servicePrincipal", item));
            }
        }
    }
    if reads_users && wants("user") {
        for user in store.users(tenant).await? {
            found.insert(user.id, typed("user", user_shapes::user_defaults(user_shapes::user(&user))));
        }
    }
    let value: Vec<Value> = ids.iter().filter_map(|id| found.remove(id)).collect();
    Ok(Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#directoryObjects", state.origins.graph()),
        "value": value,
    })))
}
