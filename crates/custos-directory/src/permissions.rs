//! What each route family needs, for both kinds of caller (Entra's rule):
//!
//! - an **app-only** token (`scopes` `None`) needs one of the route's application permissions in
//!   its `roles`;
//! - a **delegated** token (a signed-in user) needs one of the route's delegated permissions in
//!   its `scp` *and* the user must hold a directory role that allows the action (reads are open
//!   to every member user, as Entra's default user permissions are). The token's `roles` are
//!   never read as application permissions for a delegated token. custos' own admin API is open
//!   to a signed-in Global Administrator through `Directory.ReadWrite.All` (the portal's way in);
//!   which tenants they reach is [`crate::admin`]'s rule.

use crate::error::GraphError;
use custos_core::users::{
    APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR, GLOBAL_ADMINISTRATOR,
    PRIVILEGED_ROLE_ADMINISTRATOR,
};
use uuid::Uuid;

/// Permission values, as Microsoft Graph names them (app roles and delegated scopes share them).
pub(crate) mod roles {
    pub(crate) const APPLICATION_READ_WRITE_ALL: &str = "Application.ReadWrite.All";
    pub(crate) const APPLICATION_READ_ALL: &str = "Application.Read.All";
    pub(crate) const APP_ROLE_ASSIGNMENT_READ_WRITE_ALL: &str = "AppRoleAssignment.ReadWrite.All";
    pub(crate) const DIRECTORY_READ_ALL: &str = "Directory.Read.All";
    pub(crate) const DIRECTORY_READ_WRITE_ALL: &str = "Directory.ReadWrite.All";
    pub(crate) const AUDIT_LOG_READ_ALL: &str = "AuditLog.Read.All";
    pub(crate) const USER_READ: &str = "User.Read";
    pub(crate) const USER_READ_ALL: &str = "User.Read.All";
    pub(crate) const USER_READ_WRITE_ALL: &str = "User.ReadWrite.All";
    pub(crate) const ROLE_MANAGEMENT_READ_WRITE_DIRECTORY: &str = "RoleManagement.ReadWrite.Directory";
    pub(crate) const DELEGATED_PERMISSION_GRANT_READ_WRITE_ALL: &str =
        "DelegatedPermissionGrant.ReadWrite.All";
    pub(crate) const CUSTOS_ADMIN: &str = "Custos.Admin";
}

/// What a route needs; each variant accepts any of the permissions Graph accepts for it.
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
    /// Read users.
    ReadUsers,
    /// Create, update and delete users.
    WriteUsers,
    /// Read the signed-in user (`/me`, delegated only).
    ReadMe,
    /// Read directory role assignments.
    ReadDirectoryRoles,
    /// Assign and remove directory roles.
    WriteDirectoryRoles,
    /// Read delegated permission grants.
    ReadGrants,
    /// Create, change and delete delegated permission grants.
    WriteGrants,
    /// Read the audit and sign-in logs (refused with Graph's `Authentication_MSGraphPermissionMissing`).
    ReadAuditLogs,
    /// custos' own admin API: `Custos.Admin`, or a Global Administrator's
    /// `Directory.ReadWrite.All`.
    Admin,
}

const APP_ADMINS: &[Uuid] =
    &[GLOBAL_ADMINISTRATOR, APPLICATION_ADMINISTRATOR, CLOUD_APPLICATION_ADMINISTRATOR];
const ROLE_ADMINS: &[Uuid] = &[GLOBAL_ADMINISTRATOR, PRIVILEGED_ROLE_ADMINISTRATOR];
const CONSENT_ADMINS: &[Uuid] = &[
    GLOBAL_ADMINISTRATOR,
    PRIVILEGED_ROLE_ADMINISTRATOR,
    APPLICATION_ADMINISTRATOR,
    CLOUD_APPLICATION_ADMINISTRATOR,
];
const USER_ADMINS: &[Uuid] = &[GLOBAL_ADMINISTRATOR];
const TENANT_ADMINS: &[Uuid] = &[GLOBAL_ADMINISTRATOR];
/// Entra also lets Global Reader, Reports Reader and the security roles read the logs; custos
/// has only the Global Administrator of these.
const LOG_READERS: &[Uuid] = &[GLOBAL_ADMINISTRATOR];

