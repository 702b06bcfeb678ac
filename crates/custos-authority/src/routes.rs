//! The authority's HTTP surface: token endpoints, discovery, keys and instance discovery.
//!
//! Paths are matched case-insensitively with an optional trailing slash (MSAL Node lower-cases
//! the authority), so one `/{tenant}/{*rest}` route dispatches on the lower-cased remainder.
//! Handlers are thin: read the request, call one domain function, map the result.

use crate::Authority;
use crate::basic;
use crate::discovery::{InstanceDiscovery, OpenIdV1, OpenIdV2, TenantRef, v2_issuer};
use crate::form::{MAX_BODY_BYTES, TokenRequest, check_content_type};
use crate::issue::{self, Endpoint, Trail};
use crate::response::{ErrorContext, correlation_id, token_error, token_success, user_token_success};
use crate::sign_ins::{self, RequestFacts};
use crate::user_flow;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use custos_core::aadsts::TokenError;
use custos_listener::ConnectionInfo;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::Serialize;
use std::sync::Arc;

/// The endpoints under `/{tenant}/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Token(Endpoint),
    OpenIdV2,
    OpenIdV1,
    KeysV1,
    KeysV2,
    Instance,
}

impl Route {
    /// Splits a request path into its tenant segment and route.
    fn parse(path: &str) -> Option<(&str, Self)> {
        let path = path.strip_prefix('/')?;
        let path = path.strip_suffix('/').unwrap_or(path);
        let (tenant, rest) = path.split_once('/')?;
        let route = match rest.to_ascii_lowercase().as_str() {
            "oauth2/v2.0/token" => Self::Token(Endpoint::V2),
            "oauth2/token" => Self::Token(Endpoint::V1),
            "v2.0/.well-known/openid-configuration" => Self::OpenIdV2,
            ".well-known/openid-configuration" => Self::OpenIdV1,
            "discovery/keys" => Self::KeysV1,
            "discovery/v2.0/keys" => Self::KeysV2,
            "discovery/instance" if tenant.eq_ignore_ascii_case("common") => Self::Instance,
            _ => return None,
        };
        Some((tenant, route))
    }
}

/// The router serving every authority route.
pub(crate) fn router(auth: Arc<Authority>) -> Router {
    Router::new()
        .route("/{tenant}/{*rest}", any(dispatch))
        .route("/error", axum::routing::get(error_lookup))
        .with_state(auth)
}

/// `GET /error?code=N`: the page every error response's `error_uri` points to, describing an
/// AADSTS code (placeholders stand for the values a real response names).
async fn error_lookup(request: Request) -> Response {
    #[derive(Serialize)]
    struct Entry {
        code: u32,
        error: &'static str,
        status: u16,
        description: String,
    }
    let code = request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "code")
            .and_then(|(_, v)| v.parse().ok())
    });
    match code.and_then(TokenError::lookup) {
        Some(e) => axum::Json(Entry {
            code: e.code(),
            error: e.oauth_error().as_str(),
            status: e.http_status(),
            description: format!("AADSTS{}: {e}", e.code()),
        })
        .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn dispatch(State(auth): State<Arc<Authority>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((tenant, route)) = Route::parse(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let method = request.method();
    match route {
        Route::Token(endpoint) if method == Method::POST => token(&auth, endpoint, tenant, request).await,
        Route::Token(_) => method_not_allowed("POST"),
        _ if method != Method::GET && method != Method::HEAD => method_not_allowed("GET"),
        Route::Instance => instance(&auth, request.uri().query()),
        _ => discovery(&auth, route, tenant, request.headers()).await,
    }
}

fn method_not_allowed(allow: &'static str) -> Response {
    (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allow)]).into_response()
}

