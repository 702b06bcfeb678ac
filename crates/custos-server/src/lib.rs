//! HTTP wiring of custos.
//!
//! This crate owns what sits between the listener and the domain crates: the route table that
//! combines the authority, the directory API and the operational endpoints ([`app`]), the
//! adapter that lets the directory API authenticate callers with tokens the authority issued
//! ([`caller`]), and the development TLS certificates that `custos init` writes ([`tls`]).
//! Accepting connections (TLS termination, limits, security headers, graceful shutdown) is
//! `custos-listener`'s, which serves the router this crate builds. It holds no protocol logic of
//! its own.

pub mod app;
pub mod caller;
pub mod tls;

pub use app::{AppParts, build_router};
