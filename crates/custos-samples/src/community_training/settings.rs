//! The sample's configuration: seed 000's App Service settings, read from environment variables with
//! exactly their names (`ServiceAuthEnabled`, `ServiceAuthAudience`, `ServiceAuthTenantId`,
//! `ServiceAuthTenantName`, `ServiceObjectIds`, `ServiceApplicationIds`, `ServiceAuthRole`,
//! `RequireClientTypeHeader`, `Authority`, `CaFile`) plus seed 003's `EnableSwagger` and the user path's
//! `Scopes` and `UserAuth*` variables ([`super::user_settings`]), merged with the command line.
//!
//! Precedence: `--authority`, `--tenant` and `--ca` fill `Authority`, `ServiceAuthTenantId` and
//! `CaFile`. When a variable is set too, it must say the same thing (same URL up to a trailing slash,
//! same GUID up to case, same path): a difference stops the sample with an error naming both values,
//! because a service that trusts another tenant or authority than the one its operator typed is a
//! misconfiguration, not a preference. `RequireClientTypeHeader` defaults to true here (seed 000: "add
//! a new header with key ClientType and value Service").

use custos_guard::{ConfigError, GuardConfig, GuardConfigInput};
use uuid::Uuid;

use super::user_settings::{self, UserSettings, UserSettingsError};
use crate::ServeArgs;

/// The variable that turns the OpenAPI document and Swagger UI on (seed 003).
pub const ENABLE_SWAGGER: &str = "EnableSwagger";

/// Why the settings were refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingsError {
    /// A guard key is missing or invalid.
    #[error(transparent)]
    Guard(#[from] ConfigError),
    /// A command-line option and the environment variable for the same setting disagree.
    #[error(
        "--{flag} {cli} conflicts with the environment variable {key}={env}: unset {key} or pass the same value"
    )]
    Conflict {
        /// The option, without dashes.
        flag: &'static str,
        /// The variable.
        key: &'static str,
        /// The option's value.
        cli: String,
        /// The variable's value.
        env: String,
    },
    /// `EnableSwagger` is neither `true` nor `false`.
    #[error("EnableSwagger must be true or false")]
    EnableSwagger,
    /// A user-path setting (`Scopes`, `UserAuth*`) is missing, invalid or unused.
    #[error(transparent)]
    User(#[from] UserSettingsError),
}

/// The validated settings the sample runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// What the guard enforces (user tokens accepted exactly when `Scopes` is set).
    pub guard: GuardConfig,
    /// Serve `/swagger` (OpenAPI document and UI) without a token.
    pub enable_swagger: bool,
    /// The required scopes of user tokens and, with `UserAuthEnabled`, the sign-in client.
    pub user: UserSettings,
}

