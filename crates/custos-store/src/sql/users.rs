//! Users, their directory roles and delegated permission grants (migration 0006).

use super::rows::{self, DIRECTORY_ROLE_COLUMNS, GRANT_COLUMNS, USER_COLUMNS};
use super::run::{begin_write, execute_in, find, list, record_in, write_audited};
use super::{Columns, Dialect, Statement, require_row};
use crate::codec::map_db_error;
use crate::page::name_key;
use crate::{StoreError, StoreResult};
use custos_core::audit::DirectoryAudit;
use custos_core::consent::{ConsentType, OAuth2PermissionGrant};
use custos_core::users::{DirectoryRoleAssignment, User};
use custos_core::{AppId, ObjectId, TenantId};
use sqlx::Pool;
use time::OffsetDateTime;

/// The key a user principal name is unique by (compared case-insensitively, like Entra).
fn upn_key(upn: &str) -> String {
    upn.to_ascii_lowercase()
}

pub(super) async fn create_user<D: Dialect>(
    pool: &Pool<D>,
    user: &User,
    password_hash: &str,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO users (id, tenant_id, user_principal_name, upn_key, display_name, display_name_key, \
         given_name, surname, mail_nickname, mail, account_enabled, tokens_valid_from, password_hash, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .id(user.id.0)
    .id(user.tenant_id.0)
    .text(&user.user_principal_name)
    .text(upn_key(&user.user_principal_name))
    .text(&user.display_name)
    .text(name_key(&user.display_name))
    .opt_text(user.given_name.as_deref())
    .opt_text(user.surname.as_deref())
    .text(&user.mail_nickname)
    .opt_text(user.mail.as_deref())
    .boolean(user.account_enabled)
    .time(user.tokens_valid_from)
    .text(password_hash)
    .time(user.created);
    write_audited(pool, &[&insert], audit, false).await
}

pub(super) async fn update_user<D: Dialect>(
    pool: &Pool<D>,
    user: &User,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let update = Statement::new(
        "UPDATE users SET user_principal_name = $1, upn_key = $2, display_name = $3, display_name_key = $4, \
         given_name = $5, surname = $6, mail_nickname = $7, mail = $8, account_enabled = $9, \
         tokens_valid_from = $10 WHERE tenant_id = $11 AND id = $12",
    )
    .text(&user.user_principal_name)
    .text(upn_key(&user.user_principal_name))
    .text(&user.display_name)
    .text(name_key(&user.display_name))
    .opt_text(user.given_name.as_deref())
    .opt_text(user.surname.as_deref())
    .text(&user.mail_nickname)
    .opt_text(user.mail.as_deref())
    .boolean(user.account_enabled)
    .time(user.tokens_valid_from)
    .id(user.tenant_id.0)
    .id(user.id.0);
    write_audited(pool, &[&update], audit, true).await
}

pub(super) async fn set_user_password<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: ObjectId,
    password_hash: &str,
    tokens_valid_from: OffsetDateTime,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let update = Statement::new(
        "UPDATE users SET password_hash = $1, tokens_valid_from = $2 WHERE tenant_id = $3 AND id = $4",
    )
    .text(password_hash)
    .time(tokens_valid_from)
    .id(tenant.0)
    .id(id.0);
    write_audited(pool, &[&update], audit, true).await
}

pub(super) async fn delete_user<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: ObjectId,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let by_user = |sql: &'static str| Statement::new(sql).id(tenant.0).id(id.0);
    let statements = [
        by_user("DELETE FROM directory_role_assignments WHERE tenant_id = $1 AND principal_id = $2"),
        by_user("DELETE FROM oauth2_permission_grants WHERE tenant_id = $1 AND principal_id = $2"),
        by_user("DELETE FROM sign_in_sessions WHERE tenant_id = $1 AND user_id = $2"),
        by_user(
            "DELETE FROM refresh_tokens WHERE grant_id IN \
             (SELECT id FROM refresh_grants WHERE tenant_id = $1 AND user_id = $2)",
        ),
        by_user("DELETE FROM refresh_grants WHERE tenant_id = $1 AND user_id = $2"),
        by_user("DELETE FROM owners WHERE tenant_id = $1 AND owner_id = $2"),
    ];
    let delete = by_user("DELETE FROM users WHERE tenant_id = $1 AND id = $2");
    let mut tx = begin_write(pool).await?;
    for statement in &statements {
        execute_in::<D>(&mut tx, statement).await?;
    }
    require_row(execute_in::<D>(&mut tx, &delete).await?)?;
    record_in::<D>(&mut tx, audit).await?;
    tx.commit().await.map_err(map_db_error)
}

pub(super) async fn user<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: ObjectId,
) -> StoreResult<Option<User>> {
    let select = Statement::new(format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2"))
        .id(tenant.0)
        .id(id.0);
    find(pool, &select, rows::user).await
}

pub(super) async fn user_by_upn<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    upn: &str,
) -> StoreResult<Option<User>> {
    let select =
        Statement::new(format!("SELECT {USER_COLUMNS} FROM users WHERE tenant_id = $1 AND upn_key = $2"))
            .id(tenant.0)
            .text(upn_key(upn));
    find(pool, &select, rows::user).await
}

