//! `custos sample office365-management`: the Office 365 Management Activity API (seed 004;
//! `audit-and-activity.md` §3, `resource-apis.md` §5) for every tenant of the authority.
//!
//! - [`settings`]: the command line, checked once;
//! - [`auth`]: one custos-guard per tenant, the AF token rules and the request budget;
//! - [`routes`]: `subscriptions/start|stop|list|content|notifications`, `audit/{contentId}`,
//!   `resources/dlpSensitiveTypes`, under `/api/v1.0/` and `/api/v1/`;
//! - [`feed`], [`error`]: content types, windows, ids, paging cursors, and the AF error shape;
//! - [`store`]: the SQLite file under `--data-dir` (subscriptions, blobs, outbox, notification log);
//! - [`producer`], [`graph`], [`mapping`]: blobs cut every interval; `Audit.AzureActiveDirectory`
//!   from the tenant's own custos log read through Graph and mapped to the common schema, the
//!   other content types from generated events;
//! - [`webhook`], [`delivery`]: webhook validation and the outbox's delivery loop.

pub mod auth;
pub mod delivery;
pub mod error;
pub mod feed;
pub mod graph;
pub mod mapping;
pub mod producer;
pub mod routes;
pub mod settings;
pub mod store;
pub mod webhook;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_webhooks;

use std::sync::Arc;

use anyhow::Context;
use custos_core::{Clock, SystemClock};

use crate::Sample;
use auth::{Guards, Throttle};
use delivery::Delivery;
use graph::{AuditSource, GraphSource};
use producer::Producer;
use routes::ActivityState;
pub use settings::Cli;
use settings::Settings;
use store::Store;
use webhook::WebhookClient;

/// How often the producer and the delivery loop run.
const TICK: std::time::Duration = std::time::Duration::from_secs(5);

/// Reads the options, opens the database, starts the producer and the delivery loop, and builds
/// the API.
pub async fn prepare(cli: Cli) -> anyhow::Result<Sample> {
    let settings = Settings::from_cli(&cli)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Store::open(&settings.data_dir).await?;
    let webhooks =
        Arc::new(WebhookClient::new(settings.allowed_webhook_hosts.clone()).context("webhook client")?);
    let graph_http = graph_client(&settings)?;
    let aad: Arc<dyn AuditSource> = Arc::new(GraphSource::new(
        graph_http,
        &settings.trust.authority,
        &settings.graph_url,
        settings.credentials.clone(),
        Arc::clone(&clock),
    ));
    let producer = Producer {
        store: store.clone(),
        clock: Arc::clone(&clock),
        aad: Some(aad),
        generate_per_minute: settings.generate_per_minute,
        interval: settings.blob_interval,
    };
    let delivery = Delivery {
        store: store.clone(),
        clock: Arc::clone(&clock),
        client: Arc::clone(&webhooks),
        base: settings.public_base.clone(),
    };
    producer.spawn(TICK);
    delivery.spawn(TICK);
    tracing::info!(
        authority = %settings.trust.authority,
        public_url = ?settings.public_base,
        client_id = %settings.credentials.client_id,
        credentials = %settings.credentials.dir.display(),
        generate_per_minute = ?settings.generate_per_minute,
        throttle_per_minute = ?settings.throttle_per_minute,
        allowed_webhook_hosts = ?settings.allowed_webhook_hosts,
        "office365-management settings"
    );
    let state = ActivityState {
        store,
        guards: Arc::new(Guards::new(settings.trust.clone(), Arc::clone(&clock))),
        clock,
        webhooks,
        base: settings.public_base.clone(),
        throttle: settings.throttle_per_minute.map(|limit| Arc::new(Throttle::new(limit))),
    };
    Ok(Sample { name: "office365-management", router: routes::routes(state), listen: settings.listen })
}

/// The client Graph and the token endpoint are reached with: the guard's (no proxy, no
/// redirects, timeouts, `--ca` as an extra trust anchor).
fn graph_client(settings: &Settings) -> anyhow::Result<reqwest::Client> {
    let config = custos_guard::GuardConfigInput {
        authority: Some(settings.trust.authority.clone()),
        ca_file: settings.trust.ca.clone(),
        service_auth_audience: Some(custos_guard::ListInput::Items(vec![auth::AUDIENCES[0].to_owned()])),
        service_auth_tenant_id: Some(uuid::Uuid::nil().to_string()),
        ..Default::default()
    }
    .validate()?;
    Ok(custos_guard::authority_http_client(&config)?)
}
