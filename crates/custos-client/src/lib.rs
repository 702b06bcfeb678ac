//! A token manager for Rust services: app-only access tokens from custos or from Microsoft Entra ID,
//! unchanged (Microsoft ships no MSAL for Rust).
//!
//! A [`TokenClient`] holds one [`Credential`] and gets tokens for [`Target`]s:
//!
//! - **credentials**: a client secret; a certificate ([`CertificateKey`], PEM certificate and key,
//!   signing client assertions as MSAL does: PS256 with `x5t#S256`, or RS256 with `x5t`); a
//!   managed identity ([`ManagedIdentity`]: the App Service `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`
//!   protocol or IMDS, optionally selecting a user-assigned identity); workload identity federation
//!   (an assertion read from a token file such as `AZURE_FEDERATED_TOKEN_FILE`, read again for every
//!   request so that a rotated token is used);
//! - **requests**: v2 (`scope=…/.default` on `/{tenant}/oauth2/v2.0/token`) or v1 (`resource=` on
//!   `/{tenant}/oauth2/token`), at [`DEFAULT_AUTHORITY`] (`https://login.microsoftonline.com`) or
//!   any https authority (a custos server), in one tenant or per call in any tenant
//!   ([`TokenClient::token_for_tenant`], for multi-tenant apps);
//! - **cache**: in memory, per tenant and target, bounded; a token is refreshed at the server's
//!   `refresh_in` or at half its lifetime and never handed out with less than
//!   [`MIN_REMAINING_SECS`] left; concurrent callers of one token share one request (single
//!   flight); when a refresh fails, the cached token is served while it is still good;
//! - **retries**: 429, 5xx and transport failures are retried with exponential backoff, honouring
//!   `Retry-After` ([`RetryPolicy`]); any other error (400 `invalid_scope`, 401 `invalid_client`, …)
//!   is final, and [`Error::Refused`] keeps the server's `error`, AADSTS number and message
//!   ([`ServerError`]);
//! - **time** comes from an injected [`custos_core::Clock`] (and waits from a [`Sleeper`]), so
//!   tests drive expiry, refresh and backoff with a manual clock;
//! - **using the token**: [`TokenClient::authorize`] for `reqwest` requests, [`BearerLayer`] for
//!   tower services;
//! - **trust**: custos runs with its own CA: [`TokenClientBuilder::extra_root_file`] (`--ca`)
//!   trusts an extra PEM root besides the system's.
//!
//! # Examples
//!
//! A client secret, v2 scope (runnable: `examples/client_secret.rs`):
//!
//! ```no_run
//! use custos_client::{Credential, Target, TokenClient};
//!
//! # async fn run() -> Result<(), custos_client::Error> {
//! let tokens = TokenClient::builder(Credential::client_secret("11111111-2222-3333-4444-555555555555", "the secret"))
//!     .authority("https://login.custos.example:8443") // omit for Microsoft's cloud
//!     .tenant("contoso.onmicrosoft.com")
//!     .extra_root_file("/etc/custos/ca.pem") // custos' own CA
//!     .build()?;
//! let token = tokens.token(&Target::scope("https://graph.microsoft.com/.default")).await?;
//! println!("expires at {}", token.expires_on());
//! # Ok(()) }
//! ```
//!
//! A certificate, v1 resource (`examples/certificate.rs`):
//!
//! ```no_run
//! use custos_client::{AssertionStyle, CertificateKey, Credential, Target, TokenClient};
//! use std::path::Path;
//!
//! # async fn run() -> Result<(), custos_client::Error> {
//! let key = CertificateKey::from_pem_files(Path::new("app.pem"), None)?; // PS256 + x5t#S256
//! let key = key.with_style(AssertionStyle::Rs256Sha1); // or RS256 + x5t, as older MSAL
//! let tokens = TokenClient::builder(Credential::certificate("11111111-2222-3333-4444-555555555555", key))
//!     .tenant("72f988bf-86f1-41af-91ab-2d7cd011db47")
//!     .build()?;
//! let token = tokens.token(&Target::resource("https://manage.office.com")).await?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! A managed identity from the environment (`examples/managed_identity.rs`):
//!
//! ```no_run
//! use custos_client::{Credential, ManagedIdentity, Target, TokenClient};
//!
//! # async fn run() -> Result<(), custos_client::Error> {
//! let tokens = TokenClient::builder(Credential::managed_identity(ManagedIdentity::from_env()?)).build()?;
//! let token = tokens.token(&Target::resource("api://billing")).await?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! Workload identity federation (`examples/federated.rs`):
//!
//! ```no_run
//! use custos_client::{Credential, Target, TokenClient};
//!
//! # async fn run() -> Result<(), custos_client::Error> {
//! // AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID, AZURE_AUTHORITY_HOST
//! let tokens = TokenClient::builder(Credential::federated_from_env()?).with_env().build()?;
//! let token = tokens.token(&Target::scope("api://billing/.default")).await?;
//! # let _ = token; Ok(()) }
//! ```
//!
//! # What this crate must not depend on
//!
//! It is a client library for any Rust service: among the custos crates it depends only on
//! `custos-core` (the `Clock`, `Secret`) and `custos-jose` (the RSA signer and certificate
//! thumbprints) — never on the server, authority, storage, directory or guard crates (those are
//! dev-dependencies of its tests only).

mod bearer;
mod cache;
mod client;
mod credential;
mod error;
mod managed_identity;
mod request;
mod response;
mod retry;
mod token;

pub use bearer::{BearerError, BearerLayer, BearerService};
pub use cache::MIN_REMAINING_SECS;
pub use client::{DEFAULT_AUTHORITY, TokenClient, TokenClientBuilder};
pub use credential::{AssertionStyle, CertificateKey, Credential};
pub use error::{Error, ServerError};
pub use managed_identity::{IMDS_HOST, IMDS_PATH, IdentitySelector, ManagedIdentity};
pub use retry::{RetryPolicy, Sleeper, TokioSleeper};
pub use token::{AccessToken, Target};
