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

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::any;
use http::Method;

use super::api::{Urls, add_request_id};
use super::authorize::{ApiFamily, Caller, family};
use super::error::BcError;
use super::inbound::{Inbound, answer, readable};
use super::state::BcState;
use companies::{AUTOMATION_TABLE, COMPANY_TABLE};
use path::Resource;
use respond::Call;
use users::USER_TABLE;

/// The Automation API routes, unauthenticated.
pub(crate) fn router() -> Router<BcState> {
    Router::new()
        .route("/v2.0/{environment}/api/microsoft/automation/v2.0/{*rest}", any(dispatch))
        .route("/v2.0/{tenant}/{environment}/api/microsoft/automation/v2.0/{*rest}", any(dispatch))
        .layer(axum::middleware::map_response(add_request_id))
}

async fn dispatch(
    State(state): State<BcState>,
    caller: Option<Extension<Caller>>,
    inbound: Inbound,
) -> Response {
    answer(handle(&state, caller.as_ref().map(|Extension(c)| c), &inbound).await)
}

async fn handle(state: &BcState, caller: Option<&Caller>, inbound: &Inbound) -> Result<Response, BcError> {
    let Inbound { method, uri, headers, body } = inbound;
    let Some((ApiFamily::Automation, raw_rest)) = family(uri.path()) else { return Err(inbound.not_found()) };
    let resource = path::parse(&inbound.decode(raw_rest)?)?;
    let call = Call {
        base: Urls::new(state.scheme, uri, headers, raw_rest).base,
        headers,
        query: uri.query(),
        body: readable(body)?,
        caller,
    };
    if let Some(company) = resource.company() {
        companies::require_company(state, company).await?;
    }
    let fragment = resource.context();
    match (resource, method.clone()) {
        (Resource::Companies, Method::GET) => respond::list(state, &call, COMPANY_TABLE, "companies").await,
        (Resource::Company(id), Method::GET) => {
            respond::get(state, &call, COMPANY_TABLE, id, "companies/$entity").await
        }
        (Resource::AutomationCompanies(_), Method::GET) => {
            respond::list(state, &call, AUTOMATION_TABLE, &fragment).await
        }
        (Resource::AutomationCompanies(parent), Method::POST) => {
            companies::create(state, &call, parent, &fragment).await
        }
        (Resource::AutomationCompany(_, id), Method::GET) => {
            respond::get(state, &call, AUTOMATION_TABLE, id, &fragment).await
        }
        (Resource::AutomationCompany(_, id), Method::PATCH) => {
            companies::update(state, &call, id, &fragment).await
        }
        (Resource::AutomationCompany(_, id), Method::DELETE) => companies::delete(state, &call, id).await,
        (Resource::Users(_), Method::GET) => respond::list(state, &call, USER_TABLE, &fragment).await,
        (Resource::User(_, id), Method::GET) => respond::get(state, &call, USER_TABLE, id, &fragment).await,
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
