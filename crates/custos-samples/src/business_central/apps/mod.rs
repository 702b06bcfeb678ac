//! "Microsoft Entra Applications" (BC list page 9860, card 9861, table 9012 "AAD Application";
//! resource-apis.md §3): which client applications may call the sample, whether they are Enabled,
//! and the permission sets of their users. Managed with `custos sample business-central apps ...`
//! ([`cli`]) or `--register-app` at start ([`Applications::register`]); read on every request by the
//! authorization middleware.

pub(crate) mod access;
pub mod cli;
mod model;
pub(crate) mod permission_sets;
mod store;

#[cfg(test)]
mod tests;

pub(crate) use model::{AppError, AppState, ClientId, Description, normalise_role_id};
pub(crate) use store::{Applications, CallerAccess};
