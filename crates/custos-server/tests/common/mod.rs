//! The authority's test fixture (shared with its own tests, not copied), plus the directory API
//! wired to an authority the way `custos serve` wires it.

#![allow(dead_code, unreachable_pub)] // each test binary uses a different part of the fixture

#[path = "../../../custos-authority/tests/common/mod.rs"]
mod fixture;

pub use fixture::*;

use custos_authority::Authority;
use custos_directory::DirectoryState;
use custos_jose::secret::SecretHasher;
use custos_server::admin::{AuthorityEndpointSecrets, AuthoritySigningKeys};
use custos_server::caller::AuthorityCallers;
use std::sync::Arc;

/// The directory API's state over `authority` and the fixture's directory and clock.
pub fn directory_state(fx: &Fixture, authority: &Arc<Authority>) -> DirectoryState {
    DirectoryState {
        store: fx.directory.clone(),
        authenticator: Arc::new(AuthorityCallers(authority.clone())),
        signing_keys: Arc::new(AuthoritySigningKeys(authority.clone())),
        endpoint_secrets: Arc::new(AuthorityEndpointSecrets(authority.clone())),
        hasher: SecretHasher::new(&[3; 32]),
        clock: fx.clock.clone(),
        public_url: PUBLIC_URL.to_owned(),
        paging_key: [5; 32],
    }
}

/// The Graph and admin routers over `authority`.
pub fn directory_routes(fx: &Fixture, authority: &Arc<Authority>) -> axum::Router {
    let state = directory_state(fx, authority);
    custos_directory::graph_router(state.clone()).merge(custos_directory::admin_router(state))
}
