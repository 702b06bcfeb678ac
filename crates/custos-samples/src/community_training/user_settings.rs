//! The settings of seed 003's user path, in seed 000's naming style (App Service variables), read
//! once into validated form:
//!
//! | variable | meaning |
//! | --- | --- |
//! | `Scopes` | delegated scopes the API requires of user tokens (`scp`), space- or `;`-separated, e.g. `access_as_user` (Microsoft.Identity.Web's `Scopes` / `RequiredScope`). Set: user tokens are accepted where a route takes them. Unset: no user token is accepted |
//! | `UserAuthEnabled` | `true` serves `/ExternalAuthentication/Login`, `/Callback` and the refresh route (default `false`); needs `Scopes` and the three below |
//! | `UserAuthClientId` | the sample's own app registration (a confidential web client of the authority) |
//! | `UserAuthClientSecret` | its client secret; or `--user-auth-client-secret-file FILE` (not both). Never logged |
//! | `UserAuthPublicUrl` | the sample's public base URL; the redirect URI is `{UserAuthPublicUrl}/ExternalAuthentication/Callback` |
//!
//! A `UserAuth*` variable set while `UserAuthEnabled` is not `true` is an error too: a setting that
//! silently does nothing is a misconfiguration. The sign-in asks for the API's scopes on its first
//! audience that is a URI (`ServiceAuthAudience`, e.g. `api://<appId>/access_as_user`), plus
//! `openid profile offline_access`.

use std::path::Path;

use custos_core::{AppId, Secret};
use reqwest::Url;

/// `Scopes`.
pub const SCOPES: &str = "Scopes";
/// `UserAuthEnabled`.
pub const USER_AUTH_ENABLED: &str = "UserAuthEnabled";
/// `UserAuthClientId`.
pub const USER_AUTH_CLIENT_ID: &str = "UserAuthClientId";
/// `UserAuthClientSecret`.
pub const USER_AUTH_CLIENT_SECRET: &str = "UserAuthClientSecret";
/// `UserAuthPublicUrl`.
pub const USER_AUTH_PUBLIC_URL: &str = "UserAuthPublicUrl";
/// The command-line option that reads the secret from a file.
pub const SECRET_FILE_FLAG: &str = "--user-auth-client-secret-file";

