//! Graph properties of applications and service principals that custos stores and returns but
//! does not act on (`notes`, `tags`, `info`, `optionalClaims`, `web.homePageUrl`, …): written by
//! PATCH and POST, rendered by GET (`graph-fidelity.md` §3.2-3.3), so that tools which read an
//! object, change one property and write it back keep every other value. Each is stored as one
//! JSON document per object.

use crate::ids::AppId;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `info`: the application's informational URLs (`logoUrl` is read-only and always null).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InformationalUrls {
    /// `info.marketingUrl`.
    pub marketing_url: Option<String>,
    /// `info.privacyStatementUrl`.
    pub privacy_statement_url: Option<String>,
    /// `info.supportUrl`.
    pub support_url: Option<String>,
    /// `info.termsOfServiceUrl`.
    pub terms_of_service_url: Option<String>,
}

/// One optional claim of `optionalClaims`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OptionalClaim {
    /// The claim's name.
    pub name: String,
    /// Where it comes from (`null` for a core claim, `user` for a user property).
    pub source: Option<String>,
    /// Whether it is essential.
    pub essential: bool,
    /// Further properties of the claim.
    pub additional_properties: Vec<String>,
}

/// `optionalClaims`, per token type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OptionalClaims {
    /// `idToken`.
    pub id_token: Vec<OptionalClaim>,
    /// `accessToken`.
    pub access_token: Vec<OptionalClaim>,
    /// `saml2Token`.
    pub saml2_token: Vec<OptionalClaim>,
}

/// One entry of `api.preAuthorizedApplications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreAuthorizedApplication {
    /// The client application.
    pub app_id: AppId,
    /// Ids of the application's `oauth2PermissionScopes` the client may use without consent.
    pub delegated_permission_ids: Vec<Uuid>,
}

/// The stored-only properties of an application.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationProperties {
    /// `notes`.
    pub notes: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `isFallbackPublicClient`.
    pub is_fallback_public_client: Option<bool>,
    /// `groupMembershipClaims` (`None`, `SecurityGroup`, `ApplicationGroup`, `DirectoryRole`, `All`).
    pub group_membership_claims: Option<String>,
    /// `tokenEncryptionKeyId`: the `keyId` of one of the application's `keyCredentials`.
    pub token_encryption_key_id: Option<Uuid>,
    /// `serviceManagementReference`.
    pub service_management_reference: Option<String>,
    /// `web.homePageUrl`.
    pub home_page_url: Option<String>,
    /// `web.logoutUrl`.
    pub logout_url: Option<String>,
    /// `web.implicitGrantSettings.enableIdTokenIssuance` (recorded; custos has no implicit flow).
    pub enable_id_token_issuance: bool,
    /// `web.implicitGrantSettings.enableAccessTokenIssuance` (recorded; custos has no implicit flow).
    pub enable_access_token_issuance: bool,
    /// `info`.
    pub info: InformationalUrls,
    /// `optionalClaims` (`None` renders as `null`).
    pub optional_claims: Option<OptionalClaims>,
    /// `api.acceptMappedClaims`.
    pub accept_mapped_claims: Option<bool>,
    /// `api.knownClientApplications`.
    pub known_client_applications: Vec<AppId>,
    /// `api.preAuthorizedApplications`.
    pub pre_authorized_applications: Vec<PreAuthorizedApplication>,
}

/// The stored-only properties of a service principal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ServicePrincipalProperties {
    /// `description`.
    pub description: Option<String>,
    /// `notes`.
    pub notes: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// `loginUrl`.
    pub login_url: Option<String>,
    /// `logoutUrl`.
    pub logout_url: Option<String>,
    /// `alternativeNames`.
    pub alternative_names: Vec<String>,
    /// `tags` of the principal itself (its application's tags are shown with them).
    pub tags: Vec<String>,
    /// `notificationEmailAddresses`.
    pub notification_email_addresses: Vec<String>,
    /// `preferredSingleSignOnMode` (`password`, `saml`, `notSupported`, `oidc`; recorded only).
    pub preferred_single_sign_on_mode: Option<String>,
}
