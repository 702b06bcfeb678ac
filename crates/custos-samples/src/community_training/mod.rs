//! `custos sample community-training`: a Microsoft Community Training-style REST API (seeds 000 and
//! 003; resource-apis.md §4) behind custos-guard, configured with seed 000's S2S settings.
//!
//! - [`settings`]: the App Service-style variables and the command line, merged;
//! - [`auth`]: the guard in front of the API (401 for a missing `ClientType: Service`);
//! - [`routes`]: `GET /api/v2/Profile`, `GET|POST /api/v1/users`, `GET /api/v1/Courses`,
//!   `GET /api/v1/learningpaths`, organization CRUD;
//! - [`shapes`], [`extract`], [`error`]: JSON shapes, input checks and the problem-details error shape;
//! - [`db`]: the SQLite file under `--data-dir`, seeded with demo data on the first start;
//! - [`openapi`], [`swagger`]: the OpenAPI document and Swagger UI at `/swagger` (`EnableSwagger=true`).

pub mod auth;
pub mod db;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;
pub mod settings;
pub mod shapes;
pub mod swagger;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use custos_core::SystemClock;
use custos_guard::Guard;

use crate::{Sample, ServeArgs};
use db::Db;
use routes::AppState;

/// `custos sample community-training` options. The S2S settings come from environment variables
/// named as in seed 000: `ServiceAuthAudience` (required), `ServiceAuthTenantName`,
/// `ServiceObjectIds`, `ServiceApplicationIds`, `ServiceAuthRole`, `ServiceAuthEnabled`,
/// `RequireClientTypeHeader` (default true), `EnableSwagger` (default false); `Authority`,
/// `ServiceAuthTenantId` and `CaFile` may be set too but must then agree with --authority, --tenant
/// and --ca.
#[derive(Debug, clap::Args)]
pub struct Cli {
    /// Where to listen, which authority and tenant to trust, where to keep data.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Reads the settings, opens (and on the first start seeds) the database and builds the API.
pub async fn prepare(cli: Cli) -> anyhow::Result<Sample> {
    let settings = settings::resolve(&cli.serve, |key| std::env::var(key).ok())?;
    let db = Db::open(&cli.serve.data_dir, settings.guard.tenant_id().as_uuid()).await?;
    let guard = Arc::new(
        Guard::new(settings.guard.clone(), Arc::new(SystemClock)).context("cannot set up the guard")?,
    );
    if let Err(error) = guard.warm_up().await {
        tracing::warn!(%error, "the authority's signing keys are not available yet; requests will retry");
    }
    let swagger = if settings.enable_swagger { Some(openapi::document_json()?) } else { None };
    let policy = settings.guard.policy();
    tracing::info!(
        audiences = ?settings.guard.audiences(),
        tenant = %settings.guard.tenant_id(),
        object_ids = policy.object_ids().len(),
        application_ids = policy.application_ids().len(),
        role = ?policy.roles(),
        require_client_type = settings.guard.require_client_type_header(),
        swagger = settings.enable_swagger,
        "community-training settings"
    );
    Ok(Sample { name: "community-training", router: app(AppState { db }, guard, swagger), serve: cli.serve })
}

/// The whole API: the routes behind the guard, `/swagger` when a document is given (no token
/// needed), problem-details 404s elsewhere, `/api/` paths matched case-insensitively.
pub fn app(state: AppState, guard: Arc<Guard>, swagger_document: Option<String>) -> Router {
    let api = routes::api_routes(state)
        .route_layer(axum::middleware::from_fn_with_state(guard, auth::require_service_caller));
    assemble(api, swagger_document)
}

/// Adds `/swagger`, the 404 fallback and the case-insensitive `/api/` paths around `api`.
fn assemble(api: Router, swagger_document: Option<String>) -> Router {
    let mut router = api;
    if let Some(document) = swagger_document {
        router = router.merge(swagger::routes(document));
    }
    let router = router.fallback(routes::not_found);
    Router::new().fallback_service(
        tower::ServiceBuilder::new().map_request(routes::lowercase_api_path).service(router),
    )
}