impl Permission {
    /// Application permissions (`roles` of an app-only token) that grant the route.
    pub(crate) fn app_roles(self) -> &'static [&'static str] {
        use roles::*;
        match self {
            Self::ReadApplications => &[
                APPLICATION_READ_ALL,
                APPLICATION_READ_WRITE_ALL,
                DIRECTORY_READ_ALL,
                DIRECTORY_READ_WRITE_ALL,
            ],
            Self::WriteApplications => &[APPLICATION_READ_WRITE_ALL],
            Self::ReadAssignments => &[
                APPLICATION_READ_ALL,
                APPLICATION_READ_WRITE_ALL,
                DIRECTORY_READ_ALL,
                DIRECTORY_READ_WRITE_ALL,
                APP_ROLE_ASSIGNMENT_READ_WRITE_ALL,
            ],
            Self::WriteAssignments => &[APP_ROLE_ASSIGNMENT_READ_WRITE_ALL],
            Self::ReadOrganization => &[
                DIRECTORY_READ_ALL,
                DIRECTORY_READ_WRITE_ALL,
                APPLICATION_READ_ALL,
                APPLICATION_READ_WRITE_ALL,
                APP_ROLE_ASSIGNMENT_READ_WRITE_ALL,
                AUDIT_LOG_READ_ALL,
            ],
            Self::ReadUsers => {
                &[USER_READ_ALL, USER_READ_WRITE_ALL, DIRECTORY_READ_ALL, DIRECTORY_READ_WRITE_ALL]
            }
            Self::WriteUsers => &[USER_READ_WRITE_ALL, DIRECTORY_READ_WRITE_ALL],
            Self::ReadMe => &[],
            Self::ReadDirectoryRoles => {
                &[ROLE_MANAGEMENT_READ_WRITE_DIRECTORY, DIRECTORY_READ_ALL, DIRECTORY_READ_WRITE_ALL]
            }
            Self::WriteDirectoryRoles => &[ROLE_MANAGEMENT_READ_WRITE_DIRECTORY],
            Self::ReadGrants => {
                &[DELEGATED_PERMISSION_GRANT_READ_WRITE_ALL, DIRECTORY_READ_ALL, DIRECTORY_READ_WRITE_ALL]
            }
            Self::WriteGrants => &[DELEGATED_PERMISSION_GRANT_READ_WRITE_ALL, DIRECTORY_READ_WRITE_ALL],
            Self::ReadAuditLogs => &[AUDIT_LOG_READ_ALL],
            Self::Admin => &[CUSTOS_ADMIN],
        }
    }

    /// Delegated permissions (`scp`) that grant the route to a signed-in user.
    pub(crate) fn scopes(self) -> &'static [&'static str] {
        use roles::*;
        match self {
            Self::ReadMe => {
                &[USER_READ, USER_READ_ALL, USER_READ_WRITE_ALL, DIRECTORY_READ_ALL, DIRECTORY_READ_WRITE_ALL]
            }
            Self::ReadOrganization => &[
                USER_READ,
                DIRECTORY_READ_ALL,
                DIRECTORY_READ_WRITE_ALL,
                APPLICATION_READ_ALL,
                APPLICATION_READ_WRITE_ALL,
            ],
            Self::Admin => &[DIRECTORY_READ_WRITE_ALL],
            // Graph's delegated permissions carry the same names as its application ones.
            other => other.app_roles(),
        }
    }

    /// Directory roles one of which a signed-in user must hold; `None`: every member user.
    pub(crate) fn user_roles(self) -> Option<&'static [Uuid]> {
        match self {
            Self::ReadApplications
            | Self::ReadAssignments
            | Self::ReadOrganization
            | Self::ReadUsers
            | Self::ReadMe
            | Self::ReadDirectoryRoles
            | Self::ReadGrants => None,
            Self::WriteApplications | Self::WriteAssignments => Some(APP_ADMINS),
            Self::WriteUsers => Some(USER_ADMINS),
            Self::WriteDirectoryRoles => Some(ROLE_ADMINS),
            Self::WriteGrants => Some(CONSENT_ADMINS),
            Self::ReadAuditLogs => Some(LOG_READERS),
            Self::Admin => Some(TENANT_ADMINS),
        }
    }

    /// The 403 a caller without the permission gets: Graph names the missing permission on the
    /// logs, and answers `Authorization_RequestDenied` everywhere else.
    pub(crate) fn refusal(self) -> GraphError {
        match self {
            Self::ReadAuditLogs => GraphError::PermissionMissing(roles::AUDIT_LOG_READ_ALL),
            _ => GraphError::Forbidden,
        }
    }

    /// Whether an app-only token with `roles` may use the route.
    pub(crate) fn allows_app(self, roles: &[String]) -> bool {
        let accepted = self.app_roles();
        roles.iter().any(|r| accepted.contains(&r.as_str()))
    }

    /// Whether a signed-in user whose token has `scopes` and who holds `directory_roles` may use
    /// the route.
    pub(crate) fn allows_user(self, scopes: &[String], directory_roles: &[Uuid]) -> bool {
        let accepted = self.scopes();
        let scoped = scopes.iter().any(|s| accepted.contains(&s.as_str()));
        let entitled = match self.user_roles() {
            None => true,
            Some(needed) => directory_roles.iter().any(|r| needed.contains(r)),
        };
        scoped && entitled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn read_write_implies_read_but_not_the_reverse() {
        let rw = strings(&[roles::APPLICATION_READ_WRITE_ALL]);
        assert!(Permission::ReadApplications.allows_app(&rw));
        assert!(Permission::WriteApplications.allows_app(&rw));
        assert!(!Permission::WriteAssignments.allows_app(&rw));
        assert!(!Permission::WriteApplications.allows_app(&strings(&[roles::APPLICATION_READ_ALL])));
        assert!(!Permission::Admin.allows_app(&[]));
    }

    #[test]
    fn a_delegated_caller_needs_the_scope_and_the_directory_role() {
        let scp = strings(&[roles::APPLICATION_READ_WRITE_ALL]);
        assert!(Permission::WriteApplications.allows_user(&scp, &[APPLICATION_ADMINISTRATOR]));
        assert!(Permission::WriteApplications.allows_user(&scp, &[GLOBAL_ADMINISTRATOR]));
        assert!(!Permission::WriteApplications.allows_user(&scp, &[]), "scope without role");
        assert!(
            !Permission::WriteApplications.allows_user(&strings(&["User.Read"]), &[GLOBAL_ADMINISTRATOR])
        );
        assert!(Permission::ReadApplications.allows_user(&scp, &[]), "reads are open to members");
        assert!(Permission::ReadMe.allows_user(&strings(&["User.Read"]), &[]));
        assert!(!Permission::ReadUsers.allows_user(&strings(&["User.Read"]), &[]));
        assert!(Permission::ReadUsers.allows_user(&strings(&["User.Read.All"]), &[]));
        let everything = strings(&[roles::CUSTOS_ADMIN, roles::USER_READ_WRITE_ALL]);
        assert!(!Permission::Admin.allows_user(&everything, &[GLOBAL_ADMINISTRATOR]), "roles are not scopes");
        let directory = strings(&[roles::DIRECTORY_READ_WRITE_ALL]);
        assert!(Permission::Admin.allows_user(&directory, &[GLOBAL_ADMINISTRATOR]));
        assert!(!Permission::Admin.allows_user(&directory, &[APPLICATION_ADMINISTRATOR]));
        assert!(!Permission::WriteUsers.allows_user(&everything, &[APPLICATION_ADMINISTRATOR]));
        assert!(Permission::WriteUsers.allows_user(&everything, &[GLOBAL_ADMINISTRATOR]));
    }

    #[test]
    fn logs_need_audit_log_read_all_and_for_users_a_global_administrator() {
        let audit = strings(&[roles::AUDIT_LOG_READ_ALL]);
        assert!(Permission::ReadAuditLogs.allows_app(&audit));
        assert!(!Permission::ReadAuditLogs.allows_app(&strings(&[roles::DIRECTORY_READ_ALL])));
        assert!(Permission::ReadAuditLogs.allows_user(&audit, &[GLOBAL_ADMINISTRATOR]));
        assert!(!Permission::ReadAuditLogs.allows_user(&audit, &[APPLICATION_ADMINISTRATOR]));
        assert_eq!(Permission::ReadAuditLogs.refusal(), GraphError::PermissionMissing("AuditLog.Read.All"));
        assert_eq!(Permission::ReadUsers.refusal(), GraphError::Forbidden);
    }
}
