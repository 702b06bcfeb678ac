//! Encoding shared by both backends: the JSON documents stored for app roles, password
//! credentials, key credentials and federated identity credentials, the text forms of enums,
//! and the mapping of database errors to [`StoreError`].
//!
//! The JSON shapes here are the storage format and deliberately independent of the serde
//! derives in `custos-core` (which follow Graph), so a change to the wire shape never breaks
//! rows already written.

use crate::{StoreError, StoreResult};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use custos_core::model::{
    AccessTokenSigningAlgorithm, AppRole, FederatedIdentityCredential, KeyCredential, PasswordCredential,
    ServicePrincipalType, SigningKeyState,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Stored form of an [`AppRole`].
#[derive(Serialize, Deserialize)]
struct StoredAppRole {
    id: Uuid,
    allowed_member_types: Vec<String>,
    description: Option<String>,
    display_name: Option<String>,
    is_enabled: bool,
    value: Option<String>,
}

/// Stored form of a [`PasswordCredential`]; the keyed hash is base64 (never the secret).
#[derive(Serialize, Deserialize)]
struct StoredPasswordCredential {
    key_id: Uuid,
    display_name: Option<String>,
    hint: String,
    #[serde(with = "time::serde::rfc3339")]
    start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    end: OffsetDateTime,
    secret_hash: String,
}

/// Stored form of a [`KeyCredential`]; identifier and certificate are standard base64.
#[derive(Serialize, Deserialize)]
struct StoredKeyCredential {
    key_id: Uuid,
    display_name: Option<String>,
    custom_key_identifier: String,
    usage: String,
    key_type: String,
    #[serde(with = "time::serde::rfc3339")]
    start: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    end: OffsetDateTime,
    certificate_der: String,
}

/// Stored form of a [`FederatedIdentityCredential`].
#[derive(Serialize, Deserialize)]
struct StoredFederatedCredential {
    id: Uuid,
    name: String,
    issuer: String,
    subject: String,
    audiences: Vec<String>,
    description: Option<String>,
}

/// Serializes app roles to their stored JSON document.
pub(crate) fn app_roles_to_json(roles: &[AppRole]) -> StoreResultJson {
    let stored: Vec<StoredAppRole> = roles
        .iter()
        .map(|r| StoredAppRole {
            id: r.id,
            allowed_member_types: r.allowed_member_types.clone(),
            description: r.description.clone(),
            display_name: r.display_name.clone(),
            is_enabled: r.is_enabled,
            value: r.value.clone(),
        })
        .collect();
    serde_json::to_value(stored).map_err(|e| StoreError::Backend(format!("encoding app roles: {e}")))
}

/// Parses the stored JSON document of app roles.
pub(crate) fn app_roles_from_json(value: serde_json::Value) -> Result<Vec<AppRole>, StoreError> {
    let stored: Vec<StoredAppRole> = serde_json::from_value(value).map_err(|e| corrupt("app_roles", e))?;
    Ok(stored
        .into_iter()
        .map(|r| AppRole {
            id: r.id,
            allowed_member_types: r.allowed_member_types,
            description: r.description,
            display_name: r.display_name,
            is_enabled: r.is_enabled,
            value: r.value,
        })
        .collect())
}

/// Serializes password credentials to their stored JSON document.
pub(crate) fn credentials_to_json(creds: &[PasswordCredential]) -> StoreResultJson {
    let stored: Vec<StoredPasswordCredential> = creds
        .iter()
        .map(|c| StoredPasswordCredential {
            key_id: c.key_id,
            display_name: c.display_name.clone(),
            hint: c.hint.clone(),
            start: c.start,
            end: c.end,
            secret_hash: BASE64.encode(c.secret_hash.expose()),
        })
        .collect();
    // The error text of serde_json never contains the values being encoded.
    serde_json::to_value(stored)
        .map_err(|e| StoreError::Backend(format!("encoding password credentials: {e}")))
}

/// Parses the stored JSON document of password credentials.
pub(crate) fn credentials_from_json(value: serde_json::Value) -> Result<Vec<PasswordCredential>, StoreError> {
    let stored: Vec<StoredPasswordCredential> =
        serde_json::from_value(value).map_err(|e| corrupt("password_credentials", e))?;
    stored
        .into_iter()
        .map(|c| {
            let secret_hash = BASE64
                .decode(c.secret_hash.as_bytes())
                .map_err(|e| corrupt("password_credentials.secret_hash", e))?;
            Ok(PasswordCredential {
                key_id: c.key_id,
                display_name: c.display_name,
                hint: c.hint,
                start: c.start,
                end: c.end,
                secret_hash: secret_hash.into(),
            })
        })
        .collect()
}

/// Serializes key credentials to their stored JSON document.
pub(crate) fn key_credentials_to_json(creds: &[KeyCredential]) -> StoreResultJson {
    let stored: Vec<StoredKeyCredential> = creds
        .iter()
        .map(|c| StoredKeyCredential {
            key_id: c.key_id,
            display_name: c.display_name.clone(),
            custom_key_identifier: BASE64.encode(&c.custom_key_identifier),
            usage: c.usage.clone(),
            key_type: c.key_type.clone(),
            start: c.start,
            end: c.end,
            certificate_der: BASE64.encode(&c.certificate_der),
        })
        .collect();
    serde_json::to_value(stored).map_err(|e| StoreError::Backend(format!("encoding key credentials: {e}")))
}

/// Parses the stored JSON document of key credentials.
pub(crate) fn key_credentials_from_json(value: serde_json::Value) -> Result<Vec<KeyCredential>, StoreError> {
    let stored: Vec<StoredKeyCredential> =
        serde_json::from_value(value).map_err(|e| corrupt("key_credentials", e))?;
    stored
        .into_iter()
        .map(|c| {
            Ok(KeyCredential {
                key_id: c.key_id,
                display_name: c.display_name,
                custom_key_identifier: BASE64
                    .decode(c.custom_key_identifier.as_bytes())
                    .map_err(|e| corrupt("key_credentials.custom_key_identifier", e))?,
                usage: c.usage,
                key_type: c.key_type,
                start: c.start,
                end: c.end,
                certificate_der: BASE64
                    .decode(c.certificate_der.as_bytes())
                    .map_err(|e| corrupt("key_credentials.certificate_der", e))?,
            })
        })
        .collect()
}

/// Serializes federated identity credentials to their stored JSON document.
pub(crate) fn federated_credentials_to_json(creds: &[FederatedIdentityCredential]) -> StoreResultJson {
    let stored: Vec<StoredFederatedCredential> = creds
        .iter()
        .map(|c| StoredFederatedCredential {
            id: c.id,
            name: c.name.clone(),
            issuer: c.issuer.clone(),
            subject: c.subject.clone(),
            audiences: c.audiences.clone(),
            description: c.description.clone(),
        })
        .collect();
    serde_json::to_value(stored)
        .map_err(|e| StoreError::Backend(format!("encoding federated identity credentials: {e}")))
}

/// Parses the stored JSON document of federated identity credentials.
pub(crate) fn federated_credentials_from_json(
    value: serde_json::Value,
) -> Result<Vec<FederatedIdentityCredential>, StoreError> {
    let stored: Vec<StoredFederatedCredential> =
        serde_json::from_value(value).map_err(|e| corrupt("federated_identity_credentials", e))?;
    Ok(stored
        .into_iter()
        .map(|c| FederatedIdentityCredential {
            id: c.id,
            name: c.name,
            issuer: c.issuer,
            subject: c.subject,
            audiences: c.audiences,
            description: c.description,
        })
        .collect())
}

type StoreResultJson = Result<serde_json::Value, StoreError>;

/// Parses the text form of a service principal type.
pub(crate) fn sp_type_from_str(s: &str) -> Result<ServicePrincipalType, StoreError> {
    match s {
        "Application" => Ok(ServicePrincipalType::Application),
        "ManagedIdentity" => Ok(ServicePrincipalType::ManagedIdentity),
        other => Err(corrupt("service_principal_type", other)),
    }
}

/// Parses the text form of a signing-key state.
pub(crate) fn key_state_from_str(s: &str) -> Result<SigningKeyState, StoreError> {
    match s {
        "next" => Ok(SigningKeyState::Next),
        "current" => Ok(SigningKeyState::Current),
        "retired" => Ok(SigningKeyState::Retired),
        other => Err(corrupt("signing_keys.state", other)),
    }
}

/// Parses a stored `access_token_signing_algorithm`.
pub(crate) fn signing_algorithm_from_str(v: &str) -> StoreResult<AccessTokenSigningAlgorithm> {
    AccessTokenSigningAlgorithm::from_name(v)
        .ok_or_else(|| corrupt("access_token_signing_algorithm", format!("unknown algorithm '{v}'")))
}

/// Parses a stored `requested_access_token_version`.
pub(crate) fn token_version_from_i64(v: Option<i64>) -> Result<Option<u8>, StoreError> {
    v.map(|v| u8::try_from(v).map_err(|e| corrupt("requested_access_token_version", e))).transpose()
}

/// The key a tenant domain is unique and looked up by: lower-cased.
pub(crate) fn domain_key(domain: &str) -> String {
    domain.to_lowercase()
}

/// A stored value that cannot be decoded.
pub(crate) fn corrupt(what: &str, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(format!("corrupt stored value in {what}: {detail}"))
}

/// A uniqueness or reference rule of the schema, as reported to callers in
/// [`StoreError::Conflict`].
struct Rule {
    /// PostgreSQL constraint name.
    constraint: &'static str,
    /// Column list SQLite prints in "UNIQUE constraint failed: ...".
    sqlite_columns: &'static str,
    /// Text given to callers.
    text: &'static str,
}

const RULES: &[Rule] = &[
    Rule { constraint: "tenants_pkey", sqlite_columns: "tenants.id", text: "a tenant with this id exists" },
    Rule {
        constraint: "tenants_domain_key",
        sqlite_columns: "tenants.domain_key",
        text: "a tenant with this domain exists",
    },
    Rule {
        constraint: "applications_pkey",
        sqlite_columns: "applications.id",
        text: "an application with this object id exists",
    },
    Rule {
        constraint: "applications_tenant_id_key",
        sqlite_columns: "applications.tenant_id, applications.id",
        text: "an application with this object id exists",
    },
    Rule {
        constraint: "applications_tenant_app_id_key",
        sqlite_columns: "applications.tenant_id, applications.app_id",
        text: "an application with this appId exists in the tenant",
    },
    Rule {
        constraint: "identifier_uris_tenant_uri_key_unique",
        sqlite_columns: "identifier_uris.tenant_id, identifier_uris.uri_key",
        text: "an identifier URI is already used in the tenant",
    },
    Rule {
        constraint: "service_principals_pkey",
        sqlite_columns: "service_principals.id",
        text: "a service principal with this object id exists",
    },
    Rule {
        constraint: "service_principals_tenant_id_key",
        sqlite_columns: "service_principals.tenant_id, service_principals.id",
        text: "a service principal with this object id exists",
    },
    Rule {
        constraint: "service_principals_tenant_app_id_key",
        sqlite_columns: "service_principals.tenant_id, service_principals.app_id",
        text: "the tenant already has a service principal for this appId",
    },
    Rule {
        constraint: "app_role_assignments_pkey",
        sqlite_columns: "app_role_assignments.id",
        text: "an app role assignment with this id exists",
    },
    Rule {
        constraint: "app_role_assignments_unique_grant",
        sqlite_columns: "app_role_assignments.tenant_id, app_role_assignments.principal_id, app_role_assignments.resource_id, app_role_assignments.app_role_id",
        text: "the app role is already assigned to the principal on the resource",
    },
    Rule { constraint: "users_pkey", sqlite_columns: "users.id", text: "a user with this object id exists" },
    Rule {
        constraint: "users_tenant_id_key",
        sqlite_columns: "users.tenant_id, users.id",
        text: "a user with this object id exists",
    },
    Rule {
        constraint: "users_tenant_upn_key",
        sqlite_columns: "users.tenant_id, users.upn_key",
        text: "Another object with the same value for property userPrincipalName already exists.",
    },
    Rule {
        constraint: "directory_role_assignments_pkey",
        sqlite_columns: "directory_role_assignments.id",
        text: "a directory role assignment with this id exists",
    },
    Rule {
        constraint: "directory_role_assignments_unique",
        sqlite_columns: "directory_role_assignments.tenant_id, directory_role_assignments.role_definition_id, directory_role_assignments.principal_id",
        text: "the user already holds this directory role",
    },
    Rule {
        constraint: "oauth2_permission_grants_pkey",
        sqlite_columns: "oauth2_permission_grants.id",
        text: "a permission grant with this id exists",
    },
    Rule {
        constraint: "oauth2_permission_grants_unique",
        sqlite_columns: "oauth2_permission_grants.tenant_id, oauth2_permission_grants.client_id, oauth2_permission_grants.resource_id, oauth2_permission_grants.principal_key",
        text: "a permission grant for this client, resource and principal exists",
    },
    Rule {
        constraint: "signing_keys_pkey",
        sqlite_columns: "signing_keys.kid",
        text: "a signing key with this kid exists",
    },
];

/// Conflict text for a violated foreign key (both backends report it the same way).
pub(crate) const MISSING_REFERENCE: &str =
    "a referenced tenant, application or service principal does not exist in the tenant";

/// Encodes a document the model already shapes as Graph JSON (redirect URIs, required resource
/// access, permission scopes).
pub(crate) fn to_json(what: &str, value: &impl serde::Serialize) -> StoreResultJson {
    serde_json::to_value(value).map_err(|e| StoreError::Backend(format!("encoding {what}: {e}")))
}

/// Encodes a document straight to its JSON text, without the [`serde_json::Value`] tree of
/// [`to_json`]: for what is written thousands of times a second (sign-in records).
pub(crate) fn to_raw_json(
    what: &str,
    value: &impl serde::Serialize,
) -> StoreResult<Box<serde_json::value::RawValue>> {
    serde_json::value::to_raw_value(value).map_err(|e| StoreError::Backend(format!("encoding {what}: {e}")))
}

/// Decodes a document stored by [`to_json`] or [`to_raw_json`].
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: &str,
    value: serde_json::Value,
) -> StoreResult<T> {
    serde_json::from_value(value).map_err(|e| corrupt(what, e))
}

/// Maps a database error: unique violations become [`StoreError::Conflict`] naming the rule,
/// foreign-key violations [`StoreError::Conflict`] with [`MISSING_REFERENCE`], anything else
/// [`StoreError::Backend`].
pub(crate) fn map_db_error(err: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => {
                let rule = db.constraint().map_or_else(
                    || {
                        let message = db.message();
                        let columns = message.rsplit(": ").next().unwrap_or(message);
                        RULES.iter().find(|r| r.sqlite_columns == columns)
                    },
                    |name| RULES.iter().find(|r| r.constraint == name),
                );
                return StoreError::Conflict(
                    rule.map_or("a uniqueness rule was violated", |r| r.text).to_owned(),
                );
            }
            sqlx::error::ErrorKind::ForeignKeyViolation => {
                return StoreError::Conflict(MISSING_REFERENCE.to_owned());
            }
            _ => {}
        }
    }
    StoreError::Backend(err.to_string())
}

/// Maps a migration failure.
pub(crate) fn map_migrate_error(err: sqlx::migrate::MigrateError) -> StoreError {
    StoreError::Backend(format!("migrating the database: {err}"))
}
