//! `custos sample <name>`: serves one of the sample protected APIs of `custos-samples` on plain
//! HTTP or (with `--tls-cert`/`--tls-key`) HTTPS, until SIGTERM or Ctrl-C; and prints what the
//! Business Central sample's `apps` commands answer, with the command line's one renderer
//! ([`crate::output`]).

use crate::output::{OutputFormat, Report, Table};
use crate::process::{LogFormat, bind_listener, init_logging, shutdown_signal};
use custos_core::SystemClock;
use custos_samples::business_central::apps::cli::{self as apps, AppsOutput, CARD_COLUMNS};
use custos_samples::{Sample, activity_consumer, business_central, community_training, office365_management};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SampleCommand {
    /// Business Central-style API v2.0 and Automation API (seeds 001, 002).
    BusinessCentral(business_central::Cli),
    /// Community Training-style REST API with seed 000's S2S settings.
    CommunityTraining(community_training::Cli),
    /// Office 365 Management Activity API (seed 004): subscriptions, content blobs, webhooks.
    #[command(name = "office365-management")]
    Office365Management(office365_management::Cli),
    /// The app of seed 004's "Building an app": consent onboarding, tenant store, token manager,
    /// webhook listener and polling, consuming the Office 365 Management Activity API.
    #[command(name = "activity-consumer")]
    ActivityConsumer(activity_consumer::Cli),
}

pub(crate) async fn run(command: SampleCommand) -> anyhow::Result<()> {
    let _log_flush = init_logging(LogFormat::Human);
    let sample = match command {
        SampleCommand::BusinessCentral(cli) => {
            if let Some(business_central::Command::Apps(command)) = &cli.command {
                let output = apps::execute(command, &SystemClock).await?;
                report(output).print(format(command.args().output))?;
                return Ok(());
            }
            business_central::prepare(cli).await?
        }
        SampleCommand::CommunityTraining(cli) => community_training::prepare(cli).await?,
        SampleCommand::Office365Management(cli) => office365_management::prepare(cli).await?,
        SampleCommand::ActivityConsumer(cli) => activity_consumer::prepare(cli).await?,
    };
    let Sample { name, router, listen } = sample;
    let listener = bind_listener(listen.addr, listen.tls_cert.as_deref(), listen.tls_key.as_deref()).await?;
    let shutdown = shutdown_signal();
    tracing::info!("{name} sample listening on {}://{}", listener.scheme(), listener.local_addr()?);
    listener.serve_tower(router, shutdown).await;
    tracing::info!("{name} sample stopped");
    Ok(())
}

/// The `--output` of an `apps` command as the renderer's format.
fn format(output: apps::OutputFormat) -> OutputFormat {
    match output {
        apps::OutputFormat::Table => OutputFormat::Table,
        apps::OutputFormat::Json => OutputFormat::Json,
    }
}

/// An `apps` answer as a report: its JSON, or its rows as a card table.
fn report(output: AppsOutput) -> Report {
    let mut table = Table::new(&CARD_COLUMNS);
    for row in output.rows {
        table.row(row);
    }
    Report::new(output.json, table.render_or(&output.instead))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn apps_answers_print_as_card_tables() {
        let row = |id: &str, sets: &str| [id, "Contoso integration", "Enabled", sets].map(str::to_owned);
        let listed = AppsOutput {
            json: json!([]),
            rows: vec![row("a", "D365 READ, D365 AUTOMATION"), row("bb", "-")],
            instead: "no Microsoft Entra applications".to_owned(),
        };
        assert_eq!(
            report(listed).text,
            "CLIENT ID  DESCRIPTION          STATE    PERMISSION SETS\n\
             a          Contoso integration  Enabled  D365 READ, D365 AUTOMATION\n\
             bb         Contoso integration  Enabled  -\n"
        );
        let deleted =
            AppsOutput { json: json!({"deleted": "a"}), rows: Vec::new(), instead: "deleted a".to_owned() };
        let report = report(deleted);
        assert_eq!((report.text.as_str(), report.json), ("deleted a\n", json!({"deleted": "a"})));
    }
}
