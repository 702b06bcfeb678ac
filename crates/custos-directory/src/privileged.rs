//! The rules that keep tenant-level Graph permissions from reaching custos' own admin role, and
//! a tenant from locking itself out of its directory:
//!
//! - `Custos.Admin` (the directory API's app role that opens `/admin/v1`) is granted and revoked
//!   only by a caller holding it;
//! - an application whose service principal holds `Custos.Admin` (an *administrator*) is
//!   changed, given or stripped of credentials and role assignments, disabled or deleted only by
//!   a caller holding `Custos.Admin` — else `Application.ReadWrite.All` could `addPassword` on it
//!   and `AppRoleAssignment.ReadWrite.All` could grant itself the role. Graph's answer: 403
//!   `Authorization_RequestDenied`;
//! - a tenant's last enabled administrator (holder of `Custos.Admin`; in a tenant whose
//!   directory API has no such role, of `Application.ReadWrite.All`, the role its bootstrap
//!   admin administers it with) is not deleted, disabled or stripped of the role: 400
//!   `Request_BadRequest` saying so (`custos recover-admin` mends a tenant offline).
//!
//! The directory API's own service principal is guarded where it is changed
//! (`service_principals`).

use crate::DirectoryState;
use crate::auth::{Caller, roles};
use crate::error::GraphError;
use custos_core::ids::GRAPH_APP_ID;
use custos_core::model::{AppRoleAssignment, Application};
use custos_core::{ObjectId, TenantId};
use custos_store::Store;
use uuid::Uuid;

/// Who holds the administrator role in one tenant.
#[derive(Debug)]
struct AdminGrants {
    /// The directory API's service principal.
    directory: ObjectId,
    /// The administrator role: its id and value.
    role: Uuid,
    role_value: &'static str,
    /// Whether the role is `Custos.Admin` (then granting it and changing its holders is the
    /// holders' business only).
    guards_privilege: bool,
    /// The principals holding the role, with whether their service principal is enabled.
    holders: Vec<(ObjectId, bool)>,
}

impl AdminGrants {
    /// The grants of `tenant`; `None` when it has no directory API or no administrator role.
    async fn of(store: &dyn Store, tenant: TenantId) -> Result<Option<Self>, GraphError> {
        let Some(app) = store.application_by_app_id(tenant, GRAPH_APP_ID).await? else { return Ok(None) };
        let find = |value: &'static str| {
            app.app_roles.iter().find(|r| r.value.as_deref() == Some(value)).map(|r| (r.id, value))
        };
        let Some((role, role_value)) =
            find(roles::CUSTOS_ADMIN).or_else(|| find(roles::APPLICATION_READ_WRITE_ALL))
        else {
            return Ok(None);
        };
        let Some(directory) = store.service_principal_by_app_id(tenant, GRAPH_APP_ID).await? else {
            return Ok(None);
        };
        let mut granted: Vec<ObjectId> = Vec::new();
        for assignment in store.assignments(tenant).await? {
            let held = assignment.resource_id == directory.id && assignment.app_role_id == role;
            if held && !granted.contains(&assignment.principal_id) {
                granted.push(assignment.principal_id);
            }
        }
        // The holders are read by id: a tenant's principals may be many.
        let mut holders = Vec::with_capacity(granted.len());
        for id in granted {
            if let Some(sp) = store.service_principal(tenant, id).await? {
                holders.push((sp.id, sp.account_enabled));
            }
        }
        Ok(Some(Self {
            directory: directory.id,
            role,
            role_value,
            guards_privilege: role_value == roles::CUSTOS_ADMIN,
            holders,
        }))
    }

    fn holds(&self, principal: ObjectId) -> bool {
        self.holders.iter().any(|(id, _)| *id == principal)
    }

    fn grants_admin(&self, resource: ObjectId, role: Uuid) -> bool {
        resource == self.directory && role == self.role
    }

    /// Whether changing `principal` is for holders of `Custos.Admin` only.
    fn guarded(&self, principal: ObjectId) -> bool {
        self.guards_privilege && self.holds(principal)
    }

    /// Whether `principal` is the only enabled holder.
    fn is_last(&self, principal: ObjectId) -> bool {
        self.holds(principal) && self.holders.iter().all(|(id, enabled)| *id == principal || !enabled)
    }
}

/// Whether the caller holds `Custos.Admin` as an application permission: a delegated token's
/// `roles` never count (a user of a tenant never reaches installation admin).
fn holds_admin_role(caller: &Caller) -> bool {
    caller.scopes.is_none() && caller.roles.iter().any(|r| r == roles::CUSTOS_ADMIN)
}

fn denied(caller: &Caller, why: &str) -> GraphError {
    tracing::info!(app_id = %caller.app_id, tenant = %caller.tenant_id, why, "directory call refused: needs Custos.Admin");
    GraphError::Forbidden
}

fn last_admin(grants: &AdminGrants, principal: ObjectId) -> GraphError {
    let role = grants.role_value;
    GraphError::BadRequest(format!(
        "Service principal '{principal}' is the tenant's last administrator (app role {role}): grant {role} to another application first."
    ))
}

