//! The interactive sign-in properties of an application, as a POST or PATCH body sends them,
//! checked as Entra checks them before anything is stored (`security.md` F42):
//!
//! - **redirect URIs** (`web`, `publicClient`, `spa`): absolute; `https`, or `http` only for
//!   `localhost`/`127.0.0.1`; a public client may also use a custom scheme (`msal{appId}://auth`)
//!   but never `javascript:`, `data:`, `vbscript:` or `file:`; no fragment, wildcard, white space,
//!   nor any of `! $ ' ( ) , ;`; at most 256 characters each and 256 per application;
//! - **delegated permissions** (`api.oauth2PermissionScopes`): unique non-nil ids, values of at
//!   most 120 characters without spaces and unique, `type` `User` or `Admin`; removing one that
//!   is still enabled is refused (disable it first);
//! - **required resource access**: a resource appId and a non-empty list of distinct
//!   `{id, type: Scope|Role}` entries, each resource at most once.

use crate::body::invalid_value;
use crate::error::GraphError;
use custos_core::AppId;
use custos_core::consent::{
    AccessType, PermissionScope, RedirectUris, RequiredResourceAccess, ResourceAccess, ScopeConsent,
};
use serde::Deserialize;
use std::collections::HashSet;
use uuid::Uuid;

const RESOURCE: &str = "Application";
/// Longest redirect URI.
const MAX_REDIRECT_URI: usize = 256;
/// Most redirect URIs per application, all platforms together.
const MAX_REDIRECT_URIS: usize = 256;
/// Longest permission scope value.
const MAX_SCOPE_VALUE: usize = 120;
/// Characters Entra refuses in redirect URIs.
const REFUSED_CHARACTERS: &[char] = &['!', '$', '\'', '(', ')', ',', ';', '#', '*', '\\', '"', '<', '>'];
/// Schemes never accepted, whatever the platform.
const REFUSED_SCHEMES: &[&str] = &["javascript", "data", "vbscript", "file", "about", "blob"];

/// Which platform a list of redirect URIs belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UriPlatform {
    /// `web` and `spa`: https, or http on a loopback host.
    Browser,
    /// `publicClient`: also custom schemes.
    PublicClient,
}

/// `web`, `publicClient` or `spa` as a client sends it. `web`'s other members are accepted so
/// that a GET body can be sent back, and ignored (custos has no implicit grant or logout URL).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PlatformInput {
    #[serde(default)]
    redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted only so that a GET body can be sent back")]
    home_page_url: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted only so that a GET body can be sent back")]
    logout_url: Option<serde_json::Value>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted only so that a GET body can be sent back")]
    implicit_grant_settings: Option<serde_json::Value>,
}

impl PlatformInput {
    /// The checked redirect URIs (`None`: not sent).
    pub(crate) fn redirect_uris(self, platform: UriPlatform) -> Result<Option<Vec<String>>, GraphError> {
        let Some(uris) = self.redirect_uris else { return Ok(None) };
        for uri in &uris {
            check_redirect_uri(uri, platform)?;
        }
        Ok(Some(uris))
    }
}

fn bad_uri() -> GraphError {
    invalid_value("redirectUris", RESOURCE)
}

/// Checks one redirect URI (see the module docs).
pub(crate) fn check_redirect_uri(uri: &str, platform: UriPlatform) -> Result<(), GraphError> {
    if uri.is_empty()
        || uri.chars().count() > MAX_REDIRECT_URI
        || uri.chars().any(|c| !c.is_ascii_graphic() || REFUSED_CHARACTERS.contains(&c))
    {
        return Err(bad_uri());
    }
    let (scheme, rest) = uri.split_once(':').ok_or_else(bad_uri)?;
    let scheme = scheme.to_ascii_lowercase();
    let scheme_ok = scheme.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || REFUSED_SCHEMES.contains(&scheme.as_str()) {
        return Err(bad_uri());
    }
    let authority = rest.strip_prefix("//").ok_or_else(bad_uri)?;
    let authority = authority.split(['/', '?']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if authority.contains('@') || host_port.is_empty() {
        return Err(bad_uri());
    }
    let host = match host_port.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => host_port,
    };
    let loopback = host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1";
    match (scheme.as_str(), platform) {
        ("https", _) => Ok(()),
        ("http", _) if loopback => Ok(()),
        ("http", _) | (_, UriPlatform::Browser) => Err(bad_uri()),
        (_, UriPlatform::PublicClient) => Ok(()),
    }
}

