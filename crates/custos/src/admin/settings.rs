//! `custos settings ...`: per-tenant settings through custos's own admin API
//! `/admin/v1/tenants/{tenant}/settings` (app role `Custos.Admin` of the home tenant):
//! `assertionReplay` (`compat` or `strict`), `allowUserConsent` and `allowPasswordGrant` (`true` or
//! `false`), `logRetentionDays` (1 to 3650).

use super::api::Api;
use super::error::AdminError;
use crate::output::{Report, details, text_of};
use custos_core::settings::TenantSettings;
use serde_json::{Map, Value};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum SettingsCommand {
    /// Show a tenant's settings.
    Show {
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
    /// Change one setting, e.g. `custos settings set assertionReplay strict`.
    Set {
        /// The setting's name: assertionReplay, allowUserConsent, allowPasswordGrant or
        /// logRetentionDays.
        key: String,
        /// Its value: for assertionReplay, compat or strict; for logRetentionDays, a number of
        /// days; for the others, true or false.
        value: String,
        /// The tenant (GUID or domain) [default: the tenant of the connection, --tenant].
        #[arg(long = "for", value_name = "TENANT")]
        target: Option<String>,
    },
}

/// Runs a settings command; `connection_tenant` is the tenant the CLI authenticated to.
pub(crate) async fn run(
    api: &Api,
    connection_tenant: &str,
    command: SettingsCommand,
) -> Result<Report, AdminError> {
    let path = |target: Option<String>| {
        let tenant = target.unwrap_or_else(|| connection_tenant.to_owned());
        format!("/admin/v1/tenants/{}/settings", urlencode(&tenant))
    };
    let settings = match command {
        SettingsCommand::Show { target } => api.get(&path(target)).await?,
        SettingsCommand::Set { key, value, target } => {
            // Checked locally first, so a typo is named before anything is sent.
            TenantSettings::default().set(&key, &value).map_err(|e| AdminError::Usage(e.to_string()))?;
            let value = match value.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => match value.parse::<u32>() {
                    Ok(days) => Value::from(days),
                    Err(_) => Value::String(value),
                },
            };
            let mut body = Map::new();
            body.insert(key, value);
            api.patch(&path(target), &Value::Object(body)).await?
        }
    };
    Ok(Report::new(settings.clone(), settings_text(&settings)))
}

/// Percent-encodes a path segment (a tenant GUID or domain needs none, but input is input).
pub(crate) fn urlencode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

fn settings_text(settings: &Value) -> String {
    let pairs: Vec<(&str, String)> = settings
        .as_object()
        .map(|map| map.iter().map(|(k, v)| (k.as_str(), text_of(v))).collect())
        .unwrap_or_default();
    details(&pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_are_shown_as_name_value_pairs() {
        let text = settings_text(&json!({"assertionReplay": "strict"}));
        assert!(text.contains("assertionReplay"), "{text}");
        assert!(text.contains("strict"), "{text}");
    }

    #[test]
    fn tenant_segments_are_percent_encoded() {
        assert_eq!(urlencode("contoso.custos.local"), "contoso.custos.local");
        assert_eq!(urlencode("a/b c"), "a%2Fb%20c");
    }
}
