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
    let aad = match &settings.reader {
        Some(reader) => {
            let tokens = token_client(&settings, reader, Arc::clone(&clock))?;
            Some(Arc::new(GraphSource::new(tokens, &settings.graph_url, settings.include_workload_sign_ins))
                as Arc<dyn AuditSource>)
        }
        None => {
            tracing::warn!(
                "no --client-id: Audit.AzureActiveDirectory subscriptions work but carry no records"
            );
            None
        }
    };
    let producer = Producer {
        store: store.clone(),
        clock: Arc::clone(&clock),
        aad,
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
        reader = ?settings.reader.as_ref().map(|r| r.client_id.as_str()),
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

/// The token manager the sample reads the tenants' logs with: one client for every tenant
/// (`token_for_tenant`), trusting `--ca` besides the system roots.
fn token_client(
    settings: &Settings,
    reader: &settings::Reader,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<custos_client::TokenClient> {
    use custos_client::{CertificateKey, Credential, TokenClient};
    let credential = match &reader.credential {
        settings::ReaderCredential::Secret(secret) => {
            Credential::client_secret(reader.client_id.clone(), secret.expose().clone())
        }
        settings::ReaderCredential::Certificate(pem) => {
            let key = CertificateKey::from_pem_files(pem, None).context("--certificate")?;
            Credential::certificate(reader.client_id.clone(), key)
        }
    };
    let mut builder = TokenClient::builder(credential)
        .authority(settings.trust.authority.clone())
        .tenant("organizations")
        .clock(clock);
    if let Some(ca) = &settings.trust.ca {
        builder = builder.extra_root_file(ca.clone());
    }
    Ok(builder.build()?)
}
