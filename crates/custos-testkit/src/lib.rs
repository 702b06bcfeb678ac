//! Fixtures shared by the custos crates' integration tests: the Entra-shaped identifiers of the test
//! tenant and its applications ([`ids`]) and an in-test authority that serves discovery and JWKS on
//! `127.0.0.1:0` and signs Entra-shaped v1/v2 app tokens ([`authority`]).
//!
//! This crate is a dev-dependency only: no production crate may depend on it. It depends on nothing
//! of custos but `custos-jose`'s `testing` signer, so that any crate but `custos-jose` itself can
//! use it without a second copy of its own types; fixtures that need a crate's types (a guard, a
//! gateway, a store) stay in that crate's `tests/common`.

pub mod authority;
pub mod ids;
