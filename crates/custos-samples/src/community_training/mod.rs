//! `custos sample community-training`: a Microsoft Community Training-style REST API (seeds 000 and
//! 003; resource-apis.md §4) behind custos-guard, configured with seed 000's S2S settings, and seed
//! 003's user path (sign-in, callback with the tokens, refresh).
//!
//! - [`settings`], [`user_settings`]: the App Service-style variables and the command line, merged;
//! - [`auth`]: the guard in front of the API, one rule per group of routes (services, users, either;
//!   401 for an app token without `ClientType: Service`);
//! - [`routes`]: `GET /api/v2/Profile`, `GET /api/v2/Profile/Role`, `GET|POST /api/v1/users`,
//!   `GET /api/v1/Courses`, `GET /api/v1/learningpaths`, organization CRUD;
//! - [`user_auth`]: `/ExternalAuthentication/Login`, `/ExternalAuthentication/Callback` and
//!   `POST /api/v1/ExternalAuthToken/RefreshToken/{identityProvider}` (with `UserAuthEnabled=true`);
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
pub mod user_auth;
pub mod user_settings;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_delegated;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use custos_core::SystemClock;
use custos_guard::Guard;

use crate::{Sample, ServeArgs};
use db::Db;
use routes::AppState;
use user_auth::UserAuth;

/// `custos sample community-training` options. The S2S settings come from environment variables
/// named as in seed 000: `ServiceAuthAudience` (required), `ServiceAuthTenantName`,
/// `ServiceObjectIds`, `ServiceApplicationIds`, `ServiceAuthRole`, `ServiceAuthEnabled`,
/// `RequireClientTypeHeader` (default true), `EnableSwagger` (default false); `Authority`,
/// `ServiceAuthTenantId` and `CaFile` may be set too but must then agree with --authority, --tenant
/// and --ca. Seed 003's user path adds `Scopes`, `UserAuthEnabled`, `UserAuthClientId`,
/// `UserAuthClientSecret` and `UserAuthPublicUrl` ([`user_settings`]).
#[derive(Debug, clap::Args)]
pub struct Cli {
    /// Where to listen, which authority and tenant to trust, where to keep data.
    #[command(flatten)]
    pub serve: ServeArgs,
    /// File holding the client secret of the sample's own registration (UserAuthEnabled=true),
    /// instead of the UserAuthClientSecret variable.
    #[arg(long, value_name = "FILE")]
    pub user_auth_client_secret_file: Option<PathBuf>,
}

/// Reads the settings, opens (and on the first start seeds) the database and builds the API.
pub async fn prepare(cli: Cli) -> anyhow::Result<Sample> {
    let settings = settings::resolve(&cli.serve, cli.user_auth_client_secret_file.as_deref(), |key| {
        std::env::var(key).ok()
    })?;
    let db = Db::open(&cli.serve.data_dir, settings.guard.tenant_id().as_uuid()).await?;
    let guard = Arc::new(
        Guard::new(settings.guard.clone(), Arc::new(SystemClock)).context("cannot set up the guard")?,
    );
    if let Err(error) = guard.warm_up().await {
        tracing::warn!(%error, "the authority's signing keys are not available yet; requests will retry");
    }
    let swagger = if settings.enable_swagger { Some(openapi::document_json()?) } else { None };
    let user_auth = match settings.user.sign_in.clone() {
        Some(client) => Some(Arc::new(
            UserAuth::new(client, &settings.guard, Arc::new(SystemClock))
                .context("cannot set up the sign-in")?,
        )),
        None => None,
    };
    let policy = settings.guard.policy();
    tracing::info!(
        audiences = ?settings.guard.audiences(),
        tenant = %settings.guard.tenant_id(),
        object_ids = policy.object_ids().len(),
        application_ids = policy.application_ids().len(),
        role = ?policy.roles(),
        require_client_type = settings.guard.require_client_type_header(),
        swagger = settings.enable_swagger,
        scopes = ?settings.user.scopes,
        user_sign_in = user_auth.as_ref().map(|a| a.client.redirect_uri.as_str()),
        "community-training settings"
    );
    let scopes = settings.user.scopes.as_deref();
    let router = app(AppState { db }, guard, scopes, user_auth, swagger);
    Ok(Sample { name: "community-training", router, listen: cli.serve.listen() })
}

/// The whole API: the routes behind the guard with the rule of each group (`scopes`: the required
/// delegated scopes, `None` = no user token is accepted), the user path's routes when `user_auth` is
/// given, `/swagger` when a document is given (no token needed), problem-details 404s elsewhere,
/// `/api/` paths matched case-insensitively.
pub fn app(
    state: AppState,
    guard: Arc<Guard>,
    scopes: Option<&[String]>,
    user_auth: Option<Arc<UserAuth>>,
    swagger_document: Option<String>,
) -> Router {
    let api = routes::api_routes(state, |routes, callers| {
        let access = auth::Access {
            guard: Arc::clone(&guard),
            policy: Arc::new(auth::policy(callers, guard.config(), scopes)),
        };
        routes.route_layer(axum::middleware::from_fn_with_state(access, auth::require_caller))
    });
    let api = match user_auth {
        Some(user_auth) => api.merge(user_auth::routes(user_auth)),
        None => api,
    };
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
