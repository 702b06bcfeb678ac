//! Domain types of custos.
//!
//! This crate owns the vocabulary every other crate speaks: typed identifiers ([`TenantId`],
//! [`AppId`], [`ObjectId`]), the directory objects ([`model`]), the Entra error catalogue
//! ([`aadsts`]), directory [`audit`] records, [`sign_in_log`] records and Entra's catalogue of audit activities, users and their directory roles ([`users`]), delegated permissions and consent
//! ([`consent`]), what an authorization code carries ([`sign_in`]), scope parsing ([`scope`]), the
//! public origin as the directory API's alias ([`resource_alias`]), the origins custos answers as
//! (its public URL, or Entra's host names: [`origins`]), the bounded throttling tables ([`throttle`]), per-tenant [`settings`], operator [`duration`]s, the
//! injected [`Clock`], the one reader of bearer tokens in `Authorization` headers ([`bearer`])
//! and the redacted, zeroized [`Secret`]. It performs no I/O and must not depend on any
//! framework, database driver or crypto library.

pub mod aadsts;
pub mod address;
pub mod app_properties;
pub mod audit;
pub mod bearer;
pub mod clock;
pub mod consent;
pub mod duration;
pub mod ids;
pub mod model;
pub mod origins;
pub mod resource_alias;
pub mod scope;
pub mod secret;
pub mod settings;
pub mod sign_in;
pub mod sign_in_log;
pub mod throttle;
pub mod users;

pub use clock::{Clock, FixedClock, SystemClock};
pub use ids::{AppId, ObjectId, ParseIdError, TenantId};
pub use secret::Secret;
