//! Managed identities' local token protocols, and the server's development endpoints for them.
//!
//! - [`protocol`]: the App Service and IMDS request and response shapes, shared by
//!   `custos agent` and the server;
//! - `endpoint`: the server's own `GET /msi/token` and `GET /metadata/identity/oauth2/token`
//!   (also under `/msi/{secret}/`), for the identity an endpoint secret names; answered only when
//!   the server runs with `--dev-managed-identity-endpoints`
//!   ([`crate::AuthorityConfig::managed_identity_endpoints`]);
//! - `secret`: the endpoint secrets, stored as keyed hashes in their own hash domain;
//! - `admin`: making and removing endpoint secrets, for the admin API (served by
//!   custos-directory: `/admin/v1/tenants/{tenant}/managedIdentities/{id}/endpointSecret`).

mod admin;
mod endpoint;
pub mod protocol;
mod secret;

use crate::Authority;
use std::sync::Arc;

pub use admin::{EndpointSecretError, NewEndpointSecret};

/// The development endpoints.
pub fn router(auth: Arc<Authority>) -> axum::Router {
    endpoint::routes().with_state(auth)
}
