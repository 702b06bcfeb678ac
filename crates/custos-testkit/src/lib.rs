//! The one home of the generic helpers of the custos crates' integration tests:
//!
//! - [`ids`]: the Entra-shaped identifiers of the test tenant and its applications;
//! - [`authority`]: an in-test authority serving discovery and JWKS on `127.0.0.1:0` and signing
//!   Entra-shaped v1/v2 app tokens;
//! - [`http`]: requests sent through an axum router in-process, the whole [`http::Reply`], form
//!   bodies, and the unverified header and claims of a JWT;
//! - [`certs`]: self-signed RSA client certificates and the JWTs signed with them;
//! - [`issuer`]: an external OpenID Connect issuer over https whose answers a test can break;
//! - [`raw`]: HTTP/1.1 and HTTP/2 on a socket exactly as written (raw answers, idle closes);
//! - [`tls`]: a throw-away CA with a `localhost` server certificate, its rustls server
//!   configuration and clients trusting it.
//!
//! This crate is a dev-dependency only: no production crate may depend on it. It depends on
//! nothing of custos but `custos-jose` (its `testing` signer and certificate parsing), so that any
//! crate can use it without a dependency cycle. What stays out:
//!
//! - harnesses that need a crate's own types (a guard, a gateway, the directory router state, the
//!   `custos` binary, a store) stay in that crate's `tests/common` (or `tests/support`);
//! - the seeded in-memory authority that the authority's and the server's tests share is
//!   `custos_authority::testing` (feature `testing`), since it is built from the authority's,
//!   store's and core's types;
//! - `custos-jose`'s own tests keep their own helpers: this crate depends on `custos-jose`, so
//!   using it there would be a dev-dependency cycle (two copies of `custos-jose`'s types).

pub mod authority;
pub mod certs;
pub mod http;
pub mod ids;
pub mod issuer;
pub mod raw;
pub mod tls;
