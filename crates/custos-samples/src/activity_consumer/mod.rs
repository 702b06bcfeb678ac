//! `custos sample activity-consumer`: the app of seed 004's "Building an app", a multi-tenant
//! consumer of the Office 365 Management Activity API (`interface.md`, issue 13 part 4):
//!
//! - [`onboarding`]: the consent experience ("Connect your organisation" → the seed's admin-consent
//!   URL → `/callback`, which redeems the code at `/common/oauth2/token` and stores the tenant);
//! - [`store`]: the tenant store (SQLite under `--data-dir`): tenants, subscriptions, content seen,
//!   events;
//! - the token manager: one `custos-client` [`TokenClient`](custos_client::TokenClient) with the
//!   app's certificate or secret, app-only tokens for `https://manage.office.com` per tenant;
//! - [`activity`]: the Activity API client (start, content listing with paging, blobs);
//! - [`webhook`]: the webhook listener (`Webhook-AuthID` per tenant, validation answered);
//! - [`retrieval`]: fetching notified blobs, and polling as the fallback;
//! - [`pages`]: the onboarding page and the tenants page with their latest events.
//!
//! Options beyond `interface.md`'s: `--activity-api URL` (the API's base, default
//! `https://manage.office.com`), `--public-url URL` (the app's own address: consent redirect
//! `{public-url}/callback`, webhook `{public-url}/webhook`), `--ca FILE`, `--content-type TYPE`
//! (repeatable), `--poll-interval DURATION` (default 60 s), `--no-webhook`.

pub mod activity;
pub mod onboarding;
pub mod pages;
pub mod retrieval;
pub mod routes;
pub mod settings;
pub mod store;
pub mod webhook;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use anyhow::Context;
use custos_core::{Clock, SystemClock};
use tokio::sync::Notify;

use crate::Sample;
use activity::ActivityApi;
use retrieval::Retrieval;
use routes::ConsumerState;
pub use settings::Cli;
use settings::Settings;
use store::Store;

/// Reads the options, opens the tenant store, builds the token manager, starts the retrieval task
/// and builds the app.
pub async fn prepare(cli: Cli) -> anyhow::Result<Sample> {
    let settings = Settings::from_cli(&cli)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Store::open(&settings.data_dir).await?;
    let tokens = token_client(&settings, Arc::clone(&clock))?;
    tracing::info!(
        authority = %settings.authority,
        client_id = %settings.client_id,
        credential = ?settings.credential,
        activity_api = %settings.activity_api,
        public_url = %settings.public_url,
        content_types = ?settings.content_types,
        poll_interval = ?settings.poll_interval,
        "activity-consumer settings"
    );
    let state = build_state(&settings, store, ActivityApi::new(tokens, settings.activity_api.clone()), clock);
    state.retrieval.clone().spawn(settings.poll_interval);
    Ok(Sample { name: "activity-consumer", router: routes::routes(Arc::new(state)), listen: settings.listen })
}

/// The routes' state for `settings`.
pub fn build_state(
    settings: &Settings,
    store: Store,
    api: ActivityApi,
    clock: Arc<dyn Clock>,
) -> ConsumerState {
    let retrieval = Retrieval {
        store,
        api: Arc::new(api),
        clock,
        kick: Arc::new(Notify::new()),
        webhook: settings.webhook.then(|| format!("{}/webhook", settings.public_url)),
    };
    ConsumerState {
        authority: settings.authority.clone(),
        client_id: settings.client_id.clone(),
        credential: settings.credential.clone(),
        public_url: settings.public_url.clone(),
        secure_cookie: settings.public_url.starts_with("https://"),
        content_types: settings.content_types.clone(),
        retrieval,
    }
}

/// The token manager: one client for every tenant (`token_for_tenant`), trusting `--ca` besides
/// the system roots.
pub fn token_client(
    settings: &Settings,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<custos_client::TokenClient> {
    let credential = settings.credential.for_client(&settings.client_id).context("--credential")?;
    let mut builder = custos_client::TokenClient::builder(credential)
        .authority(settings.authority.clone())
        .tenant("organizations")
        .clock(clock);
    if let Some(ca) = &settings.ca {
        builder = builder.extra_root_file(ca.clone());
    }
    Ok(builder.build()?)
}
