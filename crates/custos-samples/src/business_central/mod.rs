//! `custos sample business-central`: an API that behaves like Dynamics 365 Business Central's API
//! v2.0 and Automation API (seeds 001, 002; resource-apis.md §1-3), protected like BC protects them
//! for service-to-service calls:
//!
//! 1. `custos-guard` validates the bearer token (audience `https://api.businesscentral.dynamics.com`
//!    by default, the tenant of `--tenant`, keys from `--authority`); its refusals are RFC 6750's;
//! 2. [`authorize`] applies BC's rules: the route's app role, an Enabled card in Microsoft Entra
//!    Applications for the client id, and the card's permission sets;
//! 3. the API v2.0 routes (`api`) or the Automation API routes (`automation`) answer.
//!
//! [`Cli`] also has `apps ...` subcommands that edit the Microsoft Entra Applications card store
//! ([`apps`]) and exit, and `--register-app CLIENT_ID=PERMSET[,PERMSET]` to register and enable an
//! app at start (demos). Data lives in `business-central.db` under `--data-dir`.

// API v2.0 data (BC-1).
mod api;
#[cfg(test)]
mod api_tests;
mod db;
mod entities;
mod error;
mod etag;
#[doc(hidden)]
pub mod fuzzing;
mod inbound;
mod metadata;
mod odata;
mod seed;
mod state;

// Registration, authorization and the Automation API (BC-2).
pub mod apps;
mod authorize;
mod automation;
mod serve;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

pub use serve::{Cli, Command, DEFAULT_AUDIENCE, prepare};
