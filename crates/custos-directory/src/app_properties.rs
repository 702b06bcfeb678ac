//! The stored-only Graph properties of an application in POST and PATCH bodies
//! (`graph-fidelity.md` §3.1-3.2): `notes`, `tags`, `isFallbackPublicClient`,
//! `groupMembershipClaims`, `tokenEncryptionKeyId`, `serviceManagementReference`, `info`,
//! `optionalClaims`, `web`'s settings besides its redirect URIs, and `api`'s
//! `acceptMappedClaims`, `knownClientApplications` and `preAuthorizedApplications`. Scalars and
//! collections sent replace what is stored (`null` clears); the complex values `web`,
//! `web.implicitGrantSettings` and `info` are merged member by member, as Graph does. Each value is
//! checked before anything is written, with Graph's "Invalid value specified for property" error.

use crate::body::{JsonObject, invalid_value};
use crate::error::GraphError;
use custos_core::AppId;
use custos_core::app_properties::{ApplicationProperties, OptionalClaims, PreAuthorizedApplication};
use custos_core::model::Application;
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use uuid::Uuid;

const RESOURCE: &str = "Application";
const MAX_NOTES: usize = 1024;
const MAX_TAG: usize = 256;
const MAX_URL: usize = 2048;
const GROUP_MEMBERSHIP_CLAIMS: &[&str] =
    &["None", "SecurityGroup", "ApplicationGroup", "DirectoryRole", "All"];

/// Reads a present member as `Some(value)` (`Some(None)` for an explicit `null`); with
/// `#[serde(default)]` an absent member stays `None`.
pub(crate) fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `web.implicitGrantSettings` as a client sends it.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ImplicitGrantInput {
    #[serde(default)]
    enable_id_token_issuance: Option<bool>,
    #[serde(default)]
    enable_access_token_issuance: Option<bool>,
}

/// `web` as a client sends it: redirect URIs (checked by [`crate::sign_in_settings`]) and the
/// stored-only settings. `redirectUriSettings` is accepted so a GET body can be sent back.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WebInput {
    #[serde(default)]
    pub(crate) redirect_uris: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    home_page_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    logout_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    implicit_grant_settings: Option<Option<ImplicitGrantInput>>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted only so that a GET body can be sent back")]
    redirect_uri_settings: Option<serde_json::Value>,
}

/// `info` as a client sends it; `logoUrl` is read-only (only `null` is accepted).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InfoInput {
    #[serde(default, deserialize_with = "present")]
    marketing_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    privacy_statement_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    support_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    terms_of_service_url: Option<Option<String>>,
    #[serde(default)]
    logo_url: Option<String>,
}

/// `api`'s stored-only members, as read by [`crate::validate`].
#[derive(Debug, Default)]
pub(crate) struct ApiSettings {
    pub(crate) accept_mapped_claims: Option<Option<bool>>,
    pub(crate) known_client_applications: Option<Vec<AppId>>,
    pub(crate) pre_authorized_applications: Option<Vec<PreAuthorizedApplication>>,
}

/// The stored-only properties a body sets; `None` = not sent.
#[derive(Debug, Default)]
pub(crate) struct PropertiesInput {
    notes: Option<Option<String>>,
    tags: Option<Vec<String>>,
    is_fallback_public_client: Option<Option<bool>>,
    group_membership_claims: Option<Option<String>>,
    token_encryption_key_id: Option<Option<Uuid>>,
    service_management_reference: Option<Option<String>>,
    info: Option<InfoInput>,
    optional_claims: Option<Option<OptionalClaims>>,
    home_page_url: Option<Option<String>>,
    logout_url: Option<Option<String>>,
    implicit_grant: Option<ImplicitGrantInput>,
    api: ApiSettings,
}

/// The top-level members [`PropertiesInput::take`] reads.
pub(crate) const MEMBERS: &[&str] = &[
    "notes",
    "tags",
    "isFallbackPublicClient",
    "groupMembershipClaims",
    "tokenEncryptionKeyId",
    "serviceManagementReference",
    "info",
    "optionalClaims",
];

