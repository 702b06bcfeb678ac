//! App role assignments between service principals, seen from either side:
//! `servicePrincipals/{id}/appRoleAssignedTo` (the principal is the resource) and
//! `servicePrincipals/{id}/appRoleAssignments` (the principal is the client). A grant is checked
//! before it is stored: both principals exist in the tenant, and the role exists on the
//! resource's application, is enabled and allows `Application` members (or is the default
//! access role, the nil GUID).

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::odata::{Collection, ListQuery, Pager, entity_response};
use crate::privileged;
use crate::resolve::{self, AlternateKey};
use crate::shapes::{self, APP_ROLE_ASSIGNMENT};
use axum::Json;
use axum::extract::{RawQuery, State};
use custos_core::ObjectId;
use custos_core::audit::Activity;
use custos_core::model::{AppRoleAssignment, ServicePrincipal};
use custos_store::StoreError;
use http::StatusCode;
use serde_json::Value;
use std::collections::HashMap;
use uuid::Uuid;

const RESOURCE: &str = "AppRoleAssignment";

/// Which side of the assignment the service principal in the URL is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    /// `appRoleAssignedTo`: the URL names the resource.
    Resource,
    /// `appRoleAssignments`: the URL names the client principal.
    Principal,
}

impl Side {
    fn segment(self) -> &'static str {
        match self {
            Self::Resource => "appRoleAssignedTo",
            Self::Principal => "appRoleAssignments",
        }
    }

    fn holds(self, a: &AppRoleAssignment, sp: ObjectId) -> bool {
        match self {
            Self::Resource => a.resource_id == sp,
            Self::Principal => a.principal_id == sp,
        }
    }
}

async fn names(state: &DirectoryState, caller: &Caller) -> Result<HashMap<ObjectId, String>, GraphError> {
    Ok(state
        .store
        .service_principals(caller.tenant_id)
        .await?
        .into_iter()
        .map(|sp| (sp.id, sp.display_name))
        .collect())
}

fn render(a: &AppRoleAssignment, names: &HashMap<ObjectId, String>) -> Value {
    let name = |id| names.get(&id).map_or("", String::as_str);
    shapes::assignment(a, name(a.principal_id), name(a.resource_id))
}

/// How the URL names the service principal: `servicePrincipals/{id}` or
/// `servicePrincipals(appId='...')`.
#[derive(Debug)]
enum Address {
    Id(String),
    Key(String),
}

impl Address {
    async fn resolve(&self, state: &DirectoryState, caller: &Caller) -> Result<ServicePrincipal, GraphError> {
        let store = state.store.as_ref();
        match self {
            Self::Id(id) => resolve::service_principal(store, caller.tenant_id, id).await,
            Self::Key(segment) => match AlternateKey::parse(segment)? {
                AlternateKey::ServicePrincipal(app_id) => {
                    resolve::service_principal_by_app_id(store, caller.tenant_id, app_id).await
                }
                AlternateKey::Application(_) => Err(GraphError::Malformed(format!(
                    "Resource not found for the segment '{}'.",
                    segment.split('(').next().unwrap_or(segment)
                ))),
            },
        }
    }
}

async fn list(
    state: DirectoryState,
    auth: Authed,
    address: Address,
    query: Option<String>,
    side: Side,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadAssignments)?;
    let sp = address.resolve(&state, caller).await?;
    let query = ListQuery::parse(query.as_deref(), &APP_ROLE_ASSIGNMENT)?;
    let names = names(&state, caller).await?;
    let items = state
        .store
        .assignments(caller.tenant_id)
        .await?
        .iter()
        .filter(|a| side.holds(a, sp.id))
        .map(|a| render(a, &names))
        .collect();
    let collection = Collection {
        path: format!("servicePrincipals/{}/{}", sp.id, side.segment()),
        context: format!("servicePrincipals('{}')/{}", sp.id, side.segment()),
    };
    let pager = Pager::new(&state.paging_key, caller.tenant_id, state.origins.graph());
    Ok(Json(pager.page(&collection, &query, items)?))
}

