//! The Automation API (resource-apis.md §2, seed 002) at
//! `/v2.0/[{tenant}/]{environment}/api/microsoft/automation/v2.0/`, without authentication (the
//! sample's guard and [`authorize`](super::authorize) wrap [`router`]):
//!
//! | path below `companies({id})/` | methods |
//! |---|---|
//! | (`companies` itself) | GET |
//! | `automationCompanies` | GET, POST 201, PATCH (`If-Match`), DELETE |
//! | `users` | GET (list or one), PATCH (`If-Match`) |
//! | `users({id})/userPermissions` | GET, POST 201, DELETE |
//! | `permissionSets` | GET |
//!
//! Errors, ETags, OData query options and response headers are API v2.0's (`error`, `etag`, `odata`,
//! `api::response`). Lists are not paged (the sets are small); `$filter`, `$select`, `$orderby`, `$top`,
//! `$skip` and `$count` work on `companies`, `automationCompanies` and `users` (through the API v2.0
//! parser and SQL builder); `userPermissions` and `permissionSets` return every entry and ignore them.

mod companies;
mod entities;
pub(crate) mod path;
mod permissions;
mod query;
mod respond;
mod users;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode_str;

use super::api::{Urls, add_request_id};
use super::authorize::{ApiFamily, family};
use super::error::BcError;
use super::state::BcState;
use path::Resource;
use respond::Call;

/// The Automation API routes, unauthenticated.
pub(crate) fn router() -> Router<BcState> {
    Router::new()
        .route("/v2.0/{environment}/api/microsoft/automation/v2.0/{*rest}", any(dispatch))
        .route("/v2.0/{tenant}/{environment}/api/microsoft/automation/v2.0/{*rest}", any(dispatch))
        .layer(axum::middleware::map_response(add_request_id))
}

async fn dispatch(
    State(state): State<BcState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    handle(&state, &method, &uri, &headers, body).await.unwrap_or_else(IntoResponse::into_response)
}

async fn handle(
    state: &BcState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, BcError> {
    let raw_path = uri.path();
    let not_found = || BcError::NoResource(raw_path.to_owned());
    let Some((ApiFamily::Automation, raw_rest)) = family(raw_path) else { return Err(not_found()) };
    let rest = percent_decode_str(raw_rest).decode_utf8().map_err(|_| not_found())?;
    let resource = path::parse(&rest)?;
    let body = body.map_err(|_| BcError::InvalidBody("Invalid Request Body".to_owned()))?;
    let call = Call {
        base: Urls::new(state.scheme, uri, headers, raw_rest).base,
        headers,
        query: uri.query(),
        body: &body,
    };
    if let Some(company) = resource.company() {
        companies::require_company(state, company).await?;
    }
    let fragment = resource.context();
    match (resource, method.clone()) {
        (Resource::Companies, Method::GET) => companies::list_companies(state, &call).await,
        (Resource::Company(id), Method::GET) => companies::get_company(state, &call, id).await,
        (Resource::AutomationCompanies(_), Method::GET) => companies::list(state, &call, &fragment).await,
        (Resource::AutomationCompanies(parent), Method::POST) => {
            companies::create(state, &call, parent, &fragment).await
        }
        (Resource::AutomationCompany(_, id), Method::GET) => {
            companies::get(state, &call, id, &fragment).await
        }
        (Resource::AutomationCompany(_, id), Method::PATCH) => {
            companies::update(state, &call, id, &fragment).await
        }
        (Resource::AutomationCompany(_, id), Method::DELETE) => companies::delete(state, &call, id).await,
        (Resource::Users(_), Method::GET) => users::list(state, &call, &fragment).await,
        (Resource::User(_, id), Method::GET) => users::get(state, &call, id, &fragment).await,
        (Resource::User(_, id), Method::PATCH) => users::update(state, &call, id, &fragment).await,
        (Resource::UserPermissions(_, user), Method::GET) => {
            users::require_user(state, user).await?;
            permissions::list(state, &call, user, &fragment).await
        }
        (Resource::UserPermissions(_, user), Method::POST) => {
            users::require_user(state, user).await?;
            permissions::create(state, &call, user, &fragment).await
        }
        (Resource::UserPermission(_, user, id), Method::GET) => {
            users::require_user(state, user).await?;
            permissions::get(state, &call, user, id, &fragment).await
        }
        (Resource::UserPermission(_, user, id), Method::DELETE) => {
            users::require_user(state, user).await?;
            permissions::delete(state, &call, user, id).await
        }
        (Resource::PermissionSets(_), Method::GET) => Ok(permissions::list_sets(&call, &fragment)),
        (resource, _) => Err(BcError::MethodNotAllowed {
            method: method.to_string(),
            segment: resource.segment().to_owned(),
        }),
    }
}
