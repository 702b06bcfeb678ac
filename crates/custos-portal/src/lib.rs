//! The admin portal: server-rendered pages at `{publicUrl}/portal/` for what the seeds do in the
//! Azure portal (app registrations, credentials, API permissions and admin consent, app roles,
//! enterprise applications, managed identities, users, the logs, signing keys, tenants).
//!
//! The portal holds no rule of its own. It signs administrators in with custos' own
//! authorization-code flow (PKCE; the portal is the built-in public client
//! `custos_directory::portal_app`), keeps the delegated access token sealed in a cookie, and
//! performs every read and write by calling the same Graph and admin API routes a script calls,
//! in process, with that token: so a page shows exactly the state and the error text the API has.
//!
//! It owns the pages, the session cookie ([`session`]), the in-process API client ([`api`]),
//! sign-in and sign-out ([`auth`]), the page frame and form helpers ([`layout`]) and its static
//! assets (one stylesheet, one script for progressive enhancement: no inline script, nothing from
//! another origin). It depends on `custos-core`, `custos-jose` (sealing, randomness, PKCE),
//! `custos-signin` (cookie flags, anti-CSRF tokens, page headers) and `custos-listener` (the
//! caller's address, passed on to the API for the audit log). It must not depend on
//! `custos-directory`, `custos-authority` or the store: it knows them only through HTTP.

pub mod api;
mod auth;
mod form;
mod layout;
mod pages;
pub mod session;
mod state;

pub use state::{Portal, PortalConfig};

use axum::Router;
use axum::routing::{get, post};
use std::sync::Arc;

/// The portal's routes, all under `/portal`. `api` is the server's router of the Graph, admin
/// and token endpoints, which every page calls in process.
pub fn router(config: PortalConfig, api: Router) -> Router {
    let portal = Portal::new(config, api);
    use pages::{
        apps, credentials, enterprise, home, identities, keys, logs, permissions, roles, tenants, users,
    };
    Router::new()
        .route("/portal", get(auth::to_home))
        .route("/portal/", get(home::show))
        .route("/portal/sign-in", get(auth::sign_in))
        .route("/portal/callback", get(auth::callback))
        .route("/portal/sign-out", post(auth::sign_out))
        .route("/portal/static/{file}", get(layout::asset))
        .route("/portal/apps", get(apps::list))
        .route("/portal/apps/new", get(apps::new_registration).post(apps::create))
        .route("/portal/apps/{id}", get(apps::overview))
        .route("/portal/apps/{id}/delete", post(apps::delete))
        .route("/portal/apps/{id}/credentials", get(credentials::show))
        .route("/portal/apps/{id}/secrets", post(credentials::add_secret))
        .route("/portal/apps/{id}/secrets/{key}/delete", post(credentials::remove_secret))
        .route("/portal/apps/{id}/certificates", post(credentials::upload_certificate))
        .route("/portal/apps/{id}/certificates/{key}/delete", post(credentials::remove_certificate))
        .route("/portal/apps/{id}/federated", post(credentials::add_federated))
        .route("/portal/apps/{id}/federated/{key}/delete", post(credentials::remove_federated))
        .route("/portal/apps/{id}/permissions", get(permissions::show).post(permissions::add))
        .route("/portal/apps/{id}/permissions/add", get(permissions::choose))
        .route("/portal/apps/{id}/permissions/remove", post(permissions::remove))
        .route("/portal/apps/{id}/consent", post(permissions::grant_consent))
        .route("/portal/apps/{id}/expose", get(roles::expose).post(roles::save_expose))
        .route("/portal/apps/{id}/scopes", post(roles::add_scope))
        .route("/portal/apps/{id}/roles", get(roles::show).post(roles::add_role))
        .route("/portal/apps/{id}/manifest", get(apps::manifest).post(apps::save_manifest))
        .route("/portal/enterprise", get(enterprise::list))
        .route("/portal/enterprise/{id}", get(enterprise::show))
        .route("/portal/enterprise/{id}/properties", post(enterprise::save_properties))
        .route("/portal/enterprise/{id}/assignments", post(enterprise::assign))
        .route("/portal/enterprise/{id}/assignments/{assignment}/delete", post(enterprise::unassign))
        .route("/portal/enterprise/{id}/granted/{assignment}/delete", post(enterprise::revoke_role))
        .route("/portal/enterprise/{id}/grants/{grant}/delete", post(enterprise::revoke_grant))
        .route("/portal/identities", get(identities::list).post(identities::create))
        .route("/portal/identities/{id}", get(identities::show))
        .route("/portal/identities/{id}/delete", post(identities::delete))
        .route("/portal/identities/{id}/certificates", post(identities::add_certificate))
        .route("/portal/identities/{id}/endpoint-secret", post(identities::endpoint_secret))
        .route("/portal/identities/{id}/assignments", post(identities::assign))
        .route("/portal/identities/{id}/granted/{assignment}/delete", post(identities::revoke))
        .route("/portal/users", get(users::list).post(users::create))
        .route("/portal/users/{id}", get(users::show))
        .route("/portal/users/{id}/password", post(users::reset_password))
        .route("/portal/users/{id}/enabled", post(users::set_enabled))
        .route("/portal/users/{id}/admin", post(users::set_admin))
        .route("/portal/sign-ins", get(logs::sign_ins))
        .route("/portal/audit", get(logs::audits))
        .route("/portal/keys", get(keys::show))
        .route("/portal/keys/rotate", post(keys::rotate))
        .route("/portal/tenants", get(tenants::list).post(tenants::create))
        .layer(axum::extract::DefaultBodyLimit::max(form::MAX_BODY_BYTES))
        .with_state(Arc::new(portal))
}
