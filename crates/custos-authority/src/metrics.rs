//! Token-endpoint metrics: request counts by outcome and a fixed-bucket latency histogram,
//! rendered in the Prometheus text format. Lock-free (relaxed atomics).

use custos_core::aadsts::OAuthError;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Every outcome label, `success` first, then each OAuth `error` value.
const OUTCOMES: [Option<OAuthError>; 10] = [
    None,
    Some(OAuthError::InvalidRequest),
    Some(OAuthError::InvalidClient),
    Some(OAuthError::InvalidGrant),
    Some(OAuthError::UnauthorizedClient),
    Some(OAuthError::UnsupportedGrantType),
    Some(OAuthError::InvalidScope),
    Some(OAuthError::InvalidResource),
    Some(OAuthError::InvalidTenant),
    Some(OAuthError::TemporarilyUnavailable),
];

/// Upper bounds of the latency buckets, in microseconds (1 ms to 5 s).
const BUCKETS_US: [u64; 12] =
    [1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000];

/// Counters of token requests.
#[derive(Debug, Default)]
pub struct TokenMetrics {
    outcomes: [AtomicU64; OUTCOMES.len()],
    /// Non-cumulative counts per bucket; the last slot counts requests above every bound.
    buckets: [AtomicU64; BUCKETS_US.len() + 1],
    sum_us: AtomicU64,
    count: AtomicU64,
}

fn outcome_index(outcome: Option<OAuthError>) -> usize {
    OUTCOMES.iter().position(|o| *o == outcome).unwrap_or(0)
}

fn outcome_label(outcome: Option<OAuthError>) -> &'static str {
    outcome.map_or("success", OAuthError::as_str)
}

impl TokenMetrics {
    /// Counts one token request: `None` for success, else the OAuth error it ended with.
    pub fn record(&self, outcome: Option<OAuthError>, elapsed: Duration) {
        self.outcomes[outcome_index(outcome)].fetch_add(1, Ordering::Relaxed);
        let us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        let bucket = BUCKETS_US.iter().position(|&bound| us <= bound).unwrap_or(BUCKETS_US.len());
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(us, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// How many requests ended with `outcome` (`None` = success).
    pub fn count(&self, outcome: Option<OAuthError>) -> u64 {
        self.outcomes[outcome_index(outcome)].load(Ordering::Relaxed)
    }

    /// Appends the metrics in the Prometheus text exposition format.
    pub fn render_prometheus(&self, out: &mut String) {
        // Writing into a String cannot fail.
        let _ = self.write(out);
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        out.push_str("# HELP custos_token_requests_total Token requests by outcome.\n");
        out.push_str("# TYPE custos_token_requests_total counter\n");
        for (outcome, counter) in OUTCOMES.iter().zip(&self.outcomes) {
            writeln!(
                out,
                "custos_token_requests_total{{outcome=\"{}\"}} {}",
                outcome_label(*outcome),
                counter.load(Ordering::Relaxed)
            )?;
        }
        out.push_str("# HELP custos_token_request_duration_seconds Token request latency.\n");
        out.push_str("# TYPE custos_token_request_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (bound, counter) in BUCKETS_US.iter().zip(&self.buckets) {
            cumulative += counter.load(Ordering::Relaxed);
            let le = *bound as f64 / 1e6;
            writeln!(out, "custos_token_request_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}")?;
        }
        cumulative += self.buckets[BUCKETS_US.len()].load(Ordering::Relaxed);
        writeln!(out, "custos_token_request_duration_seconds_bucket{{le=\"+Inf\"}} {cumulative}")?;
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        writeln!(out, "custos_token_request_duration_seconds_sum {sum}")?;
        writeln!(out, "custos_token_request_duration_seconds_count {}", self.count.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_cumulative_buckets() {
        let m = TokenMetrics::default();
        m.record(None, Duration::from_micros(800));
        m.record(None, Duration::from_millis(3));
        m.record(Some(OAuthError::InvalidClient), Duration::from_secs(10));
        assert_eq!(m.count(None), 2);
        assert_eq!(m.count(Some(OAuthError::InvalidClient)), 1);
        let mut out = String::new();
        m.render_prometheus(&mut out);
        assert!(out.contains("custos_token_requests_total{outcome=\"success\"} 2\n"), "{out}");
        assert!(out.contains("custos_token_requests_total{outcome=\"invalid_client\"} 1\n"), "{out}");
        assert!(
            out.contains("custos_token_requests_total{outcome=\"temporarily_unavailable\"} 0\n"),
            "{out}"
        );
        assert!(out.contains("custos_token_request_duration_seconds_bucket{le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("custos_token_request_duration_seconds_bucket{le=\"0.005\"} 2\n"), "{out}");
        assert!(out.contains("custos_token_request_duration_seconds_bucket{le=\"5\"} 2\n"), "{out}");
        assert!(out.contains("custos_token_request_duration_seconds_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("custos_token_request_duration_seconds_sum 10.0038\n"), "{out}");
        assert!(out.contains("custos_token_request_duration_seconds_count 3\n"), "{out}");
    }
}
