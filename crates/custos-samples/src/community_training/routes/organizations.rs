//! Organization CRUD: `GET|POST /api/v1/organization`, `PUT|DELETE /api/v1/organization/{orgId}`.

use axum::Json;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use custos_guard::Principal;

use super::{AppState, Refusals};
use crate::community_training::db::OrganizationWrite;
use crate::community_training::error::{ApiError, Problem};
use crate::community_training::extract::{JsonBody, OrgIdPath};
use crate::community_training::shapes::{Organization, OrganizationInput};

fn written(write: OrganizationWrite, name: &str) -> Result<Organization, ApiError> {
    match write {
        OrganizationWrite::Written(organization) => Ok(organization),
        OrganizationWrite::NotFound => Err(ApiError::NotFound("organization")),
        OrganizationWrite::NameTaken => {
            Err(ApiError::Conflict(format!("an organization named '{name}' already exists")))
        }
    }
}

/// Every organization.
#[utoipa::path(
    get,
    path = "/api/v1/organization",
    tag = "Organization",
    responses(
        (status = 200, description = "Organizations by name", body = Vec<Organization>),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<Organization>>, ApiError> {
    Ok(Json(state.db.organizations().await?))
}

/// Creates an organization in the caller's tenant.
#[utoipa::path(
    post,
    path = "/api/v1/organization",
    tag = "Organization",
    request_body(content = OrganizationInput, description = "Name and description (custos' own shape)"),
    responses(
        (status = 201, description = "Created", body = Organization),
        (status = 400, description = "Malformed JSON, unknown field, wrong type, value out of range", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    caller: Principal,
    JsonBody(input): JsonBody<OrganizationInput>,
) -> Result<(StatusCode, HeaderMap, Json<Organization>), ApiError> {
    let fields = input.check()?;
    let created =
        written(state.db.create_organization(&fields, caller.tenant_id.as_uuid()).await?, &fields.name)?;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/organization/{}", created.id)) {
        headers.insert(LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(created)))
}

/// Replaces an organization's name and description.
#[utoipa::path(
    put,
    path = "/api/v1/organization/{orgId}",
    tag = "Organization",
    params(("orgId" = String, Path, description = "The organization's id (GUID)")),
    request_body(content = OrganizationInput, description = "Name and description (custos' own shape)"),
    responses(
        (status = 200, description = "Updated", body = Organization),
        (status = 400, description = "Malformed id or body", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    OrgIdPath(id): OrgIdPath,
    JsonBody(input): JsonBody<OrganizationInput>,
) -> Result<Json<Organization>, ApiError> {
    let fields = input.check()?;
    Ok(Json(written(state.db.update_organization(id, &fields).await?, &fields.name)?))
}

/// Deletes an organization; its learners stay, without an organization.
#[utoipa::path(
    delete,
    path = "/api/v1/organization/{orgId}",
    tag = "Organization",
    params(("orgId" = String, Path, description = "The organization's id (GUID)")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organization", body = Problem, content_type = "application/problem+json"),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn delete(State(state): State<AppState>, OrgIdPath(id): OrgIdPath) -> Result<StatusCode, ApiError> {
    if state.db.delete_organization(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("organization"))
    }
}
