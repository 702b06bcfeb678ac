//! The throttling options of `custos serve`: failed client authentication per client id and per
//! address at the token endpoints (custos-authority's `throttle`), request rates per caller on
//! Graph and the admin API (custos-directory's `rate_limit`), and load shedding in front of token
//! issuance (custos-authority's `admission`). A count of 0 turns a throttle off.

use custos_authority::admission::{DEFAULT_MAX_CONCURRENT, DEFAULT_MAX_QUEUED};
use custos_authority::throttle::{DEFAULT_FAILURES_PER_ADDRESS, DEFAULT_FAILURES_PER_CLIENT};
use custos_authority::{AdmissionConfig, ThrottleConfig};
use custos_core::duration::parse_duration;
use custos_core::throttle::Limit;
use custos_directory::RateLimitConfig;
use custos_directory::rate_limit::{DEFAULT_ADMIN_REQUESTS, DEFAULT_GRAPH_REQUESTS};
use std::time::Duration;

/// `--client-auth-failures-per-client`, `--client-auth-failures-per-address`,
/// `--client-auth-failure-window`, `--graph-rate-limit`, `--admin-rate-limit`, `--rate-limit-window`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ThrottleArgs {
    /// Failed client authentications (wrong secret, bad assertion, unknown client id) of one
    /// client id within --client-auth-failure-window that lock it for that window: every token
    /// request naming it gets 429 with Retry-After, the right secret included. 0: off.
    #[arg(long, env = "CUSTOS_CLIENT_AUTH_FAILURES_PER_CLIENT", value_name = "N",
          default_value_t = DEFAULT_FAILURES_PER_CLIENT)]
    client_auth_failures_per_client: u32,
    /// The same, counted per client address (IPv6: one /64), whatever client id it names.
    /// Behind a proxy every request comes from the proxy: set 0. 0: off.
    #[arg(long, env = "CUSTOS_CLIENT_AUTH_FAILURES_PER_ADDRESS", value_name = "N",
          default_value_t = DEFAULT_FAILURES_PER_ADDRESS)]
    client_auth_failures_per_address: u32,
    /// The window failed client authentications are counted in, and how long a lock lasts.
    #[arg(long, env = "CUSTOS_CLIENT_AUTH_FAILURE_WINDOW", value_name = "DURATION", default_value = "60s",
          value_parser = window)]
    client_auth_failure_window: Duration,
    /// Requests per caller (tenant, application and principal of the bearer token) per
    /// --rate-limit-window on the Graph API (/v1.0, /beta); past it, 429 TooManyRequests with
    /// Retry-After. 0: off.
    #[arg(long, env = "CUSTOS_GRAPH_RATE_LIMIT", value_name = "N", default_value_t = DEFAULT_GRAPH_REQUESTS)]
    graph_rate_limit: u32,
    /// The same for the admin API (/admin/v1). 0: off.
    #[arg(long, env = "CUSTOS_ADMIN_RATE_LIMIT", value_name = "N", default_value_t = DEFAULT_ADMIN_REQUESTS)]
    admin_rate_limit: u32,
    /// The window of --graph-rate-limit and --admin-rate-limit.
    #[arg(long, env = "CUSTOS_RATE_LIMIT_WINDOW", value_name = "DURATION", default_value = "10s",
          value_parser = window)]
    rate_limit_window: Duration,
    /// Token requests issued at the same time; more wait for a turn (load shedding).
    #[arg(long, env = "CUSTOS_TOKEN_MAX_CONCURRENT", value_name = "N", default_value_t = DEFAULT_MAX_CONCURRENT,
          value_parser = clap::value_parser!(u32).range(1..))]
    token_max_concurrent: u32,
    /// Token requests that may wait for a turn; past it, 503 temporarily_unavailable with
    /// Retry-After at once.
    #[arg(long, env = "CUSTOS_TOKEN_MAX_QUEUED", value_name = "N", default_value_t = DEFAULT_MAX_QUEUED)]
    token_max_queued: u32,
    /// The longest a token request waits, in milliseconds, in the server's queue (the runtime's,
    /// measured continuously) or for its turn, before it is answered 503.
    #[arg(long, env = "CUSTOS_TOKEN_MAX_WAIT_MS", value_name = "MS", default_value_t = 250,
          value_parser = clap::value_parser!(u64).range(1..=60_000))]
    token_max_wait_ms: u64,
}

/// A window: an operator duration from 1 s to 1 day.
fn window(text: &str) -> Result<Duration, String> {
    let duration = parse_duration(text).map_err(|e| e.to_string())?;
    Duration::try_from(duration)
        .ok()
        .filter(|d| (Duration::from_secs(1)..=Duration::from_secs(86_400)).contains(d))
        .ok_or_else(|| format!("'{text}' is not a window from 1s to 1d"))
}

impl ThrottleArgs {
    /// The client-authentication throttling these options ask for.
    pub(crate) fn client_auth(&self) -> ThrottleConfig {
        let window = self.client_auth_failure_window;
        ThrottleConfig {
            per_client: Limit::new(self.client_auth_failures_per_client, window),
            per_address: Limit::new(self.client_auth_failures_per_address, window),
        }
    }

    /// The load shedding these options ask for.
    pub(crate) fn admission(&self) -> AdmissionConfig {
        AdmissionConfig {
            max_concurrent: self.token_max_concurrent,
            max_queued: self.token_max_queued,
            max_wait: Duration::from_millis(self.token_max_wait_ms),
        }
    }

    /// The request-rate limits these options ask for.
    pub(crate) fn rate_limits(&self) -> RateLimitConfig {
        let window = self.rate_limit_window;
        RateLimitConfig {
            graph: Limit::new(self.graph_rate_limit, window),
            admin: Limit::new(self.admin_rate_limit, window),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        throttle: ThrottleArgs,
    }

    #[test]
    fn the_defaults_are_the_libraries() {
        let cli = Cli::try_parse_from(["x"]).unwrap();
        assert_eq!(cli.throttle.client_auth(), ThrottleConfig::default());
        assert_eq!(cli.throttle.rate_limits(), RateLimitConfig::default());
    }

    #[test]
    fn flags_set_the_limits_and_windows_are_checked() {
        let cli = Cli::try_parse_from([
            "x",
            "--client-auth-failures-per-client",
            "5",
            "--client-auth-failures-per-address",
            "0",
            "--client-auth-failure-window",
            "5m",
            "--graph-rate-limit",
            "100",
            "--admin-rate-limit",
            "0",
            "--rate-limit-window",
            "1s",
        ])
        .unwrap();
        let five_minutes = Duration::from_secs(300);
        assert_eq!(
            cli.throttle.client_auth(),
            ThrottleConfig {
                per_client: Limit::new(5, five_minutes),
                per_address: Limit::new(0, five_minutes)
            }
        );
        assert!(cli.throttle.client_auth().per_address.is_off());
        let limits = cli.throttle.rate_limits();
        assert_eq!(limits.graph, Limit::new(100, Duration::from_secs(1)));
        assert!(limits.admin.is_off());
        for bad in ["0s", "2d", "soon"] {
            let err = Cli::try_parse_from(["x", "--rate-limit-window", bad]).unwrap_err();
            assert!(err.to_string().contains(&format!("'{bad}'")), "{err}");
        }
    }
}
