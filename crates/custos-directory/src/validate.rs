//! The writable properties of an application (POST and PATCH bodies), read strictly into
//! [`ApplicationInput`] and checked before anything is stored: display name, identifier URIs
//! (absolute, unique in the tenant), app roles (GUID ids, values ≤ 120 characters without
//! spaces, unique ids and values), `api.requestedAccessTokenVersion`, `signInAudience`,
//! `keyCredentials` (read by [`crate::key_credentials`]), and the interactive sign-in properties
//! (redirect URIs, `api.oauth2PermissionScopes`, `requiredResourceAccess`, read by
//! [`crate::sign_in_settings`]), and the stored-only properties (`notes`, `tags`, `info`,
//! `optionalClaims`, `web`'s settings, …, read by [`crate::app_properties`]), and custos' own
//! extension `custos.accessTokenSigningAlgorithm` (`RS256` | `ES256`; `custos: null` resets it
//! to RS256). Read-only properties are refused with Graph's "is read-only and cannot be set".

use crate::app_properties::{self as stored, ApiSettings, PropertiesInput, WebInput, present};
use crate::body::{JsonObject, invalid_value};
use crate::error::GraphError;
use crate::key_credentials::{self, KeyCredentialInput, KeyReplacement};
use crate::sign_in_settings::{
    self as sign_in, PermissionScopeInput, PlatformInput, RequiredResourceAccessInput, UriPlatform,
};
use custos_core::AppId;
use custos_core::app_properties::PreAuthorizedApplication;
use custos_core::consent::{PermissionScope, RequiredResourceAccess};
use custos_core::model::{AccessTokenSigningAlgorithm, AppRole, Application};
use custos_core::scope::identifier_uri_key;
use serde::Deserialize;
use std::collections::HashSet;
use time::OffsetDateTime;
use uuid::Uuid;

const RESOURCE: &str = "Application";
const MAX_DISPLAY_NAME: usize = 256;
const MAX_DESCRIPTION: usize = 1024;
const MAX_IDENTIFIER_URI: usize = 255;
const MAX_APP_ROLE_VALUE: usize = 120;
/// custos has no personal Microsoft accounts: only the two organisational audiences.
const SIGN_IN_AUDIENCES: &[&str] = &["AzureADMyOrg", "AzureADMultipleOrgs"];
const MEMBER_TYPES: &[&str] = &["User", "Application"];

/// An app role as a client sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AppRoleInput {
    id: Uuid,
    allowed_member_types: Vec<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    is_enabled: Option<bool>,
    #[serde(default)]
    value: Option<String>,
    /// Read-only in Graph; accepted and ignored so a GET body can be sent back.
    #[serde(default)]
    #[allow(dead_code, reason = "accepted only so that a GET body can be sent back")]
    origin: Option<String>,
}

/// `api` as a client sends it (the token version and the delegated permissions).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApiInput {
    #[serde(default)]
    requested_access_token_version: Option<u8>,
    #[serde(default)]
    oauth2_permission_scopes: Option<Vec<PermissionScopeInput>>,
    #[serde(default, deserialize_with = "present")]
    accept_mapped_claims: Option<Option<bool>>,
    #[serde(default)]
    known_client_applications: Option<Vec<AppId>>,
    #[serde(default)]
    pre_authorized_applications: Option<Vec<PreAuthorizedApplication>>,
}

/// `custos`: the custos extension of the application resource (unknown to Graph clients, which
/// neither send nor need it).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CustosExtensionInput {
    #[serde(default)]
    access_token_signing_algorithm: Option<String>,
}

/// The name of the custos extension member on the application resource.
pub(crate) const CUSTOS_EXTENSION: &str = "custos";

/// The properties a POST or PATCH sets; `None` = not sent.
#[derive(Debug, Default)]
pub(crate) struct ApplicationInput {
    display_name: Option<String>,
    description: Option<Option<String>>,
    identifier_uris: Option<Vec<String>>,
    app_roles: Option<Vec<AppRole>>,
    requested_access_token_version: Option<Option<u8>>,
    sign_in_audience: Option<String>,
    key_credentials: Option<Vec<KeyCredentialInput>>,
    permission_scopes: Option<Vec<PermissionScope>>,
    required_resource_access: Option<Vec<RequiredResourceAccess>>,
    web_redirect_uris: Option<Vec<String>>,
    public_client_redirect_uris: Option<Vec<String>>,
    spa_redirect_uris: Option<Vec<String>>,
    access_token_signing_algorithm: Option<AccessTokenSigningAlgorithm>,
    properties: PropertiesInput,
}

