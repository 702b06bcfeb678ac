//! `custos sample <name>`: serves one of the sample protected APIs of `custos-samples` on plain
//! HTTP or (with `--tls-cert`/`--tls-key`) HTTPS, until SIGTERM or Ctrl-C.

use crate::process::{LogFormat, bind_listener, init_logging, shutdown_signal};
use custos_samples::{Sample, business_central, community_training};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SampleCommand {
    /// Business Central-style API v2.0 and Automation API (seeds 001, 002).
    BusinessCentral(business_central::Cli),
    /// Community Training-style REST API with seed 000's S2S settings.
    CommunityTraining(community_training::Cli),
}

pub(crate) async fn run(command: SampleCommand) -> anyhow::Result<()> {
    let _log_flush = init_logging(LogFormat::Human);
    let sample = match command {
        SampleCommand::BusinessCentral(cli) => match business_central::prepare(cli).await? {
            Some(sample) => sample,
            None => return Ok(()),
        },
        SampleCommand::CommunityTraining(cli) => community_training::prepare(cli).await?,
    };
    let Sample { name, router, serve: args } = sample;
    let listener = bind_listener(args.listen, args.tls_cert.as_deref(), args.tls_key.as_deref()).await?;
    tracing::info!("{name} sample listening on {}://{}", listener.scheme(), listener.local_addr()?);
    listener.serve_tower(router, shutdown_signal()).await;
    tracing::info!("{name} sample stopped");
    Ok(())
}
