//! Guard configuration: the keys of `interface.md` ("Resource side"), read from a TOML table or from
//! App Service-style environment variables (seed 000), validated once into an immutable [`GuardConfig`].
//!
//! Raw input ([`GuardConfigInput`], every field optional, unknown TOML keys rejected) is parsed into the
//! validated form by [`GuardConfigInput::validate`]; lists are `;`-separated strings in both sources (a TOML
//! array is accepted too).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use custos_core::{AppId, ObjectId, TenantId};
use reqwest::Url;
use serde::Deserialize;

use crate::policy::Policy;

/// The most clock skew the guard will ever tolerate on `exp`, `nbf` and `iat`.
pub const MAX_LEEWAY: Duration = Duration::from_secs(300);

/// The names of the configuration keys, which are also the environment variable names.
pub const KEYS: [&str; 10] = [
    "ServiceAuthEnabled",
    "Authority",
    "CaFile",
    "ServiceAuthAudience",
    "ServiceAuthTenantId",
    "ServiceAuthTenantName",
    "ServiceObjectIds",
    "ServiceApplicationIds",
    "ServiceAuthRole",
    "RequireClientTypeHeader",
];

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The TOML text did not parse or named an unknown key.
    #[error("invalid guard configuration: {0}")]
    Toml(String),
    /// A required key is missing.
    #[error("guard configuration key {0} is required")]
    Missing(&'static str),
    /// A key has a value the guard cannot use.
    #[error("guard configuration key {key} is invalid: {reason}")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key, reason: reason.into() }
}

/// A list given either as one `;`-separated string (seed 000) or as a TOML array.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ListInput {
    /// `"a;b;c"`.
    Joined(String),
    /// `["a", "b", "c"]`.
    Items(Vec<String>),
}

impl ListInput {
    fn items(&self) -> Vec<String> {
        let raw: Vec<&str> = match self {
            Self::Joined(s) => s.split(';').collect(),
            Self::Items(v) => v.iter().map(String::as_str).collect(),
        };
        raw.into_iter().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
    }
}

/// The guard keys as written by a user; nothing is checked yet.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
pub struct GuardConfigInput {
    /// Turns app-token (S2S) access on (default true).
    pub service_auth_enabled: Option<bool>,
    /// Authority base URL (custos or `https://login.microsoftonline.com`).
    pub authority: Option<String>,
    /// Extra trust anchor (PEM) for discovery and JWKS fetches.
    pub ca_file: Option<PathBuf>,
    /// Accepted audiences: the Application ID URI and/or the API's appId.
    pub service_auth_audience: Option<ListInput>,
    /// The trusted tenant's GUID.
    pub service_auth_tenant_id: Option<String>,
    /// The trusted tenant's domain name (informational).
    pub service_auth_tenant_name: Option<String>,
    /// Object ids (`oid`) admitted without a role.
    pub service_object_ids: Option<ListInput>,
    /// Client application ids (`appid`/`azp`) allowed in.
    pub service_application_ids: Option<ListInput>,
    /// App role that clients must carry in `roles`.
    pub service_auth_role: Option<String>,
    /// App tokens must come with `ClientType: Service`.
    pub require_client_type_header: Option<bool>,
}

