//! Resource-side validation of custos (and Entra ID) access tokens for one API.
//!
//! A [`GuardConfig`] (the `interface.md` keys, from TOML or App Service-style environment variables) and
//! an injected [`Clock`](custos_core::Clock) build a [`Guard`], which fetches the tenant's v1/v2 discovery
//! documents and JWKS from the authority, caches the keys, and checks bearer tokens per RFC 9068 §4 and
//! `security.md` §4/§6. It is used through
//!
//! - [`GuardLayer`], a tower layer for axum or hyper services, which puts the [`Principal`] in the request
//!   extensions;
//! - the axum extractor (`Principal` implements `FromRequestParts`);
//! - [`Guard::validate`], a plain async function over [`http::HeaderMap`] for other frameworks.
//!
//! A [`Policy`] (the configured one, or one per route) decides who gets in: the seed 000 rules for app
//! tokens, the required scopes for delegated (user) tokens, and which of the two kinds a route takes
//! at all (`security.md` §9 E38). [`authority_http_client`] is the client the guard reaches the
//! authority with, for APIs that also call the authority themselves (redeeming sign-in codes).
//!
//! Refusals follow RFC 6750 §3 (see [`GuardError`]). Among the custos crates this one depends only on
//! `custos-core` and `custos-jose` (JWS parsing, key sets, RS256 and ES256): never on the server, storage, authority
//! or directory.

mod bearer;
mod cache;
mod config;
mod error;
mod extract;
mod guard;
mod keys;
mod layer;
mod policy;
mod principal;
mod token;

pub use bearer::{MAX_TOKEN_LEN, bearer_token};
pub use cache::DEFAULT_TOKEN_CACHE_CAPACITY;
pub use config::{ConfigError, GuardConfig, GuardConfigInput, KEYS, ListInput, MAX_LEEWAY};
pub use error::{Forbidden, GuardError, InvalidToken};
pub use guard::{CLIENT_TYPE_HEADER, Guard};
pub use keys::{
    CacheOptions, FETCH_TIMEOUT, FetchError, MAX_DOCUMENT_BYTES, MAX_KEYS, MAX_KID_LEN, authority_http_client,
};
pub use layer::{GuardLayer, GuardService};
pub use policy::{DelegatedRule, Policy};
pub use principal::{Principal, PrincipalKind, SignedInUser, TokenVersion};