impl ApplicationInput {
    /// Reads and checks a body. `passwordCredentials` is refused: secrets come from
    /// `addPassword` only.
    pub(crate) fn parse(body: JsonObject) -> Result<Self, GraphError> {
        if body.contains("passwordCredentials") {
            return Err(GraphError::BadRequest(
                "Property 'passwordCredentials' cannot be set on create or update; use the addPassword action."
                    .to_owned(),
            ));
        }
        if let Some(read_only) = stored::READ_ONLY.iter().find(|p| body.contains(p)) {
            return Err(stored::read_only(read_only));
        }
        let mut body = body.only(
            &[
                "displayName",
                "description",
                "identifierUris",
                "appRoles",
                "api",
                "signInAudience",
                "keyCredentials",
                "requiredResourceAccess",
                "web",
                "publicClient",
                "spa",
                CUSTOS_EXTENSION,
            ]
            .into_iter()
            .chain(stored::MEMBERS.iter().copied())
            .collect::<Vec<_>>(),
        )?;
        let mut properties = PropertiesInput::take(&mut body)?;
        let display_name: Option<String> = body.take("displayName", RESOURCE)?;
        if display_name.as_ref().is_some_and(|n| n.trim().is_empty() || n.chars().count() > MAX_DISPLAY_NAME)
        {
            return Err(invalid_value("displayName", RESOURCE));
        }
        let description: Option<Option<String>> = body.take("description", RESOURCE)?;
        if let Some(Some(d)) = &description
            && d.chars().count() > MAX_DESCRIPTION
        {
            return Err(invalid_value("description", RESOURCE));
        }
        let identifier_uris: Option<Vec<String>> = body.take("identifierUris", RESOURCE)?;
        if let Some(uris) = &identifier_uris {
            check_identifier_uris(uris)?;
        }
        let app_roles = match body.take::<Vec<AppRoleInput>>("appRoles", RESOURCE)? {
            Some(roles) => Some(check_app_roles(roles)?),
            None => None,
        };
        let (requested_access_token_version, permission_scopes) =
            match body.take::<Option<ApiInput>>("api", RESOURCE)? {
                Some(Some(api)) => {
                    let v = api.requested_access_token_version;
                    if v.is_some_and(|v| v != 1 && v != 2) {
                        return Err(invalid_value("requestedAccessTokenVersion", "ApiApplication"));
                    }
                    let scopes = match api.oauth2_permission_scopes {
                        Some(scopes) => Some(sign_in::check_permission_scopes(scopes)?),
                        None => None,
                    };
                    properties.set_api(ApiSettings {
                        accept_mapped_claims: api.accept_mapped_claims,
                        known_client_applications: api.known_client_applications,
                        pre_authorized_applications: api.pre_authorized_applications,
                    });
                    (Some(v), scopes)
                }
                Some(None) | None => (None, None),
            };
        let required_resource_access = match body
            .take::<Option<Vec<RequiredResourceAccessInput>>>("requiredResourceAccess", RESOURCE)?
        {
            Some(Some(list)) => Some(sign_in::check_required_resource_access(list)?),
            Some(None) => Some(Vec::new()),
            None => None,
        };
        let web_redirect_uris = match body.take::<Option<WebInput>>("web", RESOURCE)? {
            Some(Some(web)) => {
                properties.set_web(&web)?;
                match &web.redirect_uris {
                    Some(uris) => {
                        for uri in uris {
                            sign_in::check_redirect_uri(uri, UriPlatform::Browser)?;
                        }
                        Some(uris.clone())
                    }
                    None => None,
                }
            }
            Some(None) => Some(Vec::new()),
            None => None,
        };
        let mut platform = |name: &str, kind: UriPlatform| -> Result<Option<Vec<String>>, GraphError> {
            match body.take::<Option<PlatformInput>>(name, RESOURCE)? {
                Some(Some(input)) => input.redirect_uris(kind),
                Some(None) => Ok(Some(Vec::new())),
                None => Ok(None),
            }
        };
        let public_client_redirect_uris = platform("publicClient", UriPlatform::PublicClient)?;
        let spa_redirect_uris = platform("spa", UriPlatform::Browser)?;
        let sign_in_audience: Option<String> = body.take("signInAudience", RESOURCE)?;
        if sign_in_audience.as_deref().is_some_and(|a| !SIGN_IN_AUDIENCES.contains(&a)) {
            return Err(invalid_value("signInAudience", RESOURCE));
        }
        let access_token_signing_algorithm =
            match body.take::<Option<CustosExtensionInput>>(CUSTOS_EXTENSION, RESOURCE)? {
                Some(Some(CustosExtensionInput { access_token_signing_algorithm: Some(name) })) => {
                    Some(AccessTokenSigningAlgorithm::from_name(&name).ok_or_else(|| {
                        invalid_value("accessTokenSigningAlgorithm", "CustosApplicationExtension")
                    })?)
                }
                Some(Some(CustosExtensionInput { access_token_signing_algorithm: None })) => None,
                Some(None) => Some(AccessTokenSigningAlgorithm::Rs256),
                None => None,
            };
        let key_credentials = match body.take::<Option<Vec<serde_json::Value>>>("keyCredentials", RESOURCE)? {
            Some(list) => Some(key_credentials::parse_list(list)?),
            None => None,
        };
        Ok(Self {
            display_name,
            description,
            identifier_uris,
            app_roles,
            requested_access_token_version,
            sign_in_audience,
            key_credentials,
            permission_scopes,
            required_resource_access,
            web_redirect_uris,
            public_client_redirect_uris,
            spa_redirect_uris,
            access_token_signing_algorithm,
            properties,
        })
    }

