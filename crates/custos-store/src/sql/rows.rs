//! The columns selected for each object and their mapping to the domain model, written once
//! against [`Columns`].

use super::{Columns, Dialect};
use crate::StoreResult;
use crate::codec;
use custos_core::consent::{ConsentType, OAuth2PermissionGrant};
use custos_core::model::{
    AppRoleAssignment, Application, Es256KeyRecord, ServicePrincipal, SigningKeyRecord, Tenant,
};
use custos_core::users::{DirectoryRoleAssignment, User};
use custos_core::{AppId, ObjectId, TenantId};

/// Columns selected for a tenant.
pub(super) const TENANT_COLUMNS: &str = "id, domain, display_name, created";

pub(super) fn tenant(row: &impl Columns) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: TenantId(row.uuid("id")?),
        domain: row.text("domain")?,
        display_name: row.text("display_name")?,
        created: row.time("created")?,
    })
}

/// Columns selected for an application (`a`), its identifier URIs aggregated in order.
pub(super) fn application_columns<D: Dialect>() -> String {
    format!(
        "a.id, a.tenant_id, a.app_id, a.display_name, a.description, \
         a.requested_access_token_version, a.sign_in_audience, a.app_roles, a.password_credentials, \
         a.key_credentials, a.federated_identity_credentials, a.redirect_uris, \
         a.required_resource_access, a.oauth2_permission_scopes, a.properties, \
         a.access_token_signing_algorithm, a.created, \
         {} AS identifier_uris",
        D::IDENTIFIER_URIS
    )
}

pub(super) fn application(row: &impl Columns) -> StoreResult<Application> {
    Ok(Application {
        id: ObjectId(row.uuid("id")?),
        tenant_id: TenantId(row.uuid("tenant_id")?),
        app_id: AppId(row.uuid("app_id")?),
        display_name: row.text("display_name")?,
        description: row.opt_text("description")?,
        identifier_uris: row.text_list("identifier_uris")?,
        app_roles: codec::app_roles_from_json(row.json("app_roles")?)?,
        requested_access_token_version: codec::token_version_from_i64(
            row.opt_small_int("requested_access_token_version")?,
        )?,
        sign_in_audience: row.text("sign_in_audience")?,
        password_credentials: codec::credentials_from_json(row.json("password_credentials")?)?,
        key_credentials: codec::key_credentials_from_json(row.json("key_credentials")?)?,
        federated_identity_credentials: codec::federated_credentials_from_json(
            row.json("federated_identity_credentials")?,
        )?,
        oauth2_permission_scopes: codec::from_json(
            "oauth2_permission_scopes",
            row.json("oauth2_permission_scopes")?,
        )?,
        required_resource_access: codec::from_json(
            "required_resource_access",
            row.json("required_resource_access")?,
        )?,
        redirect_uris: codec::from_json("redirect_uris", row.json("redirect_uris")?)?,
        properties: codec::from_json("properties", row.json("properties")?)?,
        access_token_signing_algorithm: codec::signing_algorithm_from_str(
            &row.text("access_token_signing_algorithm")?,
        )?,
        created: row.time("created")?,
    })
}

/// Columns selected for a service principal.
pub(super) const SERVICE_PRINCIPAL_COLUMNS: &str = "id, tenant_id, app_id, display_name, \
    account_enabled, app_role_assignment_required, service_principal_type, properties, created";

pub(super) fn service_principal(row: &impl Columns) -> StoreResult<ServicePrincipal> {
    Ok(ServicePrincipal {
        id: ObjectId(row.uuid("id")?),
        tenant_id: TenantId(row.uuid("tenant_id")?),
        app_id: AppId(row.uuid("app_id")?),
        display_name: row.text("display_name")?,
        account_enabled: row.boolean("account_enabled")?,
        app_role_assignment_required: row.boolean("app_role_assignment_required")?,
        service_principal_type: codec::sp_type_from_str(&row.text("service_principal_type")?)?,
        properties: codec::from_json("properties", row.json("properties")?)?,
        created: row.time("created")?,
    })
}

