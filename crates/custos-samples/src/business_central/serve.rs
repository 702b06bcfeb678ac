//! The command line of `custos sample business-central` and [`prepare`], which turns it into a
//! [`Sample`] to serve: opens the database, applies `--register-app`, builds the guard and stacks
//! guard → authorization → API routes. `apps` subcommands run through
//! [`execute`](super::apps::cli::execute) instead.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use custos_core::{Clock, SystemClock};
use custos_guard::{Guard, GuardConfigInput, GuardLayer, ListInput};

use super::apps::cli::AppsCommand;
use super::apps::{AppError, Applications, ClientId};
use super::db::Db;
use super::state::BcState;
use super::{api, authorize, automation};
use crate::{Sample, ServeArgs};

/// Business Central's resource: the guard's default audience (seed 001's `scope` without `/.default`).
pub const DEFAULT_AUDIENCE: &str = "https://api.businesscentral.dynamics.com";

/// `custos sample business-central` options.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Cli {
    /// Where to listen and which authority to trust (required unless a subcommand is given).
    #[command(flatten)]
    pub serve: Option<ServeArgs>,
    /// Accepted token audiences, `;`-separated: the Application ID URI of the BC resource app
    /// (and/or its appId, which v2 tokens carry).
    #[arg(long, env = "CUSTOS_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    pub audience: String,
    /// Registers and enables a Microsoft Entra application at start, with these permission sets:
    /// `CLIENT_ID=PERMSET[,PERMSET]` (e.g. `...=D365 BUS FULL ACCESS`). Repeatable; for demos.
    #[arg(long = "register-app", value_name = "CLIENT_ID=PERMSET[,PERMSET]")]
    pub register_app: Vec<String>,
    /// Manage the Microsoft Entra Applications card instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Management subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Microsoft Entra Applications: add, set, enable, disable, grant, revoke, delete, list.
    #[command(subcommand)]
    Apps(AppsCommand),
}

/// One `--register-app` value, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Registration {
    client_id: ClientId,
    permission_sets: Vec<String>,
}

fn parse_registration(raw: &str) -> Result<Registration, AppError> {
    let syntax = || AppError::RegisterSyntax(raw.to_owned());
    let (client, sets) = raw.split_once('=').ok_or_else(syntax)?;
    let permission_sets: Vec<String> =
        sets.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if permission_sets.is_empty() {
        return Err(syntax());
    }
    Ok(Registration { client_id: client.parse()?, permission_sets })
}

/// Prepares the sample to serve. An `apps` subcommand is not served: run it with
/// [`execute`](super::apps::cli::execute).
pub async fn prepare(cli: Cli) -> anyhow::Result<Sample> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let serve = cli.serve.context("--listen, --authority and --tenant are required to serve the sample")?;
    let registrations =
        cli.register_app.iter().map(|r| parse_registration(r)).collect::<Result<Vec<_>, _>>()?;
    let guard = build_guard(&serve, &cli.audience, Arc::clone(&clock))?;
    let db = Db::open(&serve.data_dir, clock.as_ref()).await?;
    let store = Applications::new(db.pool(), clock.as_ref());
    for registration in registrations {
        let card = store.register(registration.client_id, &registration.permission_sets).await?;
        tracing::info!(
            client_id = %card.client_id,
            permission_sets = %card.permission_sets.join(", "),
            "Microsoft Entra application registered and enabled"
        );
    }
    if let Err(error) = guard.warm_up().await {
        tracing::warn!(%error, "the authority's keys are not available yet; the first request will retry");
    }
    let state = BcState::new(db, clock, serve.tls_cert.is_some());
    Ok(Sample { name: "business-central", router: router(state, Arc::new(guard)), listen: serve.listen() })
}

fn build_guard(serve: &ServeArgs, audience: &str, clock: Arc<dyn Clock>) -> anyhow::Result<Guard> {
    let input = GuardConfigInput {
        authority: Some(serve.authority.clone()),
        ca_file: serve.ca.clone(),
        service_auth_audience: Some(ListInput::Joined(audience.to_owned())),
        service_auth_tenant_id: Some(serve.tenant.clone()),
        ..GuardConfigInput::default()
    };
    let config = input.validate().context("invalid --authority, --tenant or --audience")?;
    Guard::new(config, clock).context("cannot read the --ca file")
}

/// API v2.0 and Automation API behind authorization, behind the guard.
fn router(state: BcState, guard: Arc<Guard>) -> Router {
    api::router()
        .merge(automation::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), authorize::authorize))
        .layer(GuardLayer::new(guard))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Top {
        #[command(flatten)]
        cli: Cli,
    }

    const ID: &str = "6a7b8c9d-0000-4000-8000-000000000001";

    #[test]
    fn serving_needs_the_serve_options() {
        let top = Top::try_parse_from([
            "x",
            "--listen",
            "127.0.0.1:0",
            "--authority",
            "https://localhost:8443",
            "--tenant",
            "t",
            "--register-app",
            &format!("{ID}=D365 READ"),
        ])
        .unwrap();
        assert_eq!(top.cli.serve.unwrap().listen.port(), 0);
        assert_eq!(top.cli.audience, DEFAULT_AUDIENCE);
        assert_eq!(top.cli.register_app.len(), 1);
        assert!(Top::try_parse_from(["x", "--listen", "127.0.0.1:0"]).is_err());
    }

    #[test]
    fn apps_commands_need_no_serve_options_and_refuse_them() {
        let top =
            Top::try_parse_from(["x", "apps", "list", "--data-dir", "/tmp/d", "--output", "json"]).unwrap();
        assert!(top.cli.serve.is_none());
        let Some(Command::Apps(AppsCommand::List { args })) = top.cli.command else {
            panic!("not apps list")
        };
        assert_eq!(args.data_dir.to_str(), Some("/tmp/d"));
        let err =
            Top::try_parse_from(["x", "--listen", "127.0.0.1:0", "apps", "list"]).map(|_| ()).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict, "{err}");
    }

    #[test]
    fn register_app_values() {
        let parsed = parse_registration(&format!("{ID}=D365 BUS FULL ACCESS, D365 AUTOMATION")).unwrap();
        assert_eq!(parsed.client_id.to_string(), ID);
        assert_eq!(parsed.permission_sets, ["D365 BUS FULL ACCESS", "D365 AUTOMATION"]);
        for bad in [ID.to_owned(), format!("{ID}="), format!("{ID}= , "), "nope=D365 READ".to_owned()] {
            assert!(parse_registration(&bad).is_err(), "{bad}");
        }
    }
}
