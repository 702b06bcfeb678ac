//! Owners of applications and service principals (`graph-fidelity.md` §6): `GET …/owners` (a
//! `directoryObject` collection of users and service principals, each with its `@odata.type`),
//! `POST …/owners/$ref` with `{"@odata.id": "{graph}/v1.0/directoryObjects/{id}"}` (the origin
//! may be custos' public URL or `https://graph.microsoft.com`, as az builds it from its own Graph
//! endpoint), `DELETE …/owners/{id}/$ref`, and `$expand=owners` on applications and service
//! principals. Addressed by object id or `(appId='…')`.

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::odata::{Collection, ListQuery, Pager, project};
use crate::privileged::{self, Target};
use crate::resolve::{self, AlternateKey};
use crate::shapes::{self, DIRECTORY_OBJECT};
use crate::user_shapes;
use axum::Json;
use axum::extract::{RawQuery, State};
use custos_core::ObjectId;
use custos_core::audit::Activity;
use custos_core::ids::GRAPH_IDENTIFIER_URI;
use custos_core::model::{Application, ServicePrincipal};
use custos_store::StoreError;
use http::StatusCode;
use serde_json::{Value, json};

/// Most owners an expanded `owners` shows (Graph truncates expanded collections).
const MAX_EXPANDED: usize = 20;

/// The object whose owners a URL names.
enum Owned {
    Application(Box<Application>),
    ServicePrincipal(Box<ServicePrincipal>),
}

impl Owned {
    fn id(&self) -> ObjectId {
        match self {
            Self::Application(app) => app.id,
            Self::ServicePrincipal(sp) => sp.id,
        }
    }

    fn set(&self) -> &'static str {
        match self {
            Self::Application(_) => "applications",
            Self::ServicePrincipal(_) => "servicePrincipals",
        }
    }
}

/// Which collection the URL's first segment is.
#[derive(Clone, Copy)]
enum Set {
    Applications,
    ServicePrincipals,
    /// `applications(appId='…')` or `servicePrincipals(appId='…')`.
    Keyed,
}

async fn owned(state: &DirectoryState, caller: &Caller, set: Set, raw: &str) -> Result<Owned, GraphError> {
    let store = state.store.as_ref();
    let tenant = caller.tenant_id;
    Ok(match set {
        Set::Applications => Owned::Application(Box::new(resolve::application(store, tenant, raw).await?)),
        Set::ServicePrincipals => {
            Owned::ServicePrincipal(Box::new(resolve::service_principal(store, tenant, raw).await?))
        }
        Set::Keyed => match AlternateKey::parse(raw)? {
            AlternateKey::Application(app_id) => {
                Owned::Application(Box::new(resolve::application_by_app_id(store, tenant, app_id).await?))
            }
            AlternateKey::ServicePrincipal(app_id) => Owned::ServicePrincipal(Box::new(
                resolve::service_principal_by_app_id(store, tenant, app_id).await?,
            )),
        },
    })
}

fn typed(kind: &str, mut item: Value) -> Value {
    if let Value::Object(map) = &mut item {
        map.insert("@odata.type".to_owned(), json!(format!("#microsoft.graph.{kind}")));
    }
    item
}

/// The rendered owners of `object` (users and service principals still in the tenant).
pub(crate) async fn rendered(
    state: &DirectoryState,
    caller: &Caller,
    object: ObjectId,
) -> Result<Vec<Value>, GraphError> {
    let store = state.store.as_ref();
    let tenant = caller.tenant_id;
    let mut out = Vec::new();
    for id in store.owners(tenant, object).await? {
        if let Some(user) = store.user(tenant, id).await? {
            out.push(typed("user", user_shapes::user_defaults(user_shapes::user(&user))));
        } else if let Some(sp) = store.service_principal(tenant, id).await? {
            let app = resolve::application_of(store, &sp).await?;
            out.push(typed("servicePrincipal", shapes::service_principal(&sp, app.as_ref())));
        }
    }
    Ok(out)
}