/// Whether the tenant has an enabled administrator application (a service principal holding
/// the administrator role): then no user is its last way in.
pub(crate) async fn has_admin_application(store: &dyn Store, tenant: TenantId) -> Result<bool, GraphError> {
    Ok(AdminGrants::of(store, tenant).await?.is_some_and(|g| g.holders.iter().any(|(_, enabled)| *enabled)))
}

/// What a write addresses: an application (through its service principal) or a principal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    Application(&'a Application),
    Principal(ObjectId),
}

impl Target<'_> {
    /// The principal that holds the roles, if there is one (an application may have none).
    async fn principal(self, state: &DirectoryState) -> Result<Option<ObjectId>, GraphError> {
        match self {
            Self::Principal(id) => Ok(Some(id)),
            Self::Application(app) => {
                Ok(state.store.service_principal_by_app_id(app.tenant_id, app.app_id).await?.map(|sp| sp.id))
            }
        }
    }
}

/// Before `target` is changed (its properties, credentials or role assignments): 403 unless it
/// is no administrator or the caller holds `Custos.Admin`.
pub(crate) async fn ensure_may_change(
    state: &DirectoryState,
    caller: &Caller,
    target: Target<'_>,
) -> Result<(), GraphError> {
    if holds_admin_role(caller) {
        return Ok(());
    }
    let Some(principal) = target.principal(state).await? else { return Ok(()) };
    if holds_admin_role(caller) {
        return Ok(());
    }
    match AdminGrants::of(state.store.as_ref(), caller.tenant_id).await? {
        Some(grants) if grants.guarded(principal) => Err(denied(caller, "changes an administrator")),
        _ => Ok(()),
    }
}

/// Before `target` is deleted or disabled: as [`ensure_may_change`], and 400 when it is the
/// tenant's last enabled administrator.
pub(crate) async fn ensure_may_remove(
    state: &DirectoryState,
    caller: &Caller,
    target: Target<'_>,
) -> Result<(), GraphError> {
    let Some(principal) = target.principal(state).await? else { return Ok(()) };
    let Some(grants) = AdminGrants::of(state.store.as_ref(), caller.tenant_id).await? else { return Ok(()) };
    if grants.guarded(principal) && !holds_admin_role(caller) {
        return Err(denied(caller, "removes an administrator"));
    }
    if grants.is_last(principal) {
        return Err(last_admin(&grants, principal));
    }
    Ok(())
}

/// Before `role` of `resource` is granted to `principal`: 403 unless the caller holds
/// `Custos.Admin` when the role is `Custos.Admin` or the principal an administrator.
pub(crate) async fn ensure_may_grant(
    state: &DirectoryState,
    caller: &Caller,
    principal: ObjectId,
    resource: ObjectId,
    role: Uuid,
) -> Result<(), GraphError> {
    if holds_admin_role(caller) {
        return Ok(());
    }
    match AdminGrants::of(state.store.as_ref(), caller.tenant_id).await? {
        Some(grants) if grants.guards_privilege && grants.grants_admin(resource, role) => {
            Err(denied(caller, "grants Custos.Admin"))
        }
        Some(grants) if grants.guarded(principal) => Err(denied(caller, "grants a role to an administrator")),
        _ => Ok(()),
    }
}

/// Before `assignment` is revoked: as [`ensure_may_grant`], and 400 when it is the last enabled
/// administrator's `Custos.Admin`.
pub(crate) async fn ensure_may_revoke(
    state: &DirectoryState,
    caller: &Caller,
    assignment: &AppRoleAssignment,
) -> Result<(), GraphError> {
    let Some(grants) = AdminGrants::of(state.store.as_ref(), caller.tenant_id).await? else { return Ok(()) };
    let revokes_admin = grants.grants_admin(assignment.resource_id, assignment.app_role_id);
    let guarded = grants.guards_privilege && (revokes_admin || grants.holds(assignment.principal_id));
    if guarded && !holds_admin_role(caller) {
        return Err(denied(caller, "revokes a role of an administrator"));
    }
    if revokes_admin && grants.is_last(assignment.principal_id) {
        return Err(last_admin(&grants, assignment.principal_id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants(holders: &[(u128, bool)]) -> AdminGrants {
        AdminGrants {
            directory: ObjectId::new_random(),
            role: Uuid::new_v4(),
            role_value: roles::CUSTOS_ADMIN,
            guards_privilege: true,
            holders: holders.iter().map(|(id, on)| (ObjectId(Uuid::from_u128(*id)), *on)).collect(),
        }
    }

    #[test]
    fn the_last_enabled_holder_is_the_last_administrator() {
        let id = |n| ObjectId(Uuid::from_u128(n));
        assert!(grants(&[(1, true)]).is_last(id(1)));
        assert!(grants(&[(1, true), (2, false)]).is_last(id(1)), "a disabled holder cannot sign in");
        assert!(!grants(&[(1, true), (2, true)]).is_last(id(1)));
        assert!(!grants(&[(1, true)]).is_last(id(2)), "not a holder at all");
    }
}