    /// The display name, required on create.
    pub(crate) fn display_name(&self) -> Option<&str> {
        self.display_name.as_deref()
    }

    /// The identifier URIs being set, if any.
    pub(crate) fn identifier_uris(&self) -> Option<&[String]> {
        self.identifier_uris.as_deref()
    }

    /// Whether a property other than `keyCredentials` is sent (what
    /// `Store::update_application` writes).
    pub(crate) fn sets_fields(&self) -> bool {
        self.display_name.is_some()
            || self.description.is_some()
            || self.identifier_uris.is_some()
            || self.app_roles.is_some()
            || self.requested_access_token_version.is_some()
            || self.sign_in_audience.is_some()
            || self.permission_scopes.is_some()
            || self.required_resource_access.is_some()
            || self.web_redirect_uris.is_some()
            || self.public_client_redirect_uris.is_some()
            || self.spa_redirect_uris.is_some()
            || self.access_token_signing_algorithm.is_some()
            || self.properties.sets_any()
    }

    /// Writes the sent properties onto `app`. Removing an app role that is still enabled is
    /// refused, as Graph does (disable it first). `keyCredentials` replaces the application's
    /// certificates, each checked at `now`; the replacement is also returned, for an update to
    /// write it atomically (`Store::update_application` leaves credentials alone).
    pub(crate) fn apply(
        self,
        app: &mut Application,
        now: OffsetDateTime,
    ) -> Result<Option<KeyReplacement>, GraphError> {
        let key_credentials = match self.key_credentials {
            Some(inputs) => Some(key_credentials::replace_all(inputs, &app.key_credentials, now)?),
            None => None,
        };
        if let Some(roles) = self.app_roles {
            if let Some(removed) =
                app.app_roles.iter().find(|old| old.is_enabled && !roles.iter().any(|new| new.id == old.id))
            {
                return Err(GraphError::EnabledAppRoleRemoved(removed.id.to_string()));
            }
            app.app_roles = roles;
        }
        if let Some(name) = self.display_name {
            app.display_name = name;
        }
        if let Some(description) = self.description {
            app.description = description;
        }
        if let Some(uris) = self.identifier_uris {
            app.identifier_uris = uris;
        }
        if let Some(version) = self.requested_access_token_version {
            app.requested_access_token_version = version;
        }
        if let Some(audience) = self.sign_in_audience {
            app.sign_in_audience = audience;
        }
        if let Some(algorithm) = self.access_token_signing_algorithm {
            app.access_token_signing_algorithm = algorithm;
        }
        if let Some(scopes) = self.permission_scopes {
            sign_in::check_scope_removal(&app.oauth2_permission_scopes, &scopes)?;
            app.oauth2_permission_scopes = scopes;
        }
        if let Some(access) = self.required_resource_access {
            app.required_resource_access = access;
        }
        let mut uris = app.redirect_uris.clone();
        for (sent, stored) in [
            (self.web_redirect_uris, &mut uris.web),
            (self.public_client_redirect_uris, &mut uris.public_client),
            (self.spa_redirect_uris, &mut uris.spa),
        ] {
            if let Some(sent) = sent {
                *stored = sent;
            }
        }
        sign_in::check_redirect_count(&uris)?;
        app.redirect_uris = uris;
        if let Some(replacement) = &key_credentials {
            app.key_credentials.clone_from(&replacement.credentials);
        }
        self.properties.apply(app)?;
        Ok(key_credentials)
    }
}

