//! Throttling of failed client authentication at the token endpoints (`security.md` AS-20,
//! catalogue B12; RFC 6749 §2.3.1): per client id and per source address, every credential kind
//! (secret in the body or Basic header, certificate assertion, federated token). After
//! `max` failures within the window the client id (or address) is locked for one window: every
//! request naming it is answered 429 with `Retry-After` and AADSTS90055 before its credential is
//! looked at, so even the right secret is refused, as Entra refuses a locked-out account.
//!
//! An unknown client id counts like a wrong secret (a GUID that names no client is locked like
//! one that does, so throttling does not reveal which exist); a client id that is not a GUID can
//! never authenticate and is throttled only through its address. Successful requests are never
//! recorded: while nothing has failed the check is one atomic load per table, else one lock of
//! one shard ([`custos_core::throttle`]). Addresses are the listener's client keys (an IPv6
//! client is its /64). State is per node and in memory; a restart forgets it.

use custos_core::AppId;
use custos_core::throttle::{DEFAULT_CAPACITY, FailureLock, Limit, Throttled};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Default failures per client id within the window before it is locked.
pub const DEFAULT_FAILURES_PER_CLIENT: u32 = 20;
/// Default failures from one address within the window before it is locked.
pub const DEFAULT_FAILURES_PER_ADDRESS: u32 = 50;
/// Default window (and lock length): Entra's `Retry-After: 60`.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// The limits of client-authentication throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleConfig {
    /// Failures per client id per window (`max` 0: off).
    pub per_client: Limit,
    /// Failures per source address per window (`max` 0: off).
    pub per_address: Limit,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            per_client: Limit::new(DEFAULT_FAILURES_PER_CLIENT, DEFAULT_WINDOW),
            per_address: Limit::new(DEFAULT_FAILURES_PER_ADDRESS, DEFAULT_WINDOW),
        }
    }
}

impl ThrottleConfig {
    /// No throttling at all.
    pub const OFF: Self = Self { per_client: Limit::OFF, per_address: Limit::OFF };
}

/// Which key a refusal or lock was for (a metrics label, never sent to the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Client = 0,
    Address = 1,
}

const BY: [(By, &str); 2] = [(By::Client, "client_id"), (By::Address, "address")];

/// The lock tables and their counters.
#[derive(Debug)]
pub(crate) struct ClientThrottle {
    clients: FailureLock<AppId>,
    addresses: FailureLock<IpAddr>,
    refused: [AtomicU64; 2],
    locks: [AtomicU64; 2],
    failures: AtomicU64,
}

impl ClientThrottle {
    pub(crate) fn new(config: ThrottleConfig) -> Self {
        Self {
            clients: FailureLock::new(config.per_client, DEFAULT_CAPACITY),
            addresses: FailureLock::new(config.per_address, DEFAULT_CAPACITY),
            refused: Default::default(),
            locks: Default::default(),
            failures: AtomicU64::new(0),
        }
    }

    /// The client id as a throttling key: only a GUID can name a client.
    fn client_key(client_id: Option<&str>) -> Option<AppId> {
        client_id.and_then(|id| id.parse().ok())
    }

    /// Refused when `address` is locked.
    pub(crate) fn check_address(&self, address: Option<IpAddr>, now: Instant) -> Result<(), Throttled> {
        let Some(address) = address else { return Ok(()) };
        self.addresses.check(&address, now).inspect_err(|_| self.count_refusal(By::Address))
    }

    /// Refused when the client id is locked.
    pub(crate) fn check_client(&self, client_id: Option<&str>, now: Instant) -> Result<(), Throttled> {
        let Some(client) = Self::client_key(client_id) else { return Ok(()) };
        self.clients.check(&client, now).inspect_err(|_| self.count_refusal(By::Client))
    }

