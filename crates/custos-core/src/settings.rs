//! Per-tenant settings (`custos settings set KEY VALUE`, `GET/PATCH /admin/v1/tenants/{tid}/settings`):
//! their names, values, defaults and JSON shape: `assertionReplay`, `allowUserConsent`,
//! `allowPasswordGrant` and `logRetentionDays`.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How the token endpoint treats a client assertion whose `jti` it has seen (`security.md` §6).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssertionReplayMode {
    /// The default: a byte-identical assertion from the same client may be reused until it
    /// expires (MSAL reuses its assertions); a different assertion with a seen `jti` is refused.
    #[default]
    Compat,
    /// Every `jti` is single use, and an assertion without `jti` is refused.
    Strict,
}

impl AssertionReplayMode {
    /// The setting's value as written in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Compat => "compat",
            Self::Strict => "strict",
        }
    }
}

impl fmt::Display for AssertionReplayMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AssertionReplayMode {
    type Err = SettingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "compat" => Ok(Self::Compat),
            "strict" => Ok(Self::Strict),
            _ => Err(SettingError::InvalidValue { key: ASSERTION_REPLAY, allowed: "strict, compat" }),
        }
    }
}

/// Name of the replay-mode setting.
pub const ASSERTION_REPLAY: &str = "assertionReplay";
/// Name of the setting that lets users consent for themselves to `User`-type scopes.
pub const ALLOW_USER_CONSENT: &str = "allowUserConsent";
/// Name of the setting that turns on `grant_type=password` (a testing aid, off by default).
pub const ALLOW_PASSWORD_GRANT: &str = "allowPasswordGrant";

/// Name of the setting that says how many days sign-ins and directory audits are kept.
pub const LOG_RETENTION_DAYS: &str = "logRetentionDays";

/// Default of [`LOG_RETENTION_DAYS`] (Entra's with a P1/P2 licence).
pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 30;

/// Largest [`LOG_RETENTION_DAYS`] (ten years).
pub const MAX_LOG_RETENTION_DAYS: u32 = 3650;

/// Why a setting could not be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// No setting has this name.
    #[error(
        "unknown setting '{0}'; known settings: assertionReplay, allowUserConsent, allowPasswordGrant, logRetentionDays"
    )]
    UnknownKey(String),
    /// The value is not one the setting accepts.
    #[error("invalid value for '{key}'; allowed values: {allowed}")]
    InvalidValue {
        /// The setting.
        key: &'static str,
        /// The accepted values.
        allowed: &'static str,
    },
}

/// The settings of one tenant. Unknown JSON members are refused, missing ones take defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TenantSettings {
    /// Replay rule for client assertions.
    pub assertion_replay: AssertionReplayMode,
    /// Whether users may consent for themselves to delegated permissions of type `User`
    /// (Entra's legacy user-consent policy). On by default; off, only admins consent.
    pub allow_user_consent: bool,
    /// Whether the token endpoint accepts `grant_type=password` (MSAL's
    /// `acquire_token_by_username_password`). Off by default: RFC 9700 forbids the grant, and
    /// custos offers it only as a testing aid.
    pub allow_password_grant: bool,
    /// How many days sign-ins and directory audits are kept before the retention purge deletes
    /// them (1 to [`MAX_LOG_RETENTION_DAYS`]; [`DEFAULT_LOG_RETENTION_DAYS`] by default).
    pub log_retention_days: u32,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            assertion_replay: AssertionReplayMode::default(),
            allow_user_consent: true,
            allow_password_grant: false,
            log_retention_days: DEFAULT_LOG_RETENTION_DAYS,
        }
    }
}

impl TenantSettings {
    /// Sets one setting by its JSON name.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        match key {
            ASSERTION_REPLAY => {
                self.assertion_replay = value.parse()?;
                Ok(())
            }
            ALLOW_USER_CONSENT => {
                self.allow_user_consent = parse_bool(ALLOW_USER_CONSENT, value)?;
                Ok(())
            }
            ALLOW_PASSWORD_GRANT => {
                self.allow_password_grant = parse_bool(ALLOW_PASSWORD_GRANT, value)?;
                Ok(())
            }
            LOG_RETENTION_DAYS => {
                self.log_retention_days = parse_days(value)?;
                Ok(())
            }
            other => Err(SettingError::UnknownKey(other.to_owned())),
        }
    }
}

/// A retention in days, 1 to [`MAX_LOG_RETENTION_DAYS`].
pub fn parse_days(value: &str) -> Result<u32, SettingError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|days| (1..=MAX_LOG_RETENTION_DAYS).contains(days))
        .ok_or(SettingError::InvalidValue { key: LOG_RETENTION_DAYS, allowed: "1 to 3650 (days)" })
}

fn parse_bool(key: &'static str, value: &str) -> Result<bool, SettingError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(SettingError::InvalidValue { key, allowed: "true, false" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_compat_and_round_trips_as_json() {
        let settings = TenantSettings::default();
        assert_eq!(settings.assertion_replay, AssertionReplayMode::Compat);
        let json = serde_json::to_string(&settings).unwrap();
        assert_eq!(
            json,
            r#"{"assertionReplay":"compat","allowUserConsent":true,"allowPasswordGrant":false,"logRetentionDays":30}"#
        );
        let strict: TenantSettings = serde_json::from_str(r#"{"assertionReplay":"strict"}"#).unwrap();
        assert_eq!(strict.assertion_replay, AssertionReplayMode::Strict);
        assert_eq!(serde_json::from_str::<TenantSettings>("{}").unwrap(), settings);
        assert!(serde_json::from_str::<TenantSettings>(r#"{"other":1}"#).is_err());
        assert!(serde_json::from_str::<TenantSettings>(r#"{"assertionReplay":"Strict"}"#).is_err());
    }

    #[test]
    fn retention_is_a_bounded_number_of_days() {
        let mut settings = TenantSettings::default();
        settings.set(LOG_RETENTION_DAYS, "7").unwrap();
        assert_eq!(settings.log_retention_days, 7);
        for bad in ["0", "3651", "-1", "7d", ""] {
            assert!(settings.set(LOG_RETENTION_DAYS, bad).is_err(), "{bad}");
        }
        assert_eq!(settings.log_retention_days, 7);
    }

    #[test]
    fn set_checks_key_and_value() {
        let mut settings = TenantSettings::default();
        settings.set("assertionReplay", "strict").unwrap();
        assert_eq!(settings.assertion_replay, AssertionReplayMode::Strict);
        assert_eq!(
            settings.set("assertionReplay", "sometimes"),
            Err(SettingError::InvalidValue { key: ASSERTION_REPLAY, allowed: "strict, compat" })
        );
        assert_eq!(settings.set("nope", "x"), Err(SettingError::UnknownKey("nope".to_owned())));
        settings.set("allowPasswordGrant", "true").unwrap();
        assert!(settings.allow_password_grant);
        settings.set("allowUserConsent", "false").unwrap();
        assert!(!settings.allow_user_consent);
        assert_eq!(
            settings.set("allowUserConsent", "yes"),
            Err(SettingError::InvalidValue { key: ALLOW_USER_CONSENT, allowed: "true, false" })
        );
        assert_eq!(settings.assertion_replay, AssertionReplayMode::Strict);
    }
}
