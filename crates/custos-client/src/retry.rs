//! When to try again: [`RetryPolicy`] (how many times, exponential backoff with a cap),
//! `Retry-After` (seconds or an HTTP date, capped), and [`Sleeper`], the injected wait that lets
//! tests run retries without waiting.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// How failed requests are retried. Only 429, 5xx and transport failures are retried (plus 404 and
/// 410 from IMDS, which answers so while it starts); any other 4xx is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first request (0: no retry).
    pub max_retries: u32,
    /// The first backoff; each further one doubles.
    pub initial_backoff: Duration,
    /// The longest backoff, and the longest `Retry-After` honoured.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// Three retries, 500 ms doubling, at most 30 s.
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self { max_retries: 0, ..Self::default() }
    }

    /// The wait before retry number `retry` (1-based): the server's `Retry-After` when it sent
    /// one, else the exponential backoff; both capped at `max_backoff`.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let backoff = retry_after.unwrap_or_else(|| {
            let factor = 2u32.saturating_pow(retry.saturating_sub(1));
            self.initial_backoff.saturating_mul(factor)
        });
        backoff.min(self.max_backoff)
    }
}

/// Whether an answer with `status` is worth retrying (`imds`: the endpoint is IMDS).
pub(crate) fn retryable(status: reqwest::StatusCode, imds: bool) -> bool {
    status == reqwest::StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
        || (imds && matches!(status.as_u16(), 404 | 410))
}

/// `Retry-After` of an answer received at `now`: delta-seconds or an IMF-fixdate.
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap, now: OffsetDateTime) -> Option<Duration> {
    const HTTP_DATE: &[FormatItem<'_>] = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = time::PrimitiveDateTime::parse(value, HTTP_DATE).ok()?.assume_utc();
    Some(Duration::try_from(at - now).unwrap_or(Duration::ZERO))
}

/// Waits between retries. The default is `tokio::time::sleep`; tests inject one that records the
/// waits and returns at once (advancing their manual clock).
pub trait Sleeper: Send + Sync + std::fmt::Debug {
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// [`Sleeper`] with `tokio::time::sleep`.
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn backoff_doubles_up_to_the_cap_and_retry_after_wins() {
        let policy = RetryPolicy::default();
        let delays: Vec<_> = (1..=8).map(|n| policy.delay(n, None).as_millis()).collect();
        assert_eq!(delays, [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        assert_eq!(policy.delay(1, Some(Duration::from_secs(7))), Duration::from_secs(7));
        assert_eq!(policy.delay(1, Some(Duration::from_secs(3_600))), Duration::from_secs(30));
    }

    #[test]
    fn retry_after_is_read_as_seconds_or_a_date() {
        let now = OffsetDateTime::from_unix_timestamp(784_111_777).unwrap(); // Sun, 06 Nov 1994 08:49:37 GMT
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(120)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Sun, 06 Nov 1994 08:50:07 GMT"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(30)));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Sun, 06 Nov 1994 08:00:00 GMT"));
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn only_throttling_and_server_errors_are_retried() {
        for status in [429, 500, 502, 503, 504] {
            assert!(retryable(StatusCode::from_u16(status).unwrap(), false), "{status}");
        }
        for status in [400, 401, 403, 404, 410] {
            assert!(!retryable(StatusCode::from_u16(status).unwrap(), false), "{status}");
        }
        assert!(retryable(StatusCode::NOT_FOUND, true) && retryable(StatusCode::GONE, true));
        assert!(!retryable(StatusCode::BAD_REQUEST, true));
    }
}
