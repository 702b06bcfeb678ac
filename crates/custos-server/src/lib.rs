//! HTTP wiring of custos.
//!
//! This crate owns what sits between the listener and the domain crates: the route table that
//! combines the authority, the directory API and the operational endpoints ([`app`]), the
//! adapters through which the directory API, which serves every Graph and admin route, reaches
//! the authority: callers authenticated with tokens it issued ([`caller`]), its signing keys and
//! endpoint secrets ([`admin`]); the few Azure Resource Manager answers the Azure CLI needs
//! ([`arm`]); following the changes other servers sharing the database make
//! ([`changes`]); and the development TLS certificates that `custos init` writes
//! ([`tls`]). Accepting connections (TLS termination, limits, security headers, graceful
//! shutdown) is `custos-listener`'s, which serves the router this crate builds. It holds no
//! protocol logic of its own.

pub mod admin;
pub mod app;
pub mod arm;
pub mod caller;
pub mod changes;
pub mod tls;

pub use app::{AppParts, build_router, metrics_router};
pub use changes::follow_changes;