impl GuardConfigInput {
    /// Parses a TOML document whose top level is the guard table.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Toml(e.message().to_owned()))
    }

    /// Reads the keys from variables with exactly the key names (`lookup` is usually `std::env::var`).
    /// Variables that are unset or empty count as absent.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| lookup(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let flag = |key: &'static str| -> Result<Option<bool>, ConfigError> {
            get(key).map(|v| parse_bool(key, &v)).transpose()
        };
        Ok(Self {
            service_auth_enabled: flag("ServiceAuthEnabled")?,
            authority: get("Authority"),
            ca_file: get("CaFile").map(PathBuf::from),
            service_auth_audience: get("ServiceAuthAudience").map(ListInput::Joined),
            service_auth_tenant_id: get("ServiceAuthTenantId"),
            service_auth_tenant_name: get("ServiceAuthTenantName"),
            service_object_ids: get("ServiceObjectIds").map(ListInput::Joined),
            service_application_ids: get("ServiceApplicationIds").map(ListInput::Joined),
            service_auth_role: get("ServiceAuthRole"),
            require_client_type_header: flag("RequireClientTypeHeader")?,
        })
    }

    /// Reads the keys from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|key| std::env::var(key).ok())
    }

    /// Checks every key and builds the immutable configuration.
    pub fn validate(&self) -> Result<GuardConfig, ConfigError> {
        let authority = parse_authority(self.authority.as_deref().ok_or(ConfigError::Missing("Authority"))?)?;
        let tenant_id: TenantId = self
            .service_auth_tenant_id
            .as_deref()
            .ok_or(ConfigError::Missing("ServiceAuthTenantId"))?
            .parse()
            .map_err(|_| invalid("ServiceAuthTenantId", "must be the tenant GUID"))?;
        let tenant_name = self.service_auth_tenant_name.as_deref().map(str::trim).map(str::to_owned);
        if tenant_name.as_deref().is_some_and(|n| n.is_empty() || n.contains(['/', ' '])) {
            return Err(invalid("ServiceAuthTenantName", "must be a domain name"));
        }
        let audiences = parse_audiences(self.service_auth_audience.as_ref())?;
        let object_ids = parse_ids::<ObjectId>("ServiceObjectIds", self.service_object_ids.as_ref())?;
        let application_ids =
            parse_ids::<AppId>("ServiceApplicationIds", self.service_application_ids.as_ref())?;
        let role = self.service_auth_role.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if self.service_auth_role.is_some() && role.is_none() {
            return Err(invalid("ServiceAuthRole", "must not be empty"));
        }
        let ca_file = self.ca_file.clone().filter(|p| !p.as_os_str().is_empty());
        Ok(GuardConfig {
            service_auth_enabled: self.service_auth_enabled.unwrap_or(true),
            authority,
            ca_file,
            audiences,
            tenant_id,
            tenant_name,
            policy: Policy::new(role.into_iter().map(str::to_owned).collect(), application_ids, object_ids),
            require_client_type_header: self.require_client_type_header.unwrap_or(false),
            accept_user_tokens: false,
            leeway: MAX_LEEWAY,
            allow_http_loopback: false,
        })
    }
}

fn parse_bool(key: &'static str, value: &str) -> Result<bool, ConfigError> {
    if value.eq_ignore_ascii_case("true") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("false") {
        Ok(false)
    } else {
        Err(invalid(key, "must be true or false"))
    }
}

fn parse_authority(raw: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(raw.trim()).map_err(|e| invalid("Authority", e.to_string()))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(invalid("Authority", "must be an absolute http(s) URL"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid("Authority", "must not carry a query, fragment or user info"));
    }
    Ok(url)
}

fn parse_audiences(input: Option<&ListInput>) -> Result<Vec<String>, ConfigError> {
    let items = input.map(ListInput::items).unwrap_or_default();
    if items.is_empty() {
        return Err(ConfigError::Missing("ServiceAuthAudience"));
    }
    let mut out: Vec<String> = Vec::new();
    for item in items {
        // `api://{appId}` (Entra's default Application ID URI) also admits the bare appId, which is
        // what v2 tokens always carry in `aud`.
        if let Some(guid) = item.strip_prefix("api://").filter(|g| g.parse::<AppId>().is_ok()) {
            out.push(guid.to_owned());
        }
        out.push(item);
    }
    let mut seen = BTreeSet::new();
    out.retain(|a| seen.insert(a.clone()));
    Ok(out)
}

fn parse_ids<T: std::str::FromStr + Ord>(
    key: &'static str,
    input: Option<&ListInput>,
) -> Result<BTreeSet<T>, ConfigError> {
    input
        .map(ListInput::items)
        .unwrap_or_default()
        .iter()
        .map(|s| s.parse::<T>().map_err(|_| invalid(key, format!("'{s}' is not a GUID"))))
        .collect()
}

