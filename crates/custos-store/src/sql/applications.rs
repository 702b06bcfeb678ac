//! The writes of applications ([`crate::Store::create_application`],
//! [`crate::Store::update_application`], [`crate::Store::modify_application`],
//! [`crate::Store::delete_application`]): the row, its identifier URIs (`identifier_uris`, keyed by
//! [`identifier_uri_key`]) and, on delete, its service principal with what names it.

use super::run::{begin_write, execute_in, record_in, write_audited};
use super::{Columns, Dialect, Statement, delete_assignments_of, delete_service_principal, owners, rows};
use crate::codec::{self, map_db_error};
use crate::page::name_key;
use crate::{ApplicationChange, StoreError, StoreResult};
use custos_core::audit::{DirectoryAudit, credential_properties};
use custos_core::model::Application;
use custos_core::scope::identifier_uri_key;
use custos_core::{ObjectId, TenantId};
use sqlx::Pool;

/// The insert of each identifier URI of `app`, in order.
fn insert_identifier_uris(app: &Application) -> Vec<Statement<'_>> {
    let positions = 0_i64..;
    app.identifier_uris
        .iter()
        .zip(positions)
        .map(|(uri, position)| {
            Statement::new(
                "INSERT INTO identifier_uris (tenant_id, uri, uri_key, application_id, position) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .id(app.tenant_id.0)
            .text(uri)
            .text(identifier_uri_key(uri))
            .id(app.id.0)
            .int(position)
        })
        .collect()
}

fn delete_identifier_uris(tenant: TenantId, app: ObjectId) -> Statement<'static> {
    Statement::new("DELETE FROM identifier_uris WHERE tenant_id = $1 AND application_id = $2")
        .id(tenant.0)
        .id(app.0)
}

/// The stored documents of an application's password, key and federated identity credentials.
fn application_credentials_json(app: &Application) -> StoreResult<[serde_json::Value; 3]> {
    Ok([
        codec::credentials_to_json(&app.password_credentials)?,
        codec::key_credentials_to_json(&app.key_credentials)?,
        codec::federated_credentials_to_json(&app.federated_identity_credentials)?,
    ])
}

