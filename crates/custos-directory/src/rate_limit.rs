//! Request rates per caller on the Graph subset and on the admin API (issue 16): at most `max`
//! requests per caller in each fixed window, then 429 with `Retry-After` and Graph's
//! `TooManyRequests` error until the window ends. A caller is the token's tenant, client
//! application and principal (the service principal of an app-only token, the user of a
//! delegated one), so one user of an application does not use up another's allowance.
//!
//! The check runs in the [`crate::auth`] extractor once the token verified, before the handler
//! reads the body: one lock of one shard of a bounded table ([`custos_core::throttle`]). The
//! defaults are generous ([`DEFAULT_GRAPH_REQUESTS`], [`DEFAULT_ADMIN_REQUESTS`] per
//! [`DEFAULT_WINDOW`]); they guard the server against one runaway caller, not a quota. State is
//! per node and in memory.

use custos_core::throttle::{DEFAULT_CAPACITY, Limit, RateLimit, Throttled};
use custos_core::{AppId, ObjectId, TenantId};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Default Graph requests per caller per window.
pub const DEFAULT_GRAPH_REQUESTS: u32 = 10_000;
/// Default admin API requests per caller per window.
pub const DEFAULT_ADMIN_REQUESTS: u32 = 2_000;
/// Default window (Graph's throttling limits are stated per 10 seconds).
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(10);

/// The request-rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitConfig {
    /// Requests per caller per window on `/v1.0/...` and `/beta/...` (`max` 0: off).
    pub graph: Limit,
    /// Requests per caller per window on `/admin/v1/...` (`max` 0: off).
    pub admin: Limit,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            graph: Limit::new(DEFAULT_GRAPH_REQUESTS, DEFAULT_WINDOW),
            admin: Limit::new(DEFAULT_ADMIN_REQUESTS, DEFAULT_WINDOW),
        }
    }
}

/// Which API a request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    Graph = 0,
    Admin = 1,
}

impl Api {
    /// The API a request path belongs to.
    pub(crate) fn of(path: &str) -> Self {
        if path.starts_with("/admin/") { Self::Admin } else { Self::Graph }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Graph => "graph",
            Self::Admin => "admin",
        }
    }
}

type Key = (TenantId, AppId, ObjectId);

/// The per-caller limiters of both APIs and their counters.
#[derive(Debug)]
pub struct CallerLimits {
    limiters: [RateLimit<Key>; 2],
    refused: [AtomicU64; 2],
}

impl CallerLimits {
    /// Limiters for `config`.
    pub fn new(config: RateLimitConfig) -> Self {
        Self {
            limiters: [
                RateLimit::new(config.graph, DEFAULT_CAPACITY),
                RateLimit::new(config.admin, DEFAULT_CAPACITY),
            ],
            refused: Default::default(),
        }
    }

    /// Counts a request of the caller on `api`, or refuses it.
    pub(crate) fn admit(&self, api: Api, key: Key, now: Instant) -> Result<(), Throttled> {
        self.limiters[api as usize].admit(&key, now).inspect_err(|_| {
            self.refused[api as usize].fetch_add(1, Ordering::Relaxed);
        })
    }

    /// Appends the counters in the Prometheus text format.
    pub fn render_prometheus(&self, out: &mut String) {
        // Writing into a String cannot fail.
        let _ = self.write(out);
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        const APIS: [Api; 2] = [Api::Graph, Api::Admin];
        out.push_str("# HELP custos_api_requests_throttled_total Directory API requests refused with 429 because their caller went over its request rate.\n");
        out.push_str("# TYPE custos_api_requests_throttled_total counter\n");
        for api in APIS {
            let n = self.refused[api as usize].load(Ordering::Relaxed);
            writeln!(out, "custos_api_requests_throttled_total{{api=\"{}\"}} {n}", api.label())?;
        }
        out.push_str("# HELP custos_api_rate_limit_tracked Callers whose request rate is held in memory.\n");
        out.push_str("# TYPE custos_api_rate_limit_tracked gauge\n");
        for api in APIS {
            let n = self.limiters[api as usize].tracked();
            writeln!(out, "custos_api_rate_limit_tracked{{api=\"{}\"}} {n}", api.label())?;
        }
        Ok(())
    }
}

impl Default for CallerLimits {
    fn default() -> Self {
        Self::new(RateLimitConfig::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::{Clock, SystemClock};

    #[test]
    fn each_api_and_caller_has_its_own_allowance() {
        let window = Duration::from_secs(10);
        let limits =
            CallerLimits::new(RateLimitConfig { graph: Limit::new(2, window), admin: Limit::new(1, window) });
        let caller = (TenantId::new_random(), AppId::new_random(), ObjectId::new_random());
        let user = (caller.0, caller.1, ObjectId::new_random());
        let t0 = SystemClock.instant();
        assert_eq!(limits.admit(Api::Graph, caller, t0), Ok(()));
        assert_eq!(limits.admit(Api::Graph, caller, t0), Ok(()));
        assert_eq!(limits.admit(Api::Graph, caller, t0), Err(Throttled { retry_after: window }));
        assert_eq!(limits.admit(Api::Graph, user, t0), Ok(()), "another user of the same app");
        assert_eq!(limits.admit(Api::Admin, caller, t0), Ok(()));
        assert!(limits.admit(Api::Admin, caller, t0).is_err());
        assert_eq!(limits.admit(Api::Graph, caller, t0 + window), Ok(()));
        let mut out = String::new();
        limits.render_prometheus(&mut out);
        assert!(out.contains("custos_api_requests_throttled_total{api=\"graph\"} 1\n"), "{out}");
        assert!(out.contains("custos_api_requests_throttled_total{api=\"admin\"} 1\n"), "{out}");
        assert!(out.contains("custos_api_rate_limit_tracked{api=\"graph\"} 2\n"), "{out}");
        assert_eq!(Api::of("/admin/v1/tenants"), Api::Admin);
        assert_eq!(Api::of("/v1.0/admin/x"), Api::Graph);
    }
}