/// Checks the number of redirect URIs of an application as it will be stored.
pub(crate) fn check_redirect_count(uris: &RedirectUris) -> Result<(), GraphError> {
    if uris.web.len() + uris.public_client.len() + uris.spa.len() > MAX_REDIRECT_URIS {
        return Err(GraphError::BadRequest(format!(
            "An application may have at most {MAX_REDIRECT_URIS} redirect URIs."
        )));
    }
    Ok(())
}

/// A delegated permission as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PermissionScopeInput {
    id: Uuid,
    value: String,
    #[serde(rename = "type")]
    consent: String,
    #[serde(default)]
    admin_consent_display_name: Option<String>,
    #[serde(default)]
    admin_consent_description: Option<String>,
    #[serde(default)]
    user_consent_display_name: Option<String>,
    #[serde(default)]
    user_consent_description: Option<String>,
    #[serde(default)]
    is_enabled: Option<bool>,
    /// Read-only in Graph; accepted and ignored so a GET body can be sent back.
    #[serde(default)]
    #[allow(dead_code, reason = "accepted only so that a GET body can be sent back")]
    origin: Option<String>,
}

/// Checks a list of delegated permissions (see the module docs).
pub(crate) fn check_permission_scopes(
    inputs: Vec<PermissionScopeInput>,
) -> Result<Vec<PermissionScope>, GraphError> {
    let mut ids = HashSet::new();
    let mut values = HashSet::new();
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        if input.id.is_nil() || !ids.insert(input.id) {
            return Err(GraphError::BadRequest(format!(
                "Permission scope id '{}' must be a unique, non-empty GUID.",
                input.id
            )));
        }
        if input.value.is_empty()
            || input.value.chars().count() > MAX_SCOPE_VALUE
            || input.value.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(invalid_value("value", "PermissionScope"));
        }
        if !values.insert(input.value.clone()) {
            return Err(GraphError::BadRequest(format!(
                "Permission scope value '{}' is used more than once; permission scope values must be unique.",
                input.value
            )));
        }
        let consent = match input.consent.as_str() {
            "User" => ScopeConsent::User,
            "Admin" => ScopeConsent::Admin,
            _ => return Err(invalid_value("type", "PermissionScope")),
        };
        out.push(PermissionScope {
            id: input.id,
            value: input.value,
            consent,
            admin_consent_display_name: input.admin_consent_display_name,
            admin_consent_description: input.admin_consent_description,
            user_consent_display_name: input.user_consent_display_name,
            user_consent_description: input.user_consent_description,
            is_enabled: input.is_enabled.unwrap_or(true),
        });
    }
    Ok(out)
}

/// Refuses a new scope list that drops a scope that is still enabled (Graph's rule).
pub(crate) fn check_scope_removal(
    old: &[PermissionScope],
    new: &[PermissionScope],
) -> Result<(), GraphError> {
    match old.iter().find(|o| o.is_enabled && !new.iter().any(|n| n.id == o.id)) {
        Some(removed) => Err(GraphError::EnabledPermissionScopeRemoved(removed.id.to_string())),
        None => Ok(()),
    }
}

/// One `requiredResourceAccess` entry as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RequiredResourceAccessInput {
    resource_app_id: AppId,
    resource_access: Vec<ResourceAccessInput>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResourceAccessInput {
    id: Uuid,
    #[serde(rename = "type")]
    kind: String,
}