/// One page of `entity_set` (applications or service principals) with `owners` expanded when
/// the query asks for them.
pub(crate) async fn page(
    state: &DirectoryState,
    caller: &Caller,
    entity_set: &str,
    query: &crate::odata::ListQuery,
    items: Vec<Value>,
) -> Result<axum::Json<Value>, GraphError> {
    let mut page = state.list_page(caller.tenant_id, entity_set, query, items)?;
    if let (Some(expand), Some(Value::Array(values))) = (query.expand(), page.0.get_mut("value")) {
        self::expand(state, caller, values, expand.select.as_deref()).await?;
    }
    Ok(page)
}

/// Adds `owners` to rendered objects for `$expand=owners` (each with its `id`), projected to the
/// nested `$select` when given.
pub(crate) async fn expand(
    state: &DirectoryState,
    caller: &Caller,
    items: &mut [Value],
    select: Option<&[String]>,
) -> Result<(), GraphError> {
    for item in items {
        let Some(id) = item.get("id").and_then(Value::as_str).and_then(|id| id.parse::<ObjectId>().ok())
        else {
            continue;
        };
        let owners: Vec<Value> = rendered(state, caller, id)
            .await?
            .into_iter()
            .take(MAX_EXPANDED)
            .map(|o| {
                let kind = o.get("@odata.type").cloned();
                let mut o = project(o, select);
                if let (Value::Object(map), Some(kind)) = (&mut o, kind) {
                    map.insert("@odata.type".to_owned(), kind);
                }
                o
            })
            .collect();
        if let Value::Object(map) = item {
            map.insert("owners".to_owned(), Value::Array(owners));
        }
    }
    Ok(())
}

async fn list(
    state: DirectoryState,
    auth: Authed,
    set: Set,
    raw: String,
    query: Option<String>,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let object = owned(&state, caller, set, &raw).await?;
    let query = ListQuery::parse(query.as_deref(), &DIRECTORY_OBJECT)?;
    let items = rendered(&state, caller, object.id()).await?;
    let path = format!("{}/{}/owners", object.set(), object.id());
    let collection = Collection { path, context: "directoryObjects".to_owned() };
    let pager = Pager::new(&state.paging_key, caller.tenant_id, state.origins.graph());
    Ok(Json(pager.page(&collection, &query, items)?))
}

/// The object id an `@odata.id` names: `{origin}/v1.0/directoryObjects/{id}` (also `users/` or
/// `servicePrincipals/`, and `beta`), the origin custos' public URL or Graph's.
fn referenced(state: &DirectoryState, reference: &str) -> Result<ObjectId, GraphError> {
    let bad = || invalid_value("@odata.id", "DirectoryObject");
    let path = [state.origins.graph(), GRAPH_IDENTIFIER_URI]
        .iter()
        .find_map(|origin| reference.strip_prefix(origin))
        .ok_or_else(bad)?;
    let path = path.strip_prefix("/v1.0/").or_else(|| path.strip_prefix("/beta/")).ok_or_else(bad)?;
    let (set, id) = path.split_once('/').ok_or_else(bad)?;
    if !["directoryObjects", "users", "servicePrincipals"].contains(&set) {
        return Err(bad());
    }
    resolve::object_id(id)
}

fn activity(object: &Owned, added: bool) -> (Activity, custos_core::audit::AuditTarget) {
    match (object, added) {
        (Owned::Application(app), true) => (Activity::AddOwnerToApplication, audit::application(app)),
        (Owned::Application(app), false) => (Activity::RemoveOwnerFromApplication, audit::application(app)),
        (Owned::ServicePrincipal(sp), true) => {
            (Activity::AddOwnerToServicePrincipal, audit::service_principal(sp))
        }
        (Owned::ServicePrincipal(sp), false) => {
            (Activity::RemoveOwnerFromServicePrincipal, audit::service_principal(sp))
        }
    }
}

