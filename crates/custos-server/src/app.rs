//! The route table: authority, interactive sign-in, directory API, admin API, the admin
//! portal, the Azure portal API's admin-consent route, the managed-identity development
//! endpoints and operational endpoints. `/metrics` is on the public router unless the server
//! gives it a listener of its own
//! ([`AppParts::separate_metrics`], [`metrics_router`]).

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custos_authority::Authority;
use custos_directory::DirectoryState;
use custos_store::Store;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

/// Largest request body any route accepts; routes with tighter caps (the token endpoint)
/// enforce their own. The directory API caps its bodies itself (at the same size, answering in
/// Graph's error shape over HTTP/1.1 and HTTP/2 alike), so this layer wraps the other routes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// How long one request may take before the server answers 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// `Retry-After` of the readiness check's 503, in seconds.
const RETRY_AFTER_SECS: &str = "5";

/// What the router is built from.
#[derive(Clone)]
pub struct AppParts {
    /// The token endpoints, discovery and keys.
    pub authority: Arc<Authority>,
    /// The Graph subset and the admin API.
    pub directory: DirectoryState,
    /// The store, for readiness checks.
    pub store: Arc<dyn Store>,
    /// The authorize, admin-consent and logout endpoints with their pages (`None`: not served).
    pub signin: Option<Arc<custos_signin::SignIn>>,
    /// The admin portal at `/portal/` (`None`: not served; it signs in through `signin`).
    pub portal: Option<custos_portal::PortalConfig>,
    /// `/metrics` is served by [`metrics_router`] on a listener of its own, not by the public
    /// router (`custos serve --metrics-listen`).
    pub separate_metrics: bool,
}

#[derive(Clone)]
struct OpsState {
    authority: Arc<Authority>,
    rate_limits: Arc<custos_directory::CallerLimits>,
    store: Arc<dyn Store>,
}

fn ops_state(parts: &AppParts) -> OpsState {
    OpsState {
        authority: parts.authority.clone(),
        rate_limits: parts.directory.rate_limits.clone(),
        store: parts.store.clone(),
    }
}

/// `/metrics` alone, for a listener of its own.
pub fn metrics_router(parts: &AppParts) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(ops_state(parts))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
}

/// Builds the whole HTTP surface of `custos serve`.
pub fn build_router(parts: AppParts) -> Router {
    let mut ops = Router::new().route("/healthz", get(healthz)).route("/readyz", get(readyz));
    if !parts.separate_metrics {
        ops = ops.route("/metrics", get(metrics));
    }
    let ops = ops.with_state(ops_state(&parts));

    // The Azure portal's API route (`az ad app permission admin-consent`): the directory's
    // handlers, authenticating tokens for that API instead of Graph's.
    let portal_api = custos_directory::DirectoryState {
        authenticator: Arc::new(crate::caller::PortalApiCallers(parts.authority.clone())),
        ..parts.directory.clone()
    };
    let authority = Router::new()
        .merge(ops)
        .merge(crate::arm::router(parts.authority.clone(), parts.store.clone()))
        .merge(custos_authority::managed_identity::router(parts.authority.clone()))
        .merge(parts.authority.router())
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    let api = Router::new()
        .merge(custos_directory::graph_router(parts.directory.clone()))
        .merge(custos_directory::portal_api_router(portal_api))
        .merge(custos_directory::admin_router(parts.directory))
        .merge(authority);
    let mut router = api.clone();
    if let Some(portal) = parts.portal {
        // The portal calls the API routes in process, as the signed-in administrator.
        router = router.merge(custos_portal::router(portal, api));
    }
    if let Some(signin) = parts.signin {
        // The sign-in paths share `/{tenant}/{*rest}` with the authority and are matched as it
        // matches its own (case-insensitively), so they are taken out in front of it.
        let signin = custos_signin::router(signin);
        router = router.layer(middleware::from_fn(move |request: Request, next: Next| {
            let signin = signin.clone();
            async move {
                if custos_signin::owns(request.uri().path()) {
                    signin.oneshot(request).await.unwrap_or_else(|never| match never {})
                } else {
                    next.run(request).await
                }
            }
        }));
    }
    router.layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(ops): State<OpsState>) -> Response {
    match ops.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed: storage unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, RETRY_AFTER_SECS)],
                "storage unavailable",
            )
                .into_response()
        }
    }
}

async fn metrics(State(ops): State<OpsState>) -> Response {
    let mut body = String::with_capacity(4096);
    ops.authority.render_prometheus(&mut body);
    ops.rate_limits.render_prometheus(&mut body);
    ops.authority.sign_in_log().metrics().render_prometheus(&mut body);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}
