//! The writable Graph properties of a service principal besides its two flags
//! (`graph-fidelity.md` §3.3): `displayName`, `description`, `notes`, `homepage`, `loginUrl`,
//! `logoutUrl`, `alternativeNames`, `tags`, `notificationEmailAddresses` and
//! `preferredSingleSignOnMode`, stored and rendered but not acted on. Read-only properties get
//! Graph's "is read-only" error; the ones custos derives from the application (`appRoles`,
//! `oauth2PermissionScopes`, `replyUrls`, `servicePrincipalNames`) and the credentials custos keeps
//! on applications only are refused with a message saying so.

use crate::app_properties::read_only;
use crate::body::{JsonObject, invalid_value};
use crate::error::GraphError;
use custos_core::model::ServicePrincipal;
use std::collections::HashSet;

const RESOURCE: &str = "ServicePrincipal";
const MAX_DISPLAY_NAME: usize = 256;
const MAX_TEXT: usize = 1024;
const MAX_URL: usize = 2048;
const SSO_MODES: &[&str] = &["password", "saml", "notSupported", "oidc"];

/// What a PATCH may name besides `accountEnabled` and `appRoleAssignmentRequired`.
pub(crate) const MEMBERS: &[&str] = &[
    "displayName",
    "description",
    "notes",
    "homepage",
    "loginUrl",
    "logoutUrl",
    "alternativeNames",
    "tags",
    "notificationEmailAddresses",
    "preferredSingleSignOnMode",
];

const READ_ONLY: &[&str] = &[
    "id",
    "appId",
    "appDisplayName",
    "appDescription",
    "appOwnerOrganizationId",
    "servicePrincipalType",
    "signInAudience",
    "deletedDateTime",
];

const FROM_APPLICATION: &[&str] = &[
    "appRoles",
    "oauth2PermissionScopes",
    "replyUrls",
    "servicePrincipalNames",
    "keyCredentials",
    "passwordCredentials",
];

/// Refuses read-only and application-owned properties of a body, before anything else.
pub(crate) fn refuse_fixed(body: &JsonObject) -> Result<(), GraphError> {
    if let Some(property) = READ_ONLY.iter().find(|p| body.contains(p)) {
        return Err(read_only(property));
    }
    if let Some(property) = FROM_APPLICATION.iter().find(|p| body.contains(p)) {
        return Err(GraphError::BadRequest(format!(
            "Property '{property}' of a service principal is kept on its application in custos; set it on the application."
        )));
    }
    Ok(())
}

fn text(body: &mut JsonObject, name: &str, max: usize) -> Result<Option<Option<String>>, GraphError> {
    let value: Option<Option<String>> = body.take(name, RESOURCE)?;
    if value.as_ref().and_then(Option::as_ref).is_some_and(|v| v.chars().count() > max) {
        return Err(invalid_value(name, RESOURCE));
    }
    Ok(value)
}

fn url(body: &mut JsonObject, name: &str) -> Result<Option<Option<String>>, GraphError> {
    let value = text(body, name, MAX_URL)?;
    if let Some(Some(url)) = &value {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://"))
            || url.chars().any(|c| !c.is_ascii_graphic())
        {
            return Err(invalid_value(name, RESOURCE));
        }
    }
    Ok(value)
}

fn list(body: &mut JsonObject, name: &str, word: bool) -> Result<Option<Vec<String>>, GraphError> {
    let Some(values) = body.take::<Option<Vec<String>>>(name, RESOURCE)?.map(Option::unwrap_or_default)
    else {
        return Ok(None);
    };
    let mut seen = HashSet::new();
    let bad = values.iter().any(|v| {
        v.is_empty()
            || v.chars().count() > MAX_TEXT
            || (word && v.chars().any(char::is_whitespace))
            || !seen.insert(v)
    });
    if bad { Err(invalid_value(name, RESOURCE)) } else { Ok(Some(values)) }
}

fn set<T>(stored: &mut T, sent: Option<T>) {
    if let Some(value) = sent {
        *stored = value;
    }
}

/// Takes [`MEMBERS`] from `body` and writes them onto `sp`; whether any was sent.
pub(crate) fn apply(body: &mut JsonObject, sp: &mut ServicePrincipal) -> Result<bool, GraphError> {
    let display_name: Option<String> = body.take("displayName", RESOURCE)?;
    if display_name.as_ref().is_some_and(|n| n.trim().is_empty() || n.chars().count() > MAX_DISPLAY_NAME) {
        return Err(invalid_value("displayName", RESOURCE));
    }
    let description = text(body, "description", MAX_TEXT)?;
    let notes = text(body, "notes", MAX_TEXT)?;
    let homepage = url(body, "homepage")?;
    let login_url = url(body, "loginUrl")?;
    let logout_url = url(body, "logoutUrl")?;
    let alternative_names = list(body, "alternativeNames", false)?;
    let tags = list(body, "tags", true)?;
    let emails = list(body, "notificationEmailAddresses", true)?;
    if emails.as_ref().is_some_and(|e| e.iter().any(|e| !e.contains('@'))) {
        return Err(invalid_value("notificationEmailAddresses", RESOURCE));
    }
    let sso: Option<Option<String>> = body.take("preferredSingleSignOnMode", RESOURCE)?;
    if let Some(Some(mode)) = &sso
        && !SSO_MODES.contains(&mode.as_str())
    {
        return Err(invalid_value("preferredSingleSignOnMode", RESOURCE));
    }
    let sent = display_name.is_some()
        || description.is_some()
        || notes.is_some()
        || homepage.is_some()
        || login_url.is_some()
        || logout_url.is_some()
        || alternative_names.is_some()
        || tags.is_some()
        || emails.is_some()
        || sso.is_some();
    set(&mut sp.display_name, display_name);
    let p = &mut sp.properties;
    set(&mut p.description, description);
    set(&mut p.notes, notes);
    set(&mut p.homepage, homepage);
    set(&mut p.login_url, login_url);
    set(&mut p.logout_url, logout_url);
    set(&mut p.alternative_names, alternative_names);
    set(&mut p.tags, tags);
    set(&mut p.notification_email_addresses, emails);
    set(&mut p.preferred_single_sign_on_mode, sso);
    Ok(sent)
}