/// The validated, immutable guard configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardConfig {
    service_auth_enabled: bool,
    authority: Url,
    ca_file: Option<PathBuf>,
    audiences: Vec<String>,
    tenant_id: TenantId,
    tenant_name: Option<String>,
    policy: Policy,
    require_client_type_header: bool,
    accept_user_tokens: bool,
    leeway: Duration,
    allow_http_loopback: bool,
}

impl GuardConfig {
    /// Parses and validates a TOML guard table.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        GuardConfigInput::from_toml_str(text)?.validate()
    }

    /// Reads and validates the keys from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        GuardConfigInput::from_env()?.validate()
    }

    /// Also accepts delegated (user) tokens; they are subject to the token checks and to the
    /// [`Policy`]'s [`DelegatedRule`](crate::DelegatedRule) (required scopes), not to the S2S role and
    /// allow-list rules. Off by default.
    #[must_use]
    pub fn with_user_tokens(mut self, accept: bool) -> Self {
        self.accept_user_tokens = accept;
        self
    }

    /// Sets the clock-skew leeway (default and maximum: [`MAX_LEEWAY`]).
    pub fn with_leeway(mut self, leeway: Duration) -> Result<Self, ConfigError> {
        if leeway > MAX_LEEWAY {
            return Err(invalid("leeway", "must be at most 300 seconds"));
        }
        self.leeway = leeway;
        Ok(self)
    }

    /// DANGER: lets discovery and JWKS be fetched over plain http when the host is a loopback
    /// address (`127.0.0.0/8`, `::1`, `localhost`). For tests and local development only.
    #[must_use]
    pub fn danger_allow_http_loopback(mut self) -> Self {
        self.allow_http_loopback = true;
        self
    }

    /// Whether app tokens are accepted at all.
    pub fn service_auth_enabled(&self) -> bool {
        self.service_auth_enabled
    }

    /// The authority base URL.
    pub fn authority(&self) -> &Url {
        &self.authority
    }

    /// The extra trust anchor file, if any.
    pub fn ca_file(&self) -> Option<&std::path::Path> {
        self.ca_file.as_deref()
    }

    /// Accepted `aud` values.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// The trusted tenant.
    pub fn tenant_id(&self) -> TenantId {
        self.tenant_id
    }

    /// The trusted tenant's domain name, when configured.
    pub fn tenant_name(&self) -> Option<&str> {
        self.tenant_name.as_deref()
    }

    /// The default authorization rule for app tokens.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether app tokens need `ClientType: Service`.
    pub fn require_client_type_header(&self) -> bool {
        self.require_client_type_header
    }

    /// Whether delegated (user) tokens are accepted.
    pub fn accept_user_tokens(&self) -> bool {
        self.accept_user_tokens
    }

    /// Clock-skew leeway for time claims.
    pub fn leeway(&self) -> Duration {
        self.leeway
    }

    /// Whether plain http to a loopback authority is allowed.
    pub fn allow_http_loopback(&self) -> bool {
        self.allow_http_loopback
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const APP: &str = "11111111-2222-3333-4444-555555555555";

    fn minimal() -> String {
        format!(
            "Authority = \"https://localhost:8443\"\nServiceAuthTenantId = \"{TID}\"\nServiceAuthAudience = \"api://{APP}\"\n"
        )
    }

    #[test]
    fn toml_minimal_defaults() {
        let cfg = GuardConfig::from_toml_str(&minimal()).unwrap();
        assert!(cfg.service_auth_enabled());
        assert!(!cfg.require_client_type_header());
        assert!(!cfg.accept_user_tokens());
        assert_eq!(cfg.audiences(), [APP.to_owned(), format!("api://{APP}")]);
        assert_eq!(cfg.tenant_id().to_string(), TID);
        assert_eq!(cfg.leeway(), MAX_LEEWAY);
        assert!(cfg.policy().roles().is_empty());
    }

    #[test]
    fn toml_unknown_key_is_an_error() {
        let err =
            GuardConfig::from_toml_str(&format!("{}ServiceAuthRoles = \"x\"\n", minimal())).unwrap_err();
        assert!(
            matches!(err, ConfigError::Toml(ref m) if m.contains("unknown field `ServiceAuthRoles`")),
            "{err}"
        );
    }

    #[test]
    fn toml_lists_as_string_or_array() {
        let oid = "aaaaaaaa-0000-0000-0000-000000000001";
        let text = format!(
            "{}ServiceObjectIds = [\"{oid}\"]\nServiceApplicationIds = \"{APP}; {APP}\"\nServiceAuthRole = \"S2SAppRole\"\nRequireClientTypeHeader = true\n",
            minimal()
        );
        let cfg = GuardConfig::from_toml_str(&text).unwrap();
        assert_eq!(cfg.policy().object_ids().iter().map(ToString::to_string).collect::<Vec<_>>(), [oid]);
        assert_eq!(cfg.policy().application_ids().len(), 1);
        assert_eq!(cfg.policy().roles(), ["S2SAppRole".to_owned()]);
        assert!(cfg.require_client_type_header());
    }

    #[test]
    fn env_style_variables() {
        let vars: HashMap<&str, String> = HashMap::from([
            ("Authority", "https://login.microsoftonline.com/".to_owned()),
            ("ServiceAuthTenantId", TID.to_owned()),
            ("ServiceAuthTenantName", "contoso.onmicrosoft.com".to_owned()),
            (
                "ServiceAuthAudience",
                "https://api.contoso.com;22222222-2222-2222-2222-222222222222".to_owned(),
            ),
            (
                "ServiceObjectIds",
                "aaaaaaaa-0000-0000-0000-000000000001;aaaaaaaa-0000-0000-0000-000000000002".to_owned(),
            ),
            ("ServiceAuthEnabled", "True".to_owned()),
            ("RequireClientTypeHeader", "false".to_owned()),
            ("ServiceApplicationIds", String::new()),
        ]);
        let cfg = GuardConfigInput::from_vars(|k| vars.get(k).cloned()).unwrap().validate().unwrap();
        assert_eq!(cfg.audiences(), ["https://api.contoso.com", "22222222-2222-2222-2222-222222222222"]);
        assert_eq!(cfg.policy().object_ids().len(), 2);
        assert!(cfg.policy().application_ids().is_empty());
        assert_eq!(cfg.tenant_name(), Some("contoso.onmicrosoft.com"));
    }

    #[test]
    fn env_bad_boolean() {
        let err = GuardConfigInput::from_vars(|k| (k == "ServiceAuthEnabled").then(|| "yes".to_owned()))
            .unwrap_err();
        assert_eq!(err, invalid("ServiceAuthEnabled", "must be true or false"));
    }

    #[test]
    fn required_and_invalid_keys() {
        let no_tenant = "Authority = \"https://x\"\nServiceAuthAudience = \"api://a\"\n";
        assert_eq!(
            GuardConfig::from_toml_str(no_tenant).unwrap_err(),
            ConfigError::Missing("ServiceAuthTenantId")
        );
        let no_aud = format!("Authority = \"https://x\"\nServiceAuthTenantId = \"{TID}\"\n");
        assert_eq!(
            GuardConfig::from_toml_str(&no_aud).unwrap_err(),
            ConfigError::Missing("ServiceAuthAudience")
        );
        let bad_oid = format!("{}ServiceObjectIds = \"not-a-guid\"\n", minimal());
        assert_eq!(
            GuardConfig::from_toml_str(&bad_oid).unwrap_err(),
            invalid("ServiceObjectIds", "'not-a-guid' is not a GUID")
        );
        let ftp = minimal().replace("https://localhost:8443", "ftp://x");
        assert_eq!(
            GuardConfig::from_toml_str(&ftp).unwrap_err(),
            invalid("Authority", "must be an absolute http(s) URL")
        );
        let cfg = GuardConfig::from_toml_str(&minimal()).unwrap();
        assert!(cfg.with_leeway(Duration::from_secs(301)).is_err());
    }
}
