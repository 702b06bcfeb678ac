//! Seed 003's user path: a browser signs in at `GET /ExternalAuthentication/Login`, comes back to
//! `GET /ExternalAuthentication/Callback`, whose 302 `Location` carries `AccessToken` and
//! `RefreshToken`; `POST /api/v1/ExternalAuthToken/RefreshToken/{identityProvider}` trades a refresh
//! token for a new pair. Served only with `UserAuthEnabled=true` ([`super::user_settings`]).
//!
//! The sample is a confidential web client of the authority (as the real portal is of its identity
//! provider): it sends the browser to `{authority}/{tenant}/oauth2/v2.0/authorize` with
//! `response_type=code`, PKCE S256, `state` and `nonce`, all bound to the browser by a sealed,
//! short-lived cookie ([`cookie`]), and redeems the code at the v2 token endpoint with its secret
//! ([`authority`]). Decisions (custos' own; seed 003 only says the `Location` header "contains the
//! Access Token and Refresh Token"):
//!
//! - the callback answers `302 Location: {UserAuthPublicUrl}/ExternalAuthentication/Complete#AccessToken=…&RefreshToken=…&ExpiresIn=…`:
//!   the tokens travel in the fragment, which browsers never send to a server or in `Referer`;
//! - a callback without this browser's cookie, or whose `state` is not the cookie's, is a 400 page and
//!   never a token request; an error from the authority (`error=access_denied`: 403, others: 400) is
//!   shown, with its code, and gives no tokens; a code the token endpoint refuses is a 400 naming the
//!   AADSTS code; an authority that cannot be reached, or that refuses the sample's own credentials,
//!   is a 502;
//! - the refresh route's answer is the sample's own shape, `{"AccessToken","RefreshToken","ExpiresIn"}`
//!   (MCT documents none); only `AZUREAD` is served (`PHONE` and `EMAIL` are MCT's own sign-ins, not
//!   the sample's), and a refresh token the authority refuses is a 400 problem document carrying the
//!   authority's `error` and `errorCodes` (70008 expired, 700082 inactive, 50173 a reused one).

pub mod authority;
pub mod cookie;
pub mod page;
pub mod routes;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use custos_core::Clock;
use custos_guard::GuardConfig;
use reqwest::Url;

use super::extract::MAX_BODY_BYTES;
use super::user_settings::SignInClient;
use authority::TokenEndpoint;
use cookie::CookieSealer;

/// Everything the sign-in routes share.
#[derive(Debug)]
pub struct UserAuth {
    /// The sample's registration and its URLs.
    pub client: SignInClient,
    /// `{authority}/{tenant}/oauth2/v2.0/authorize`.
    pub authorize_url: Url,
    /// The token endpoint with the sample's credentials.
    pub token: TokenEndpoint,
    /// Seals the sign-in cookie.
    pub cookies: CookieSealer,
    /// Time for cookie expiry.
    pub clock: Arc<dyn Clock>,
}

/// Why the sign-in routes could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The authority's HTTP client (CA file) could not be built.
    #[error(transparent)]
    Client(#[from] custos_guard::FetchError),
    /// The authority URL cannot be extended with the tenant's endpoints.
    #[error("the authority URL cannot hold the tenant's endpoints: {0}")]
    Url(String),
    /// The system random generator failed.
    #[error(transparent)]
    Random(#[from] custos_jose::random::RandomError),
}

impl UserAuth {
    /// The sign-in against the guard's authority and tenant, with the guard's HTTP client.
    pub fn new(client: SignInClient, guard: &GuardConfig, clock: Arc<dyn Clock>) -> Result<Self, SetupError> {
        let mut base = guard.authority().clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let tenant = guard.tenant_id();
        let endpoint =
            |path: &str| base.join(&format!("{tenant}/{path}")).map_err(|e| SetupError::Url(e.to_string()));
        let authorize_url = endpoint("oauth2/v2.0/authorize")?;
        let token_url = endpoint("oauth2/v2.0/token")?;
        let http = custos_guard::authority_http_client(guard)?;
        let token = TokenEndpoint::new(http, token_url, client.client_id, client.client_secret.clone());
        let cookies = CookieSealer::new(client.secure_cookie)?;
        Ok(Self { client, authorize_url, token, cookies, clock })
    }
}

/// The sign-in routes (lower-case paths: [`super::routes::lowercase_api_path`] folds requests) and
/// the refresh route; none is behind the guard (a caller refreshing has no valid token).
pub fn routes(auth: Arc<UserAuth>) -> Router {
    Router::new()
        .route("/externalauthentication/login", get(routes::login))
        .route("/externalauthentication/callback", get(routes::callback))
        .route("/externalauthentication/complete", get(page::complete))
        .route("/api/v1/externalauthtoken/refreshtoken/{identity_provider}", post(routes::refresh))
        .method_not_allowed_fallback(super::routes::method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(auth)
}