/// Reads the settings from `lookup` (usually `std::env::var`), the command line and, when given, the
/// file holding the sign-in client's secret.
pub fn resolve(
    args: &ServeArgs,
    secret_file: Option<&std::path::Path>,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Settings, SettingsError> {
    let mut input = GuardConfigInput::from_vars(&lookup)?;
    input.authority =
        Some(merge("authority", "Authority", &args.authority, input.authority.take(), |a, b| {
            a.trim_end_matches('/') == b.trim_end_matches('/')
        })?);
    input.service_auth_tenant_id = Some(merge(
        "tenant",
        "ServiceAuthTenantId",
        &args.tenant,
        input.service_auth_tenant_id.take(),
        |a, b| match (Uuid::try_parse(a.trim()), Uuid::try_parse(b.trim())) {
            (Ok(a), Ok(b)) => a == b,
            _ => a.trim().eq_ignore_ascii_case(b.trim()),
        },
    )?);
    if let Some(cli) = &args.ca {
        let cli = cli.display().to_string();
        let merged =
            merge("ca", "CaFile", &cli, input.ca_file.take().map(|p| p.display().to_string()), |a, b| {
                a == b
            })?;
        input.ca_file = Some(merged.into());
    }
    input.require_client_type_header = Some(input.require_client_type_header.unwrap_or(true));
    let enable_swagger = match lookup(ENABLE_SWAGGER).as_deref().map(str::trim) {
        None | Some("") => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(SettingsError::EnableSwagger),
    };
    let guard = input.validate()?;
    let user = user_settings::resolve(&lookup, secret_file, guard.audiences())?;
    let guard = guard.with_user_tokens(user.scopes.is_some());
    Ok(Settings { guard, enable_swagger, user })
}

/// The command line's value, after checking that the variable (when set) agrees with it.
fn merge(
    flag: &'static str,
    key: &'static str,
    cli: &str,
    env: Option<String>,
    same: impl Fn(&str, &str) -> bool,
) -> Result<String, SettingsError> {
    match env {
        Some(env) if !same(cli, &env) => Err(SettingsError::Conflict { flag, key, cli: cli.to_owned(), env }),
        _ => Ok(cli.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::PathBuf;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const API: &str = "api://6f9619ff-8b86-d011-b42d-00c04fc964ff";

    fn args(ca: Option<&str>) -> ServeArgs {
        ServeArgs {
            listen: "127.0.0.1:0".parse().unwrap(),
            authority: "https://localhost:8443".into(),
            tenant: TID.into(),
            data_dir: PathBuf::from("/tmp/x"),
            ca: ca.map(PathBuf::from),
            tls_cert: None,
            tls_key: None,
        }
    }

    fn resolve_with(ca: Option<&str>, vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        resolve(&args(ca), None, |k| vars.get(k).cloned())
    }

    #[test]
    fn seed_000_variables_with_the_command_line() {
        let settings = resolve_with(
            Some("/data/ca.pem"),
            &[
                ("ServiceAuthAudience", API),
                ("ServiceAuthTenantName", "contoso.onmicrosoft.com"),
                ("ServiceApplicationIds", "11111111-2222-3333-4444-555555555555"),
                (
                    "ServiceObjectIds",
                    "aaaaaaaa-0000-0000-0000-000000000001;aaaaaaaa-0000-0000-0000-000000000002",
                ),
                ("ServiceAuthRole", "S2SAppRole"),
            ],
        )
        .unwrap();
        let guard = &settings.guard;
        assert_eq!(guard.authority().as_str(), "https://localhost:8443/");
        assert_eq!(guard.tenant_id().to_string(), TID);
        assert_eq!(guard.ca_file(), Some(std::path::Path::new("/data/ca.pem")));
        assert!(guard.require_client_type_header(), "the sample requires ClientType by default");
        assert!(guard.service_auth_enabled());
        assert_eq!(guard.policy().roles(), ["S2SAppRole".to_owned()]);
        assert_eq!(guard.policy().object_ids().len(), 2);
        assert_eq!(guard.policy().application_ids().len(), 1);
        assert_eq!(guard.audiences(), ["6f9619ff-8b86-d011-b42d-00c04fc964ff".to_owned(), API.to_owned()]);
        assert!(!settings.enable_swagger);
        assert!(!guard.accept_user_tokens(), "no Scopes, no user tokens");
        assert!(settings.user.sign_in.is_none());
    }

    #[test]
    fn scopes_turn_user_tokens_on_and_user_auth_errors_name_the_variable() {
        let settings =
            resolve_with(None, &[("ServiceAuthAudience", API), ("Scopes", "access_as_user")]).unwrap();
        assert!(settings.guard.accept_user_tokens());
        assert_eq!(
            resolve_with(None, &[("ServiceAuthAudience", API), ("UserAuthEnabled", "true")])
                .unwrap_err()
                .to_string(),
            "Scopes is required when UserAuthEnabled is true"
        );
    }

    #[test]
    fn agreeing_variables_are_accepted_and_the_header_rule_can_be_turned_off() {
        let settings = resolve_with(
            None,
            &[
                ("ServiceAuthAudience", API),
                ("Authority", "https://localhost:8443/"),
                ("ServiceAuthTenantId", &TID.to_uppercase()),
                ("CaFile", "/env/ca.pem"),
                ("RequireClientTypeHeader", "false"),
                ("EnableSwagger", "True"),
            ],
        )
        .unwrap();
        assert!(!settings.guard.require_client_type_header());
        assert_eq!(settings.guard.ca_file(), Some(std::path::Path::new("/env/ca.pem")));
        assert!(settings.enable_swagger);
    }

    #[test]
    fn conflicts_are_loud() {
        let other = "00000000-0000-0000-0000-000000000001";
        assert_eq!(
            resolve_with(None, &[("ServiceAuthAudience", API), ("ServiceAuthTenantId", other)]).unwrap_err(),
            SettingsError::Conflict {
                flag: "tenant",
                key: "ServiceAuthTenantId",
                cli: TID.into(),
                env: other.into()
            }
        );
        let err = resolve_with(
            None,
            &[("ServiceAuthAudience", API), ("Authority", "https://login.microsoftonline.com")],
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "--authority https://localhost:8443 conflicts with the environment variable \
             Authority=https://login.microsoftonline.com: unset Authority or pass the same value"
        );
        assert!(matches!(
            resolve_with(Some("/a.pem"), &[("ServiceAuthAudience", API), ("CaFile", "/b.pem")]),
            Err(SettingsError::Conflict { flag: "ca", .. })
        ));
    }

    #[test]
    fn missing_and_invalid_values() {
        assert_eq!(
            resolve_with(None, &[]).unwrap_err(),
            SettingsError::Guard(ConfigError::Missing("ServiceAuthAudience"))
        );
        assert_eq!(
            resolve_with(None, &[("ServiceAuthAudience", API), ("EnableSwagger", "yes")]).unwrap_err(),
            SettingsError::EnableSwagger
        );
        assert!(matches!(
            resolve_with(None, &[("ServiceAuthAudience", API), ("ServiceObjectIds", "not-a-guid")]),
            Err(SettingsError::Guard(ConfigError::Invalid { key: "ServiceObjectIds", .. }))
        ));
    }
}