/// Checks that `role` can be granted to an application on `resource`.
async fn check_role(
    state: &DirectoryState,
    resource: &ServicePrincipal,
    role: Uuid,
) -> Result<(), GraphError> {
    if role.is_nil() {
        return Ok(());
    }
    let app = resolve::application_of(state.store.as_ref(), resource).await?;
    let grantable = app
        .as_ref()
        .and_then(|a| a.role_by_id(role))
        .is_some_and(|r| r.is_enabled && r.allowed_member_types.iter().any(|t| t == "Application"));
    if grantable {
        Ok(())
    } else {
        Err(GraphError::BadRequest(format!(
            "Permission being assigned was not found on application '{}'.",
            resource.app_id
        )))
    }
}

async fn create(
    state: DirectoryState,
    auth: Authed,
    address: Address,
    body: Result<JsonBody, GraphError>,
    side: Side,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let caller = auth.require(Permission::WriteAssignments)?;
    let url_sp = address.resolve(&state, caller).await?;
    let url_sp_id = url_sp.id;
    let mut body = body?.required()?.only(&["principalId", "resourceId", "appRoleId"])?;
    let principal_id: ObjectId =
        body.take("principalId", RESOURCE)?.ok_or_else(|| invalid_value("principalId", RESOURCE))?;
    let resource_id: ObjectId =
        body.take("resourceId", RESOURCE)?.ok_or_else(|| invalid_value("resourceId", RESOURCE))?;
    let app_role_id: Uuid =
        body.take("appRoleId", RESOURCE)?.ok_or_else(|| invalid_value("appRoleId", RESOURCE))?;
    let (named, other) = match side {
        Side::Resource => (resource_id, principal_id),
        Side::Principal => (principal_id, resource_id),
    };
    if named != url_sp.id {
        let property = if side == Side::Resource { "resourceId" } else { "principalId" };
        return Err(GraphError::BadRequest(format!(
            "The {property} in the request body must be the service principal in the request URL."
        )));
    }
    let other =
        resolve::service_principal(state.store.as_ref(), caller.tenant_id, &other.to_string()).await?;
    let (principal, resource) = match side {
        Side::Resource => (other, url_sp),
        Side::Principal => (url_sp, other),
    };
    check_role(&state, &resource, app_role_id).await?;
    privileged::ensure_may_grant(&state, caller, principal.id, resource.id, app_role_id).await?;
    // A signed-in Cloud or Application Administrator may grant any API's application
    // permissions except the directory API's own (`entra-user-flows.md` §2.2).
    if caller.scopes.is_some()
        && resource.app_id == custos_core::ids::GRAPH_APP_ID
        && !custos_core::users::may_grant_admin_consent(auth.directory_roles(), true)
    {
        return Err(GraphError::Forbidden);
    }
    let assignment = AppRoleAssignment {
        id: crate::new_assignment_id(),
        tenant_id: caller.tenant_id,
        principal_id,
        resource_id,
        app_role_id,
        created: state.clock.now(),
    };
    let target = audit::assignment(state.store.as_ref(), &assignment, &principal, &resource, false).await;
    let record =
        audit::context(&state, caller).await.record(caller.tenant_id, Activity::AddAppRoleAssignment, target);
    state.store.create_assignment(&assignment, &[record]).await.map_err(|e| match e {
        StoreError::Conflict(_) => {
            GraphError::BadRequest("Permission being assigned already exists on the object".to_owned())
        }
        StoreError::NotFound => GraphError::NotFound(principal_id.to_string()),
        other => GraphError::storage(other),
    })?;
    tracing::info!(
        tenant = %caller.tenant_id, principal = %principal.id, resource = %resource.id, role = %app_role_id,
        "app role assigned"
    );
    let item = shapes::assignment(&assignment, &principal.display_name, &resource.display_name);
    let set = format!("servicePrincipals('{url_sp_id}')/{}", side.segment());
    Ok((StatusCode::CREATED, Json(entity_response(state.origins.graph(), &set, item, None))))
}

