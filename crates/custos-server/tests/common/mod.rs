//! The server's test harness: the directory API wired to an authority the way `custos serve`
//! wires it (the server's own adapters), over the seeded in-memory authority
//! (`custos_authority::testing`); the generic in-process HTTP helpers are `custos_testkit::http`.

#![allow(dead_code, unreachable_pub, unused_imports)] // each test binary uses a different part of the fixture

pub use custos_authority::testing::*;
pub use custos_testkit::http::*;

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
        origins: custos_core::origins::Origins::single(PUBLIC_URL),
        paging_key: [5; 32],
        rate_limits: Default::default(),
        whole_reads: Default::default(),
    }
}

/// The Graph and admin routers over `authority`.
pub fn directory_routes(fx: &Fixture, authority: &Arc<Authority>) -> axum::Router {
    let state = directory_state(fx, authority);
    custos_directory::graph_router(state.clone()).merge(custos_directory::admin_router(state))
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;