/// `POST /{tenant}/oauth2/v2.0/token` and `POST /{tenant}/oauth2/token`.
async fn token(auth: &Authority, endpoint: Endpoint, tenant_segment: &str, request: Request) -> Response {
    let started = auth.clock.instant();
    let (parts, body) = request.into_parts();
    let correlation = correlation_id(&parts.headers);
    let authorization = parts.headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes);
    let used_basic = authorization.is_some_and(basic::is_basic);
    let origin = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let source = parts.extensions.get::<ConnectionInfo>().map(ConnectionInfo::client);
    let mut trail = Trail::default();
    let result = async {
        // A locked address is refused before its body is read; a locked client id before its
        // credential is looked at ([`crate::throttle`]).
        auth.throttle.check_address(source, started).map_err(throttled)?;
        check_content_type(parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()))?;
        let body = read_body(&parts.headers, body).await?;
        let request = TokenRequest::parse(&body, authorization)?;
        trail.client_id.clone_from(&request.client_id);
        auth.throttle.check_client(request.client_id.as_deref(), started).map_err(throttled)?;
        // Held until the token is issued: under overload the request is shed here, early.
        let _turn = auth.admission.admit().await.map_err(|_| TokenError::Overloaded)?;
        trail.presented = Some(sign_ins::presented(&request.credential));
        if auth.sign_ins.is_on() {
            trail.scopes = sign_ins::scope_names(request.scope.as_deref());
        }
        trail.user_flow = user_flow::is_user_flow(request.grant_type.as_deref());
        if trail.user_flow {
            let call = user_flow::Call { endpoint: endpoint.into(), tenant_segment, origin };
            return user_flow::issue(auth, call, &request, &mut trail).await.map(Outcome::User);
        }
        issue::client_credentials(auth, endpoint, tenant_segment, &request, &mut trail)
            .await
            .map(Outcome::App)
    }
    .await;

    // A throttled or shed request is counted by the throttle or the gate only: neither timed,
    // logged nor written to the sign-in log, so that it costs next to nothing.
    if !matches!(result, Err(TokenError::Throttled { .. } | TokenError::Overloaded)) {
        let finished = auth.clock.instant();
        if let Err(e) = &result
            && e.is_failed_client_authentication()
        {
            auth.throttle.fail(trail.client_id.as_deref(), source, finished);
        }
        let elapsed = finished.saturating_duration_since(started);
        record(auth, tenant_segment, &trail, result.as_ref().err(), elapsed, correlation);
        let facts = RequestFacts {
            correlation_id: correlation,
            ip: parts.extensions.get::<ConnectionInfo>().map(|c| c.peer.ip()),
            user_agent: parts.headers.get(header::USER_AGENT).cloned(),
        };
        sign_ins::record(auth, &trail, &facts, result.as_ref().err()).await;
    }
    let mut response = match result {
        Ok(Outcome::App(issued)) => token_success(endpoint, &issued),
        Ok(Outcome::User(issued)) => user_token_success(endpoint, &issued),
        Err(e) => token_error(&e, &error_context(auth, correlation, used_basic)),
    };
    // Single-page apps redeem codes cross-origin (the platform check above decides who may).
    if let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) {
        response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

/// The token request's metrics and log line.
fn record(
    auth: &Authority,
    tenant_segment: &str,
    trail: &Trail,
    error: Option<&TokenError>,
    elapsed: std::time::Duration,
    correlation: uuid::Uuid,
) {
    auth.metrics.record(error.map(TokenError::oauth_error), elapsed);
    let latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    match error {
        None => tracing::info!(
            tenant = ?tenant_segment,
            tid = ?trail.tenant,
            client_id = ?trail.client_id,
            resource = ?trail.resource,
            outcome = "success",
            latency_us,
            correlation_id = %correlation,
            "token issued"
        ),
        Some(e) => tracing::info!(
            tenant = ?tenant_segment,
            tid = ?trail.tenant,
            client_id = ?trail.client_id,
            resource = ?trail.resource,
            outcome = e.oauth_error().as_str(),
            aadsts = e.code(),
            latency_us,
            correlation_id = %correlation,
            "token request refused"
        ),
    }
}

fn throttled(refusal: custos_core::throttle::Throttled) -> TokenError {
    TokenError::Throttled { retry_after_secs: refusal.retry_after_secs() }
}

fn error_context(auth: &Authority, correlation_id: uuid::Uuid, used_basic: bool) -> ErrorContext<'_> {
    ErrorContext {
        public_url: auth.config.origins.public(),
        now: auth.clock.now(),
        correlation_id,
        used_basic,
    }
}

/// What a token request produced.
enum Outcome {
    App(issue::Issued),
    User(user_flow::UserIssued),
}

/// Reads at most [`MAX_BODY_BYTES`], refusing a larger declared length before reading.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, TokenError> {
    let too_large = TokenError::BodyTooLarge(MAX_BODY_BYTES);
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Err(too_large);
    }
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large),
        Err(_) => Err(TokenError::MalformedBody("the request body could not be read")),
    }
}