async fn may_change(state: &DirectoryState, caller: &Caller, object: &Owned) -> Result<(), GraphError> {
    match object {
        Owned::Application(app) => {
            privileged::ensure_may_change(state, caller, Target::Application(app)).await
        }
        Owned::ServicePrincipal(sp) => {
            if shapes::is_read_only(sp) {
                return Err(GraphError::BadRequest(format!(
                    "The service principal '{}' is a managed identity; it cannot be changed through this API.",
                    sp.id
                )));
            }
            privileged::ensure_may_change(state, caller, Target::Principal(sp.id)).await
        }
    }
}

async fn add(
    state: DirectoryState,
    auth: Authed,
    set: Set,
    raw: String,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let object = owned(&state, caller, set, &raw).await?;
    let mut body = body?.required()?;
    let reference: String = body
        .take("@odata.id", "DirectoryObject")?
        .ok_or_else(|| invalid_value("@odata.id", "DirectoryObject"))?;
    body.only(&[])?;
    let owner = referenced(&state, &reference)?;
    let store = state.store.as_ref();
    let exists = store.user(caller.tenant_id, owner).await?.is_some()
        || store.service_principal(caller.tenant_id, owner).await?.is_some();
    if !exists {
        return Err(GraphError::NotFound(owner.to_string()));
    }
    may_change(&state, caller, &object).await?;
    let (activity, target) = activity(&object, true);
    let record = audit::context(&state, caller).await.record(caller.tenant_id, activity, target);
    store.add_owner(caller.tenant_id, object.id(), owner, state.clock.now(), &[record]).await.map_err(|e| match e {
        StoreError::Conflict(_) => GraphError::BadRequest(
            "One or more added object references already exist for the following modified properties: 'owners'.".to_owned(),
        ),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %caller.tenant_id, object = %object.id(), owner = %owner, "owner added");
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(
    state: DirectoryState,
    auth: Authed,
    set: Set,
    raw: String,
    owner: String,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteApplications)?;
    let object = owned(&state, caller, set, &raw).await?;
    let owner = resolve::object_id(&owner)?;
    may_change(&state, caller, &object).await?;
    let (activity, target) = activity(&object, false);
    let record = audit::context(&state, caller).await.record(caller.tenant_id, activity, target);
    state.store.remove_owner(caller.tenant_id, object.id(), owner, &[record]).await.map_err(|e| match e {
        StoreError::NotFound => GraphError::BadRequest(
            "One or more removed object references do not exist for the following modified properties: 'owners'.".to_owned(),
        ),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %caller.tenant_id, object = %object.id(), owner = %owner, "owner removed");
    Ok(StatusCode::NO_CONTENT)
}

macro_rules! routes {
    ($set:ident, $list:ident, $add:ident, $remove:ident, $path:literal) => {
        #[doc = concat!("`GET /v1.0/", $path, "/owners`")]
        pub(crate) async fn $list(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath(raw): GraphPath<String>,
            RawQuery(query): RawQuery,
        ) -> Result<Json<Value>, GraphError> {
            list(state, auth, Set::$set, raw, query).await
        }

        #[doc = concat!("`POST /v1.0/", $path, "/owners/$ref`")]
        pub(crate) async fn $add(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath(raw): GraphPath<String>,
            body: Result<JsonBody, GraphError>,
        ) -> Result<StatusCode, GraphError> {
            add(state, auth, Set::$set, raw, body).await
        }

        #[doc = concat!("`DELETE /v1.0/", $path, "/owners/{ownerId}/$ref`")]
        pub(crate) async fn $remove(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath((raw, owner)): GraphPath<(String, String)>,
        ) -> Result<StatusCode, GraphError> {
            remove(state, auth, Set::$set, raw, owner).await
        }
    };
}

routes!(Applications, list_of_application, add_to_application, remove_from_application, "applications/{id}");
routes!(
    ServicePrincipals,
    list_of_service_principal,
    add_to_service_principal,
    remove_from_service_principal,
    "servicePrincipals/{id}"
);
routes!(Keyed, list_keyed, add_keyed, remove_keyed, "{set}(appId='…')");
