//! Who is calling and what they may do: the [`BearerAuthenticator`] seam (the server plugs in the
//! authority's token verifier), the [`Authed`] extractor that turns `Authorization: Bearer` into
//! a [`Caller`] or a 401, and the app-role requirements ([`Permission`]) of each route family.

use crate::DirectoryState;
use crate::error::GraphError;
use axum::extract::FromRequestParts;
use custos_core::bearer::BearerError;
use custos_core::{AppId, ObjectId, TenantId};
use http::header;
use http::request::Parts;

/// The verified identity behind a directory request. Every route operates in `tenant_id` only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's `tid`.
    pub tenant_id: TenantId,
    /// The calling application's client id (`appid`/`azp`).
    pub app_id: AppId,
    /// The calling service principal's object id (`oid`), or the signed-in user's for a
    /// delegated token.
    pub object_id: ObjectId,
    /// The token's `roles`.
    pub roles: Vec<String>,
    /// The token's `scp`, split, when it was issued for a signed-in user (the user is
    /// `object_id`); `None` for an app-only token.
    pub scopes: Option<Vec<String>>,
}

/// Verifies a bearer token for the directory API. The server implements it with the authority's
/// verifier (signature, issuer, expiry, and `aud` = the Graph resource).
pub trait BearerAuthenticator: Send + Sync + 'static {
    /// The caller the token names, or why it was refused (for logs only, never sent).
    fn authenticate(&self, bearer_token: &str) -> Result<Caller, String>;
}

/// App role values, as Microsoft Graph names them.
pub(crate) mod roles {
    pub(crate) const APPLICATION_READ_WRITE_ALL: &str = "Application.ReadWrite.All";
    pub(crate) const APPLICATION_READ_ALL: &str = "Application.Read.All";
    pub(crate) const APP_ROLE_ASSIGNMENT_READ_WRITE_ALL: &str = "AppRoleAssignment.ReadWrite.All";
    pub(crate) const DIRECTORY_READ_ALL: &str = "Directory.Read.All";
    pub(crate) const AUDIT_LOG_READ_ALL: &str = "AuditLog.Read.All";
    pub(crate) const CUSTOS_ADMIN: &str = "Custos.Admin";
}

/// What a route needs; each variant accepts any of the app roles Graph accepts for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Permission {
    /// Read applications and service principals.
    ReadApplications,
    /// Create, update and delete applications, their secrets and service principals.
    WriteApplications,
    /// Read app role assignments.
    ReadAssignments,
    /// Grant and revoke app role assignments.
    WriteAssignments,
    /// Read the organization (tenant).
    ReadOrganization,
    /// custos' own admin API.
    Admin,
}

impl Permission {
    fn accepted_roles(self) -> &'static [&'static str] {
        use roles::*;
        match self {
            Self::ReadApplications => &[APPLICATION_READ_ALL, APPLICATION_READ_WRITE_ALL, DIRECTORY_READ_ALL],
            Self::WriteApplications => &[APPLICATION_READ_WRITE_ALL],
            Self::ReadAssignments => &[
                APPLICATION_READ_ALL,
                APPLICATION_READ_WRITE_ALL,
                DIRECTORY_READ_ALL,
                APP_ROLE_ASSIGNMENT_READ_WRITE_ALL,
            ],
            Self::WriteAssignments => &[APP_ROLE_ASSIGNMENT_READ_WRITE_ALL],
            Self::ReadOrganization => &[
                DIRECTORY_READ_ALL,
                APPLICATION_READ_ALL,
                APPLICATION_READ_WRITE_ALL,
                APP_ROLE_ASSIGNMENT_READ_WRITE_ALL,
                AUDIT_LOG_READ_ALL,
            ],
            Self::Admin => &[CUSTOS_ADMIN],
        }
    }
}

/// An authenticated caller, extracted from `Authorization: Bearer ...`.
#[derive(Debug, Clone)]
pub(crate) struct Authed(pub(crate) Caller);

impl Authed {
    /// The caller, when one of its roles grants `permission`; 403 otherwise.
    pub(crate) fn require(&self, permission: Permission) -> Result<&Caller, GraphError> {
        let accepted = permission.accepted_roles();
        if self.0.roles.iter().any(|r| accepted.contains(&r.as_str())) {
            Ok(&self.0)
        } else {
            tracing::debug!(app_id = %self.0.app_id, ?permission, "directory call refused: missing app role");
            Err(GraphError::Forbidden)
        }
    }
}

impl FromRequestParts<DirectoryState> for Authed {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, state: &DirectoryState) -> Result<Self, Self::Rejection> {
        let values = parts.headers.get_all(header::AUTHORIZATION).iter().map(http::HeaderValue::as_bytes);
        let token = match custos_core::bearer::bearer_token(values) {
            Ok(token) => token,
            Err(BearerError::Missing) => return Err(GraphError::MissingToken),
            Err(reason) => {
                tracing::info!(%reason, "directory call refused: unreadable Authorization header");
                return Err(GraphError::InvalidToken);
            }
        };
        match state.authenticator.authenticate(token) {
            Ok(caller) => Ok(Self(caller)),
            Err(reason) => {
                tracing::info!(%reason, "directory call refused: bearer token rejected");
                Err(GraphError::InvalidToken)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(roles: &[&str]) -> Authed {
        Authed(Caller {
            tenant_id: TenantId::new_random(),
            app_id: AppId::new_random(),
            object_id: ObjectId::new_random(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: None,
        })
    }

    #[test]
    fn read_write_implies_read_but_not_the_reverse() {
        let rw = caller(&[roles::APPLICATION_READ_WRITE_ALL]);
        assert!(rw.require(Permission::ReadApplications).is_ok());
        assert!(rw.require(Permission::WriteApplications).is_ok());
        assert_eq!(rw.require(Permission::WriteAssignments), Err(GraphError::Forbidden));
        let ro = caller(&[roles::APPLICATION_READ_ALL]);
        assert_eq!(ro.require(Permission::WriteApplications), Err(GraphError::Forbidden));
        assert_eq!(caller(&[]).require(Permission::Admin), Err(GraphError::Forbidden));
    }
}
