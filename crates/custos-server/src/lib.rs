//! HTTP wiring of custos.
//!
//! This crate owns what sits between a socket and the domain crates: the route table that
//! combines the authority, the directory API and the operational endpoints ([`app`]), request
//! limits, TLS termination and graceful shutdown ([`listener`]), and the adapter that lets the
//! directory API authenticate callers with tokens the authority issued ([`caller`]). It holds no
//! protocol logic of its own.

pub mod app;
pub mod caller;
pub mod listener;
pub mod tls;

pub use app::{AppParts, build_router};
pub use listener::{Limits, Listener, serve, serve_with};
