//! The validated caller a handler receives: who called, from which tenant, with which roles or
//! delegated scopes, and for a delegated token who the signed-in user is.

use custos_core::{AppId, ObjectId, TenantId};

/// Whether the token was issued to an application itself or on behalf of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrincipalKind {
    /// App-only token (`idtyp: app`, or no `scp`).
    App,
    /// Delegated token (carries `scp`).
    User,
}

/// The access-token format, told apart by the issuer that signed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenVersion {
    /// v1.0 token (`iss` = the v1 issuer, client in `appid`).
    V1,
    /// v2.0 token (`iss` = the v2 issuer, client in `azp`).
    V2,
}

/// A caller whose bearer token passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// `tid`: the tenant that issued the token (always the configured tenant).
    pub tenant_id: TenantId,
    /// `appid` (v1) or `azp` (v2): the client application.
    pub client_app_id: AppId,
    /// `oid`: the client's service principal (or the user) object id.
    pub object_id: ObjectId,
    /// `roles`: app roles granted to the caller.
    pub roles: Vec<String>,
    /// `scp`, split on spaces: delegated scopes (empty for app tokens).
    pub scopes: Vec<String>,
    /// Token format.
    pub token_version: TokenVersion,
    /// App-only or delegated.
    pub kind: PrincipalKind,
    /// The signed-in user of a delegated token (`None` for app tokens).
    pub user: Option<SignedInUser>,
}

/// Who signed in, as a delegated token names them. Informational: authorization never rests on these
/// claims (the user's id is [`Principal::object_id`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignedInUser {
    /// `upn` (v1), else `preferred_username` (v2), else `unique_name`.
    pub username: Option<String>,
    /// `name`: the display name.
    pub name: Option<String>,
    /// `wids`: the template ids of the user's directory roles.
    pub directory_roles: Vec<String>,
}

impl Principal {
    /// Whether `roles` contains `role` (exact, case-sensitive, as Entra compares).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether `scopes` (delegated, from `scp`) contains `scope` (exact, case-sensitive).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }
}
