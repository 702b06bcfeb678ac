//! `custos logs audits|signins`: reading the tenant's logs through Graph's `auditLogs` collections,
//! as the admin CLI reads everything (a client of the HTTP API with the admin connection).
//!
//! Each log is a [`LogSource`]: its Graph path and time property, how `--app` and `--failed`
//! become `$filter` clauses, and its table columns. The options and their meaning are shared
//! ([`LogArgs`]): `--since DURATION` (`custos_core::duration`) bounds the time property from
//! below, `--app` names the application, `--failed` keeps what did not succeed; the server
//! evaluates the filter. A listing prints the newest `--limit` records, newest first; `--follow`
//! ([`follow`]) prints records oldest first as they arrive, until interrupted.
//!
//! Each log is one [`LogSource`] and one [`LogsCommand`] variant.

mod audits;
mod follow;
mod sign_ins;

use crate::admin::api::Api;
use crate::admin::error::AdminError;
use crate::output::{Report, Table};
use custos_core::Clock;
use custos_core::duration::parse_duration;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub(crate) use follow::follow;

/// The logs.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum LogsCommand {
    /// Directory changes: who changed which application, credential, user or setting, and how.
    Audits(LogArgs),
    /// Sign-ins: every token and sign-in decision, who asked for which API, from where, and
    /// which attempts failed (with their AADSTS code).
    Signins(LogArgs),
}

impl LogsCommand {
    /// The log and the options.
    fn parts(&self) -> (&'static LogSource, &LogArgs) {
        match self {
            Self::Audits(args) => (&audits::AUDITS, args),
            Self::Signins(args) => (&sign_ins::SIGN_INS, args),
        }
    }

    /// Whether the command follows the log (`--follow`) rather than listing it.
    pub(crate) fn follows(&self) -> bool {
        self.parts().1.follow
    }
}

/// What every `custos logs …` command takes.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct LogArgs {
    /// Only records of the last DURATION, e.g. 90m, 1h or 7d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    since: Option<time::Duration>,
    /// Only records of this application (its appId, or its display name).
    #[arg(long, value_name = "APP")]
    app: Option<String>,
    /// Only records whose result is not success.
    #[arg(long)]
    failed: bool,
    /// Keep printing new records as they are written, oldest first, until interrupted.
    #[arg(long)]
    follow: bool,
    /// The most records a listing prints (the newest ones).
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000), conflicts_with = "follow")]
    limit: u32,
    /// How often --follow asks the server for new records.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = check_interval, requires = "follow")]
    interval: time::Duration,
}

/// A poll interval: a duration of at least a second.
fn check_interval(value: &str) -> Result<time::Duration, String> {
    match parse_duration(value) {
        Ok(d) if d >= time::Duration::SECOND => Ok(d),
        Ok(_) => Err("the interval is at least 1s".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// One log as the CLI reads and prints it.
#[derive(Debug)]
pub(crate) struct LogSource {
    /// The Graph collection, e.g. `/v1.0/auditLogs/directoryAudits`.
    pub(crate) path: &'static str,
    /// The property records are ordered and windowed by, e.g. `activityDateTime`.
    pub(crate) time_property: &'static str,
    /// A clause every request carries, if any.
    pub(crate) scope_filter: Option<&'static str>,
    /// The `$filter` clause of `--app APP` (the value already quoted).
    pub(crate) app_filter: fn(&str) -> String,
    /// The `$filter` clause of `--failed`.
    pub(crate) failed_filter: &'static str,
    /// The table's columns and a record's cells.
    pub(crate) headers: &'static [&'static str],
    pub(crate) row: fn(&Value) -> Vec<String>,
    /// What a listing without records prints.
    pub(crate) empty: &'static str,
}

impl LogSource {
    /// The `$filter` of `args`, with records at or after `since` (`None`: no clause at all).
    fn filter(&self, args: &LogArgs, since: Option<OffsetDateTime>) -> Option<String> {
        let mut clauses: Vec<String> = self.scope_filter.iter().map(|c| (*c).to_owned()).collect();
        if let Some(since) = since {
            let since = since.format(&Rfc3339).unwrap_or_default();
            clauses.push(format!("{} ge {since}", self.time_property));
        }
        if let Some(app) = &args.app {
            clauses.push((self.app_filter)(&quote(app)));
        }
        if args.failed {
            clauses.push(self.failed_filter.to_owned());
        }
        match clauses.len() {
            0 => None,
            1 => clauses.pop(),
            _ => Some(clauses.iter().map(|c| format!("({c})")).collect::<Vec<_>>().join(" and ")),
        }
    }

    /// The records as a table.
    fn table(&self, records: &[Value]) -> Table {
        let mut table = Table::new(self.headers);
        for record in records {
            table.row((self.row)(record));
        }
        table
    }

    /// The time of a record.
    fn time_of(&self, record: &Value) -> Option<OffsetDateTime> {
        record.get(self.time_property)?.as_str().and_then(|t| OffsetDateTime::parse(t, &Rfc3339).ok())
    }
}

/// `value` as an OData string literal: single-quoted, a quote doubled.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// When `--since` starts, by `clock`.
fn since(args: &LogArgs, clock: &dyn Clock) -> Option<OffsetDateTime> {
    Some(clock.now() - args.since?)
}

/// Lists the newest `--limit` records of the log, newest first.
pub(crate) async fn run(api: &Api, clock: &dyn Clock, command: LogsCommand) -> Result<Report, AdminError> {
    let (source, args) = command.parts();
    let filter = source.filter(args, since(args, clock));
    let top = args.limit.min(1000).to_string();
    let mut query = vec![("$top", top.as_str())];
    if let Some(filter) = &filter {
        query.push(("$filter", filter.as_str()));
    }
    let records = api.list_at_most(source.path, &query, args.limit as usize).await?;
    let text = source.table(&records).render_or(source.empty);
    Ok(Report::new(Value::Array(records), text))
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
