//! Replay markers of client assertions (`security.md` §6, §7 rule 2): what the token endpoint
//! records for each assertion `jti` it accepts, and what recording one reports back. The
//! backends keep them in the `assertion_replay` table (migration 0003), keyed by
//! (tenant, client, jti).

use custos_core::{AppId, TenantId};

/// A seen assertion `jti`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionMarker {
    /// The tenant the assertion was presented to.
    pub tenant: TenantId,
    /// The client it authenticated.
    pub client: AppId,
    /// The assertion's `jti` (at most 256 bytes).
    pub jti: String,
    /// SHA-256 of the assertion exactly as received.
    pub digest: [u8; 32],
    /// Unix second from which the marker is dead: the assertion's `exp` plus the clock skew.
    pub expires: i64,
}

/// What recording a marker found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerOutcome {
    /// No live marker had this key: it is now recorded (durably, once the call returns).
    Recorded,
    /// A live marker exists (nothing was changed); this is the digest it was recorded with.
    Seen {
        /// SHA-256 of the assertion first presented with this `jti`.
        digest: [u8; 32],
    },
}

/// Reads a stored digest; `None` when it is not 32 bytes (a corrupt row).
pub(crate) fn digest_from_bytes(bytes: &[u8]) -> Option<[u8; 32]> {
    bytes.try_into().ok()
}
