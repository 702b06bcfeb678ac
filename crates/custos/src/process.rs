//! What every long-running subcommand (`serve`, `gateway`, `agent`, `sample`) shares: logging to
//! stderr, binding the listener and waiting for a shutdown signal.

use crate::log_writer::{FlushGuard, batched_stderr};
use anyhow::Context as _;
use custos_listener::{Listener, load_server_config};
use std::net::SocketAddr;
use std::path::Path;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Human,
    /// One JSON object per line.
    Json,
}

/// Logs to stderr, filtered by `CUSTOS_LOG` (default `info`), through a batched writer so
/// request threads never block on the terminal or a pipe nor pay a system call per line
/// ([`crate::log_writer`]); the returned guard writes what is left when the command ends.
pub(crate) fn init_logging(format: LogFormat) -> Option<FlushGuard> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CUSTOS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let (writer, guard) = match batched_stderr() {
        Ok((writer, guard)) => (BoxMakeWriter::new(writer), Some(guard)),
        Err(e) => {
            eprintln!("custos: cannot start the log writer thread ({e}); writing log lines directly");
            (BoxMakeWriter::new(std::io::stderr), None)
        }
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(writer);
    match format {
        LogFormat::Human => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    guard
}

/// Binds `listen`: HTTPS with the PEM `tls_cert` and `tls_key` when both are given, plain HTTP
/// otherwise.
pub(crate) async fn bind_listener(
    listen: SocketAddr,
    tls_cert: Option<&Path>,
    tls_key: Option<&Path>,
) -> anyhow::Result<Listener> {
    let tls = match (tls_cert, tls_key) {
        (Some(cert), Some(key)) => Some(load_server_config(cert, key)?),
        _ => None,
    };
    Listener::bind(listen, tls).await.with_context(|| format!("cannot listen on {listen}"))
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a signal that arrives after "listening" is logged (which scripts and
/// tests wait for) but before the server polls its shutdown future still drains gracefully.
pub(crate) fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        let wait = |stream: std::io::Result<tokio::signal::unix::Signal>| async move {
            match stream {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = wait(term) => {},
            () = wait(interrupt) => {},
        }
        tracing::info!("shutdown requested");
    }
}
