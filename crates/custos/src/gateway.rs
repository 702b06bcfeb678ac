//! `custos gateway`: runs the reverse proxy of `custos-gateway` with the guard in front of the
//! configured upstreams, on plain HTTP or (with `--tls-cert`/`--tls-key`) HTTPS.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use crate::limits::LimitArgs;
use crate::process::{LogFormat, bind_listener, init_logging, shutdown_signal};
use custos_core::{Clock, SystemClock};
use custos_gateway::{Gateway, GatewayConfig};

#[derive(Debug, clap::Args)]
pub(crate) struct GatewayArgs {
    /// The gateway configuration (TOML: `listen`, `[guard]`, `[[routes]]`).
    #[arg(long, env = "CUSTOS_CONFIG")]
    config: PathBuf,
    /// Address to listen on, overriding the configuration's `listen`; port 0 picks a free port.
    #[arg(long, env = "CUSTOS_LISTEN")]
    listen: Option<SocketAddr>,
    /// PEM certificate chain: serve HTTPS instead of plain HTTP.
    #[arg(long, env = "CUSTOS_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "CUSTOS_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(crate) async fn run(args: GatewayArgs) -> anyhow::Result<()> {
    let _log_flush = init_logging(LogFormat::Human);
    let mut config = GatewayConfig::from_file(&args.config)?;
    if let Some(listen) = args.listen {
        config = config.with_listen(listen);
    }
    let listener = bind_listener(config.listen(), args.tls_cert.as_deref(), args.tls_key.as_deref())
        .await?
        .with_limits(args.limits.limits());
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let gateway = Arc::new(Gateway::new(&config, clock)?);
    if let Err(e) = gateway.guard().warm_up().await {
        // Keys are fetched again on the first request; the gateway refuses with 503 until then.
        tracing::warn!(error = %e, "cannot fetch the authority's signing keys yet");
    }
    let shutdown = shutdown_signal();
    tracing::info!(
        routes = config.routes().len(),
        "gateway listening on {}://{}",
        listener.scheme(),
        listener.local_addr()?
    );
    custos_gateway::serve(gateway, listener, shutdown).await;
    tracing::info!("gateway stopped");
    Ok(())
}