    fn count_refusal(&self, by: By) {
        self.refused[by as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a failed client authentication of `client_id` from `address`.
    pub(crate) fn fail(&self, client_id: Option<&str>, address: Option<IpAddr>, now: Instant) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if let Some(client) = Self::client_key(client_id)
            && self.clients.fail(&client, now)
        {
            self.locks[By::Client as usize].fetch_add(1, Ordering::Relaxed);
            tracing::warn!(client_id = %client, window_secs = self.clients.limit().window.as_secs(),
                "client id locked: too many failed client authentications");
        }
        if let Some(address) = address
            && self.addresses.fail(&address, now)
        {
            self.locks[By::Address as usize].fetch_add(1, Ordering::Relaxed);
            tracing::warn!(%address, window_secs = self.addresses.limit().window.as_secs(),
                "address locked: too many failed client authentications");
        }
    }

    /// Appends the counters in the Prometheus text format.
    pub(crate) fn render_prometheus(&self, out: &mut String) {
        // Writing into a String cannot fail.
        let _ = self.write(out);
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        out.push_str("# HELP custos_client_auth_failures_total Failed client authentications at the token endpoints.\n");
        out.push_str("# TYPE custos_client_auth_failures_total counter\n");
        writeln!(out, "custos_client_auth_failures_total {}", self.failures.load(Ordering::Relaxed))?;
        out.push_str("# HELP custos_client_auth_lockouts_total Client ids and addresses locked after too many failed client authentications.\n");
        out.push_str("# TYPE custos_client_auth_lockouts_total counter\n");
        for (by, label) in BY {
            let n = self.locks[by as usize].load(Ordering::Relaxed);
            writeln!(out, "custos_client_auth_lockouts_total{{by=\"{label}\"}} {n}")?;
        }
        out.push_str("# HELP custos_token_requests_throttled_total Token requests refused with 429 because their client id or address was locked.\n");
        out.push_str("# TYPE custos_token_requests_throttled_total counter\n");
        for (by, label) in BY {
            let n = self.refused[by as usize].load(Ordering::Relaxed);
            writeln!(out, "custos_token_requests_throttled_total{{by=\"{label}\"}} {n}")?;
        }
        out.push_str("# HELP custos_client_auth_throttle_tracked Client ids and addresses with recent failures held in memory.\n");
        out.push_str("# TYPE custos_client_auth_throttle_tracked gauge\n");
        writeln!(out, "custos_client_auth_throttle_tracked{{by=\"client_id\"}} {}", self.clients.tracked())?;
        writeln!(out, "custos_client_auth_throttle_tracked{{by=\"address\"}} {}", self.addresses.tracked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::{Clock, SystemClock};

    const CLIENT: &str = "6f3c1d2e-0000-4000-8000-000000000001";

    fn address(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    #[test]
    fn client_ids_and_addresses_lock_separately_and_are_counted() {
        let throttle = ClientThrottle::new(ThrottleConfig {
            per_client: Limit::new(3, DEFAULT_WINDOW),
            per_address: Limit::new(5, DEFAULT_WINDOW),
        });
        let t0 = SystemClock.instant();
        for i in 0..3 {
            throttle.fail(Some(CLIENT), address(i), t0);
        }
        assert_eq!(
            throttle.check_client(Some(&CLIENT.to_uppercase()), t0),
            Err(Throttled { retry_after: DEFAULT_WINDOW }),
            "the client id is locked however it is spelt"
        );
        assert_eq!(throttle.check_address(address(0), t0), Ok(()));
        for _ in 0..5 {
            throttle.fail(Some("not-a-guid"), address(9), t0);
        }
        assert!(throttle.check_address(address(9), t0).is_err());
        assert_eq!(throttle.check_client(Some("not-a-guid"), t0), Ok(()), "never tracked by client id");
        assert_eq!(throttle.check_address(None, t0), Ok(()));
        let mut out = String::new();
        throttle.render_prometheus(&mut out);
        for line in [
            "custos_client_auth_failures_total 8\n",
            "custos_client_auth_lockouts_total{by=\"client_id\"} 1\n",
            "custos_client_auth_lockouts_total{by=\"address\"} 1\n",
            "custos_token_requests_throttled_total{by=\"client_id\"} 1\n",
            "custos_token_requests_throttled_total{by=\"address\"} 1\n",
            "custos_client_auth_throttle_tracked{by=\"client_id\"} 1\n",
            "custos_client_auth_throttle_tracked{by=\"address\"} 4\n",
        ] {
            assert!(out.contains(line), "{line} in {out}");
        }
    }
}
