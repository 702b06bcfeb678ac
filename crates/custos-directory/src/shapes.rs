//! Graph JSON shapes of directory objects: how an [`Application`], [`ServicePrincipal`],
//! [`AppRoleAssignment`] and [`Tenant`] look on the wire (camelCase, every property Graph v1.0
//! returns by default), and each entity type's property list for `$select`/`$filter`.
//! Secret hashes are never rendered; certificates (`keyCredentials[].key`) only when `$select`
//! asks for `keyCredentials`, as in Graph.

use crate::filter::{Kind, Ops, Property};
use crate::odata::{EntityType, PLAIN, Queries};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use custos_core::consent::{PermissionScope, RequiredResourceAccess};
use custos_core::model::SIGN_IN_AUDIENCE_MY_ORG;
use custos_core::model::{
    AccessTokenSigningAlgorithm, AppRole, AppRoleAssignment, Application, KeyCredential, PasswordCredential,
    ServicePrincipal, ServicePrincipalType, Tenant,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Graph's date-time form (RFC 3339, UTC).
pub(crate) fn date(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

pub(crate) static APPLICATION: EntityType = EntityType {
    name: "application",
    resource: "Application",
    properties: &[
        "id",
        "deletedDateTime",
        "appId",
        "applicationTemplateId",
        "createdDateTime",
        "description",
        "displayName",
        "groupMembershipClaims",
        "identifierUris",
        "isFallbackPublicClient",
        "notes",
        "publisherDomain",
        "serviceManagementReference",
        "signInAudience",
        "tags",
        "tokenEncryptionKeyId",
        "api",
        "appRoles",
        "info",
        "keyCredentials",
        "optionalClaims",
        "passwordCredentials",
        "publicClient",
        "requiredResourceAccess",
        "spa",
        "web",
    ],
    filterable: &[
        Property::new("id", Kind::Text(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
        Property::text("appId").advanced(Ops::NE),
        Property::new("displayName", Kind::Text(DIRECTORY_TEXT)).advanced(ADVANCED_TEXT),
        Property::new("identifierUris", Kind::TextArray(Ops::EQ.and(Ops::STARTS_WITH))),
        Property::new("createdDateTime", Kind::Time(Ops::EQ.and(Ops::ORDER).and(Ops::IN)))
            .advanced(Ops::NE.and(Ops::NULL)),
        Property::new("description", Kind::Text(Ops::NONE)).advanced(ADVANCED_TEXT.and(Ops::EQ)),
        Property::new("publisherDomain", Kind::Text(Ops::EQ.and(Ops::STARTS_WITH)))
            .advanced(Ops::NE.and(Ops::ORDER)),
        Property::new("signInAudience", Kind::Text(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
        Property::new("tags", Kind::TextArray(Ops::EQ.and(Ops::STARTS_WITH))),
        Property::new("notes", Kind::Text(Ops::NONE)).advanced(Ops::EQ.and(Ops::NE).and(Ops::NULL)),
    ],
    queries: &APPLICATION_QUERIES,
};

/// The default operators of a directory string property: `eq`, `in`, `startswith`.
pub(crate) const DIRECTORY_TEXT: Ops = Ops::EQ.and(Ops::IN).and(Ops::STARTS_WITH);
/// What such a property adds in advanced mode: `ne`, `ge`/`le`, `eq null`.
pub(crate) const ADVANCED_TEXT: Ops = Ops::NE.and(Ops::ORDER).and(Ops::NULL);

/// `$orderby` (advanced mode) and `$search` on applications.
static APPLICATION_QUERIES: Queries = Queries {
    orderable: &["displayName", "createdDateTime"],
    order_by_default: false,
    searchable: &["displayName", "description", "appId", "identifierUris", "tags"],
    expands_owners: true,
};

/// Owners and other `directoryObject` collections: users and service principals.
pub(crate) static DIRECTORY_OBJECT: EntityType = EntityType {
    name: "directoryObject",
    resource: "DirectoryObject",
    properties: &[
        "id",
        "deletedDateTime",
        "displayName",
        "appId",
        "servicePrincipalType",
        "accountEnabled",
        "userPrincipalName",
        "mail",
        "givenName",
        "surname",
    ],
    filterable: &[Property::text("id"), Property::text("displayName")],
    queries: &PLAIN,
};

fn app_role(role: &AppRole) -> Value {
    json!({
        "allowedMemberTypes": role.allowed_member_types,
        "description": role.description,
        "displayName": role.display_name,
        "id": role.id,
        "isEnabled": role.is_enabled,
        "origin": "Application",
        "value": role.value,
    })
}

/// A delegated permission (`permissionScope`).
pub(crate) fn permission_scope(scope: &PermissionScope) -> Value {
    json!({
        "adminConsentDescription": scope.admin_consent_description,
        "adminConsentDisplayName": scope.admin_consent_display_name,
        "id": scope.id,
        "isEnabled": scope.is_enabled,
        "origin": "Application",
        "type": scope.consent.as_str(),
        "userConsentDescription": scope.user_consent_description,
        "userConsentDisplayName": scope.user_consent_display_name,
        "value": scope.value,
    })
}

fn required_resource_access(access: &RequiredResourceAccess) -> Value {
    json!({
        "resourceAppId": access.resource_app_id,
        "resourceAccess": access
            .resource_access
            .iter()
            .map(|a| json!({"id": a.id, "type": a.kind.as_str()}))
            .collect::<Vec<_>>(),
    })
}

/// A password credential as listed on an application (no secret text, never the hash).
pub(crate) fn password_credential(p: &PasswordCredential, secret_text: Option<&str>) -> Value {
    json!({
        "customKeyIdentifier": null,
        "displayName": p.display_name,
        "endDateTime": date(p.end),
        "hint": p.hint,
        "keyId": p.key_id,
        "secretText": secret_text,
        "startDateTime": date(p.start),
    })
}

/// A key credential: `customKeyIdentifier` and `key` in standard base64; `key` (the DER
/// certificate) only when `with_key`, else `null` as Graph returns it by default.
pub(crate) fn key_credential(k: &KeyCredential, with_key: bool) -> Value {
    json!({
        "customKeyIdentifier": BASE64.encode(&k.custom_key_identifier),
        "displayName": k.display_name,
        "endDateTime": date(k.end),
        "key": with_key.then(|| BASE64.encode(&k.certificate_der)),
        "keyId": k.key_id,
        "startDateTime": date(k.start),
        "type": k.key_type,
        "usage": k.usage,
    })
}

/// The custos extension member of an application (`custos`), present only when a setting
/// differs from Entra's behaviour (today: ES256 access tokens), so Graph-shaped output is
/// unchanged for every other application.
pub(crate) fn custos_extension(app: &Application) -> Option<Value> {
    (app.access_token_signing_algorithm != AccessTokenSigningAlgorithm::Rs256)
        .then(|| json!({ "accessTokenSigningAlgorithm": app.access_token_signing_algorithm.as_str() }))
}

/// An application; `publisher_domain` is the owning tenant's domain. Certificates are included
/// in `keyCredentials[].key` only when `with_keys` (`$select=keyCredentials`). The custos
/// extension (`custos`) comes last, only when set.
pub(crate) fn application(app: &Application, publisher_domain: &str, with_keys: bool) -> Value {
    let mut value = application_graph(app, publisher_domain, with_keys);
    if let (Some(extension), Some(object)) = (custos_extension(app), value.as_object_mut()) {
        object.insert(crate::validate::CUSTOS_EXTENSION.to_owned(), extension);
    }
    value
}

fn application_graph(app: &Application, publisher_domain: &str, with_keys: bool) -> Value {
    let p = &app.properties;
    json!({
        "id": app.id,
        "deletedDateTime": null,
        "appId": app.app_id,
        "applicationTemplateId": null,
        "createdDateTime": date(app.created),
        "description": app.description,
        "displayName": app.display_name,
        "groupMembershipClaims": p.group_membership_claims,
        "identifierUris": app.identifier_uris,
        "isFallbackPublicClient": p.is_fallback_public_client,
        "notes": p.notes,
        "publisherDomain": publisher_domain,
        "serviceManagementReference": p.service_management_reference,
        "signInAudience": app.sign_in_audience,
        "tags": p.tags,
        "tokenEncryptionKeyId": p.token_encryption_key_id,
        "api": {
            "acceptMappedClaims": p.accept_mapped_claims,
            "knownClientApplications": p.known_client_applications,
            "requestedAccessTokenVersion": app.requested_access_token_version,
            "oauth2PermissionScopes": app.oauth2_permission_scopes.iter().map(permission_scope).collect::<Vec<_>>(),
            "preAuthorizedApplications": p.pre_authorized_applications,
        },
        "appRoles": app.app_roles.iter().map(app_role).collect::<Vec<_>>(),
        "info": {
            "logoUrl": null,
            "marketingUrl": p.info.marketing_url,
            "privacyStatementUrl": p.info.privacy_statement_url,
            "supportUrl": p.info.support_url,
            "termsOfServiceUrl": p.info.terms_of_service_url,
        },
        "keyCredentials": app
            .key_credentials
            .iter()
            .map(|k| key_credential(k, with_keys))
            .collect::<Vec<_>>(),
        "optionalClaims": p.optional_claims,
        "passwordCredentials": app
            .password_credentials
            .iter()
            .map(|p| password_credential(p, None))
            .collect::<Vec<_>>(),
        "publicClient": { "redirectUris": app.redirect_uris.public_client },
        "requiredResourceAccess": app
            .required_resource_access
            .iter()
            .map(required_resource_access)
            .collect::<Vec<_>>(),
        "spa": { "redirectUris": app.redirect_uris.spa },
        "web": {
            "homePageUrl": p.home_page_url,
            "logoutUrl": p.logout_url,
            "redirectUris": app.redirect_uris.web,
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": p.enable_access_token_issuance,
                "enableIdTokenIssuance": p.enable_id_token_issuance,
            },
        },
    })
}

pub(crate) static SERVICE_PRINCIPAL: EntityType = EntityType {
    name: "servicePrincipal",
    resource: "ServicePrincipal",
    properties: &[
        "id",
        "deletedDateTime",
        "accountEnabled",
        "alternativeNames",
        "appDisplayName",
        "appDescription",
        "appId",
        "appOwnerOrganizationId",
        "appRoleAssignmentRequired",
        "description",
        "displayName",
        "homepage",
        "loginUrl",
        "logoutUrl",
        "notes",
        "notificationEmailAddresses",
        "preferredSingleSignOnMode",
        "replyUrls",
        "servicePrincipalNames",
        "servicePrincipalType",
        "signInAudience",
        "tags",
        "appRoles",
        "keyCredentials",
        "oauth2PermissionScopes",
        "passwordCredentials",
    ],
    filterable: &[
        Property::new("id", Kind::Text(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
        Property::new("appId", Kind::Text(DIRECTORY_TEXT)).advanced(Ops::NE),
        Property::new("displayName", Kind::Text(DIRECTORY_TEXT)).advanced(ADVANCED_TEXT),
        Property::new("servicePrincipalNames", Kind::TextArray(Ops::EQ.and(Ops::STARTS_WITH))),
        Property::new("alternativeNames", Kind::TextArray(Ops::EQ.and(Ops::STARTS_WITH))),
        Property::new("tags", Kind::TextArray(Ops::EQ.and(Ops::STARTS_WITH))),
        Property::new("accountEnabled", Kind::Bool(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
        Property::new("appRoleAssignmentRequired", Kind::Bool(Ops::NONE)).advanced(Ops::EQ.and(Ops::NE)),
        Property::new("appOwnerOrganizationId", Kind::Text(Ops::NONE))
            .advanced(Ops::EQ.and(Ops::NE).and(Ops::ORDER)),
        Property::new("description", Kind::Text(Ops::NONE)).advanced(ADVANCED_TEXT.and(Ops::EQ)),
        Property::new("servicePrincipalType", Kind::Text(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
        Property::new("signInAudience", Kind::Text(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
    ],
    queries: &SERVICE_PRINCIPAL_QUERIES,
};

/// `$orderby` (advanced mode) and `$search` on service principals.
static SERVICE_PRINCIPAL_QUERIES: Queries = Queries {
    orderable: &["displayName"],
    order_by_default: false,
    searchable: &["displayName", "description", "appId", "servicePrincipalNames", "tags"],
    expands_owners: true,
};

/// A service principal; `app` is its application registration (absent for managed identities).
pub(crate) fn service_principal(sp: &ServicePrincipal, app: Option<&Application>) -> Value {
    let p = &sp.properties;
    // The application's tags show on its principal, with the principal's own.
    let mut tags: Vec<String> = app.map(|a| a.properties.tags.clone()).unwrap_or_default();
    tags.extend(p.tags.iter().filter(|t| !tags.contains(t)).cloned().collect::<Vec<_>>());
    let mut names = vec![sp.app_id.to_string()];
    if let Some(app) = app {
        names.extend(app.identifier_uris.iter().cloned());
    }
    json!({
        "id": sp.id,
        "deletedDateTime": null,
        "accountEnabled": sp.account_enabled,
        "alternativeNames": p.alternative_names,
        "appDisplayName": app.map_or(sp.display_name.as_str(), |a| a.display_name.as_str()),
        "appDescription": app.and_then(|a| a.description.as_deref()),
        "appId": sp.app_id,
        "appOwnerOrganizationId": sp.tenant_id,
        "appRoleAssignmentRequired": sp.app_role_assignment_required,
        "description": p.description,
        "displayName": sp.display_name,
        "homepage": p.homepage,
        "loginUrl": p.login_url,
        "logoutUrl": p.logout_url,
        "notes": p.notes,
        "notificationEmailAddresses": p.notification_email_addresses,
        "preferredSingleSignOnMode": p.preferred_single_sign_on_mode,
        "replyUrls": app.map(|a| a.redirect_uris.web.iter().chain(&a.redirect_uris.public_client).chain(&a.redirect_uris.spa).cloned().collect::<Vec<_>>()).unwrap_or_default(),
        "servicePrincipalNames": names,
        "servicePrincipalType": sp.service_principal_type.as_str(),
        "signInAudience": app.map_or(SIGN_IN_AUDIENCE_MY_ORG, |a| a.sign_in_audience.as_str()),
        "tags": tags,
        "appRoles": app.map(|a| a.app_roles.iter().map(app_role).collect::<Vec<_>>()).unwrap_or_default(),
        "keyCredentials": [],
        "oauth2PermissionScopes": app.map(|a| a.oauth2_permission_scopes.iter().map(permission_scope).collect::<Vec<_>>()).unwrap_or_default(),
        "passwordCredentials": [],
    })
}

/// Whether Graph lets this API change or delete the principal (managed identities are managed
/// through the custos admin API).
pub(crate) fn is_read_only(sp: &ServicePrincipal) -> bool {
    sp.service_principal_type == ServicePrincipalType::ManagedIdentity
}

pub(crate) static APP_ROLE_ASSIGNMENT: EntityType = EntityType {
    name: "appRoleAssignment",
    resource: "AppRoleAssignment",
    properties: &[
        "id",
        "deletedDateTime",
        "appRoleId",
        "createdDateTime",
        "principalDisplayName",
        "principalId",
        "principalType",
        "resourceDisplayName",
        "resourceId",
    ],
    filterable: &[Property::text_with("resourceId", Ops::EQ), Property::text("principalDisplayName")],
    queries: &PLAIN,
};

/// An app role assignment, with the display names of its two principals.
pub(crate) fn assignment(a: &AppRoleAssignment, principal_name: &str, resource_name: &str) -> Value {
    json!({
        "id": a.id,
        "deletedDateTime": null,
        "appRoleId": a.app_role_id,
        "createdDateTime": date(a.created),
        "principalDisplayName": principal_name,
        "principalId": a.principal_id,
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource_name,
        "resourceId": a.resource_id,
    })
}

pub(crate) static ORGANIZATION: EntityType = EntityType {
    name: "organization",
    resource: "Organization",
    properties: &["id", "deletedDateTime", "createdDateTime", "displayName", "tenantType", "verifiedDomains"],
    filterable: &[],
    queries: &PLAIN,
};

/// The tenant as Graph's `organization`.
pub(crate) fn organization(t: &Tenant) -> Value {
    json!({
        "id": t.id,
        "deletedDateTime": null,
        "createdDateTime": date(t.created),
        "displayName": t.display_name,
        "tenantType": "AAD",
        "verifiedDomains": [{
            "capabilities": "None",
            "isDefault": true,
            "isInitial": true,
            "name": t.domain,
            "type": "Managed",
        }],
    })
}

/// The tenant as the custos admin API shows it.
pub(crate) fn tenant(t: &Tenant) -> Value {
    json!({
        "id": t.id,
        "domain": t.domain,
        "displayName": t.display_name,
        "createdDateTime": date(t.created),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::{AppId, ObjectId, TenantId};
    use std::collections::BTreeSet;
    use time::macros::datetime;

    fn keys(v: &Value) -> BTreeSet<String> {
        v.as_object().unwrap().keys().cloned().collect()
    }

    fn props(e: &EntityType) -> BTreeSet<String> {
        e.properties.iter().map(|p| (*p).to_owned()).collect()
    }

    fn app() -> Application {
        Application {
            id: ObjectId::new_random(),
            tenant_id: TenantId::new_random(),
            app_id: AppId::new_random(),
            display_name: "a".into(),
            description: None,
            identifier_uris: vec!["api://a".into()],
            app_roles: vec![],
            requested_access_token_version: Some(2),
            sign_in_audience: SIGN_IN_AUDIENCE_MY_ORG.into(),
            password_credentials: vec![PasswordCredential {
                key_id: uuid::Uuid::new_v4(),
                display_name: None,
                hint: "abc".into(),
                start: datetime!(2025-01-01 0:00 UTC),
                end: datetime!(2027-01-01 0:00 UTC),
                secret_hash: vec![1; 32].into(),
            }],
            key_credentials: vec![KeyCredential {
                key_id: uuid::Uuid::nil(),
                display_name: Some("CN=client".into()),
                custom_key_identifier: vec![0xAB; 20],
                usage: "Verify".into(),
                key_type: "AsymmetricX509Cert".into(),
                start: datetime!(2025-01-01 0:00 UTC),
                end: datetime!(2026-01-01 0:00 UTC),
                certificate_der: vec![0x30, 0x03, 0x02, 0x01, 0x00],
            }],
            federated_identity_credentials: Vec::new(),
            oauth2_permission_scopes: Vec::new(),
            required_resource_access: Vec::new(),
            redirect_uris: custos_core::consent::RedirectUris::default(),
            properties: Default::default(),
            access_token_signing_algorithm: AccessTokenSigningAlgorithm::Rs256,
            created: datetime!(2025-01-01 0:00 UTC),
        }
    }

    #[test]
    fn the_custos_extension_is_shown_only_for_es256_applications() {
        let mut a = app();
        assert!(application(&a, "contoso.example", false).get("custos").is_none());
        a.access_token_signing_algorithm = AccessTokenSigningAlgorithm::Es256;
        let shown = application(&a, "contoso.example", false);
        assert_eq!(shown["custos"], json!({"accessTokenSigningAlgorithm": "ES256"}));
        assert_eq!(shown["api"]["requestedAccessTokenVersion"], 2, "the Graph members are unchanged");
    }

    #[test]
    fn selectable_properties_are_exactly_the_rendered_ones() {
        let a = app();
        assert_eq!(keys(&application(&a, "d", false)), props(&APPLICATION));
        let sp = ServicePrincipal {
            id: ObjectId::new_random(),
            tenant_id: a.tenant_id,
            app_id: a.app_id,
            display_name: "a".into(),
            account_enabled: true,
            app_role_assignment_required: false,
            service_principal_type: ServicePrincipalType::Application,
            properties: Default::default(),
            created: a.created,
        };
        let rendered = service_principal(&sp, Some(&a));
        assert_eq!(keys(&rendered), props(&SERVICE_PRINCIPAL));
        assert_eq!(rendered["servicePrincipalNames"], json!([a.app_id.to_string(), "api://a"]));
        let t = Tenant {
            id: a.tenant_id,
            domain: "d.example".into(),
            display_name: "D".into(),
            created: a.created,
        };
        assert_eq!(keys(&organization(&t)), props(&ORGANIZATION));
    }

    #[test]
    fn secrets_render_without_hash_and_with_null_text() {
        let rendered = application(&app(), "d", false);
        let p = &rendered["passwordCredentials"][0];
        assert_eq!(p["secretText"], Value::Null);
        assert_eq!(p["hint"], "abc");
        assert_eq!(p["endDateTime"], "2027-01-01T00:00:00Z");
        assert!(!rendered.to_string().contains("secret_hash"));
        assert_eq!(rendered["api"]["requestedAccessTokenVersion"], 2);
    }

    #[test]
    fn certificates_render_only_when_selected() {
        let expected = |key: Value| {
            json!([{
                "customKeyIdentifier": "q6urq6urq6urq6urq6urq6urq6s=",
                "displayName": "CN=client",
                "endDateTime": "2026-01-01T00:00:00Z",
                "key": key,
                "keyId": "00000000-0000-0000-0000-000000000000",
                "startDateTime": "2025-01-01T00:00:00Z",
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
            }])
        };
        assert_eq!(application(&app(), "d", false)["keyCredentials"], expected(Value::Null));
        assert_eq!(application(&app(), "d", true)["keyCredentials"], expected(json!("MAMCAQA=")));
    }
}
