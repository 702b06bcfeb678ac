//! The stderr writer behind every long-running subcommand's log. Lines are appended to a shared
//! buffer and written by a thread of its own at most [`FLUSH_PERIOD`] later, in one system call
//! for everything that came in meanwhile. Logging a line on a request's path costs a short lock
//! and a copy: no system call, and a wake-up of the writer thread only for the first line after
//! a quiet spell.
//!
//! tracing-appender's non-blocking writer, used before, wakes its thread and writes once per
//! line; with one `info` line per token that cost the token endpoint about a tenth of its
//! throughput (BENCHMARKS.md, issue 17 goal 1). Like it, this writer never blocks a request on
//! a slow stderr: past [`MAX_PENDING`] bytes lines are dropped and counted, and the count is
//! logged with the next write. The [`FlushGuard`] writes what is left when the command ends.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;
use tracing_subscriber::fmt::MakeWriter;

/// The longest a line waits before it is written.
const FLUSH_PERIOD: Duration = Duration::from_millis(20);
/// Bytes held for a stderr that does not keep up; more lines are dropped.
const MAX_PENDING: usize = 8 << 20;

/// What waits for the writer thread.
#[derive(Default)]
struct Pending {
    bytes: Vec<u8>,
    /// Lines dropped since the last write because `bytes` was full.
    dropped: u64,
    /// The command is ending: write what is left and stop.
    closed: bool,
}

#[derive(Default)]
struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the writer thread: the first line after a write, or the close.
    wake: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        // A panic while holding the lock leaves a byte buffer, which is still good to write.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The writer [`tracing_subscriber`]'s formatter writes each line to.
#[derive(Clone)]
pub(crate) struct BatchedStderr(Arc<Shared>);

/// Writes what is left and stops the writer thread when dropped.
pub(crate) struct FlushGuard {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// A batched stderr writer and the guard that flushes it; an error when its thread cannot start.
pub(crate) fn batched_stderr() -> std::io::Result<(BatchedStderr, FlushGuard)> {
    let shared = Arc::new(Shared::default());
    let for_thread = Arc::clone(&shared);
    let thread =
        std::thread::Builder::new().name("custos-log".to_owned()).spawn(move || write_out(&for_thread))?;
    Ok((BatchedStderr(Arc::clone(&shared)), FlushGuard { shared, thread: Some(thread) }))
}

impl Write for &BatchedStderr {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut pending = self.0.lock();
        let first = pending.bytes.is_empty();
        if pending.bytes.len().saturating_add(line.len()) > MAX_PENDING {
            pending.dropped = pending.dropped.saturating_add(1);
        } else {
            pending.bytes.extend_from_slice(line);
        }
        drop(pending);
        if first {
            self.0.wake.notify_one();
        }
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedStderr {
    type Writer = &'a Self;

    fn make_writer(&'a self) -> Self::Writer {
        self
    }
}

impl Drop for FlushGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The writer thread: waits for a first line, lets [`FLUSH_PERIOD`] gather more, writes them
/// all at once; until closed and empty.
fn write_out(shared: &Shared) {
    let mut stderr = std::io::stderr();
    let mut ready = Vec::new();
    let mut pending = shared.lock();
    loop {
        while pending.bytes.is_empty() && pending.dropped == 0 && !pending.closed {
            pending = shared.wake.wait(pending).unwrap_or_else(PoisonError::into_inner);
        }
        if !pending.closed {
            pending =
                shared.wake.wait_timeout(pending, FLUSH_PERIOD).unwrap_or_else(PoisonError::into_inner).0;
        }
        std::mem::swap(&mut pending.bytes, &mut ready);
        let dropped = std::mem::take(&mut pending.dropped);
        let closed = pending.closed;
        drop(pending);
        if dropped > 0 {
            let _ = writeln!(ready, "custos: {dropped} log lines dropped: stderr did not keep up");
        }
        // Nowhere to report a failed write to stderr.
        let _ = stderr.write_all(&ready);
        ready.clear();
        pending = shared.lock();
        if closed && pending.bytes.is_empty() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_in_order_and_dropped_past_the_cap() {
        let shared = Arc::new(Shared::default());
        let writer = BatchedStderr(Arc::clone(&shared));
        (&writer).write_all(b"one\n").unwrap();
        (&writer).write_all(b"two\n").unwrap();
        assert_eq!(shared.lock().bytes, b"one\ntwo\n");
        let big = vec![b'x'; MAX_PENDING];
        (&writer).write_all(&big).unwrap();
        let pending = shared.lock();
        assert_eq!(pending.bytes, b"one\ntwo\n", "a line past the cap is dropped whole");
        assert_eq!(pending.dropped, 1);
    }

    #[test]
    fn the_guard_writes_what_is_left_and_stops_the_thread() {
        let (writer, guard) = batched_stderr().unwrap();
        (&writer).write_all(b"custos log_writer test line\n").unwrap();
        let shared = Arc::clone(&guard.shared);
        drop(guard);
        let pending = shared.lock();
        assert!(pending.closed);
        assert!(pending.bytes.is_empty(), "everything was written before the thread stopped");
    }
}
