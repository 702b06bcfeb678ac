//! The directory API of custos: a Microsoft Graph v1.0 subset (`/v1.0/...`: applications and
//! their secrets, certificates and federated identity credentials, service principals, app role
//! assignments, the organization, users and `/me`, directory role assignments, delegated
//! permission grants, the directory audit log) and all of custos' own admin API (`/admin/v1/...`: tenants,
//! their settings and admin consent, managed identities with their credentials and endpoint secrets, signing
//! keys), plus tenant [`provision`]ing used by `custos init` and `custos recover-admin`, the
//! [`provision_apps`] functions that register resource APIs, clients and their service
//! principals for trusted callers (`custos serve --demo`), and [`consent`], what accepting an
//! application's permissions writes (used by the sign-in pages, the admin API and the Azure
//! portal's API route the Azure CLI posts admin consent to, [`portal_api_router`]). Both APIs limit
//! each caller's request rate ([`rate_limit`]).
//!
//! What belongs to the authority reaches this crate through narrow seams the server implements
//! with it: [`BearerAuthenticator`] (token verification), [`SigningKeys`] (list and rotate) and
//! [`EndpointSecrets`] (managed identities' endpoint secrets). So this crate depends only on
//! `custos-core`, `custos-jose` (secret generation and hashing, certificate parsing),
//! `custos-listener` (the peer address every request carries, for audits) and the [`Store`]
//! trait, never on `custos-authority`. Every change it makes is recorded in the same store
//! transaction as a directory audit naming the caller (its `audit` module). Every route works inside the caller's tenant
//! (the token's `tid`): objects of other tenants are 404, never visible.

mod admin;
mod admin_consent;
mod app_properties;
mod applications;
mod assignments;
mod audit;
mod audit_logs;
mod auth;
mod batch;
mod body;
pub mod builtins;
mod certificates;
pub mod consent;
mod delta;
mod directory_objects;
mod endpoint_secrets;
mod error;
mod fallback;
mod federated_credentials;
mod federated_routes;
mod filter;
#[doc(hidden)]
pub mod fuzzing;
mod key_credentials;
mod keyed;
mod listing;
mod log_paging;
mod managed_identities;
mod no_store;
mod odata;
pub mod openapi;
mod ordering;
mod organization;
mod owners;
mod passwords;
mod permission_grants;
mod permissions;
pub mod portal_app;
mod portal_consent;
mod privileged;
mod proof;
pub mod provision;
pub mod provision_apps;
pub mod provision_users;
pub mod rate_limit;
mod resolve;
mod role_assignments;
mod search;
mod service_principals;
mod shapes;
mod sign_in_logs;
mod sign_in_settings;
mod signing_keys;
mod sp_properties;
mod user_admins;
mod user_shapes;
mod users;
mod validate;

pub use auth::{BearerAuthenticator, Caller, RequestOrigin};
pub use body::MAX_BODY_BYTES;
pub use endpoint_secrets::{EndpointSecretError, EndpointSecrets, IssuedEndpointSecret};
pub use error::GraphError;
pub use listing::WholeReads;
pub use rate_limit::{CallerLimits, RateLimitConfig};
pub use signing_keys::{SigningKey, SigningKeyError, SigningKeys};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, delete, get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::Clock;
use custos_core::origins::Origins;
use custos_jose::secret::SecretHasher;
use custos_store::Store;
use std::sync::Arc;
use uuid::Uuid;

/// Everything the directory handlers need. Built once by the server and cloned per request.
#[derive(Clone)]
pub struct DirectoryState {
    /// The directory (the server passes the caching `custos_store::Directory`).
    pub store: Arc<dyn Store>,
    /// Verifies bearer tokens.
    pub authenticator: Arc<dyn BearerAuthenticator>,
    /// The authority's signing keys.
    pub signing_keys: Arc<dyn SigningKeys>,
    /// The authority's endpoint secrets of managed identities.
    pub endpoint_secrets: Arc<dyn EndpointSecrets>,
    /// Hashes new client secrets.
    pub hasher: SecretHasher,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Where the server answers: Graph's origin for `@odata.context` and `@odata.nextLink`, the
    /// public URL for the portal and managed-identity endpoints.
    pub origins: Origins,
    /// The key that MACs `$skiptoken`s.
    pub paging_key: [u8; 32],
    /// Request rates per caller on both APIs ([`rate_limit`]).
    pub rate_limits: Arc<CallerLimits>,
    /// The permits of whole-tenant list reads ([`listing`]): at most two at once per server.
    pub whole_reads: WholeReads,
}

