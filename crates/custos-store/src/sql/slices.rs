//! The narrow reads [`crate::Directory`] builds a slice of a large tenant from
//! ([`crate::Store::application_by_identifier_uri`], [`crate::Store::assignments_between`],
//! [`crate::Store::permission_grants_between`]) and the count that decides when a tenant is large
//! ([`crate::Store::directory_object_count`]). Each reads one index: `identifier_uris
//! (tenant_id, uri_key)`, `app_role_assignments (tenant_id, principal_id, resource_id, …)`,
//! `oauth2_permission_grants (tenant_id, client_id, resource_id, …)`, and the `(tenant_id, …)`
//! indexes of applications and service principals; none grows with the tenant but the count.

use super::rows::{self, ASSIGNMENT_COLUMNS, GRANT_COLUMNS};
use super::run::{find, list};
use super::{Columns, Dialect, Statement};
use crate::{StoreError, StoreResult};
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application};
use custos_core::scope::identifier_uri_key;
use custos_core::{ObjectId, TenantId};
use sqlx::Pool;

/// The application with an identifier URI whose key is `uri`'s.
pub(super) async fn application_by_identifier_uri<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    uri: &str,
) -> StoreResult<Option<Application>> {
    // `u` is the alias the identifier URI aggregate of the columns uses.
    let select = Statement::new(format!(
        "SELECT {} FROM identifier_uris k JOIN applications a \
         ON a.tenant_id = k.tenant_id AND a.id = k.application_id \
         WHERE k.tenant_id = $1 AND k.uri_key = $2",
        rows::application_columns::<D>()
    ))
    .id(tenant.0)
    .text(identifier_uri_key(uri));
    find(pool, &select, rows::application).await
}

/// The applications and service principals of `tenant`.
pub(super) async fn directory_object_count<D: Dialect>(pool: &Pool<D>, tenant: TenantId) -> StoreResult<u64> {
    let select = Statement::new(
        "SELECT (SELECT COUNT(*) FROM applications WHERE tenant_id = $1) \
         + (SELECT COUNT(*) FROM service_principals WHERE tenant_id = $1) AS objects",
    )
    .id(tenant.0);
    let count = find(pool, &select, |row| row.int("objects")).await?.unwrap_or(0);
    u64::try_from(count).map_err(|_| StoreError::Backend(format!("a negative count: {count}")))
}

/// The assignments of `principal` on `resource`, oldest first.
pub(super) async fn assignments_between<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    principal: ObjectId,
    resource: ObjectId,
) -> StoreResult<Vec<AppRoleAssignment>> {
    let select = Statement::new(format!(
        "SELECT {ASSIGNMENT_COLUMNS} FROM app_role_assignments \
         WHERE tenant_id = $1 AND principal_id = $2 AND resource_id = $3 ORDER BY created, {}",
        D::INSERTION_ORDER
    ))
    .id(tenant.0)
    .id(principal.0)
    .id(resource.0);
    list(pool, &select, rows::assignment).await
}

/// The delegated grants of `client` on `resource`, oldest first.
pub(super) async fn permission_grants_between<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    client: ObjectId,
    resource: ObjectId,
) -> StoreResult<Vec<OAuth2PermissionGrant>> {
    let select = Statement::new(format!(
        "SELECT {GRANT_COLUMNS} FROM oauth2_permission_grants \
         WHERE tenant_id = $1 AND client_id = $2 AND resource_id = $3 ORDER BY created, {}",
        D::INSERTION_ORDER
    ))
    .id(tenant.0)
    .id(client.0)
    .id(resource.0);
    list(pool, &select, rows::permission_grant).await
}