/// Checks `requiredResourceAccess` (see the module docs).
pub(crate) fn check_required_resource_access(
    inputs: Vec<RequiredResourceAccessInput>,
) -> Result<Vec<RequiredResourceAccess>, GraphError> {
    let mut resources = HashSet::new();
    let mut out = Vec::with_capacity(inputs.len());
    for input in inputs {
        if !resources.insert(input.resource_app_id) {
            return Err(GraphError::BadRequest(format!(
                "Resource '{}' appears more than once in property requiredResourceAccess.",
                input.resource_app_id
            )));
        }
        if input.resource_access.is_empty() {
            return Err(invalid_value("resourceAccess", "RequiredResourceAccess"));
        }
        let mut seen = HashSet::new();
        let mut access = Vec::with_capacity(input.resource_access.len());
        for entry in input.resource_access {
            let kind = match entry.kind.as_str() {
                "Scope" => AccessType::Scope,
                "Role" => AccessType::Role,
                _ => return Err(invalid_value("type", "ResourceAccess")),
            };
            if entry.id.is_nil() || !seen.insert((entry.id, kind)) {
                return Err(invalid_value("id", "ResourceAccess"));
            }
            access.push(ResourceAccess { id: entry.id, kind });
        }
        out.push(RequiredResourceAccess { resource_app_id: input.resource_app_id, resource_access: access });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_follow_entra_s_rules() {
        use UriPlatform::{Browser, PublicClient};
        for good in [
            "https://app.example/callback",
            "https://app.example:8443/cb?x=1",
            "http://localhost",
            "http://localhost:3000/cb",
            "http://127.0.0.1:5000/",
        ] {
            assert_eq!(check_redirect_uri(good, Browser), Ok(()), "{good}");
        }
        assert_eq!(check_redirect_uri("msal0000://auth", PublicClient), Ok(()));
        for bad in [
            "javascript://alert(1)",
            "javascript:alert(1)",
            "JavaScript://x/%0aalert",
            "data://text/html,x",
            "http://app.example/cb",
            "https://app.example/cb#frag",
            "https://*.example/cb",
            "https://app.example/a b",
            "https://app.example/cb;x",
            "https://app.example/cb!",
            "https://app.example/$",
            "https://app.example/'",
            "https://app.example/(x)",
            "https://app.example/a,b",
            "https://user@app.example/",
            "/relative/path",
            "https:///nohost",
            "",
        ] {
            assert_eq!(check_redirect_uri(bad, Browser), Err(bad_uri()), "{bad}");
        }
        assert_eq!(check_redirect_uri("javascript://x", PublicClient), Err(bad_uri()));
        assert_eq!(check_redirect_uri("msal0000://auth", Browser), Err(bad_uri()));
        let long = format!("https://app.example/{}", "a".repeat(236));
        assert_eq!(long.len(), 256);
        assert_eq!(check_redirect_uri(&long, Browser), Ok(()));
        assert_eq!(check_redirect_uri(&format!("{long}a"), Browser), Err(bad_uri()));
    }

    fn scope(id: u128, value: &str, kind: &str) -> PermissionScopeInput {
        PermissionScopeInput {
            id: Uuid::from_u128(id),
            value: value.to_owned(),
            consent: kind.to_owned(),
            admin_consent_display_name: None,
            admin_consent_description: None,
            user_consent_display_name: None,
            user_consent_description: None,
            is_enabled: None,
            origin: None,
        }
    }

    #[test]
    fn permission_scopes_need_unique_ids_and_values() {
        assert_eq!(
            check_permission_scopes(vec![scope(1, "a", "User"), scope(2, "b", "Admin")]).unwrap().len(),
            2
        );
        assert!(check_permission_scopes(vec![scope(1, "a", "User"), scope(1, "b", "User")]).is_err());
        assert!(check_permission_scopes(vec![scope(1, "a", "User"), scope(2, "a", "User")]).is_err());
        assert_eq!(
            check_permission_scopes(vec![scope(1, "a b", "User")]),
            Err(invalid_value("value", "PermissionScope"))
        );
        assert!(check_permission_scopes(vec![scope(1, &"x".repeat(120), "User")]).is_ok());
        assert!(check_permission_scopes(vec![scope(1, &"x".repeat(121), "User")]).is_err());
        assert_eq!(
            check_permission_scopes(vec![scope(1, "a", "Everyone")]),
            Err(invalid_value("type", "PermissionScope"))
        );
        assert!(check_permission_scopes(vec![scope(0, "a", "User")]).is_err());
    }
}
