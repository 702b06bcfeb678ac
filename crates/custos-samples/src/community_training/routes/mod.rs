//! The API routes of resource-apis.md §4.3 that the sample implements, one module per area, and the
//! router that ties them together (without the guard, which [`super::app`] adds).
//!
//! Each route says which callers it takes ([`Callers`], security.md §9 E38): the catalogue and the
//! profile take services and signed-in users, `/api/v2/Profile/Role` only users, and the
//! administration routes (users, organizations) only services.
//!
//! ASP.NET Core matches routes case-insensitively, and MCT's own documents spell them both ways
//! (`/Courses`, `/courses/{id}/register`), so paths under `/api/` and `/ExternalAuthentication/` are
//! matched case-insensitively here too: routes are registered in lower case and [`lowercase_api_path`]
//! folds the request path before routing (the query is left alone).

pub mod catalog;
pub mod organizations;
pub mod profile;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;
use axum::routing::{get, put};

use super::db::Db;
use super::error::ApiError;
use super::extract::MAX_BODY_BYTES;

/// The guard's refusals, which every route documents alike (the profile route says more about 403).
#[derive(utoipa::IntoResponses)]
pub enum Refusals {
    /// 401.
    #[response(status = 401, description = "No valid token, or an app token without `ClientType: Service`")]
    Unauthorized,
    /// 403.
    #[response(status = 403, description = "The caller is not allowed")]
    Forbidden,
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The sample's database.
    pub db: Db,
}

/// Which tokens a group of routes takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callers {
    /// App tokens under seed 000's rules only; a user's token is refused (the administration routes).
    Services,
    /// Delegated tokens with a required scope (`Scopes`) only; an app token is refused.
    Users,
    /// Either: "app role OR delegated scope".
    ServicesAndUsers,
}

/// The API routes (lower-case paths), with the body limit. `protect` puts each group of routes behind
/// the guard with the rule of its [`Callers`] (tests pass the routes through unguarded).
pub fn api_routes(
    state: AppState,
    protect: impl Fn(Router<AppState>, Callers) -> Router<AppState>,
) -> Router {
    let services = Router::new()
        .route("/api/v1/users", get(users::search).post(users::add_or_update))
        .route("/api/v1/organization", get(organizations::list).post(organizations::create))
        .route("/api/v1/organization/{org_id}", put(organizations::update).delete(organizations::delete))
        .method_not_allowed_fallback(method_not_allowed);
    let either = Router::new()
        .route("/api/v2/profile", get(profile::profile))
        .route("/api/v1/courses", get(catalog::courses))
        .route("/api/v1/learningpaths", get(catalog::learning_paths))
        .method_not_allowed_fallback(method_not_allowed);
    let users = Router::new()
        .route("/api/v2/profile/role", get(profile::role))
        .method_not_allowed_fallback(method_not_allowed);
    protect(services, Callers::Services)
        .merge(protect(either, Callers::ServicesAndUsers))
        .merge(protect(users, Callers::Users))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// Answers requests no route matched.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("resource")
}

/// Answers a known path with a method it does not support.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Path prefixes matched case-insensitively.
const FOLDED_PREFIXES: [&str; 2] = ["/api/", "/externalauthentication/"];

/// Folds the path of an `/api/...` or `/ExternalAuthentication/...` request to lower case, keeping the
/// query as sent.
pub fn lowercase_api_path<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    let uri = request.uri();
    let path = uri.path();
    let folded_prefix = FOLDED_PREFIXES
        .iter()
        .any(|prefix| path.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix)));
    if !folded_prefix || !path.bytes().any(|b| b.is_ascii_uppercase()) {
        return request;
    }
    let folded = match uri.query() {
        Some(query) => format!("{}?{query}", path.to_ascii_lowercase()),
        None => path.to_ascii_lowercase(),
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(path_and_query) = folded.parse::<PathAndQuery>() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fold(target: &str) -> String {
        lowercase_api_path(axum::http::Request::get(target).body(()).unwrap()).uri().to_string()
    }

    #[test]
    fn api_paths_fold_but_queries_do_not() {
        assert_eq!(fold("/api/v2/Profile"), "/api/v2/profile");
        assert_eq!(fold("/API/v1/Users?searchTerm=Ada"), "/api/v1/users?searchTerm=Ada");
        assert_eq!(fold("/swagger/Index.html"), "/swagger/Index.html");
        assert_eq!(fold("/ap"), "/ap");
        assert_eq!(
            fold("/ExternalAuthentication/Callback?code=AbC&state=XyZ"),
            "/externalauthentication/callback?code=AbC&state=XyZ"
        );
    }
}