pub(super) async fn users<D: Dialect>(pool: &Pool<D>, tenant: TenantId) -> StoreResult<Vec<User>> {
    in_tenant(pool, USER_COLUMNS, "users", tenant, rows::user).await
}

pub(super) async fn user_password_hash<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: ObjectId,
) -> StoreResult<Option<String>> {
    let select = Statement::new("SELECT password_hash FROM users WHERE tenant_id = $1 AND id = $2")
        .id(tenant.0)
        .id(id.0);
    find(pool, &select, |row| row.text("password_hash")).await
}

pub(super) async fn create_directory_role<D: Dialect>(
    pool: &Pool<D>,
    assignment: &DirectoryRoleAssignment,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let insert = Statement::new(
        "INSERT INTO directory_role_assignments (id, tenant_id, role_definition_id, principal_id, created) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .text(&assignment.id)
    .id(assignment.tenant_id.0)
    .id(assignment.role_definition_id)
    .id(assignment.principal_id.0)
    .time(assignment.created);
    write_audited(pool, &[&insert], audit, false).await
}

pub(super) async fn delete_directory_role<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: &str,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    delete_by_id(pool, "directory_role_assignments", tenant, id, audit).await
}

pub(super) async fn directory_roles<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
) -> StoreResult<Vec<DirectoryRoleAssignment>> {
    in_tenant(pool, DIRECTORY_ROLE_COLUMNS, "directory_role_assignments", tenant, rows::directory_role).await
}

pub(super) async fn create_grant<D: Dialect>(
    pool: &Pool<D>,
    grant: &OAuth2PermissionGrant,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let principal_key = match (grant.consent_type, grant.principal_id) {
        (ConsentType::AllPrincipals, None) => String::new(),
        (ConsentType::Principal, Some(user)) => user.to_string(),
        _ => {
            return Err(StoreError::InvalidInput(
                "a Principal grant names one user, an AllPrincipals grant none",
            ));
        }
    };
    let insert = Statement::new(
        "INSERT INTO oauth2_permission_grants (id, tenant_id, client_id, consent_type, principal_id, \
         principal_key, resource_id, scope, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .text(&grant.id)
    .id(grant.tenant_id.0)
    .id(grant.client_id.0)
    .text(grant.consent_type.as_str())
    .opt_id(grant.principal_id.map(|p| p.0))
    .text(principal_key)
    .id(grant.resource_id.0)
    .text(&grant.scope)
    .time(grant.created);
    write_audited(pool, &[&insert], audit, false).await
}

pub(super) async fn update_grant<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: &str,
    scope: &str,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let update =
        Statement::new("UPDATE oauth2_permission_grants SET scope = $1 WHERE tenant_id = $2 AND id = $3")
            .text(scope)
            .id(tenant.0)
            .text(id);
    write_audited(pool, &[&update], audit, true).await
}

pub(super) async fn delete_grant<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: &str,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    delete_by_id(pool, "oauth2_permission_grants", tenant, id, audit).await
}

pub(super) async fn grants<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
) -> StoreResult<Vec<OAuth2PermissionGrant>> {
    in_tenant(pool, GRANT_COLUMNS, "oauth2_permission_grants", tenant, rows::permission_grant).await
}

pub(super) async fn applications_by_app_id<D: Dialect>(
    pool: &Pool<D>,
    app_id: AppId,
) -> StoreResult<Vec<custos_core::model::Application>> {
    let (columns, order) = (rows::application_columns::<D>(), D::INSERTION_ORDER);
    let select = Statement::new(format!(
        "SELECT {columns} FROM applications a WHERE a.app_id = $1 ORDER BY a.created, a.{order}"
    ))
    .id(app_id.0);
    list(pool, &select, rows::application).await
}

/// Every row of `table` in `tenant`, oldest first, mapped by `map`.
async fn in_tenant<D: Dialect, T>(
    pool: &Pool<D>,
    columns: &str,
    table: &str,
    tenant: TenantId,
    map: fn(&D::Row) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let order = D::INSERTION_ORDER;
    let select = Statement::new(format!(
        "SELECT {columns} FROM {table} WHERE tenant_id = $1 ORDER BY created, {order}"
    ))
    .id(tenant.0);
    list(pool, &select, map).await
}

/// Deletes the row of `table` with this tenant and (text) id, recording `audit`; NotFound (and
/// no record) when absent.
async fn delete_by_id<D: Dialect>(
    pool: &Pool<D>,
    table: &str,
    tenant: TenantId,
    id: &str,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let delete =
        Statement::new(format!("DELETE FROM {table} WHERE tenant_id = $1 AND id = $2")).id(tenant.0).text(id);
    write_audited(pool, &[&delete], audit, true).await
}
