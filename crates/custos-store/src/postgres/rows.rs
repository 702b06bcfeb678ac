//! Conversions between PostgreSQL rows and the domain model (native `uuid`, `timestamptz`,
//! `jsonb` and `text[]` columns).

use crate::StoreError;
use crate::codec::{self, map_db_error};
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::{AppId, ObjectId, TenantId};
use sqlx::Row as _;
use sqlx::postgres::PgRow;
use uuid::Uuid;

type Result<T> = std::result::Result<T, StoreError>;

fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    row.try_get(column).map_err(map_db_error)
}

/// Columns selected for a tenant.
pub(super) const TENANT_COLUMNS: &str = "id, domain, display_name, created";

pub(super) fn tenant(row: &PgRow) -> Result<Tenant> {
    Ok(Tenant {
        id: TenantId(get(row, "id")?),
        domain: get(row, "domain")?,
        display_name: get(row, "display_name")?,
        created: get(row, "created")?,
    })
}

/// Columns selected for an application (`a`), its identifier URIs aggregated in order.
pub(super) const APPLICATION_COLUMNS: &str = "a.id, a.tenant_id, a.app_id, a.display_name, \
    a.description, a.requested_access_token_version, a.sign_in_audience, a.app_roles, \
    a.password_credentials, a.key_credentials, a.federated_identity_credentials, a.created, \
    ARRAY(SELECT u.uri FROM identifier_uris u \
          WHERE u.tenant_id = a.tenant_id AND u.application_id = a.id ORDER BY u.position) AS identifier_uris";

pub(super) fn application(row: &PgRow) -> Result<Application> {
    let version: Option<i16> = get(row, "requested_access_token_version")?;
    Ok(Application {
        id: ObjectId(get(row, "id")?),
        tenant_id: TenantId(get(row, "tenant_id")?),
        app_id: AppId(get(row, "app_id")?),
        display_name: get(row, "display_name")?,
        description: get(row, "description")?,
        identifier_uris: get(row, "identifier_uris")?,
        app_roles: codec::app_roles_from_json(get(row, "app_roles")?)?,
        requested_access_token_version: codec::token_version_from_i64(version.map(i64::from))?,
        sign_in_audience: get(row, "sign_in_audience")?,
        password_credentials: codec::credentials_from_json(get(row, "password_credentials")?)?,
        key_credentials: codec::key_credentials_from_json(get(row, "key_credentials")?)?,
        federated_identity_credentials: codec::federated_credentials_from_json(get(
            row,
            "federated_identity_credentials",
        )?)?,
        created: get(row, "created")?,
    })
}

/// Columns selected for a service principal.
pub(super) const SERVICE_PRINCIPAL_COLUMNS: &str = "id, tenant_id, app_id, display_name, \
    account_enabled, app_role_assignment_required, service_principal_type, created";

pub(super) fn service_principal(row: &PgRow) -> Result<ServicePrincipal> {
    let sp_type: String = get(row, "service_principal_type")?;
    Ok(ServicePrincipal {
        id: ObjectId(get(row, "id")?),
        tenant_id: TenantId(get(row, "tenant_id")?),
        app_id: AppId(get(row, "app_id")?),
        display_name: get(row, "display_name")?,
        account_enabled: get(row, "account_enabled")?,
        app_role_assignment_required: get(row, "app_role_assignment_required")?,
        service_principal_type: codec::sp_type_from_str(&sp_type)?,
        created: get(row, "created")?,
    })
}

/// Columns selected for an app role assignment.
pub(super) const ASSIGNMENT_COLUMNS: &str = "id, tenant_id, principal_id, resource_id, app_role_id, created";

pub(super) fn assignment(row: &PgRow) -> Result<AppRoleAssignment> {
    Ok(AppRoleAssignment {
        id: get(row, "id")?,
        tenant_id: TenantId(get(row, "tenant_id")?),
        principal_id: ObjectId(get(row, "principal_id")?),
        resource_id: ObjectId(get(row, "resource_id")?),
        app_role_id: get::<Uuid>(row, "app_role_id")?,
        created: get(row, "created")?,
    })
}

/// Columns selected for a signing key.
pub(super) const SIGNING_KEY_COLUMNS: &str =
    "kid, state, created, activates, retires, sealed_private_key, certificate_der";

pub(super) fn signing_key(row: &PgRow) -> Result<SigningKeyRecord> {
    let state: String = get(row, "state")?;
    Ok(SigningKeyRecord {
        kid: get(row, "kid")?,
        state: codec::key_state_from_str(&state)?,
        created: get(row, "created")?,
        activates: get(row, "activates")?,
        retires: get(row, "retires")?,
        sealed_private_key: get(row, "sealed_private_key")?,
        certificate_der: get(row, "certificate_der")?,
    })
}
