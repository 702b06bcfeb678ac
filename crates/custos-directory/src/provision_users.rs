//! Users made by the platform rather than through Graph: `serve --demo`'s portal administrator.

use crate::audit;
use custos_core::audit::{Activity, AuditContext};
use custos_core::{ObjectId, Secret, TenantId};
use custos_store::{Store, StoreError};
use time::OffsetDateTime;

/// Why [`add_global_administrator`] failed.
#[derive(Debug, thiserror::Error)]
pub enum AddUserError {
    /// The password could not be hashed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
    /// Storage failed (a user with this name exists: `Conflict`).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates an enabled member user `upn` (display name `display_name`) holding the Global
/// Administrator role, recorded as the installation's (`serve --demo`'s portal administrator).
pub async fn add_global_administrator(
    store: &dyn Store,
    tenant: TenantId,
    upn: &str,
    display_name: &str,
    password: &Secret<String>,
    now: OffsetDateTime,
) -> Result<custos_core::users::User, AddUserError> {
    use custos_core::users::{DirectoryRoleAssignment, GLOBAL_ADMINISTRATOR, User};
    let hash =
        custos_jose::password::hash(password.expose()).map_err(|e| AddUserError::Hash(e.to_string()))?;
    let user = User {
        id: ObjectId::new_random(),
        tenant_id: tenant,
        user_principal_name: upn.to_owned(),
        display_name: display_name.to_owned(),
        given_name: None,
        surname: None,
        mail_nickname: upn.split('@').next().unwrap_or(upn).to_owned(),
        mail: None,
        account_enabled: true,
        tokens_valid_from: now,
        created: now,
    };
    let context = AuditContext::installation(now);
    store
        .create_user(&user, &hash, &[context.record(tenant, Activity::AddUser, audit::user_added(&user))])
        .await?;
    let assignment = DirectoryRoleAssignment {
        id: crate::new_assignment_id(),
        tenant_id: tenant,
        role_definition_id: GLOBAL_ADMINISTRATOR,
        principal_id: user.id,
        created: now,
    };
    let record = context.record_in(
        Some(tenant),
        Activity::AddMemberToRole,
        audit::directory_role(&assignment, Some(&user)),
    );
    store.create_directory_role_assignment(&assignment, &[record]).await?;
    Ok(user)
}
