//! The replay rule for client assertions (`security.md` §6, §7 rule 2) and the durable record
//! behind it.
//!
//! Every accepted assertion that carries a `jti` leaves a marker (tenant, client, jti, SHA-256
//! of the assertion, `exp` + skew) in the store, inserted only if no live marker has the same
//! key, and committed before the token is returned, so a reused `jti` is detected across
//! restarts and across nodes sharing the database. Compat mode accepts a live marker with the
//! same digest (a byte-identical reuse, what MSAL does) when the assertion lives at most
//! [`MAX_REUSABLE_LIFETIME_SECS`]; strict mode accepts none and requires a `jti`.
//!
//! Markers are written by one writer per authority, on a thread of its own, with group commit:
//! requests queue their marker and wait; the writer takes everything queued (up to
//! [`MAX_BATCH`]) and records it in one transaction, so under load many tokens share one fsync. A caller may sign
//! its token while its marker is being committed ([`ReplayGuard::begin`]), but returns it only
//! after [`PendingCheck::finish`]. Dead markers are overwritten on insert and purged every
//! [`PURGE_INTERVAL_SECS`].

use custos_core::aadsts::TokenError;
use custos_core::settings::AssertionReplayMode;
use custos_core::{AppId, Clock, TenantId};
use custos_jose::assertion::ValidatedAssertion;
use custos_store::{AssertionMarker, MarkerOutcome, Store, StoreError, StoreResult};
use std::sync::{Arc, OnceLock};
use tokio::sync::{mpsc, oneshot};

/// Longest lifetime (`exp` − `iat`) of an assertion that compat mode lets a client reuse.
pub(crate) const MAX_REUSABLE_LIFETIME_SECS: i64 = 600;
/// Most markers committed in one transaction.
const MAX_BATCH: usize = 512;
/// Markers queued for the writer before new requests wait for room.
const QUEUE_LEN: usize = 4096;
/// How often dead markers are deleted.
const PURGE_INTERVAL_SECS: i64 = 60;

/// A marker waiting for the writer, and where its outcome goes.
struct Pending {
    marker: AssertionMarker,
    reply: oneshot::Sender<StoreResult<MarkerOutcome>>,
}

/// The replay check and its marker writer.
pub(crate) struct ReplayGuard {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    clock_skew_secs: i64,
    /// Started on first use (it needs the runtime); stops when the guard is dropped.
    writer: OnceLock<mpsc::Sender<Pending>>,
}

impl std::fmt::Debug for ReplayGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplayGuard")
            .field("clock_skew_secs", &self.clock_skew_secs)
            .field("writer_started", &self.writer.get().is_some())
            .finish_non_exhaustive()
    }
}

impl ReplayGuard {
    pub(crate) fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, clock_skew_secs: i64) -> Self {
        Self { store, clock, clock_skew_secs, writer: OnceLock::new() }
    }

    /// Applies the replay rule of `mode` to an assertion that passed validation, recording its
    /// `jti` durably when it is accepted.
    pub(crate) async fn check(
        &self,
        tenant: TenantId,
        client: AppId,
        assertion: &ValidatedAssertion,
        mode: AssertionReplayMode,
    ) -> Result<(), TokenError> {
        self.begin(tenant, client, assertion, mode).await?.finish().await
    }

    /// Starts [`Self::check`]: hands the marker to the writer and returns at once, so that the
    /// caller can prepare its answer while the marker is committed. Nothing may be returned to
    /// the client before [`PendingCheck::finish`] says the marker is durable and not a replay.
    pub(crate) async fn begin(
        &self,
        tenant: TenantId,
        client: AppId,
        assertion: &ValidatedAssertion,
        mode: AssertionReplayMode,
    ) -> Result<PendingCheck, TokenError> {
        let Some(jti) = &assertion.jti else {
            return match mode {
                AssertionReplayMode::Strict => Err(TokenError::InvalidAssertion(
                    "The client assertion is missing the required 'jti' claim.".to_owned(),
                )),
                AssertionReplayMode::Compat => Ok(PendingCheck { waiting: None }),
            };
        };
        let marker = AssertionMarker {
            tenant,
            client,
            jti: jti.clone(),
            digest: assertion.digest,
            expires: assertion.exp.saturating_add(self.clock_skew_secs),
        };
        let reusable =
            assertion.iat.is_some_and(|iat| assertion.exp.saturating_sub(iat) <= MAX_REUSABLE_LIFETIME_SECS);
        let outcome = self.send(marker).await.map_err(|e| storage_failed(&e))?;
        Ok(PendingCheck {
            waiting: Some(Waiting { outcome, tenant, client, digest: assertion.digest, reusable, mode }),
        })
    }

    /// Queues `marker` for the writer; the receiver gets its outcome once it is committed.
    async fn send(
        &self,
        marker: AssertionMarker,
    ) -> StoreResult<oneshot::Receiver<StoreResult<MarkerOutcome>>> {
        let writer = self.writer.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE_LEN);
            spawn_writer(write_markers(Arc::clone(&self.store), Arc::clone(&self.clock), receiver));
            sender
        });
        let (reply, outcome) = oneshot::channel();
        writer.send(Pending { marker, reply }).await.map_err(|_| writer_stopped())?;
        Ok(outcome)
    }
}

