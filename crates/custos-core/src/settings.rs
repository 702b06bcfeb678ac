//! Per-tenant settings (`custos settings set KEY VALUE`, `GET/PATCH /admin/v1/tenants/{tid}/settings`):
//! their names, values, defaults and JSON shape. Today there is one, `assertionReplay`.

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

/// Why a setting could not be changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingError {
    /// No setting has this name.
    #[error("unknown setting '{0}'; known settings: assertionReplay")]
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
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TenantSettings {
    /// Replay rule for client assertions.
    pub assertion_replay: AssertionReplayMode,
}

impl TenantSettings {
    /// Sets one setting by its JSON name.
    pub fn set(&mut self, key: &str, value: &str) -> Result<(), SettingError> {
        match key {
            ASSERTION_REPLAY => {
                self.assertion_replay = value.parse()?;
                Ok(())
            }
            other => Err(SettingError::UnknownKey(other.to_owned())),
        }
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
        assert_eq!(json, r#"{"assertionReplay":"compat"}"#);
        let strict: TenantSettings = serde_json::from_str(r#"{"assertionReplay":"strict"}"#).unwrap();
        assert_eq!(strict.assertion_replay, AssertionReplayMode::Strict);
        assert_eq!(serde_json::from_str::<TenantSettings>("{}").unwrap(), settings);
        assert!(serde_json::from_str::<TenantSettings>(r#"{"other":1}"#).is_err());
        assert!(serde_json::from_str::<TenantSettings>(r#"{"assertionReplay":"Strict"}"#).is_err());
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
        assert_eq!(settings.assertion_replay, AssertionReplayMode::Strict);
    }
}
