//! The rotation schedule of the signing keys ([`KeyPolicy`]): how often a new key takes over,
//! how long it is published before it signs, and how long a retired key stays published.

use crate::DEFAULT_TOKEN_LIFETIME_SECS;
use crate::issue::ISSUED_AT_SKEW_SECS;
use time::Duration;

/// When keys are created, start signing and stop being published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPolicy {
    /// Age (since it started signing) at which the current key is replaced.
    pub rotate_every: Duration,
    /// How long a scheduled key is published before it signs; also the shortest delay a
    /// rotation may ask for, other than `0s`.
    pub publish_ahead: Duration,
    /// How long resources may cache a key set (Entra's metadata refresh is 24 h).
    pub cache_margin: Duration,
    /// The longest time a token stays acceptable after it was signed: the authority's token
    /// lifetime plus the clock skew resources allow.
    pub max_token_lifetime: Duration,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            rotate_every: Duration::days(30),
            publish_ahead: Duration::hours(24),
            cache_margin: Duration::hours(24),
            max_token_lifetime: Duration::seconds(DEFAULT_TOKEN_LIFETIME_SECS + ISSUED_AT_SKEW_SECS),
        }
    }
}

/// Why a policy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// A duration is negative.
    #[error("key rotation durations must not be negative")]
    Negative,
    /// The key would be replaced before its successor has been published long enough.
    #[error("the key rotation interval must be longer than the publish-ahead time")]
    IntervalTooShort,
}

impl KeyPolicy {
    /// How long a key stays published after its successor started signing.
    pub fn retire_after(&self) -> Duration {
        self.max_token_lifetime + self.cache_margin
    }

    /// Checks that the durations make a schedule.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let all = [self.rotate_every, self.publish_ahead, self.cache_margin, self.max_token_lifetime];
        if all.iter().any(|d| d.is_negative()) {
            return Err(PolicyError::Negative);
        }
        if self.rotate_every <= self.publish_ahead {
            return Err(PolicyError::IntervalTooShort);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_entra() {
        let policy = KeyPolicy::default();
        assert_eq!(policy.max_token_lifetime, Duration::seconds(3599 + 300));
        assert_eq!(policy.retire_after(), Duration::seconds(3899 + 86_400));
        assert_eq!(policy.validate(), Ok(()));
    }

    #[test]
    fn schedules_that_cannot_work_are_refused() {
        let short = KeyPolicy { rotate_every: Duration::hours(24), ..KeyPolicy::default() };
        assert_eq!(short.validate(), Err(PolicyError::IntervalTooShort));
        let negative = KeyPolicy { cache_margin: Duration::seconds(-1), ..KeyPolicy::default() };
        assert_eq!(negative.validate(), Err(PolicyError::Negative));
    }
}