fn check_url(url: Option<&String>, property: &str) -> Result<(), GraphError> {
    let Some(url) = url else { return Ok(()) };
    let lower = url.to_ascii_lowercase();
    let absolute =
        (lower.starts_with("https://") && url.len() > 8) || (lower.starts_with("http://") && url.len() > 7);
    if !absolute || url.len() > MAX_URL || url.chars().any(|c| !c.is_ascii_graphic()) {
        return Err(invalid_value(property, RESOURCE));
    }
    Ok(())
}

impl PropertiesInput {
    /// Takes the top-level members of [`MEMBERS`] from `body` and checks them.
    pub(crate) fn take(body: &mut JsonObject) -> Result<Self, GraphError> {
        let notes: Option<Option<String>> = body.take("notes", RESOURCE)?;
        if notes.as_ref().and_then(Option::as_ref).is_some_and(|n| n.chars().count() > MAX_NOTES) {
            return Err(invalid_value("notes", RESOURCE));
        }
        let tags = body.take::<Option<Vec<String>>>("tags", RESOURCE)?.map(Option::unwrap_or_default);
        if let Some(tags) = &tags {
            let mut seen = HashSet::new();
            let bad = tags.iter().any(|t| {
                t.is_empty()
                    || t.chars().count() > MAX_TAG
                    || t.chars().any(char::is_whitespace)
                    || !seen.insert(t)
            });
            if bad {
                return Err(invalid_value("tags", RESOURCE));
            }
        }
        let group_membership_claims: Option<Option<String>> = body.take("groupMembershipClaims", RESOURCE)?;
        if let Some(Some(claims)) = &group_membership_claims
            && !claims.split(',').all(|c| GROUP_MEMBERSHIP_CLAIMS.contains(&c.trim()))
        {
            return Err(invalid_value("groupMembershipClaims", RESOURCE));
        }
        let info = match body.take::<Option<InfoInput>>("info", RESOURCE)? {
            Some(Some(info)) => {
                if info.logo_url.is_some() {
                    return Err(read_only("logoUrl"));
                }
                for url in [
                    &info.marketing_url,
                    &info.privacy_statement_url,
                    &info.support_url,
                    &info.terms_of_service_url,
                ] {
                    check_url(url.as_ref().and_then(Option::as_ref), "info")?;
                }
                Some(info)
            }
            Some(None) => Some(InfoInput {
                marketing_url: Some(None),
                privacy_statement_url: Some(None),
                support_url: Some(None),
                terms_of_service_url: Some(None),
                logo_url: None,
            }),
            None => None,
        };
        let optional_claims: Option<Option<OptionalClaims>> = body.take("optionalClaims", RESOURCE)?;
        if let Some(Some(claims)) = &optional_claims {
            let all = claims.id_token.iter().chain(&claims.access_token).chain(&claims.saml2_token);
            if all.into_iter().any(|c| c.name.trim().is_empty()) {
                return Err(invalid_value("optionalClaims", RESOURCE));
            }
        }
        Ok(Self {
            notes,
            tags,
            is_fallback_public_client: body.take("isFallbackPublicClient", RESOURCE)?,
            group_membership_claims,
            token_encryption_key_id: body.take("tokenEncryptionKeyId", RESOURCE)?,
            service_management_reference: body.take("serviceManagementReference", RESOURCE)?,
            info,
            optional_claims,
            ..Self::default()
        })
    }

    /// Adds `web`'s stored-only settings (its redirect URIs are the caller's to check).
    pub(crate) fn set_web(&mut self, web: &WebInput) -> Result<(), GraphError> {
        check_url(web.home_page_url.as_ref().and_then(Option::as_ref), "web")?;
        check_url(web.logout_url.as_ref().and_then(Option::as_ref), "web")?;
        self.home_page_url.clone_from(&web.home_page_url);
        self.logout_url.clone_from(&web.logout_url);
        self.implicit_grant = match &web.implicit_grant_settings {
            Some(Some(settings)) => Some(ImplicitGrantInput {
                enable_id_token_issuance: settings.enable_id_token_issuance,
                enable_access_token_issuance: settings.enable_access_token_issuance,
            }),
            Some(None) => Some(ImplicitGrantInput {
                enable_id_token_issuance: Some(false),
                enable_access_token_issuance: Some(false),
            }),
            None => None,
        };
        Ok(())
    }

