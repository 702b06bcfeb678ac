//! What the portal is built from: the server's public URL, its keys and the in-process API.

use axum::Router;
use custos_core::{Clock, Secret};
use custos_signin::cookie::Cookies;
use custos_signin::csrf::CsrfKey;
use std::sync::Arc;

/// The portal's settings, parsed and checked by the server.
#[derive(Clone)]
pub struct PortalConfig {
    /// The server's public URL, without a trailing `/`.
    pub public_url: String,
    /// The 32-byte key sessions are sealed under (`DIR/keys/portal`).
    pub session_key: Secret<[u8; 32]>,
    /// The server's anti-CSRF key (shared with the sign-in pages; tokens are bound to the
    /// portal's own session cookie).
    pub csrf_key: Secret<[u8; 32]>,
    /// The clock sessions expire by.
    pub clock: Arc<dyn Clock>,
}

/// The portal's state.
pub struct Portal {
    pub(crate) public_url: String,
    pub(crate) cookies: Cookies,
    pub(crate) session_key: Secret<[u8; 32]>,
    pub(crate) csrf: CsrfKey,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) api: Router,
}

impl Portal {
    /// A portal calling `api` (the server's Graph, admin and token routes) in process.
    pub fn new(config: PortalConfig, api: Router) -> Self {
        let public_url = config.public_url.trim_end_matches('/').to_owned();
        Self {
            cookies: Cookies::for_public_url(&public_url),
            public_url,
            session_key: config.session_key,
            csrf: CsrfKey::new(&config.csrf_key),
            clock: config.clock,
            api,
        }
    }
}