impl std::fmt::Debug for DirectoryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryState")
            .field("origins", &self.origins)
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl DirectoryState {
    /// The page a list request asks for (`$filter`, `$top`, `$skiptoken`, `$select`) of a
    /// top-level entity set of `tenant` (`users`, `applications`, ...), with `@odata.nextLink`.
    pub(crate) fn list_page(
        &self,
        tenant: custos_core::TenantId,
        entity_set: &str,
        query: &odata::ListQuery,
        items: Vec<serde_json::Value>,
    ) -> Result<axum::Json<serde_json::Value>, GraphError> {
        let collection = odata::Collection { path: entity_set.to_owned(), context: entity_set.to_owned() };
        odata::Pager::new(&self.paging_key, tenant, self.origins.graph())
            .page(&collection, query, items)
            .map(axum::Json)
    }

    /// The pager of `tenant`'s log collections (`auditLogs/...`).
    pub(crate) fn log_pager(&self, tenant: custos_core::TenantId) -> log_paging::LogPager<'_> {
        log_paging::LogPager::new(&self.paging_key, tenant, self.origins.graph())
    }
}

/// A new app role assignment id: 43 characters of base64url (32 random bytes), the form of
/// Graph's assignment ids.
pub fn new_assignment_id() -> String {
    let mut bytes = [0u8; 32];
    bytes[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    bytes[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The Microsoft Graph subset under `/v1.0`, with JSON batching (`/v1.0/$batch`) over it.
pub fn graph_router(state: DirectoryState) -> Router {
    let canonical = graph_routes(state.clone(), None);
    let items = graph_routes(state.clone(), Some(canonical));
    let batch = Router::new()
        .route("/v1.0/$batch", post(batch::batch))
        .layer(axum::extract::Extension(batch::Items(items.clone())))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(body::refuse_oversized))
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::envelope))
        .with_state(state);
    items.merge(batch)
}

