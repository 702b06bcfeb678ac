//! `GET /api/v1/users?searchTerm=` and `POST /api/v1/users[?orgId=]` (add or update by contact).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{AppState, Refusals};
use crate::community_training::db::UserWrite;
use crate::community_training::error::{ApiError, Problem};
use crate::community_training::extract::{JsonBody, QueryParams, guid};
use crate::community_training::shapes::{Checks, MAX_SEARCH_TERM, User, UserInput};

/// The query of `GET /api/v1/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of a first name, last name, full name or contact (required, at most 100 characters).
    #[serde(rename = "searchTerm")]
    #[param(rename = "searchTerm")]
    pub search_term: Option<String>,
}

/// The query of `POST /api/v1/users`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    /// Put the learner in this organization (a GUID of `GET /api/v1/organization`).
    #[serde(rename = "orgId")]
    #[param(rename = "orgId")]
    pub org_id: Option<String>,
}

/// Learners matching `searchTerm` (at most 100).
#[utoipa::path(
    get,
    path = "/api/v1/users",
    tag = "Users",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching learners (custos' own shape)", body = Vec<User>),
        (status = 400, description = "searchTerm is missing or too long", body = Problem, content_type = "application/problem+json"),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn search(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<SearchQuery>,
) -> Result<Json<Vec<User>>, ApiError> {
    let term = query.search_term.unwrap_or_default();
    let mut checks = Checks::default();
    checks.text("searchTerm", &term, 1, MAX_SEARCH_TERM);
    checks.finish()?;
    Ok(Json(state.db.search_users(term.trim()).await?))
}

/// Adds a learner, or updates the learner with the same contact; 201 when added, 200 when updated.
#[utoipa::path(
    post,
    path = "/api/v1/users",
    tag = "Users",
    params(OrganizationQuery),
    request_body(content = UserInput, description = "The learner (custos' own shape)"),
    responses(
        (status = 201, description = "Added", body = User),
        (status = 200, description = "Updated (same contact)", body = User),
        (status = 400, description = "Malformed JSON, unknown field, wrong type, value out of range", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "orgId names no organization", body = Problem, content_type = "application/problem+json"),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn add_or_update(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<OrganizationQuery>,
    JsonBody(input): JsonBody<UserInput>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let organization = query.org_id.as_deref().map(|raw| guid("orgId", raw)).transpose()?;
    let user = input.check()?;
    match state.db.upsert_user(&user, organization).await? {
        UserWrite::Created(user) => Ok((StatusCode::CREATED, Json(user))),
        UserWrite::Updated(user) => Ok((StatusCode::OK, Json(user))),
        UserWrite::OrganizationNotFound => Err(ApiError::NotFound("organization")),
        UserWrite::ContactTaken => {
            Err(ApiError::Conflict("another request added a learner with this contact; retry".to_owned()))
        }
    }
}