fn check_identifier_uris(uris: &[String]) -> Result<(), GraphError> {
    let mut seen = HashSet::new();
    for uri in uris {
        let scheme_ok = ["api://", "https://", "http://", "urn:"]
            .iter()
            .any(|s| uri.len() > s.len() && uri[..s.len()].eq_ignore_ascii_case(s));
        let chars_ok = uri.chars().all(|c| c.is_ascii_graphic() && !matches!(c, '#' | '*' | '?'));
        if !scheme_ok || !chars_ok || uri.len() > MAX_IDENTIFIER_URI {
            return Err(invalid_value("identifierUris", RESOURCE));
        }
        if !seen.insert(identifier_uri_key(uri)) {
            return Err(GraphError::BadRequest(format!(
                "The value '{uri}' appears more than once in property identifierUris."
            )));
        }
    }
    Ok(())
}

fn check_app_roles(roles: Vec<AppRoleInput>) -> Result<Vec<AppRole>, GraphError> {
    let mut ids = HashSet::new();
    let mut values = HashSet::new();
    let mut out = Vec::with_capacity(roles.len());
    for role in roles {
        if role.id.is_nil() || !ids.insert(role.id) {
            return Err(GraphError::BadRequest(format!(
                "App role id '{}' must be a unique, non-empty GUID.",
                role.id
            )));
        }
        if role.allowed_member_types.is_empty()
            || role.allowed_member_types.iter().any(|t| !MEMBER_TYPES.contains(&t.as_str()))
        {
            return Err(invalid_value("allowedMemberTypes", "AppRole"));
        }
        if let Some(value) = &role.value {
            if value.is_empty()
                || value.chars().count() > MAX_APP_ROLE_VALUE
                || value.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(invalid_value("value", "AppRole"));
            }
            if !values.insert(value.clone()) {
                return Err(GraphError::BadRequest(format!(
                    "App role value '{value}' is used more than once; app role values must be unique."
                )));
            }
        }
        out.push(AppRole {
            id: role.id,
            allowed_member_types: role.allowed_member_types,
            description: role.description,
            display_name: role.display_name,
            is_enabled: role.is_enabled.unwrap_or(true),
            value: role.value,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(id: &str, value: &str) -> AppRoleInput {
        AppRoleInput {
            id: id.parse().unwrap(),
            allowed_member_types: vec!["Application".into()],
            description: None,
            display_name: None,
            is_enabled: None,
            value: Some(value.into()),
            origin: None,
        }
    }

    const A: &str = "11111111-1111-1111-1111-111111111111";
    const B: &str = "22222222-2222-2222-2222-222222222222";

    #[test]
    fn identifier_uris_must_be_absolute_and_distinct() {
        assert!(check_identifier_uris(&["api://x".into(), "https://y.example/z".into()]).is_ok());
        for bad in ["x", "api://", "ftp://x", "api://a b", "https://x/#frag", "https://x/*"] {
            assert_eq!(
                check_identifier_uris(&[bad.into()]),
                Err(invalid_value("identifierUris", RESOURCE)),
                "{bad}"
            );
        }
        assert!(check_identifier_uris(&["api://x".into(), "API://x/".into()]).is_err());
    }

    #[test]
    fn app_roles_need_unique_ids_and_spaceless_values() {
        assert_eq!(check_app_roles(vec![role(A, "Read"), role(B, "Write")]).unwrap().len(), 2);
        assert!(check_app_roles(vec![role(A, "Read"), role(A, "Write")]).is_err());
        assert!(check_app_roles(vec![role(A, "Read"), role(B, "Read")]).is_err());
        assert_eq!(check_app_roles(vec![role(A, "has space")]), Err(invalid_value("value", "AppRole")));
        assert!(check_app_roles(vec![role(A, &"x".repeat(121))]).is_err());
        assert!(check_app_roles(vec![role(A, &"x".repeat(120))]).is_ok());
        let mut user_only = role(A, "R");
        user_only.allowed_member_types = vec!["Robot".into()];
        assert_eq!(check_app_roles(vec![user_only]), Err(invalid_value("allowedMemberTypes", "AppRole")));
    }
}
