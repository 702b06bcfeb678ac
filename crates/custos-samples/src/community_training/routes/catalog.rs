//! `GET /api/v1/Courses` and `GET /api/v1/learningpaths`: the seeded catalogue.

use axum::Json;
use axum::extract::State;

use super::AppState;
use crate::community_training::error::ApiError;
use crate::community_training::shapes::{CourseCategory, LearningPath};

/// Course categories with their courses (MCT's shape).
#[utoipa::path(
    get,
    path = "/api/v1/Courses",
    tag = "Courses",
    responses(
        (status = 200, description = "Categories with their courses", body = Vec<CourseCategory>),
        (status = 401, description = "No valid token, or an app token without `ClientType: Service`"),
        (status = 403, description = "The caller is not allowed"),
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
        (status = 401, description = "No valid token, or an app token without `ClientType: Service`"),
        (status = 403, description = "The caller is not allowed"),
    ),
    security(("bearer" = [], "clientType" = []))
)]
pub async fn learning_paths(State(state): State<AppState>) -> Result<Json<Vec<LearningPath>>, ApiError> {
    Ok(Json(state.db.learning_paths().await?))
}