/// Every Graph route but `$batch` (what a batch's requests run through). A path no route serves
/// is run again through `canonical` (the same routes) when its segment names differ from
/// Graph's only in case; `canonical` itself has no error envelope of its own (the outer one
/// renders its errors).
fn graph_routes(state: DirectoryState, canonical: Option<Router>) -> Router {
    use applications as apps;
    use assignments as asg;
    use federated_routes as fic;
    use permission_grants as grants;
    use role_assignments as roles;
    use service_principals as sps;
    let routes = Router::new()
        .route("/v1.0/applications", get(apps::list).post(apps::create))
        .route("/v1.0/applications/$count", get(apps::count))
        .route("/v1.0/applications/delta", get(delta::applications))
        .route("/v1.0/applications/delta()", get(delta::applications))
        .route("/v1.0/applications/microsoft.graph.delta", get(delta::applications))
        .route("/v1.0/applications/microsoft.graph.delta()", get(delta::applications))
        .route("/v1.0/applications/{id}", get(apps::get).patch(apps::patch).delete(apps::delete))
        .route("/v1.0/applications/{id}/addPassword", post(passwords::add))
        .route("/v1.0/applications/{id}/removePassword", post(passwords::remove))
        .route("/v1.0/applications/{id}/addKey", post(certificates::add))
        .route("/v1.0/applications/{id}/removeKey", post(certificates::remove))
        .route("/v1.0/applications/{id}/federatedIdentityCredentials", get(fic::list).post(fic::create))
        .route(
            "/v1.0/applications/{id}/federatedIdentityCredentials/{credential}",
            get(fic::show).patch(fic::update).delete(fic::delete),
        )
        .route("/v1.0/servicePrincipals", get(sps::list).post(sps::create))
        .route("/v1.0/servicePrincipals/$count", get(sps::count))
        .route("/v1.0/servicePrincipals/delta", get(delta::service_principals))
        .route("/v1.0/servicePrincipals/delta()", get(delta::service_principals))
        .route("/v1.0/servicePrincipals/microsoft.graph.delta", get(delta::service_principals))
        .route("/v1.0/servicePrincipals/microsoft.graph.delta()", get(delta::service_principals))
        .route("/v1.0/servicePrincipals/{id}", get(sps::get).patch(sps::patch).delete(sps::delete))
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignedTo",
            get(asg::list_assigned_to).post(asg::create_assigned_to),
        )
        .route("/v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment}", delete(asg::delete_assigned_to))
        .route(
            "/v1.0/servicePrincipals/{id}/appRoleAssignments",
            get(asg::list_assignments).post(asg::create_assignment),
        )
        .route("/v1.0/servicePrincipals/{id}/appRoleAssignments/{assignment}", delete(asg::delete_assignment))
        .route("/v1.0/applications/{id}/owners", get(owners::list_of_application))
        .route("/v1.0/applications/{id}/owners/$ref", post(owners::add_to_application))
        .route("/v1.0/applications/{id}/owners/{owner}/$ref", delete(owners::remove_from_application))
        .route("/v1.0/servicePrincipals/{id}/owners", get(owners::list_of_service_principal))
        .route("/v1.0/servicePrincipals/{id}/owners/$ref", post(owners::add_to_service_principal))
        .route(
            "/v1.0/servicePrincipals/{id}/owners/{owner}/$ref",
            delete(owners::remove_from_service_principal),
        )
        .route("/v1.0/{entity}/owners", get(owners::list_keyed))
        .route("/v1.0/{entity}/owners/$ref", post(owners::add_keyed))
        .route("/v1.0/{entity}/owners/{owner}/$ref", delete(owners::remove_keyed))
        .route("/v1.0/organization", get(organization::list))
        .route("/v1.0/directoryObjects/getByIds", post(directory_objects::get_by_ids))
        .route("/v1.0/me", get(users::me))
        .route("/v1.0/users", get(users::list).post(users::create))
        .route("/v1.0/users/$count", get(users::count))
        .route("/v1.0/users/{id}", get(users::get).patch(users::patch).delete(users::delete))
        .route("/v1.0/users/{id}/revokeSignInSessions", post(users::revoke_sign_in_sessions))
        .route("/v1.0/roleManagement/directory/roleAssignments", get(roles::list).post(roles::create))
        .route("/v1.0/roleManagement/directory/roleAssignments/{id}", get(roles::get).delete(roles::delete))
        .route("/v1.0/oauth2PermissionGrants", get(grants::list).post(grants::create))
        .route(
            "/v1.0/oauth2PermissionGrants/{id}",
            get(grants::get).patch(grants::patch).delete(grants::delete),
        )
        .route("/v1.0/auditLogs/directoryAudits", get(audit_logs::list).fallback(audit_logs::read_only))
        .route("/v1.0/auditLogs/directoryAudits/{id}", get(audit_logs::get).fallback(audit_logs::read_only))
        .route("/beta/auditLogs/directoryAudits", get(audit_logs::list).fallback(audit_logs::read_only))
        .route("/beta/auditLogs/directoryAudits/{id}", get(audit_logs::get).fallback(audit_logs::read_only))
        .route("/v1.0/auditLogs/signIns", get(sign_in_logs::list).fallback(sign_in_logs::read_only))
        .route("/v1.0/auditLogs/signIns/{id}", get(sign_in_logs::get).fallback(sign_in_logs::read_only))
        .route("/beta/auditLogs/signIns", get(sign_in_logs::list).fallback(sign_in_logs::read_only))
        .route("/beta/auditLogs/signIns/{id}", get(sign_in_logs::get).fallback(sign_in_logs::read_only))
        .route("/v1.0/{entity}", get(keyed::get).patch(keyed::patch).delete(keyed::delete))
        .route("/v1.0/{entity}/addPassword", post(keyed::add_password))
        .route("/v1.0/{entity}/removePassword", post(keyed::remove_password))
        .route("/v1.0/{entity}/addKey", post(keyed::add_key))
        .route("/v1.0/{entity}/removeKey", post(keyed::remove_key))
        .route("/v1.0/{entity}/federatedIdentityCredentials", get(fic::list).post(fic::create))
        .route(
            "/v1.0/{entity}/federatedIdentityCredentials/{credential}",
            get(fic::show).patch(fic::update).delete(fic::delete),
        )
        .route(
            "/v1.0/{entity}/appRoleAssignedTo",
            get(asg::keyed_list_assigned_to).post(asg::keyed_create_assigned_to),
        )
        .route("/v1.0/{entity}/appRoleAssignedTo/{assignment}", delete(asg::keyed_delete_assigned_to))
        .route(
            "/v1.0/{entity}/appRoleAssignments",
            get(asg::keyed_list_assignments).post(asg::keyed_create_assignment),
        )
        .route("/v1.0/{entity}/appRoleAssignments/{assignment}", delete(asg::keyed_delete_assignment))
        // What no route above serves (matchit refuses a catch-all beside `{entity}`).
        .route("/v1.0/{entity}/{segment}", any(fallback::not_served))
        .route("/v1.0/{entity}/{segment}/{item}", any(fallback::not_served))
        .route("/v1.0/{entity}/{segment}/{item}/{*rest}", any(fallback::not_served))
        .route("/beta/{*rest}", any(fallback::not_served))
        .layer(axum::extract::Extension(fallback::Canonical(canonical.clone())))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(body::refuse_oversized));
    let routes = if canonical.is_some() {
        routes.layer(axum::middleware::from_fn_with_state(state.clone(), error::envelope))
    } else {
        routes
    };
    routes.with_state(state)
}