/// Why the user-path settings were refused; every message names the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UserSettingsError {
    /// A variable has a value the sample cannot use.
    #[error("{key} is invalid: {reason}")]
    Invalid {
        /// The variable (or option).
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `UserAuthEnabled=true` without a value it needs.
    #[error("{0} is required when UserAuthEnabled is true")]
    Missing(&'static str),
    /// A `UserAuth*` value without `UserAuthEnabled=true`.
    #[error("{0} is set but UserAuthEnabled is not true: set UserAuthEnabled=true or unset {0}")]
    Unused(&'static str),
    /// The secret given twice.
    #[error("UserAuthClientSecret and {SECRET_FILE_FLAG} are both given: pass the secret one way")]
    TwoSecrets,
}

fn invalid(key: &'static str, reason: impl Into<String>) -> UserSettingsError {
    UserSettingsError::Invalid { key, reason: reason.into() }
}

/// The sample as a web client of the authority: what the sign-in and the refresh route need.
#[derive(Debug, Clone)]
pub struct SignInClient {
    /// `UserAuthClientId`.
    pub client_id: AppId,
    /// `UserAuthClientSecret` (never logged).
    pub client_secret: Secret<String>,
    /// `{UserAuthPublicUrl}/ExternalAuthentication/Callback`.
    pub redirect_uri: Url,
    /// `{UserAuthPublicUrl}/ExternalAuthentication/Complete`, where the callback sends the browser.
    pub landing_uri: Url,
    /// Whether the public URL is https (the sign-in cookie is then `Secure`).
    pub secure_cookie: bool,
    /// The v2 `scope` of the sign-in and of every refresh: the API's scopes, qualified, then
    /// `openid profile offline_access`.
    pub scope: String,
}

/// The validated user-path settings.
#[derive(Debug, Clone, Default)]
pub struct UserSettings {
    /// `Scopes`: `None` = user tokens are not accepted.
    pub scopes: Option<Vec<String>>,
    /// Present when `UserAuthEnabled=true`.
    pub sign_in: Option<SignInClient>,
}

/// Reads the user-path variables through `lookup`, the secret file when given, and checks them.
/// `audiences` are the guard's accepted audiences (the first URI among them qualifies the scopes).
pub fn resolve(
    lookup: &impl Fn(&str) -> Option<String>,
    secret_file: Option<&Path>,
    audiences: &[String],
) -> Result<UserSettings, UserSettingsError> {
    let get = |key: &str| lookup(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let scopes = get(SCOPES).map(|raw| parse_scopes(&raw)).transpose()?;
    let enabled = match get(USER_AUTH_ENABLED).as_deref() {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => return Err(invalid(USER_AUTH_ENABLED, "must be true or false")),
    };
    let client_id = get(USER_AUTH_CLIENT_ID);
    // The secret is not trimmed: it is used exactly as given (a file's final newline aside).
    let env_secret = lookup(USER_AUTH_CLIENT_SECRET).filter(|v| !v.is_empty());
    let public_url = get(USER_AUTH_PUBLIC_URL);
    if !enabled {
        let unused = [
            (USER_AUTH_CLIENT_ID, client_id.is_some()),
            (USER_AUTH_CLIENT_SECRET, env_secret.is_some()),
            (SECRET_FILE_FLAG, secret_file.is_some()),
            (USER_AUTH_PUBLIC_URL, public_url.is_some()),
        ];
        if let Some((key, _)) = unused.into_iter().find(|(_, set)| *set) {
            return Err(UserSettingsError::Unused(key));
        }
        return Ok(UserSettings { scopes, sign_in: None });
    }
    let scopes = scopes.ok_or(UserSettingsError::Missing(SCOPES))?;
    let client_id = client_id
        .ok_or(UserSettingsError::Missing(USER_AUTH_CLIENT_ID))?
        .parse::<AppId>()
        .map_err(|_| invalid(USER_AUTH_CLIENT_ID, "must be the application (client) id, a GUID"))?;
    let client_secret = match (env_secret, secret_file) {
        (Some(_), Some(_)) => return Err(UserSettingsError::TwoSecrets),
        (Some(secret), None) => secret,
        (None, Some(path)) => read_secret_file(path)?,
        (None, None) => return Err(UserSettingsError::Missing(USER_AUTH_CLIENT_SECRET)),
    };
    let public_url = parse_public_url(&public_url.ok_or(UserSettingsError::Missing(USER_AUTH_PUBLIC_URL))?)?;
    let resource = audiences
        .iter()
        .find(|a| a.contains("://"))
        .or_else(|| audiences.first())
        .ok_or_else(|| invalid("ServiceAuthAudience", "names no audience"))?;
    let mut scope: Vec<String> =
        scopes.iter().map(|s| format!("{}/{s}", resource.trim_end_matches('/'))).collect();
    scope.extend(["openid", "profile", "offline_access"].map(str::to_owned));
    let join = |path: &str| public_url.join(path).map_err(|e| invalid(USER_AUTH_PUBLIC_URL, e.to_string()));
    let sign_in = SignInClient {
        client_id,
        client_secret: Secret::new(client_secret),
        redirect_uri: join("ExternalAuthentication/Callback")?,
        landing_uri: join("ExternalAuthentication/Complete")?,
        secure_cookie: public_url.scheme() == "https",
        scope: scope.join(" "),
    };
    Ok(UserSettings { scopes: Some(scopes), sign_in: Some(sign_in) })
}

/// `Scopes`: one or more scope values (RFC 6749 §3.3 scope-tokens), without a resource prefix.
fn parse_scopes(raw: &str) -> Result<Vec<String>, UserSettingsError> {
    let mut scopes: Vec<String> = Vec::new();
    for scope in raw.split([' ', ';']).map(str::trim).filter(|s| !s.is_empty()) {
        if !scope.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E)) {
            return Err(invalid(SCOPES, format!("'{scope}' is not a scope value")));
        }
        if scope.contains('/') {
            return Err(invalid(
                SCOPES,
                format!("'{scope}': give the scope's value (e.g. access_as_user), not its full URI"),
            ));
        }
        if !scopes.iter().any(|s| s == scope) {
            scopes.push(scope.to_owned());
        }
    }
    if scopes.is_empty() {
        return Err(invalid(SCOPES, "names no scope"));
    }
    Ok(scopes)
}

/// An absolute https URL (http only on a loopback host, as the authority allows for redirect URIs)
/// without query, fragment or user info; the path is kept and ends with `/`.
fn parse_public_url(raw: &str) -> Result<Url, UserSettingsError> {
    let mut url = Url::parse(raw).map_err(|e| invalid(USER_AUTH_PUBLIC_URL, e.to_string()))?;
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(invalid(USER_AUTH_PUBLIC_URL, "must be https (http only on localhost or 127.0.0.1)"));
        }
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid(USER_AUTH_PUBLIC_URL, "must not carry a query, fragment or user info"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn read_secret_file(path: &Path) -> Result<String, UserSettingsError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| invalid(SECRET_FILE_FLAG, format!("{}: {e}", path.display())))?;
    let secret = text.strip_suffix('\n').map(|s| s.strip_suffix('\r').unwrap_or(s)).unwrap_or(&text);
    if secret.is_empty() {
        return Err(invalid(SECRET_FILE_FLAG, format!("{} is empty", path.display())));
    }
    Ok(secret.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const CLIENT: &str = "11111111-2222-3333-4444-555555555555";
    const AUDIENCES: [&str; 2] =
        ["6f9619ff-8b86-d011-b42d-00c04fc964ff", "api://6f9619ff-8b86-d011-b42d-00c04fc964ff"];

    fn resolve_with(vars: &[(&str, &str)], file: Option<&Path>) -> Result<UserSettings, UserSettingsError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let audiences: Vec<String> = AUDIENCES.iter().map(|a| (*a).to_owned()).collect();
        resolve(&|k: &str| vars.get(k).cloned(), file, &audiences)
    }

    fn enabled(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut vars = vec![
            (USER_AUTH_ENABLED, "true"),
            (SCOPES, "access_as_user"),
            (USER_AUTH_CLIENT_ID, CLIENT),
            (USER_AUTH_CLIENT_SECRET, "s3cret "),
            (USER_AUTH_PUBLIC_URL, "https://ct.example:8444"),
        ];
        for (key, value) in extra {
            vars.retain(|(k, _)| k != key);
            vars.push((key, value));
        }
        vars
    }

    #[test]
    fn the_sign_in_client_from_the_variables() {
        let settings = resolve_with(&enabled(&[]), None).unwrap();
        assert_eq!(settings.scopes, Some(vec!["access_as_user".to_owned()]));
        let client = settings.sign_in.unwrap();
        assert_eq!(client.client_id.to_string(), CLIENT);
        assert_eq!(client.client_secret.expose(), "s3cret ", "secrets are used as given");
        assert_eq!(client.redirect_uri.as_str(), "https://ct.example:8444/ExternalAuthentication/Callback");
        assert_eq!(client.landing_uri.as_str(), "https://ct.example:8444/ExternalAuthentication/Complete");
        assert!(client.secure_cookie);
        assert_eq!(
            client.scope,
            "api://6f9619ff-8b86-d011-b42d-00c04fc964ff/access_as_user openid profile offline_access"
        );
        let under_a_path = resolve_with(
            &enabled(&[(USER_AUTH_PUBLIC_URL, "http://127.0.0.1:9000/ct"), (SCOPES, "a; b a")]),
            None,
        )
        .unwrap();
        let client = under_a_path.sign_in.unwrap();
        assert_eq!(client.redirect_uri.as_str(), "http://127.0.0.1:9000/ct/ExternalAuthentication/Callback");
        assert!(!client.secure_cookie);
        assert!(client.scope.starts_with(
            "api://6f9619ff-8b86-d011-b42d-00c04fc964ff/a api://6f9619ff-8b86-d011-b42d-00c04fc964ff/b openid"
        ));
    }

    #[test]
    fn scopes_alone_accept_user_tokens_without_the_sign_in_routes() {
        let settings = resolve_with(&[(SCOPES, "access_as_user Courses.Read")], None).unwrap();
        assert_eq!(settings.scopes, Some(vec!["access_as_user".to_owned(), "Courses.Read".to_owned()]));
        assert!(settings.sign_in.is_none());
        let none = resolve_with(&[], None).unwrap();
        assert!(none.scopes.is_none() && none.sign_in.is_none());
    }

    #[test]
    fn the_secret_from_a_file_and_not_twice() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "from-file\n").unwrap();
        let without_env: Vec<_> =
            enabled(&[]).into_iter().filter(|(k, _)| *k != USER_AUTH_CLIENT_SECRET).collect();
        let settings = resolve_with(&without_env, Some(&file)).unwrap();
        assert_eq!(settings.sign_in.unwrap().client_secret.expose(), "from-file");
        assert_eq!(resolve_with(&enabled(&[]), Some(&file)).unwrap_err(), UserSettingsError::TwoSecrets);
        assert_eq!(
            resolve_with(&without_env, None).unwrap_err(),
            UserSettingsError::Missing(USER_AUTH_CLIENT_SECRET)
        );
        std::fs::write(&file, "\n").unwrap();
        assert!(matches!(
            resolve_with(&without_env, Some(&file)),
            Err(UserSettingsError::Invalid { key: SECRET_FILE_FLAG, .. })
        ));
        let missing = dir.path().join("absent");
        assert!(matches!(
            resolve_with(&without_env, Some(&missing)),
            Err(UserSettingsError::Invalid { key: SECRET_FILE_FLAG, .. })
        ));
    }

    #[test]
    fn missing_conflicting_and_invalid_values_name_the_variable() {
        for key in [SCOPES, USER_AUTH_CLIENT_ID, USER_AUTH_PUBLIC_URL] {
            let vars: Vec<_> = enabled(&[]).into_iter().filter(|(k, _)| *k != key).collect();
            assert_eq!(resolve_with(&vars, None).unwrap_err(), UserSettingsError::Missing(key));
        }
        assert_eq!(
            resolve_with(&[(USER_AUTH_CLIENT_ID, CLIENT)], None).unwrap_err().to_string(),
            "UserAuthClientId is set but UserAuthEnabled is not true: set UserAuthEnabled=true or unset UserAuthClientId"
        );
        assert_eq!(
            resolve_with(&[(USER_AUTH_ENABLED, "false"), (USER_AUTH_CLIENT_SECRET, "x")], None).unwrap_err(),
            UserSettingsError::Unused(USER_AUTH_CLIENT_SECRET)
        );
        let cases: [(&str, &str); 9] = [
            (USER_AUTH_ENABLED, "yes"),
            (USER_AUTH_CLIENT_ID, "not-a-guid"),
            (USER_AUTH_PUBLIC_URL, "http://ct.example"),
            (USER_AUTH_PUBLIC_URL, "https://ct.example/?a=b"),
            (USER_AUTH_PUBLIC_URL, "https://user@ct.example/"),
            (USER_AUTH_PUBLIC_URL, "/relative"),
            (SCOPES, "api://x/access_as_user"),
            (SCOPES, "a\"b"),
            (SCOPES, " ; "),
        ];
        for (key, value) in cases {
            let err = resolve_with(&enabled(&[(key, value)]), None).unwrap_err();
            let named = match &err {
                UserSettingsError::Invalid { key: named, .. } => *named,
                UserSettingsError::Missing(named) => *named,
                other => panic!("{key}={value}: {other}"),
            };
            assert_eq!(named, key, "{key}={value}: {err}");
        }
    }
}
