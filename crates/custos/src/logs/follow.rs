//! `custos logs … --follow`: prints a log's records oldest first as they are written, until
//! interrupted (Ctrl-C), like `tail -f`.
//!
//! Graph has no change feed for logs, so the CLI keeps a watermark, as Graph's pollers do: each
//! poll asks for the records at or after [`LAG`] before the newest one printed, oldest first
//! (`$orderby=<time> asc`), and prints those it has not printed yet ([`Watermark`] remembers the
//! ids of the last [`LAG`] only, so it stays small). A record stamped a little before one
//! already printed (another node's, or one a batching writer stored up to a second late) is
//! still printed, once. Without `--since` the follow starts after the newest existing record.

use super::{LogArgs, LogSource, LogsCommand, since};
use crate::admin::api::Api;
use crate::admin::error::AdminError;
use crate::output::{OutputFormat, field};
use custos_core::Clock;
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use time::{Duration, OffsetDateTime};

/// How far before the newest printed record each poll looks again.
pub(super) const LAG: Duration = Duration::seconds(5);

/// Most records one poll reads (its pages of 1000 included).
const MAX_POLL: usize = 10_000;

/// Where the follow stands: its lower bound, the newest record printed, and which records near
/// it were printed.
#[derive(Debug, Default)]
pub(super) struct Watermark {
    /// Nothing older is printed (`--since`, or the newest record when the follow began).
    since: Option<OffsetDateTime>,
    /// The newest record time printed.
    newest: Option<OffsetDateTime>,
    /// Ids printed at or after `newest - LAG`.
    seen: HashMap<String, OffsetDateTime>,
}

impl Watermark {
    /// A follow that prints records at or after `since` (everything for `None`).
    pub(super) fn new(since: Option<OffsetDateTime>) -> Self {
        Self { since, ..Self::default() }
    }

    /// The lower bound of the next poll.
    pub(super) fn poll_from(&self) -> Option<OffsetDateTime> {
        match (self.since, self.newest) {
            (since, Some(newest)) => Some(since.map_or(newest - LAG, |s| s.max(newest - LAG))),
            (since, None) => since,
        }
    }

    /// The records of a poll (oldest first) not printed before; remembers them as printed.
    /// Records before the poll's lower bound ([`Watermark::poll_from`]) are past the lag and
    /// never printed.
    pub(super) fn admit(&mut self, source: &LogSource, records: Vec<Value>) -> Vec<Value> {
        let floor = self.poll_from();
        let mut fresh = Vec::new();
        for record in records {
            let Some(time) = source.time_of(&record) else { continue };
            if floor.is_some_and(|f| time < f) || self.seen.contains_key(&field(&record, "id")) {
                continue;
            }
            self.seen.insert(field(&record, "id"), time);
            self.newest = Some(self.newest.map_or(time, |n| n.max(time)));
            fresh.push(record);
        }
        if let Some(newest) = self.newest {
            self.seen.retain(|_, time| *time >= newest - LAG);
        }
        fresh
    }
}

/// Follows the log of `command`, writing to `out` in `format`, until Ctrl-C.
pub(crate) async fn follow(
    api: &Api,
    clock: &dyn Clock,
    command: LogsCommand,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (source, args) = command.parts();
    let interval = args.interval.unsigned_abs();
    let mut watermark = match since(args, clock) {
        Some(since) => Watermark::new(Some(since)),
        None => start_after_newest(api, source, args).await?,
    };
    eprintln!("following {} (Ctrl-C to stop)", source.path);
    let mut printer = Printer { format, header_printed: false };
    loop {
        let records = match poll(api, source, args, watermark.poll_from()).await {
            Ok(records) => records,
            Err(e) if transient(&e) => {
                eprintln!("warning: {e}; retrying");
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        };
        printer.print(source, &watermark.admit(source, records), out)?;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}

/// A watermark just after the log's newest record (matching the options), so only new records print.
async fn start_after_newest(api: &Api, source: &LogSource, args: &LogArgs) -> Result<Watermark, AdminError> {
    let mut query = vec![("$top", "1")];
    let filter = source.filter(args, None);
    if let Some(filter) = &filter {
        query.push(("$filter", filter.as_str()));
    }
    let newest = api.list_at_most(source.path, &query, 1).await?;
    let since = newest.first().and_then(|r| source.time_of(r));
    let mut watermark = Watermark::new(since);
    watermark.admit(source, newest);
    Ok(watermark)
}

/// The records at or after `from`, oldest first.
async fn poll(
    api: &Api,
    source: &LogSource,
    args: &LogArgs,
    from: Option<OffsetDateTime>,
) -> Result<Vec<Value>, AdminError> {
    let filter = source.filter(args, from);
    let order = format!("{} asc", source.time_property);
    let mut query = vec![("$orderby", order.as_str()), ("$top", "1000")];
    if let Some(filter) = &filter {
        query.push(("$filter", filter.as_str()));
    }
    api.list_at_most(source.path, &query, MAX_POLL).await
}

/// Whether a failed poll is worth repeating (the server restarts or is briefly unavailable).
fn transient(error: &AdminError) -> bool {
    matches!(
        error,
        AdminError::Unreachable { .. } | AdminError::Transport { .. } | AdminError::Api { status: 503, .. }
    )
}

/// Writes batches of records: one compact JSON document per line, or table rows under one
/// header.
struct Printer {
    format: OutputFormat,
    header_printed: bool,
}

impl Printer {
    fn print(&mut self, source: &LogSource, records: &[Value], out: &mut dyn Write) -> std::io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        match self.format {
            OutputFormat::Json => {
                for record in records {
                    writeln!(out, "{record}")?;
                }
            }
            OutputFormat::Table => {
                let text = source.table(records).render_or("");
                let skip = usize::from(self.header_printed);
                for line in text.lines().skip(skip) {
                    writeln!(out, "{line}")?;
                }
                self.header_printed = true;
            }
        }
        out.flush()
    }
}
