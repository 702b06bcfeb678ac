//! `/v1.0/roleManagement/directory/roleAssignments`: directory roles of the caller's tenant's
//! users (`entra-user-flows.md` §8.3). `roleDefinitionId` is one of the role template ids custos
//! knows ([`DIRECTORY_ROLES`]), `principalId` a user of the tenant, `directoryScopeId` `/`.
//! Removing the tenant's last way in is refused ([`crate::user_admins`]).

use crate::DirectoryState;
use crate::audit;
use crate::auth::{Authed, Caller, Permission};
use crate::body::{GraphPath, JsonBody, invalid_value};
use crate::error::GraphError;
use crate::odata::{ListQuery, entity_response};
use crate::user_admins::ensure_not_last_admin;
use crate::user_shapes::{self, ROLE_ASSIGNMENT};
use axum::Json;
use axum::extract::{RawQuery, State};
use custos_core::ObjectId;
use custos_core::audit::Activity;
use custos_core::users::{DIRECTORY_ROLES, DirectoryRoleAssignment};
use custos_store::StoreError;
use http::StatusCode;
use serde_json::Value;
use uuid::Uuid;

const RESOURCE: &str = "UnifiedRoleAssignment";
const ENTITY_SET: &str = "roleManagement/directory/roleAssignments";

async fn find(
    state: &DirectoryState,
    caller: &Caller,
    id: &str,
) -> Result<DirectoryRoleAssignment, GraphError> {
    state
        .store
        .directory_role_assignments(caller.tenant_id)
        .await?
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(|| GraphError::NotFound(id.to_owned()))
}

/// `GET /v1.0/roleManagement/directory/roleAssignments`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadDirectoryRoles)?;
    let query = ListQuery::parse(query.as_deref(), &ROLE_ASSIGNMENT)?;
    let items = state
        .store
        .directory_role_assignments(caller.tenant_id)
        .await?
        .iter()
        .map(user_shapes::role_assignment)
        .collect();
    state.list_page(caller.tenant_id, ENTITY_SET, &query, items)
}

/// `POST /v1.0/roleManagement/directory/roleAssignments`
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let caller = auth.require(Permission::WriteDirectoryRoles)?;
    let mut body = body?.required()?.only(&["roleDefinitionId", "principalId", "directoryScopeId"])?;
    let role: String = body
        .take("roleDefinitionId", RESOURCE)?
        .ok_or_else(|| invalid_value("roleDefinitionId", RESOURCE))?;
    let role = role
        .parse::<Uuid>()
        .ok()
        .filter(|r| DIRECTORY_ROLES.iter().any(|(id, _)| id == r))
        .ok_or_else(|| GraphError::NotFound(role.clone()))?;
    let principal: String =
        body.take("principalId", RESOURCE)?.ok_or_else(|| invalid_value("principalId", RESOURCE))?;
    let principal_id = principal.parse::<ObjectId>().map_err(|_| invalid_value("principalId", RESOURCE))?;
    let Some(user) = state.store.user(caller.tenant_id, principal_id).await? else {
        return Err(GraphError::NotFound(principal));
    };
    let scope: Option<String> = body.take("directoryScopeId", RESOURCE)?;
    if scope.as_deref() != Some("/") {
        return Err(invalid_value("directoryScopeId", RESOURCE));
    }
    let assignment = DirectoryRoleAssignment {
        id: crate::new_assignment_id(),
        tenant_id: caller.tenant_id,
        role_definition_id: role,
        principal_id,
        created: state.clock.now(),
    };
    let targets = audit::directory_role(&assignment, Some(&user));
    let record = audit::context(&state, caller).await.record_in(
        Some(caller.tenant_id),
        Activity::AddMemberToRole,
        targets,
    );
    state.store.create_directory_role_assignment(&assignment, &[record]).await.map_err(|e| match e {
        StoreError::Conflict(_) => GraphError::BadRequest(
            "A conflicting object with one or more of the specified property values is present in the directory."
                .to_owned(),
        ),
        other => GraphError::storage(other),
    })?;
    tracing::info!(tenant = %caller.tenant_id, user = %principal_id, role = %role, "directory role assigned");
    let item = user_shapes::role_assignment(&assignment);
    Ok((StatusCode::CREATED, Json(entity_response(state.origins.graph(), ENTITY_SET, item, None))))
}

/// `GET /v1.0/roleManagement/directory/roleAssignments/{id}`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadDirectoryRoles)?;
    let assignment = find(&state, caller, &id).await?;
    let item = user_shapes::role_assignment(&assignment);
    Ok(Json(entity_response(state.origins.graph(), ENTITY_SET, item, None)))
}

/// `DELETE /v1.0/roleManagement/directory/roleAssignments/{id}`
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(id): GraphPath<String>,
) -> Result<StatusCode, GraphError> {
    let caller = auth.require(Permission::WriteDirectoryRoles)?;
    let assignment = find(&state, caller, &id).await?;
    ensure_not_last_admin(&state, caller.tenant_id, assignment.principal_id, Some(&assignment.id)).await?;
    let user = state.store.user(caller.tenant_id, assignment.principal_id).await?;
    let targets = audit::directory_role(&assignment, user.as_ref());
    let record = audit::context(&state, caller).await.record_in(
        Some(caller.tenant_id),
        Activity::RemoveMemberFromRole,
        targets,
    );
    state.store.delete_directory_role_assignment(caller.tenant_id, &id, &[record]).await.map_err(
        |e| match e {
            StoreError::NotFound => GraphError::NotFound(id.clone()),
            other => GraphError::storage(other),
        },
    )?;
    tracing::info!(tenant = %caller.tenant_id, user = %assignment.principal_id, "directory role removed");
    Ok(StatusCode::NO_CONTENT)
}