/// Columns selected for an app role assignment.
pub(super) const ASSIGNMENT_COLUMNS: &str = "id, tenant_id, principal_id, resource_id, app_role_id, created";

pub(super) fn assignment(row: &impl Columns) -> StoreResult<AppRoleAssignment> {
    Ok(AppRoleAssignment {
        id: row.text("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        principal_id: ObjectId(row.uuid("principal_id")?),
        resource_id: ObjectId(row.uuid("resource_id")?),
        app_role_id: row.uuid("app_role_id")?,
        created: row.time("created")?,
    })
}

/// Columns selected for a signing key.
pub(super) const SIGNING_KEY_COLUMNS: &str = "kid, state, created, activates, retires, sealed_private_key, \
    certificate_der, es256_kid, es256_sealed_private_key, es256_certificate_der";

pub(super) fn signing_key(row: &impl Columns) -> StoreResult<SigningKeyRecord> {
    Ok(SigningKeyRecord {
        kid: row.text("kid")?,
        state: codec::key_state_from_str(&row.text("state")?)?,
        created: row.time("created")?,
        activates: row.time("activates")?,
        retires: row.opt_time("retires")?,
        sealed_private_key: row.bytes("sealed_private_key")?,
        certificate_der: row.bytes("certificate_der")?,
        es256: match row.opt_text("es256_kid")? {
            Some(kid) => Some(Es256KeyRecord {
                kid,
                sealed_private_key: row.bytes("es256_sealed_private_key")?,
                certificate_der: row.bytes("es256_certificate_der")?,
            }),
            None => None,
        },
    })
}

/// Columns selected for a user (never the password hash).
pub(super) const USER_COLUMNS: &str = "id, tenant_id, user_principal_name, display_name, given_name, surname, \
    mail_nickname, mail, account_enabled, tokens_valid_from, created";

pub(super) fn user(row: &impl Columns) -> StoreResult<User> {
    Ok(User {
        id: ObjectId(row.uuid("id")?),
        tenant_id: TenantId(row.uuid("tenant_id")?),
        user_principal_name: row.text("user_principal_name")?,
        display_name: row.text("display_name")?,
        given_name: row.opt_text("given_name")?,
        surname: row.opt_text("surname")?,
        mail_nickname: row.text("mail_nickname")?,
        mail: row.opt_text("mail")?,
        account_enabled: row.boolean("account_enabled")?,
        tokens_valid_from: row.time("tokens_valid_from")?,
        created: row.time("created")?,
    })
}

/// Columns selected for a directory role assignment.
pub(super) const DIRECTORY_ROLE_COLUMNS: &str = "id, tenant_id, role_definition_id, principal_id, created";

pub(super) fn directory_role(row: &impl Columns) -> StoreResult<DirectoryRoleAssignment> {
    Ok(DirectoryRoleAssignment {
        id: row.text("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        role_definition_id: row.uuid("role_definition_id")?,
        principal_id: ObjectId(row.uuid("principal_id")?),
        created: row.time("created")?,
    })
}

/// Columns selected for a delegated permission grant.
pub(super) const GRANT_COLUMNS: &str =
    "id, tenant_id, client_id, consent_type, principal_id, resource_id, scope, created";

pub(super) fn permission_grant(row: &impl Columns) -> StoreResult<OAuth2PermissionGrant> {
    let consent_type = match row.text("consent_type")?.as_str() {
        "AllPrincipals" => ConsentType::AllPrincipals,
        "Principal" => ConsentType::Principal,
        other => return Err(crate::codec::corrupt("oauth2_permission_grants.consent_type", other)),
    };
    Ok(OAuth2PermissionGrant {
        id: row.text("id")?,
        tenant_id: TenantId(row.uuid("tenant_id")?),
        client_id: ObjectId(row.uuid("client_id")?),
        consent_type,
        principal_id: row.opt_uuid("principal_id")?.map(ObjectId),
        resource_id: ObjectId(row.uuid("resource_id")?),
        scope: row.text("scope")?,
        created: row.time("created")?,
    })
}
