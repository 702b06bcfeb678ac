//! Interactive sign-in: the browser side of Entra's authorization-code flow.
//!
//! This crate owns the authorize endpoints (`/{tenant}/oauth2/authorize`,
//! `/oauth2/v2.0/authorize`), admin consent (`/adminconsent`, `/v2.0/adminconsent`), logout, the server-rendered sign-in,
//! consent and error pages, browser and session cookies, CSRF tokens, redirect-URI matching,
//! PKCE challenge checks and the authorization response in every `response_mode`. The token
//! endpoint's side of codes (redemption, PKCE verifiers, refresh tokens, claims) is
//! `custos-authority`'s.
//!
//! It depends on `custos-core`, `custos-jose` (all cryptography: HMAC, randomness, hashing,
//! constant-time comparison) and, for the handlers, `custos-store` and `custos-directory`
//! (whose `consent` module writes what consent grants), and `custos-listener` for the peer's
//! address each request carries (`ConnectionInfo`). It must not depend on
//! `custos-authority` or `custos-server`. Time comes only from an injected
//! [`custos_core::Clock`].
//!
//! - [`request`]: parsing and validation of authorize requests ([`scopes`] for v2 `scope`).
//! - [`redirect`]: exact redirect-URI matching with the loopback exception for public clients.
//! - [`pkce`]: S256 challenges and verifiers.
//! - [`cookie`]: the browser and session cookies; [`csrf`]: anti-CSRF tokens bound to the browser.
//! - [`lockout`]: smart lockout per user and per source address.
//! - [`error`]: which errors go on a page and which are redirected; the trace ids they carry.
//! - [`respond`]: the authorization response (query, fragment, form_post).
//! - [`pages`]: sign-in, consent, "Need admin approval", error and message pages; [`html`]:
//!   escaping and the headers every page carries.
//!
//! The handlers ([`router`], [`owns`] for servers that share `/{tenant}/{*rest}` with the
//! authority, state in [`SignIn`]) are private modules: `authorize` (the flow, with its consent
//! step), `authenticate` (user name and password), `permissions` (what consent is asked for),
//! `grant` (consent through `custos_directory::consent`, and codes), `admin_consent`,
//! `logout`, and `sign_ins` (the `interactiveUser` sign-in record of each decision). Consent is written through the store's directory cache (service principal,
//! `oauth2PermissionGrant`, app role assignments); codes are stored as SHA-256 with a [`custos_core::sign_in::CodeGrant`].

mod admin_consent;
mod authenticate;
mod authorize;
pub mod cookie;
pub mod csrf;
pub mod error;
mod grant;
pub mod html;
pub mod lockout;
mod logout;
pub mod pages;
mod permissions;
pub mod pkce;
pub mod redirect;
pub mod request;
pub mod respond;
mod routes;
pub mod scopes;
mod sign_ins;
mod state;

pub use routes::{MAX_FORM_BYTES, owns, router};
pub use state::{CODE_LIFETIME_SECS, SESSION_LIFETIME_SECS, SignIn, SigninConfig};