pub(super) async fn create<D: Dialect>(
    pool: &Pool<D>,
    app: &Application,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let [passwords, keys, federated] = application_credentials_json(app)?;
    let insert = Statement::new(
        "INSERT INTO applications (id, tenant_id, app_id, display_name, display_name_key, description, \
         requested_access_token_version, sign_in_audience, app_roles, password_credentials, \
         key_credentials, federated_identity_credentials, redirect_uris, required_resource_access, \
         oauth2_permission_scopes, properties, access_token_signing_algorithm, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .id(app.id.0)
    .id(app.tenant_id.0)
    .id(app.app_id.0)
    .text(&app.display_name)
    .text(name_key(&app.display_name))
    .opt_text(app.description.as_deref())
    .opt_int(app.requested_access_token_version.map(i64::from))
    .text(&app.sign_in_audience)
    .json(codec::app_roles_to_json(&app.app_roles)?)
    .json(passwords)
    .json(keys)
    .json(federated)
    .json(codec::to_json("redirect URIs", &app.redirect_uris)?)
    .json(codec::to_json("required resource access", &app.required_resource_access)?)
    .json(codec::to_json("permission scopes", &app.oauth2_permission_scopes)?)
    .json(codec::to_json("application properties", &app.properties)?)
    .text(app.access_token_signing_algorithm.as_str())
    .time(app.created);
    let uris = insert_identifier_uris(app);
    let statements: Vec<_> = [&insert].into_iter().chain(&uris).collect();
    write_audited(pool, &statements, audit, false).await
}

pub(super) async fn update<D: Dialect>(
    pool: &Pool<D>,
    app: &Application,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let update = Statement::new(
        "UPDATE applications SET display_name = $1, display_name_key = $2, description = $3, \
         requested_access_token_version = $4, sign_in_audience = $5, app_roles = $6, \
         redirect_uris = $7, required_resource_access = $8, oauth2_permission_scopes = $9, \
         properties = $10, access_token_signing_algorithm = $11 \
         WHERE tenant_id = $12 AND id = $13",
    )
    .text(&app.display_name)
    .text(name_key(&app.display_name))
    .opt_text(app.description.as_deref())
    .opt_int(app.requested_access_token_version.map(i64::from))
    .text(&app.sign_in_audience)
    .json(codec::app_roles_to_json(&app.app_roles)?)
    .json(codec::to_json("redirect URIs", &app.redirect_uris)?)
    .json(codec::to_json("required resource access", &app.required_resource_access)?)
    .json(codec::to_json("permission scopes", &app.oauth2_permission_scopes)?)
    .json(codec::to_json("application properties", &app.properties)?)
    .text(app.access_token_signing_algorithm.as_str())
    .id(app.tenant_id.0)
    .id(app.id.0);
    let delete_uris = delete_identifier_uris(app.tenant_id, app.id);
    let uris = insert_identifier_uris(app);
    let statements: Vec<_> = [&update, &delete_uris].into_iter().chain(&uris).collect();
    write_audited(pool, &statements, audit, true).await
}

pub(super) async fn modify<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: ObjectId,
    change: ApplicationChange,
    audit: &[DirectoryAudit],
) -> StoreResult<Application> {
    // The write transaction holds the row from this read to the commit (SQLite: BEGIN
    // IMMEDIATE takes the database's write lock; PostgreSQL: FOR UPDATE), so a concurrent
    // change waits and then reads the row as this one left it.
    let select = Statement::new(format!(
        "SELECT {} FROM applications a WHERE a.tenant_id = $1 AND a.id = $2{}",
        rows::application_columns::<D>(),
        D::LOCK_APPLICATION
    ))
    .id(tenant.0)
    .id(id.0);
    let mut tx = begin_write(pool).await?;
    let row = D::fetch_optional(&mut tx, &select).await?;
    let mut app = row.as_ref().map(rows::application).transpose()?.ok_or(StoreError::NotFound)?;
    let before = app.clone();
    change.apply(&mut app)?;
    let mut audit = audit.to_vec();
    if let Some(target) = audit.first_mut().and_then(|record| record.targets.first_mut()) {
        target.modified_properties.extend(credential_properties(&before, &app));
    }
    let [passwords, keys, federated] = application_credentials_json(&app)?;
    let update = Statement::new(
        "UPDATE applications SET password_credentials = $1, key_credentials = $2, \
         federated_identity_credentials = $3 WHERE tenant_id = $4 AND id = $5",
    )
    .json(passwords)
    .json(keys)
    .json(federated)
    .id(tenant.0)
    .id(id.0);
    execute_in::<D>(&mut tx, &update).await?;
    record_in::<D>(&mut tx, &audit).await?;
    tx.commit().await.map_err(map_db_error)?;
    Ok(app)
}

pub(super) async fn delete<D: Dialect>(
    pool: &Pool<D>,
    tenant: TenantId,
    id: ObjectId,
    audit: &[DirectoryAudit],
) -> StoreResult<()> {
    let mut tx = begin_write(pool).await?;
    let select_app = Statement::new("SELECT app_id FROM applications WHERE tenant_id = $1 AND id = $2")
        .id(tenant.0)
        .id(id.0);
    let app = D::fetch_optional(&mut tx, &select_app).await?.ok_or(StoreError::NotFound)?;
    let select_sp = Statement::new("SELECT id FROM service_principals WHERE tenant_id = $1 AND app_id = $2")
        .id(tenant.0)
        .id(app.uuid("app_id")?);
    if let Some(sp) = D::fetch_optional(&mut tx, &select_sp).await? {
        let sp = sp.uuid("id")?;
        execute_in::<D>(&mut tx, &owners::delete_owners_of(tenant, sp)).await?;
        execute_in::<D>(&mut tx, &delete_assignments_of(tenant, sp)).await?;
        execute_in::<D>(&mut tx, &delete_service_principal(tenant, sp)).await?;
    }
    execute_in::<D>(&mut tx, &owners::delete_owners_of(tenant, id.0)).await?;
    execute_in::<D>(&mut tx, &delete_identifier_uris(tenant, id)).await?;
    let delete_app =
        Statement::new("DELETE FROM applications WHERE tenant_id = $1 AND id = $2").id(tenant.0).id(id.0);
    execute_in::<D>(&mut tx, &delete_app).await?;
    record_in::<D>(&mut tx, audit).await?;
    tx.commit().await.map_err(map_db_error)
}