async fn delete(
    state: DirectoryState,
    auth: Authed,
    address: Address,
    assignment_id: String,
    side: Side,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteAssignments)?;
    let sp = address.resolve(&state, caller).await?;
    let Some(found) = state
        .store
        .assignments(caller.tenant_id)
        .await?
        .into_iter()
        .find(|a| a.id == assignment_id && side.holds(a, sp.id))
    else {
        return Err(GraphError::NotFound(assignment_id));
    };
    privileged::ensure_may_revoke(&state, caller, &found).await?;
    let store = state.store.as_ref();
    let principal =
        resolve::service_principal(store, caller.tenant_id, &found.principal_id.to_string()).await?;
    let resource =
        resolve::service_principal(store, caller.tenant_id, &found.resource_id.to_string()).await?;
    let target = audit::assignment(store, &found, &principal, &resource, true).await;
    let record = audit::context(&state, caller).await.record(
        caller.tenant_id,
        Activity::RemoveAppRoleAssignment,
        target,
    );
    state.store.delete_assignment(caller.tenant_id, &assignment_id, &[record]).await.map_err(
        |e| match e {
            StoreError::NotFound => GraphError::NotFound(assignment_id.clone()),
            other => GraphError::storage(other),
        },
    )?;
    tracing::info!(tenant = %caller.tenant_id, assignment = %assignment_id, "app role assignment removed");
    Ok(StatusCode::NO_CONTENT)
}

macro_rules! handlers {
    ($address:ident, $list_to:ident, $list:ident, $create_to:ident, $create:ident, $delete_to:ident, $delete:ident, $path:literal) => {
        #[doc = concat!("`GET /v1.0/", $path, "/appRoleAssignedTo`")]
        pub(crate) async fn $list_to(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath(id): GraphPath<String>,
            RawQuery(query): RawQuery,
        ) -> Result<Json<Value>, GraphError> {
            list(state, auth, Address::$address(id), query, Side::Resource).await
        }

        #[doc = concat!("`GET /v1.0/", $path, "/appRoleAssignments`")]
        pub(crate) async fn $list(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath(id): GraphPath<String>,
            RawQuery(query): RawQuery,
        ) -> Result<Json<Value>, GraphError> {
            list(state, auth, Address::$address(id), query, Side::Principal).await
        }

        #[doc = concat!("`POST /v1.0/", $path, "/appRoleAssignedTo`")]
        pub(crate) async fn $create_to(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath(id): GraphPath<String>,
            body: Result<JsonBody, GraphError>,
        ) -> Result<(StatusCode, Json<Value>), GraphError> {
            create(state, auth, Address::$address(id), body, Side::Resource).await
        }

        #[doc = concat!("`POST /v1.0/", $path, "/appRoleAssignments`")]
        pub(crate) async fn $create(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath(id): GraphPath<String>,
            body: Result<JsonBody, GraphError>,
        ) -> Result<(StatusCode, Json<Value>), GraphError> {
            create(state, auth, Address::$address(id), body, Side::Principal).await
        }

        #[doc = concat!("`DELETE /v1.0/", $path, "/appRoleAssignedTo/{assignmentId}`")]
        pub(crate) async fn $delete_to(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath((id, assignment)): GraphPath<(String, String)>,
        ) -> Result<StatusCode, GraphError> {
            delete(state, auth, Address::$address(id), assignment, Side::Resource).await
        }

        #[doc = concat!("`DELETE /v1.0/", $path, "/appRoleAssignments/{assignmentId}`")]
        pub(crate) async fn $delete(
            State(state): State<DirectoryState>,
            auth: Authed,
            GraphPath((id, assignment)): GraphPath<(String, String)>,
        ) -> Result<StatusCode, GraphError> {
            delete(state, auth, Address::$address(id), assignment, Side::Principal).await
        }
    };
}

handlers!(
    Id,
    list_assigned_to,
    list_assignments,
    create_assigned_to,
    create_assignment,
    delete_assigned_to,
    delete_assignment,
    "servicePrincipals/{id}"
);
handlers!(
    Key,
    keyed_list_assigned_to,
    keyed_list_assignments,
    keyed_create_assigned_to,
    keyed_create_assignment,
    keyed_delete_assigned_to,
    keyed_delete_assignment,
    "servicePrincipals(appId='...')"
);
