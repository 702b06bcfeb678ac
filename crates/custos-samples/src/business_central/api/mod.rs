//! API v2.0 routes (resource-apis.md §1): `/v2.0/{environment}/api/v2.0/...` and the
//! tenant-qualified `/v2.0/{tenant}/{environment}/api/v2.0/...`, without authentication (the
//! sample's guard and BC's authorization wrap [`router`]). One handler takes every method below
//! those prefixes, parses the OData path itself ([`path`]) and dispatches to [`read`] or
//! [`write`]. Every response carries a correlation id in the [`REQUEST_ID`] header.

mod path;
mod read;
pub(crate) mod response;
mod write;

pub(crate) use path::{ApiEntity, addressed_entity};

use super::error::{BcError, REQUEST_ID};
use super::inbound::{Inbound, answer};
use super::state::BcState;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::any;
use http::{HeaderMap, HeaderValue, Method, Uri};
use path::{Target, api_rest, parse_target};
use uuid::Uuid;

/// The API v2.0 routes, unauthenticated.
pub(crate) fn router() -> Router<BcState> {
    Router::new()
        .route("/v2.0/{environment}/api/v2.0", any(dispatch))
        .route("/v2.0/{environment}/api/v2.0/", any(dispatch))
        .route("/v2.0/{environment}/api/v2.0/{*rest}", any(dispatch))
        .route("/v2.0/{tenant}/{environment}/api/v2.0", any(dispatch))
        .route("/v2.0/{tenant}/{environment}/api/v2.0/", any(dispatch))
        .route("/v2.0/{tenant}/{environment}/api/v2.0/{*rest}", any(dispatch))
        .layer(axum::middleware::map_response(add_request_id))
}

/// Gives a response without a correlation id (a success) a fresh one.
pub(crate) async fn add_request_id(mut response: Response) -> Response {
    if !response.headers().contains_key(REQUEST_ID)
        && let Ok(value) = HeaderValue::from_str(&Uuid::new_v4().to_string())
    {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// Where a request came in: the absolute URLs responses point at.
#[derive(Debug, Clone)]
pub(crate) struct Urls {
    /// `scheme://host/v2.0/[tenant/]environment/api/v2.0`.
    pub(crate) base: String,
    /// The request URL without its query.
    pub(crate) request: String,
    /// The raw query string.
    pub(crate) query: Option<String>,
}

impl Urls {
    pub(crate) fn new(scheme: &str, uri: &Uri, headers: &HeaderMap, raw_rest: &str) -> Self {
        let host = headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
            .or_else(|| uri.authority().map(|a| a.to_string()))
            .unwrap_or_else(|| "localhost".to_owned());
        let path = uri.path();
        let prefix = path[..path.len() - raw_rest.len()].trim_end_matches('/');
        Self {
            base: format!("{scheme}://{host}{prefix}"),
            request: format!("{scheme}://{host}{path}"),
            query: uri.query().map(str::to_owned),
        }
    }
}

/// Every API v2.0 request.
async fn dispatch(State(state): State<BcState>, inbound: Inbound) -> Response {
    answer(handle(&state, &inbound).await)
}

async fn handle(state: &BcState, inbound: &Inbound) -> Result<Response, BcError> {
    let Inbound { method, uri, headers, body } = inbound;
    let raw_path = uri.path();
    let raw_rest = api_rest(raw_path).ok_or_else(|| inbound.not_found())?;
    let rest = inbound.decode(raw_rest)?;
    let urls = Urls::new(state.scheme, uri, headers, raw_rest);
    let target = if rest.is_empty() { None } else { Some(parse_target(&rest, raw_path)?) };
    let not_allowed =
        |segment: &str| BcError::MethodNotAllowed { method: method.to_string(), segment: segment.to_owned() };
    match (target, method.clone()) {
        (None, Method::GET) => Ok(read::service_document(&urls)),
        (None, _) => Err(not_allowed("")),
        (Some(Target::Metadata), Method::GET) => Ok(read::metadata()),
        (Some(Target::Metadata), _) => Err(not_allowed("$metadata")),
        (Some(Target::Companies), Method::GET) => read::companies(state, &urls, headers).await,
        (Some(Target::Company(id)), Method::GET) => read::company(state, &urls, id).await,
        (Some(Target::Companies | Target::Company(_)), _) => Err(not_allowed("companies")),
        (Some(Target::Collection(company, def)), Method::GET) => {
            read::collection(state, &urls, headers, company, def).await
        }
        (Some(Target::Collection(company, def)), Method::POST) => {
            write::create(state, &urls, headers, company, def, body).await
        }
        (Some(Target::Entity(company, def, id)), Method::GET) => {
            read::entity(state, &urls, company, def, id).await
        }
        (Some(Target::Entity(company, def, id)), Method::PATCH) => {
            write::update(state, &urls, headers, (company, def, id), body).await
        }
        (Some(Target::Entity(company, def, id)), Method::DELETE) => {
            write::delete(state, headers, (company, def, id)).await
        }
        (Some(Target::Collection(_, def) | Target::Entity(_, def, _)), _) => Err(not_allowed(def.set)),
    }
}
