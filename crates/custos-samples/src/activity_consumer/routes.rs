//! The app's routes and what they share.

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use super::retrieval::Retrieval;
use super::settings::AppCredential;
use super::{onboarding, pages, webhook};

/// The largest request body (webhook notifications).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything the routes share.
#[derive(Debug)]
pub struct ConsumerState {
    /// The authority's base URL.
    pub authority: String,
    /// The app's client id.
    pub client_id: String,
    /// The app's credential (the code redemption).
    pub credential: AppCredential,
    /// The app's own base URL.
    pub public_url: String,
    /// Whether cookies get `Secure`.
    pub secure_cookie: bool,
    /// Content types subscribed to per tenant.
    pub content_types: Vec<String>,
    /// Store, Activity API, clock.
    pub retrieval: Retrieval,
}

impl ConsumerState {
    /// `{public_url}/callback`.
    pub fn redirect_uri(&self) -> String {
        format!("{}/callback", self.public_url)
    }

    /// `{public_url}/webhook`.
    pub fn webhook_address(&self) -> String {
        format!("{}/webhook", self.public_url)
    }
}

/// `GET /`, `GET /connect`, `GET /callback`, `POST /webhook`, `GET /tenants`.
pub fn routes(state: Arc<ConsumerState>) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/connect", get(onboarding::connect))
        .route("/callback", get(onboarding::callback))
        .route("/webhook", post(webhook::listener))
        .route("/tenants", get(pages::tenants))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
