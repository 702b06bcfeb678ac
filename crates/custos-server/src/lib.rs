//! HTTP wiring of custos.
//!
//! This crate owns what sits between a socket and the domain crates: the route table that
//! combines the authority, the directory API and the operational endpoints ([`app`]), request
//! limits, TLS termination and graceful shutdown ([`listener`]), and the adapters through which
//! the directory API, which serves every Graph and admin route, reaches the authority: callers
//! authenticated with tokens it issued ([`caller`]), its signing keys and endpoint secrets
//! ([`admin`]). It holds no protocol logic of its own.

pub mod admin;
pub mod app;
pub mod caller;
pub mod listener;
pub mod tls;

pub use app::{AppParts, build_router};
pub use listener::{Limits, Listener, serve, serve_with};
