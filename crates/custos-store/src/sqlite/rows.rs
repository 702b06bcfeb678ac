//! Conversions between SQLite rows and the domain model: GUIDs as lower-case hyphenated text,
//! times as integer microseconds since the Unix epoch (UTC), JSON documents as text.

use crate::StoreError;
use crate::codec::{self, corrupt, map_db_error};
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, SigningKeyRecord, Tenant};
use custos_core::{AppId, ObjectId, TenantId};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

type Result<T> = std::result::Result<T, StoreError>;

/// Microseconds since the Unix epoch; sub-microsecond digits are dropped (rounding down).
pub(super) fn micros(t: OffsetDateTime) -> i64 {
    // i64 microseconds cover ±292,000 years, far beyond `time`'s default range.
    i64::try_from(t.unix_timestamp_nanos().div_euclid(1_000)).unwrap_or(i64::MAX)
}

fn time_from_micros(column: &str, micros: i64) -> Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).map_err(|e| corrupt(column, e))
}

fn text(row: &SqliteRow, column: &str) -> Result<String> {
    row.try_get(column).map_err(map_db_error)
}

fn uuid(row: &SqliteRow, column: &str) -> Result<Uuid> {
    Uuid::try_parse(&text(row, column)?).map_err(|e| corrupt(column, e))
}

fn time(row: &SqliteRow, column: &str) -> Result<OffsetDateTime> {
    let micros: i64 = row.try_get(column).map_err(map_db_error)?;
    time_from_micros(column, micros)
}

fn json(row: &SqliteRow, column: &str) -> Result<serde_json::Value> {
    serde_json::from_str(&text(row, column)?).map_err(|e| corrupt(column, e))
}

fn boolean(row: &SqliteRow, column: &str) -> Result<bool> {
    row.try_get(column).map_err(map_db_error)
}

/// Columns selected for a tenant.
pub(super) const TENANT_COLUMNS: &str = "id, domain, display_name, created";

pub(super) fn tenant(row: &SqliteRow) -> Result<Tenant> {
    Ok(Tenant {
        id: TenantId(uuid(row, "id")?),
        domain: text(row, "domain")?,
        display_name: text(row, "display_name")?,
        created: time(row, "created")?,
    })
}

/// Columns selected for an application (`a`), its identifier URIs aggregated in order.
pub(super) const APPLICATION_COLUMNS: &str = "a.id, a.tenant_id, a.app_id, a.display_name, \
    a.description, a.requested_access_token_version, a.sign_in_audience, a.app_roles, \
    a.password_credentials, a.key_credentials, a.federated_identity_credentials, a.created, \
    (SELECT json_group_array(u.uri ORDER BY u.position) FROM identifier_uris u \
     WHERE u.tenant_id = a.tenant_id AND u.application_id = a.id) AS identifier_uris";

pub(super) fn application(row: &SqliteRow) -> Result<Application> {
    let identifier_uris: Vec<String> =
        serde_json::from_value(json(row, "identifier_uris")?).map_err(|e| corrupt("identifier_uris", e))?;
    let version: Option<i64> = row.try_get("requested_access_token_version").map_err(map_db_error)?;
    Ok(Application {
        id: ObjectId(uuid(row, "id")?),
        tenant_id: TenantId(uuid(row, "tenant_id")?),
        app_id: AppId(uuid(row, "app_id")?),
        display_name: text(row, "display_name")?,
        description: row.try_get("description").map_err(map_db_error)?,
        identifier_uris,
        app_roles: codec::app_roles_from_json(json(row, "app_roles")?)?,
        requested_access_token_version: codec::token_version_from_i64(version)?,
        sign_in_audience: text(row, "sign_in_audience")?,
        password_credentials: codec::credentials_from_json(json(row, "password_credentials")?)?,
        key_credentials: codec::key_credentials_from_json(json(row, "key_credentials")?)?,
        federated_identity_credentials: codec::federated_credentials_from_json(json(
            row,
            "federated_identity_credentials",
        )?)?,
        created: time(row, "created")?,
    })
}

/// Columns selected for a service principal.
pub(super) const SERVICE_PRINCIPAL_COLUMNS: &str = "id, tenant_id, app_id, display_name, \
    account_enabled, app_role_assignment_required, service_principal_type, created";

pub(super) fn service_principal(row: &SqliteRow) -> Result<ServicePrincipal> {
    Ok(ServicePrincipal {
        id: ObjectId(uuid(row, "id")?),
        tenant_id: TenantId(uuid(row, "tenant_id")?),
        app_id: AppId(uuid(row, "app_id")?),
        display_name: text(row, "display_name")?,
        account_enabled: boolean(row, "account_enabled")?,
        app_role_assignment_required: boolean(row, "app_role_assignment_required")?,
        service_principal_type: codec::sp_type_from_str(&text(row, "service_principal_type")?)?,
        created: time(row, "created")?,
    })
}

/// Columns selected for an app role assignment.
pub(super) const ASSIGNMENT_COLUMNS: &str = "id, tenant_id, principal_id, resource_id, app_role_id, created";

pub(super) fn assignment(row: &SqliteRow) -> Result<AppRoleAssignment> {
    Ok(AppRoleAssignment {
        id: text(row, "id")?,
        tenant_id: TenantId(uuid(row, "tenant_id")?),
        principal_id: ObjectId(uuid(row, "principal_id")?),
        resource_id: ObjectId(uuid(row, "resource_id")?),
        app_role_id: uuid(row, "app_role_id")?,
        created: time(row, "created")?,
    })
}

/// Columns selected for a signing key.
pub(super) const SIGNING_KEY_COLUMNS: &str =
    "kid, state, created, activates, retires, sealed_private_key, certificate_der";

pub(super) fn signing_key(row: &SqliteRow) -> Result<SigningKeyRecord> {
    let retires: Option<i64> = row.try_get("retires").map_err(map_db_error)?;
    Ok(SigningKeyRecord {
        kid: text(row, "kid")?,
        state: codec::key_state_from_str(&text(row, "state")?)?,
        created: time(row, "created")?,
        activates: time(row, "activates")?,
        retires: retires.map(|m| time_from_micros("retires", m)).transpose()?,
        sealed_private_key: row.try_get("sealed_private_key").map_err(map_db_error)?,
        certificate_der: row.try_get("certificate_der").map_err(map_db_error)?,
    })
}