/// The Azure portal's API route `az ad app permission admin-consent` posts to
/// (`POST /api/RegisteredApplications/{appId}/Consent`, module `portal_consent`). `state`'s
/// authenticator must accept tokens for the Azure portal's API
/// ([`builtins::PORTAL_API_APP_ID`]), not the directory API's.
pub fn portal_api_router(state: DirectoryState) -> Router {
    Router::new()
        .route("/api/RegisteredApplications/{app_id}/Consent", post(portal_consent::consent))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(body::refuse_oversized))
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::envelope))
        .with_state(state)
}

/// custos' own admin API under `/admin/v1` (app role `Custos.Admin` on the directory resource).
pub fn admin_router(state: DirectoryState) -> Router {
    use federated_routes as fic;
    use managed_identities as mi;
    Router::new()
        .route("/admin/v1/signing-keys", get(signing_keys::list))
        .route("/admin/v1/signing-keys/rotate", post(signing_keys::rotate))
        .route("/admin/v1/tenants", get(admin::list_tenants).post(admin::create_tenant))
        .route("/admin/v1/tenants/{tenant}", get(admin::get_tenant))
        .route("/admin/v1/tenants/{tenant}/settings", get(admin::get_settings).patch(admin::patch_settings))
        .route("/admin/v1/tenants/{tenant}/consent", post(admin_consent::grant))
        .route("/admin/v1/tenants/{tenant}/managedIdentities", get(mi::list).post(mi::create))
        .route("/admin/v1/tenants/{tenant}/managedIdentities/{id}", get(mi::get).delete(mi::delete))
        .route("/admin/v1/tenants/{tenant}/managedIdentities/{id}/credentials", post(mi::add_credential))
        .route(
            "/admin/v1/tenants/{tenant}/managedIdentities/{id}/endpointSecret",
            post(endpoint_secrets::create).delete(endpoint_secrets::remove),
        )
        .route(
            "/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials",
            get(fic::list).post(fic::create),
        )
        .route(
            "/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials/{credential}",
            get(fic::show).patch(fic::update).delete(fic::delete),
        )
        .route("/admin/v1/openapi.json", get(openapi::document))
        .route("/admin/v1/{*rest}", any(fallback::not_served))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(body::refuse_oversized))
        .layer(axum::middleware::from_fn_with_state(state.clone(), error::envelope))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #[test]
    fn assignment_ids_are_43_char_base64url_and_distinct() {
        let a = super::new_assignment_id();
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_ne!(a, super::new_assignment_id());
    }
}
