//! Sample protected APIs that behave like the products of the seeds, so that S2S integrations can
//! be developed and tested against custos on one machine:
//!
//! - [`business_central`]: Business Central's API v2.0 and Automation API (seeds 001, 002), with
//!   BC's OData query options, ETags, error bodies and its "Microsoft Entra Applications" card;
//! - [`community_training`]: Microsoft Community Training's REST API with seed 000's S2S settings and
//!   seed 003's user path (the sample signs users in at the authority as a confidential web client);
//! - [`office365_management`]: the Office 365 Management Activity API (seed 004): subscriptions,
//!   content blobs in the common audit schema (`Audit.AzureActiveDirectory` is the tenant's own
//!   custos log, read through Graph), `NextPageUri` paging, AF errors and webhooks with a durable
//!   outbox;
//! - [`activity_consumer`]: the app of seed 004's "Building an app" that consumes that API for
//!   many tenants (consent onboarding, tenant store, token manager, webhook listener, polling).
//!
//! Each sample is an axum [`Router`](axum::Router) behind `custos-guard`; the `custos` binary
//! serves it (`custos sample <name>`). This crate depends on `custos-core`, `custos-guard`,
//! `custos-client` (the Activity sample's own Graph tokens) and `custos-jose` (randomness, HMAC,
//! hashing) only: never on the authority, the
//! directory or custos' own store, which it reaches over HTTP like any client.

pub mod activity_consumer;
pub mod business_central;
pub mod common;
pub mod community_training;
pub mod office365_management;
pub mod sqlite_file;

pub use common::{Listen, Sample, ServeArgs, TlsArgs};
