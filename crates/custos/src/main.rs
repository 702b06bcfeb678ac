//! The `custos` binary: glue between the command line and the library crates.
//!
//! `init` and `serve` run the authority and `recover-admin` repairs its data directory offline;
//! every other subcommand is the admin CLI, a client of the HTTP APIs that never opens the
//! database.

mod admin;
mod agent;
mod datadir;
mod demo;
mod gateway;
mod init;
mod limits;
mod log_writer;
mod logs;
mod output;
mod process;
mod public_url;
mod recover;
mod sample;
mod serve;
mod throttle;

use clap::{Parser, Subcommand};

/// custos: a self-hosted identity platform for service-to-service authentication that speaks
/// Microsoft Entra ID's protocol.
#[derive(Debug, Parser)]
#[command(name = "custos", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create what a fresh installation needs (idempotent).
    Init(init::InitArgs),
    /// Run the authority and the directory API.
    Serve(serve::ServeArgs),
    /// Mint a new admin secret offline, from the data directory (for a tenant that locked
    /// itself out, or a lost admin.json).
    RecoverAdmin(recover::RecoverArgs),
    /// Run the reverse proxy that puts the guard in front of an HTTP API.
    Gateway(gateway::GatewayArgs),
    /// Serve the managed-identity token protocols (App Service, IMDS) beside a workload.
    Agent(agent::AgentArgs),
    /// Run a sample: a protected API (Business Central, Community Training, Office 365 Management
    /// Activity) or the Activity API's consumer app.
    #[command(subcommand)]
    Sample(sample::SampleCommand),
    #[command(flatten)]
    Admin(admin::AdminCommand),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // One crypto backend for every TLS user in the process (server, admin CLI, clients).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Init(args) => init::run(args).await,
            Command::Serve(args) => serve::run(args).await,
            Command::RecoverAdmin(args) => recover::run(args).await,
            Command::Gateway(args) => gateway::run(args).await,
            Command::Agent(args) => agent::run(args).await,
            Command::Sample(cmd) => sample::run(cmd).await,
            Command::Admin(cmd) => admin::run(cmd).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