    /// Adds `api`'s stored-only members.
    pub(crate) fn set_api(&mut self, api: ApiSettings) {
        self.api = api;
    }

    /// Whether anything is set.
    pub(crate) fn sets_any(&self) -> bool {
        self.notes.is_some()
            || self.tags.is_some()
            || self.is_fallback_public_client.is_some()
            || self.group_membership_claims.is_some()
            || self.token_encryption_key_id.is_some()
            || self.service_management_reference.is_some()
            || self.info.is_some()
            || self.optional_claims.is_some()
            || self.home_page_url.is_some()
            || self.logout_url.is_some()
            || self.implicit_grant.is_some()
            || self.api.accept_mapped_claims.is_some()
            || self.api.known_client_applications.is_some()
            || self.api.pre_authorized_applications.is_some()
    }

    /// Writes the sent properties onto `app`, whose key credentials and permission scopes are
    /// already the new ones: `tokenEncryptionKeyId` must name one of its certificates and every
    /// pre-authorized permission one of its scopes.
    pub(crate) fn apply(self, app: &mut Application) -> Result<(), GraphError> {
        let mut p: ApplicationProperties = app.properties.clone();
        replace(&mut p.notes, self.notes);
        replace(&mut p.is_fallback_public_client, self.is_fallback_public_client);
        replace(&mut p.group_membership_claims, self.group_membership_claims);
        replace(&mut p.token_encryption_key_id, self.token_encryption_key_id);
        replace(&mut p.service_management_reference, self.service_management_reference);
        replace(&mut p.optional_claims, self.optional_claims);
        replace(&mut p.home_page_url, self.home_page_url);
        replace(&mut p.logout_url, self.logout_url);
        replace(&mut p.accept_mapped_claims, self.api.accept_mapped_claims);
        if let Some(tags) = self.tags {
            p.tags = tags;
        }
        if let Some(info) = self.info {
            replace(&mut p.info.marketing_url, info.marketing_url);
            replace(&mut p.info.privacy_statement_url, info.privacy_statement_url);
            replace(&mut p.info.support_url, info.support_url);
            replace(&mut p.info.terms_of_service_url, info.terms_of_service_url);
        }
        if let Some(grant) = self.implicit_grant {
            p.enable_id_token_issuance = grant.enable_id_token_issuance.unwrap_or(p.enable_id_token_issuance);
            p.enable_access_token_issuance =
                grant.enable_access_token_issuance.unwrap_or(p.enable_access_token_issuance);
        }
        if let Some(known) = self.api.known_client_applications {
            p.known_client_applications = known;
        }
        if let Some(pre) = self.api.pre_authorized_applications {
            p.pre_authorized_applications = pre;
        }
        if let Some(key) = p.token_encryption_key_id
            && !app.key_credentials.iter().any(|k| k.key_id == key)
        {
            return Err(invalid_value("tokenEncryptionKeyId", RESOURCE));
        }
        let scopes: HashSet<Uuid> = app.oauth2_permission_scopes.iter().map(|s| s.id).collect();
        if p.pre_authorized_applications
            .iter()
            .flat_map(|a| &a.delegated_permission_ids)
            .any(|id| !scopes.contains(id))
        {
            return Err(GraphError::BadRequest(
                "Property api.preAuthorizedApplications.delegatedPermissionIds has a Permission Id that cannot be found in the AppPermissions sets."
                    .to_owned(),
            ));
        }
        app.properties = p;
        Ok(())
    }
}

fn replace<T>(stored: &mut Option<T>, sent: Option<Option<T>>) {
    if let Some(value) = sent {
        *stored = value;
    }
}

/// Graph's refusal to set a read-only property.
pub(crate) fn read_only(property: &str) -> GraphError {
    GraphError::BadRequest(format!("Property '{property}' is read-only and cannot be set."))
}

/// An application's read-only properties (what GET returns but no body may set).
pub(crate) const READ_ONLY: &[&str] = &[
    "id",
    "appId",
    "createdDateTime",
    "deletedDateTime",
    "publisherDomain",
    "applicationTemplateId",
    "disabledByMicrosoftStatus",
];