/// Resolves a discovery tenant segment: an alias, or a tenant by GUID or domain.
async fn tenant_ref(auth: &Authority, segment: &str) -> Result<TenantRef, TokenError> {
    if let Some(alias) = issue::alias(segment) {
        return Ok(TenantRef::Alias(alias));
    }
    match auth.directory.resolve_tenant(segment).await {
        Ok(Some(tenant)) => Ok(TenantRef::Tenant(tenant.id)),
        Ok(None) => Err(TokenError::UnknownTenant(segment.to_owned())),
        Err(e) => {
            tracing::warn!(error = %e, "discovery failed: storage error");
            Err(TokenError::TemporarilyUnavailable)
        }
    }
}

/// Discovery documents and key sets.
async fn discovery(auth: &Authority, route: Route, segment: &str, headers: &HeaderMap) -> Response {
    let tenant = match tenant_ref(auth, segment).await {
        Ok(tenant) => tenant,
        Err(e) => {
            let ctx = ErrorContext {
                public_url: auth.config.origins.public(),
                now: auth.clock.now(),
                correlation_id: correlation_id(headers),
                used_basic: false,
            };
            let mut response = token_error(&e, &ctx);
            response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
            return response;
        }
    };
    let origins = &auth.config.origins;
    match route {
        Route::OpenIdV2 => cached_json(&OpenIdV2::new(origins, &tenant)),
        Route::OpenIdV1 => cached_json(&OpenIdV1::new(origins, &tenant)),
        Route::KeysV1 => cached_json(&auth.keys.jwks(None)),
        Route::KeysV2 => cached_json(&auth.keys.jwks(Some(&v2_issuer(origins, &tenant)))),
        Route::Token(_) | Route::Instance => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /common/discovery/instance?authorization_endpoint=...`.
fn instance(auth: &Authority, query: Option<&str>) -> Response {
    let endpoint = query.and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "authorization_endpoint")
            .map(|(_, v)| v)
    });
    cached_json(&InstanceDiscovery::new(&auth.config.origins, endpoint.as_deref()))
}

/// A JSON document with Entra's discovery headers.
fn cached_json(document: &impl Serialize) -> Response {
    match serde_json::to_vec(document) {
        Ok(body) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json; charset=utf-8"),
                (header::CACHE_CONTROL, "max-age=86400, private"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a discovery document");
            (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, crate::response::RETRY_AFTER_SECS)])
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_case_insensitive_with_an_optional_trailing_slash() {
        assert_eq!(Route::parse("/t/oauth2/v2.0/token"), Some(("t", Route::Token(Endpoint::V2))));
        assert_eq!(Route::parse("/T/OAuth2/Token/"), Some(("T", Route::Token(Endpoint::V1))));
        assert_eq!(Route::parse("/t/v2.0/.well-known/openid-configuration/"), Some(("t", Route::OpenIdV2)));
        assert_eq!(Route::parse("/t/.WELL-KNOWN/openid-configuration"), Some(("t", Route::OpenIdV1)));
        assert_eq!(Route::parse("/common/discovery/keys"), Some(("common", Route::KeysV1)));
        assert_eq!(Route::parse("/t/discovery/v2.0/keys"), Some(("t", Route::KeysV2)));
        assert_eq!(Route::parse("/Common/discovery/instance"), Some(("Common", Route::Instance)));
        assert_eq!(Route::parse("/t/discovery/instance"), None);
        assert_eq!(Route::parse("/t/oauth2/v2.0/token//"), None);
        assert_eq!(Route::parse("/t/other"), None);
    }

    #[test]
    fn the_catch_all_route_merges_with_the_server_s_other_routes() {
        async fn ok() {}
        let others = Router::new()
            .route("/healthz", axum::routing::get(ok))
            .route("/v1.0/applications", axum::routing::get(ok))
            .route("/v1.0/{*rest}", axum::routing::get(ok))
            .route("/admin/v1/signing-keys", axum::routing::get(ok))
            .route("/msi/token", axum::routing::get(ok))
            .route("/metadata/identity/oauth2/token", axum::routing::get(ok));
        let authority: Router<Arc<Authority>> = Router::new().route("/{tenant}/{*rest}", any(dispatch));
        let _merged: Router<Arc<Authority>> = authority.merge(others.with_state(()));
    }
}
