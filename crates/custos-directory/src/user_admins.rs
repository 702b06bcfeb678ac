//! The lock-out rule for users, in the style of [`crate::privileged`]'s: a tenant must not lose
//! its last way to administer itself. Removing the Global Administrator role from a user (by
//! deleting the assignment, the user, or disabling the user) is refused when that user is the
//! tenant's only enabled Global Administrator *and* the tenant has no enabled administrator
//! application either: 400 `Request_BadRequest` saying so.

use crate::DirectoryState;
use crate::error::GraphError;
use crate::privileged;
use custos_core::users::GLOBAL_ADMINISTRATOR;
use custos_core::{ObjectId, TenantId};
use std::collections::HashSet;

/// Before `user` stops being a Global Administrator (`assignment`: only that assignment goes;
/// `None`: the user is deleted or disabled).
pub(crate) async fn ensure_not_last_admin(
    state: &DirectoryState,
    tenant: TenantId,
    user: ObjectId,
    assignment: Option<&str>,
) -> Result<(), GraphError> {
    let assignments = state.store.directory_role_assignments(tenant).await?;
    let admins: HashSet<ObjectId> = assignments
        .iter()
        .filter(|a| a.role_definition_id == GLOBAL_ADMINISTRATOR)
        .filter(|a| assignment.is_none_or(|id| a.id != id))
        .map(|a| a.principal_id)
        .collect();
    let held =
        assignments.iter().any(|a| a.role_definition_id == GLOBAL_ADMINISTRATOR && a.principal_id == user);
    // Still an admin after the change (another assignment of the same role), or never one.
    if !held || (assignment.is_some() && admins.contains(&user)) {
        return Ok(());
    }
    for other in admins.iter().filter(|id| **id != user) {
        if state.store.user(tenant, *other).await?.is_some_and(|u| u.account_enabled) {
            return Ok(());
        }
    }
    if privileged::has_admin_application(state.store.as_ref(), tenant).await? {
        return Ok(());
    }
    Err(GraphError::BadRequest(format!(
        "User '{user}' is the tenant's last Global Administrator: assign the role to another user first."
    )))
}
