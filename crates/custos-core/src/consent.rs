//! Delegated permissions and consent: the scopes a resource application exposes
//! (`api.oauth2PermissionScopes`), the permissions a client declares it needs
//! (`requiredResourceAccess`), the grants consent writes (Graph `oauth2PermissionGrant`) and the
//! redirect URIs an interactive client registers, by platform.

use crate::ids::{AppId, ObjectId, TenantId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who may consent to a delegated permission (`permissionScope.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScopeConsent {
    /// A user may consent for themself (`"User"`).
    User,
    /// Only an administrator, for the whole tenant (`"Admin"`).
    Admin,
}

impl ScopeConsent {
    /// The Graph string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Admin => "Admin",
        }
    }
}

/// A delegated permission a resource application exposes (Graph `permissionScope`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionScope {
    /// Caller-chosen GUID.
    pub id: Uuid,
    /// The string that goes into `scp` (no spaces, at most 120 characters).
    pub value: String,
    /// `type`: who may consent.
    #[serde(rename = "type")]
    pub consent: ScopeConsent,
    /// Shown to administrators on the consent page.
    pub admin_consent_display_name: Option<String>,
    /// Shown to administrators.
    pub admin_consent_description: Option<String>,
    /// Shown to users on the consent page.
    pub user_consent_display_name: Option<String>,
    /// Shown to users.
    pub user_consent_description: Option<String>,
    /// Disabled scopes can no longer be requested (set false before deleting).
    pub is_enabled: bool,
}

/// Whether a required permission is delegated or an application permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccessType {
    /// A delegated permission (`"Scope"`): an `oauth2PermissionScopes` id.
    Scope,
    /// An application permission (`"Role"`): an `appRoles` id.
    Role,
}

impl AccessType {
    /// The Graph string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scope => "Scope",
            Self::Role => "Role",
        }
    }
}

/// One permission in `requiredResourceAccess[].resourceAccess`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ResourceAccess {
    /// The scope or role id on the resource.
    pub id: Uuid,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: AccessType,
}

/// The permissions a client needs on one resource (`requiredResourceAccess[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequiredResourceAccess {
    /// The resource application's client id.
    pub resource_app_id: AppId,
    /// The permissions.
    pub resource_access: Vec<ResourceAccess>,
}

/// Where an interactive client may receive authorization responses, by platform. The platform
/// of the matched URI decides the rules at the token endpoint (`entra-user-flows.md` §3.2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RedirectUris {
    /// `web.redirectUris`: confidential clients, which must authenticate to redeem a code.
    pub web: Vec<String>,
    /// `publicClient.redirectUris`: desktop and mobile clients (no credential; a `localhost`
    /// URI matches any port).
    pub public_client: Vec<String>,
    /// `spa.redirectUris`: browser clients (PKCE, cross-origin redemption, 24 h refresh tokens).
    pub spa: Vec<String>,
}

impl RedirectUris {
    /// Whether no URI is registered on any platform.
    pub fn is_empty(&self) -> bool {
        self.web.is_empty() && self.public_client.is_empty() && self.spa.is_empty()
    }
}

/// The platform a redirect URI is registered under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Platform {
    /// `web`.
    Web,
    /// `publicClient`.
    PublicClient,
    /// `spa`.
    Spa,
}

/// Whether a delegated grant covers every user of the tenant or one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ConsentType {
    /// Admin consent for the whole tenant (`principalId` null).
    AllPrincipals,
    /// One user's consent.
    Principal,
}

impl ConsentType {
    /// The Graph string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AllPrincipals => "AllPrincipals",
            Self::Principal => "Principal",
        }
    }
}

/// Delegated permissions a client may use on a resource in a tenant (Graph
/// `oauth2PermissionGrant`). At most one grant exists per (client, resource, consent type,
/// principal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2PermissionGrant {
    /// Graph's id: a 43-character base64url string.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// `clientId`: the client's service principal.
    pub client_id: ObjectId,
    /// `consentType`.
    pub consent_type: ConsentType,
    /// `principalId`: the user, for [`ConsentType::Principal`]; `None` for all principals.
    pub principal_id: Option<ObjectId>,
    /// `resourceId`: the resource's service principal.
    pub resource_id: ObjectId,
    /// `scope`: space-separated permission values.
    pub scope: String,
    /// Creation time.
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
}

impl OAuth2PermissionGrant {
    /// The granted permission values, in order, without duplicates or empty entries.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        let mut seen = Vec::new();
        self.scope.split(' ').filter(move |s| {
            if s.is_empty() || seen.contains(s) {
                return false;
            }
            seen.push(*s);
            true
        })
    }

    /// Whether this grant applies to `user`.
    pub fn covers(&self, user: ObjectId) -> bool {
        match self.consent_type {
            ConsentType::AllPrincipals => true,
            ConsentType::Principal => self.principal_id == Some(user),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(
        consent_type: ConsentType,
        principal_id: Option<ObjectId>,
        scope: &str,
    ) -> OAuth2PermissionGrant {
        OAuth2PermissionGrant {
            id: "g".to_owned(),
            tenant_id: TenantId::new_random(),
            client_id: ObjectId::new_random(),
            consent_type,
            principal_id,
            resource_id: ObjectId::new_random(),
            scope: scope.to_owned(),
            created: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn scopes_are_split_on_spaces_without_duplicates() {
        let g = grant(ConsentType::AllPrincipals, None, " openid  User.Read openid Mail.Read ");
        assert_eq!(g.scopes().collect::<Vec<_>>(), ["openid", "User.Read", "Mail.Read"]);
    }

    #[test]
    fn a_principal_grant_covers_only_its_user() {
        let alice = ObjectId::new_random();
        let bob = ObjectId::new_random();
        assert!(grant(ConsentType::AllPrincipals, None, "x").covers(bob));
        assert!(grant(ConsentType::Principal, Some(alice), "x").covers(alice));
        assert!(!grant(ConsentType::Principal, Some(alice), "x").covers(bob));
    }

    #[test]
    fn permission_scopes_use_graph_names() {
        let scope: PermissionScope = serde_json::from_str(
            r#"{"id":"e1fe6dd8-ba31-4d61-89e7-88639da4683d","value":"User.Read","type":"User",
                "adminConsentDisplayName":"Sign in and read user profile","adminConsentDescription":null,
                "userConsentDisplayName":null,"userConsentDescription":null,"isEnabled":true}"#,
        )
        .unwrap();
        assert_eq!(scope.consent, ScopeConsent::User);
        let access: RequiredResourceAccess = serde_json::from_str(
            r#"{"resourceAppId":"c5393580-f805-4401-95e8-94b7a6ef2fc2",
                "resourceAccess":[{"id":"594c1fb6-4f81-4475-ae41-0c394909246c","type":"Role"}]}"#,
        )
        .unwrap();
        assert_eq!(access.resource_access[0].kind, AccessType::Role);
        let uris: RedirectUris = serde_json::from_str(r#"{"publicClient":["http://localhost"]}"#).unwrap();
        assert_eq!(uris.public_client, ["http://localhost"]);
        assert!(uris.web.is_empty());
    }
}