/// A replay check whose marker is with the writer ([`ReplayGuard::begin`]).
#[must_use = "a token may be returned only after `finish` accepted the assertion"]
pub(crate) struct PendingCheck {
    /// `None`: nothing to wait for (compat mode, no `jti`).
    waiting: Option<Waiting>,
}

/// What deciding on a queued marker's outcome needs.
struct Waiting {
    outcome: oneshot::Receiver<StoreResult<MarkerOutcome>>,
    tenant: TenantId,
    client: AppId,
    digest: [u8; 32],
    /// The assertion lives at most [`MAX_REUSABLE_LIFETIME_SECS`].
    reusable: bool,
    mode: AssertionReplayMode,
}

impl PendingCheck {
    /// Waits until the marker is committed and applies the replay rule to what it found.
    pub(crate) async fn finish(self) -> Result<(), TokenError> {
        let Some(Waiting { outcome, tenant, client, digest, reusable, mode }) = self.waiting else {
            return Ok(());
        };
        let outcome =
            outcome.await.map_err(|_| writer_stopped()).and_then(|r| r).map_err(|e| storage_failed(&e))?;
        let replayed = || TokenError::AssertionReplayed { app_id: client.to_string() };
        match (outcome, mode) {
            (MarkerOutcome::Recorded, _) => Ok(()),
            (MarkerOutcome::Seen { .. }, AssertionReplayMode::Strict) => Err(replayed()),
            (MarkerOutcome::Seen { digest: seen }, AssertionReplayMode::Compat) => {
                if seen == digest && reusable {
                    tracing::info!(%tenant, client = %client, "client assertion reused (byte-identical, compat mode)");
                    Ok(())
                } else {
                    Err(replayed())
                }
            }
        }
    }
}

fn writer_stopped() -> StoreError {
    StoreError::Backend("the replay marker writer has stopped".to_owned())
}

fn storage_failed(e: &StoreError) -> TokenError {
    tracing::warn!(error = %e, "token request failed: the assertion replay marker could not be stored");
    TokenError::TemporarilyUnavailable
}

/// Runs the marker writer on a thread of its own that drives it with the runtime's I/O and
/// timers but outside the runtime's task queue. A group commit is several hand-offs between the
/// writer and the database driver (begin, inserts, commit); as a task, the writer would wait
/// behind every queued request (RSA signing, ~250 µs each) at each hand-off, so under load the
/// commit, and every token waiting for it, took several queue lengths. Woken directly, it waits
/// only for a core.
fn spawn_writer(writer: impl Future<Output = ()> + Send + 'static) {
    let runtime = tokio::runtime::Handle::current();
    let spawned =
        std::thread::Builder::new().name("custos-replay".to_owned()).spawn(move || runtime.block_on(writer));
    if let Err(e) = spawned {
        // The queue's receiver is gone with the closure: requests get `temporarily_unavailable`.
        tracing::error!(error = %e, "the replay marker writer's thread could not be started");
    }
}

/// The writer: commits queued markers in batches until every sender is gone.
async fn write_markers(store: Arc<dyn Store>, clock: Arc<dyn Clock>, mut queue: mpsc::Receiver<Pending>) {
    let mut next_purge = i64::MIN;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let now = clock.unix();
        if now >= next_purge {
            match store.purge_assertion_markers(now).await {
                Ok(purged) => tracing::debug!(purged, "dead assertion replay markers purged"),
                Err(e) => tracing::warn!(error = %e, "purging assertion replay markers failed"),
            }
            next_purge = now.saturating_add(PURGE_INTERVAL_SECS);
        }
        let (markers, replies): (Vec<_>, Vec<_>) = batch.drain(..).map(|p| (p.marker, p.reply)).unzip();
        // Elapsed time for the debug log only (how long one group commit took), never a decision.
        let started = clock.instant();
        let recorded = store.record_assertion_markers(&markers, now).await;
        tracing::debug!(
            markers = markers.len(),
            commit_us = clock.instant().saturating_duration_since(started).as_micros(),
            "replay markers committed"
        );
        match recorded {
            Ok(outcomes) if outcomes.len() == replies.len() => {
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // The request may have gone away; its marker is recorded all the same.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Ok(_) => {
                for reply in replies {
                    let _ =
                        reply.send(Err(StoreError::Backend("wrong number of marker outcomes".to_owned())));
                }
            }
            Err(e) => {
                let message = e.to_string();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Backend(message.clone())));
                }
            }
        }
    }
}
