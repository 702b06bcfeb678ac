//! `GET /api/v1/Courses` and `GET /api/v1/learningpaths`: the seeded catalogue.

use axum::Json;
use axum::extract::State;

use super::{AppState, Refusals};
use crate::community_training::error::ApiError;
use crate::community_training::shapes::{CourseCategory, LearningPath};

/// Course categories with their courses (MCT's shape).
#[utoipa::path(
    get,
    path = "/api/v1/Courses",
    tag = "Courses",
    responses(
        (status = 200, description = "Categories with their courses", body = Vec<CourseCategory>),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn courses(State(state): State<AppState>) -> Result<Json<Vec<CourseCategory>>, ApiError> {
    Ok(Json(state.db.course_catalogue().await?))
}

/// Learning paths with their courses in order (custos' own shape).
#[utoipa::path(
    get,
    path = "/api/v1/learningpaths",
    tag = "LearningPaths",
    responses(
        (status = 200, description = "Learning paths", body = Vec<LearningPath>),
        Refusals,
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn learning_paths(State(state): State<AppState>) -> Result<Json<Vec<LearningPath>>, ApiError> {
    Ok(Json(state.db.learning_paths().await?))
}
