//! Tenant provisioning: a new tenant with the built-in directory API resource (Microsoft Graph's
//! appId, identifier URI, app role ids and delegated scopes, plus `Custos.Admin`), the built-in
//! Office 365 Management APIs resource ([`crate::builtins`]) and a bootstrap admin application
//! holding every directory API role. Used by `custos init` and `POST
//! /admin/v1/tenants`. And its offline repair, [`recover_admin`] (`custos recover-admin`, and
//! `custos init` when `admin.json` is lost): whoever can open the data directory can always
//! mint a new admin secret, whatever was done to the tenant over Graph.
//!
//! Every write carries its directory audit: the caller of `POST /admin/v1/tenants`, or the
//! installation itself for `custos init` and `recover-admin`. The tenant's first record is
//! `Create company`.
//!
//! All-or-nothing as far as the [`Store`] trait allows: when a step fails, the applications
//! created so far are deleted again (which removes their service principals and assignments).
//! The tenant row itself cannot be deleted through the trait; a tenant left without any
//! application is therefore treated as unfinished, and provisioning its domain again completes
//! it instead of failing as a duplicate.

use crate::audit;
use crate::provision_apps::{new_client_secret, service_principal_for};
use custos_core::audit::{Activity, AuditContext, AuditTarget, ModifiedProperty, TargetType};
use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
use custos_core::model::{AppRole, AppRoleAssignment, Application, ServicePrincipal, Tenant};
use custos_core::{AppId, Clock, ObjectId, Secret, TenantId};
use custos_jose::secret::SecretHasher;
use custos_store::{ApplicationChange, Store, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

/// Display name of the built-in directory API application.
pub const DIRECTORY_DISPLAY_NAME: &str = "Microsoft Graph";
/// Display name of the bootstrap admin application.
pub const BOOTSTRAP_ADMIN_DISPLAY_NAME: &str = "custos admin";
/// The id of the `Custos.Admin` app role on the directory API (custos' own; fixed forever).
pub const CUSTOS_ADMIN_ROLE_ID: Uuid = Uuid::from_u128(0x8c1d0e5a_4b7f_4c2e_9a61_2f0c5d3e7b19);
/// Longest tenant domain (a DNS name).
const MAX_DOMAIN_LEN: usize = 253;
/// Longest tenant display name.
const MAX_DISPLAY_NAME: usize = 256;

/// The id of Graph's `Application.ReadWrite.All` app role.
pub const APPLICATION_READ_WRITE_ALL: Uuid = Uuid::from_u128(0x1bfefb4e_e0b5_418b_a88f_73c46d2cc8e9);

/// `(id, value, display name, description)` of every directory API app role. All but
/// `Custos.Admin` carry Microsoft Graph's real role ids, so scripts that hard-code them work
/// unchanged.
const DIRECTORY_ROLES: &[(Uuid, &str, &str, &str)] = &[
    (
        APPLICATION_READ_WRITE_ALL,
        "Application.ReadWrite.All",
        "Read and write all applications",
        "Allows the app to create, read, update and delete applications and service principals without a signed-in user.",
    ),
    (
        Uuid::from_u128(0x9a5d68dd_52b0_4cc2_bd40_abcf44ac3a30),
        "Application.Read.All",
        "Read all applications",
        "Allows the app to read all applications and service principals without a signed-in user.",
    ),
    (
        Uuid::from_u128(0x06b708a9_e830_4db3_a914_8e69da51d44f),
        "AppRoleAssignment.ReadWrite.All",
        "Manage app permission grants and app role assignments",
        "Allows the app to manage app role assignments for any app, without a signed-in user.",
    ),
    (
        Uuid::from_u128(0x7ab1d382_f21e_4acd_a863_ba3e13f7da61),
        "Directory.Read.All",
        "Read directory data",
        "Allows the app to read data in your organization's directory without a signed-in user.",
    ),
    (
        Uuid::from_u128(0xb0afded3_3588_46d8_8b3d_9842eff778da),
        "AuditLog.Read.All",
        "Read all audit log data",
        "Allows the app to read and query your audit log activities, without a signed-in user.",
    ),
    (
        Uuid::from_u128(0xdf021288_bdef_4463_88db_98f22de89214),
        "User.Read.All",
        "Read all users' full profiles",
        "Allows the app to read user profiles without a signed in user.",
    ),
    (
        Uuid::from_u128(0x741f803b_c850_494e_b5df_cde7c675a1ca),
        "User.ReadWrite.All",
        "Read and write all users' full profiles",
        "Allows the app to read and update user profiles without a signed in user.",
    ),
    (
        Uuid::from_u128(0x9e3f62cf_ca93_4989_b6ce_bf83c28f9fe8),
        "RoleManagement.ReadWrite.Directory",
        "Read and write all directory RBAC settings",
        "Allows the app to read and manage the role-based access control (RBAC) settings for your company's directory, without a signed-in user.",
    ),
    (
        Uuid::from_u128(0x8e8e4742_1d95_4f68_9d56_6ee75648c72a),
        "DelegatedPermissionGrant.ReadWrite.All",
        "Manage all delegated permission grants",
        "Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), without a signed-in user.",
    ),
    (
        Uuid::from_u128(0x19dbc75e_c2e2_444c_a770_ec69d8559fc7),
        "Directory.ReadWrite.All",
        "Read and write directory data",
        "Allows the app to read and write data in your organization's directory, such as users, and groups, without a signed-in user.",
    ),
    (
        CUSTOS_ADMIN_ROLE_ID,
        "Custos.Admin",
        "Administer custos",
        "Allows the app to manage tenants, signing keys, managed identities and settings of this custos installation.",
    ),
];

/// The app roles of the built-in directory API, application members only.
pub fn directory_app_roles() -> Vec<AppRole> {
    DIRECTORY_ROLES
        .iter()
        .map(|(id, value, name, description)| AppRole {
            id: *id,
            allowed_member_types: vec!["Application".to_owned()],
            description: Some((*description).to_owned()),
            display_name: Some((*name).to_owned()),
            is_enabled: true,
            value: Some((*value).to_owned()),
        })
        .collect()
}

/// Why a tenant could not be provisioned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProvisionError {
    /// The domain is not a DNS name of at least two labels (≤ 253 characters).
    #[error(
        "'{0}' is not a valid tenant domain: use a DNS name such as contoso.example (letters, digits and hyphens, at least two labels, at most 253 characters)"
    )]
    InvalidDomain(String),
    /// The display name is empty or longer than 256 characters.
    #[error("the tenant display name must be 1 to 256 characters")]
    InvalidDisplayName,
    /// A tenant with this domain exists.
    #[error("a tenant with the domain '{0}' already exists")]
    DomainTaken(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What provisioning created. The admin secret is shown once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct ProvisionedTenant {
    /// The new tenant.
    pub tenant: Tenant,
    /// The bootstrap admin's client id.
    pub admin_app_id: AppId,
    /// The bootstrap admin application's object id.
    pub admin_object_id: ObjectId,
    /// The bootstrap admin's service principal.
    pub admin_service_principal_id: ObjectId,
    /// The directory API's service principal in the tenant.
    pub directory_service_principal_id: ObjectId,
    /// The bootstrap admin's client secret, in plain text.
    pub admin_secret: Secret<String>,
}

/// Lower-cases and checks a tenant domain.
pub fn normalize_domain(domain: &str) -> Result<String, ProvisionError> {
    let domain = domain.trim().to_ascii_lowercase();
    let labels_ok = domain.split('.').all(|label| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    });
    // An all-numeric last label is no host name (RFC 3696 §2): it keeps `127.0.0.1` and `v1.0`
    // (the Graph path prefix) out of tenant URLs.
    let numeric_tld = domain.rsplit('.').next().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    if domain.len() > MAX_DOMAIN_LEN || !domain.contains('.') || !labels_ok || numeric_tld {
        return Err(ProvisionError::InvalidDomain(domain));
    }
    Ok(domain)
}

/// The tenant to fill: a new one, or an unfinished one (no applications) with this domain.
async fn claim_tenant(
    store: &dyn Store,
    context: &AuditContext,
    domain: &str,
    display_name: &str,
    now: OffsetDateTime,
) -> Result<Tenant, ProvisionError> {
    if let Some(existing) = store.tenant_by_domain(domain).await? {
        let empty = store.applications(existing.id).await?.is_empty()
            && store.service_principals(existing.id).await?.is_empty();
        return if empty { Ok(existing) } else { Err(ProvisionError::DomainTaken(domain.to_owned())) };
    }
    let tenant = Tenant {
        id: TenantId::new_random(),
        domain: domain.to_owned(),
        display_name: display_name.to_owned(),
        created: now,
    };
    let target = AuditTarget::new(TargetType::Directory, tenant.id, Some(&tenant.display_name)).with([
        ModifiedProperty::attribute("DisplayName", None, Some(serde_json::json!(tenant.display_name))),
        ModifiedProperty::attribute("VerifiedDomains", None, Some(serde_json::json!(tenant.domain))),
    ]);
    match store.create_tenant(&tenant, &[context.record(tenant.id, Activity::CreateCompany, target)]).await {
        Ok(()) => Ok(tenant),
        Err(StoreError::Conflict(_)) => Err(ProvisionError::DomainTaken(domain.to_owned())),
        Err(e) => Err(e.into()),
    }
}

/// Whose administrator a provisioned tenant's bootstrap admin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminScope {
    /// The first tenant of an installation: its admin also holds `Custos.Admin` and so manages
    /// the installation (tenants, signing keys).
    Installation,
    /// Any further tenant: its admin holds the Graph roles of that tenant only.
    Tenant,
}

/// Creates a tenant, its directory API resource and its bootstrap admin (see the module docs),
/// each write recorded as `context`'s.
pub async fn provision_tenant(
    store: &dyn Store,
    context: &AuditContext,
    hasher: &SecretHasher,
    clock: &dyn Clock,
    domain: &str,
    display_name: &str,
    scope: AdminScope,
) -> Result<ProvisionedTenant, ProvisionError> {
    let domain = normalize_domain(domain)?;
    let display_name = display_name.trim();
    if display_name.is_empty() || display_name.chars().count() > MAX_DISPLAY_NAME {
        return Err(ProvisionError::InvalidDisplayName);
    }
    let now = clock.now();
    let tenant = claim_tenant(store, context, &domain, display_name, now).await?;

    let mut directory = Application::new(tenant.id, GRAPH_APP_ID, DIRECTORY_DISPLAY_NAME.to_owned(), now);
    directory.identifier_uris = vec![GRAPH_IDENTIFIER_URI.to_owned()];
    // Only the home tenant's directory API defines Custos.Admin, so no other tenant's admin can
    // grant it to itself.
    directory.app_roles = directory_app_roles()
        .into_iter()
        .filter(|role| role.id != CUSTOS_ADMIN_ROLE_ID || scope == AdminScope::Installation)
        .collect();
    directory.sign_in_audience = "AzureADMultipleOrgs".to_owned();
    directory.oauth2_permission_scopes = crate::builtins::directory_permission_scopes();
    let resources: Vec<(Application, ServicePrincipal)> = crate::builtins::built_in_resources(tenant.id, now)
        .into_iter()
        .map(|app| {
            let sp = service_principal_for(&app, now);
            (app, sp)
        })
        .collect();

    let (secret, credential) = new_client_secret(hasher, "bootstrap", now);
    let mut admin = bootstrap_admin_application(tenant.id, now);
    admin.password_credentials = vec![credential];

    let directory_sp = service_principal_for(&directory, now);
    let admin_sp = service_principal_for(&admin, now);
    let mut created: Vec<ObjectId> = Vec::new();
    let result = async {
        add_application(store, context, &directory, Some(&directory_sp)).await?;
        created.push(directory.id);
        add_application(store, context, &admin, Some(&admin_sp)).await?;
        created.push(admin.id);
        for role in &directory.app_roles {
            add_assignment(
                store,
                context,
                &assignment(&admin_sp, &directory_sp, role.id, now),
                &admin_sp,
                &directory_sp,
            )
            .await?;
        }
        for (app, sp) in &resources {
            add_application(store, context, app, Some(sp)).await?;
            created.push(app.id);
        }
        Ok::<(), StoreError>(())
    }
    .await;

    if let Err(err) = result {
        for id in created.iter().rev() {
            let record = context.record(
                tenant.id,
                Activity::DeleteApplication,
                AuditTarget::new(TargetType::Application, id, None),
            );
            if let Err(cleanup) = store.delete_application(tenant.id, *id, &[record]).await {
                tracing::error!(tenant = %tenant.id, error = %cleanup, "cannot undo a failed tenant provisioning");
            }
        }
        return Err(err.into());
    }
    tracing::info!(tenant = %tenant.id, domain = %tenant.domain, "tenant provisioned");
    Ok(ProvisionedTenant {
        tenant,
        admin_app_id: admin.app_id,
        admin_object_id: admin.id,
        admin_service_principal_id: admin_sp.id,
        directory_service_principal_id: directory_sp.id,
        admin_secret: Secret::new(secret),
    })
}

/// Creates `app` and, when given, its service principal, each with its record.
async fn add_application(
    store: &dyn Store,
    context: &AuditContext,
    app: &Application,
    sp: Option<&ServicePrincipal>,
) -> Result<(), StoreError> {
    let record = context.record(app.tenant_id, Activity::AddApplication, audit::application_added(app));
    store.create_application(app, &[record]).await?;
    if let Some(sp) = sp {
        add_service_principal(store, context, sp).await?;
    }
    Ok(())
}

/// Creates `sp` with its record.
async fn add_service_principal(
    store: &dyn Store,
    context: &AuditContext,
    sp: &ServicePrincipal,
) -> Result<(), StoreError> {
    let record =
        context.record(sp.tenant_id, Activity::AddServicePrincipal, audit::service_principal_added(sp));
    store.create_service_principal(sp, &[record]).await
}

/// Creates `assignment` (of a role of `resource` to `principal`) with its record.
pub(crate) async fn add_assignment(
    store: &dyn Store,
    context: &AuditContext,
    assignment: &AppRoleAssignment,
    principal: &ServicePrincipal,
    resource: &ServicePrincipal,
) -> Result<(), StoreError> {
    let target = audit::assignment(store, assignment, principal, resource, false).await;
    store
        .create_assignment(
            assignment,
            &[context.record(assignment.tenant_id, Activity::AddAppRoleAssignment, target)],
        )
        .await
}

/// A tenant's bootstrap admin application, without credentials.
fn bootstrap_admin_application(tenant: TenantId, now: OffsetDateTime) -> Application {
    let mut admin =
        Application::new(tenant, AppId::new_random(), BOOTSTRAP_ADMIN_DISPLAY_NAME.to_owned(), now);
    admin.description = Some("Bootstrap administrator created when the tenant was provisioned.".to_owned());
    admin
}

/// The assignment of the directory API's `role` to `principal`.
fn assignment(
    principal: &ServicePrincipal,
    directory: &ServicePrincipal,
    role: Uuid,
    now: OffsetDateTime,
) -> AppRoleAssignment {
    AppRoleAssignment {
        id: crate::new_assignment_id(),
        tenant_id: principal.tenant_id,
        principal_id: principal.id,
        resource_id: directory.id,
        app_role_id: role,
        created: now,
    }
}

/// The bootstrap admin of a tenant, as found again after provisioning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootstrapAdmin {
    /// Client id.
    pub app_id: AppId,
    /// Application object id.
    pub object_id: ObjectId,
    /// Service principal object id.
    pub service_principal_id: ObjectId,
}

/// Finds the tenant's bootstrap admin: the oldest application named
/// [`BOOTSTRAP_ADMIN_DISPLAY_NAME`] whose principal holds `Application.ReadWrite.All` on the
/// directory API.
/// `None` when the tenant has none (any more).
pub async fn find_bootstrap_admin(
    store: &dyn Store,
    tenant: TenantId,
) -> Result<Option<BootstrapAdmin>, StoreError> {
    let Some(directory_sp) = store.service_principal_by_app_id(tenant, GRAPH_APP_ID).await? else {
        return Ok(None);
    };
    let admins: Vec<ObjectId> = store
        .assignments(tenant)
        .await?
        .into_iter()
        .filter(|a| a.resource_id == directory_sp.id && a.app_role_id == APPLICATION_READ_WRITE_ALL)
        .map(|a| a.principal_id)
        .collect();
    let principals = store.service_principals(tenant).await?;
    for app in store.applications(tenant).await? {
        if app.display_name != BOOTSTRAP_ADMIN_DISPLAY_NAME {
            continue;
        }
        if let Some(sp) = principals.iter().find(|sp| sp.app_id == app.app_id && admins.contains(&sp.id)) {
            return Ok(Some(BootstrapAdmin {
                app_id: app.app_id,
                object_id: app.id,
                service_principal_id: sp.id,
            }));
        }
    }
    Ok(None)
}

/// Why [`recover_admin`] could not mint an admin secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecoverError {
    /// The installation has no tenant: nothing to recover.
    #[error("the installation has no tenant yet: run `custos init` first")]
    NotInitialized,
    /// No tenant has this id or domain.
    #[error("there is no tenant '{0}'")]
    NoSuchTenant(String),
    /// The tenant has no directory API application: it was never fully provisioned.
    #[error("tenant {0} has no directory API application (was its provisioning interrupted?)")]
    NoDirectory(TenantId),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What [`recover_admin`] restored. The secret is shown once and stored only as a hash.
#[derive(Debug, Clone)]
pub struct RecoveredAdmin {
    /// The tenant.
    pub tenant: Tenant,
    /// Its bootstrap admin (found, or created again).
    pub admin: BootstrapAdmin,
    /// The admin's new client secret, in plain text.
    pub secret: Secret<String>,
}

/// Gives a tenant (`None`: the home tenant, the installation's first) a working administrator
/// again and mints a new client secret for it, working on the store directly (the data
/// directory is the root of trust): the directory API's service principal is created or
/// re-enabled; the bootstrap admin application is found (or created again), its service
/// principal enabled, and every directory API app role of the tenant (in the home tenant
/// including `Custos.Admin`) assigned to it; then the secret is added. Earlier secrets stay.
pub async fn recover_admin(
    store: &dyn Store,
    hasher: &SecretHasher,
    clock: &dyn Clock,
    tenant: Option<&str>,
) -> Result<RecoveredAdmin, RecoverError> {
    let tenant = match tenant {
        None => store.tenants().await?.into_iter().next().ok_or(RecoverError::NotInitialized)?,
        Some(key) => match key.parse::<TenantId>() {
            Ok(id) => store.tenant(id).await?,
            Err(_) => store.tenant_by_domain(&key.trim().to_ascii_lowercase()).await?,
        }
        .ok_or_else(|| RecoverError::NoSuchTenant(key.to_owned()))?,
    };
    let now = clock.now();
    let context = &AuditContext::installation(now);
    let directory = store
        .application_by_app_id(tenant.id, GRAPH_APP_ID)
        .await?
        .ok_or(RecoverError::NoDirectory(tenant.id))?;
    let directory_sp = enabled_principal(store, context, &directory, now).await?;
    let (app, admin_sp) = match find_bootstrap_admin(store, tenant.id).await? {
        Some(found) => match store.application(tenant.id, found.object_id).await? {
            Some(app) => {
                let sp = enabled_principal(store, context, &app, now).await?;
                (app, sp)
            }
            None => return Err(StoreError::NotFound.into()),
        },
        None => {
            let app = bootstrap_admin_application(tenant.id, now);
            let sp = service_principal_for(&app, now);
            add_application(store, context, &app, Some(&sp)).await?;
            (app, sp)
        }
    };
    let held: Vec<Uuid> = store
        .assignments(tenant.id)
        .await?
        .into_iter()
        .filter(|a| a.principal_id == admin_sp.id && a.resource_id == directory_sp.id)
        .map(|a| a.app_role_id)
        .collect();
    for role in directory.app_roles.iter().filter(|r| !held.contains(&r.id)) {
        match add_assignment(
            store,
            context,
            &assignment(&admin_sp, &directory_sp, role.id, now),
            &admin_sp,
            &directory_sp,
        )
        .await
        {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (secret, credential) = new_client_secret(hasher, "recovered offline", now);
    let record = context.record(tenant.id, Activity::UpdateApplicationCredentials, audit::application(&app));
    store
        .modify_application(tenant.id, app.id, ApplicationChange::AddPassword(credential), &[record])
        .await?;
    tracing::warn!(tenant = %tenant.id, app_id = %app.app_id, "admin secret recovered offline");
    let admin = BootstrapAdmin { app_id: app.app_id, object_id: app.id, service_principal_id: admin_sp.id };
    Ok(RecoveredAdmin { tenant, admin, secret: Secret::new(secret) })
}

/// The service principal of `app`, created or re-enabled as needed.
async fn enabled_principal(
    store: &dyn Store,
    context: &AuditContext,
    app: &Application,
    now: OffsetDateTime,
) -> Result<ServicePrincipal, StoreError> {
    match store.service_principal_by_app_id(app.tenant_id, app.app_id).await? {
        Some(sp) if sp.account_enabled => Ok(sp),
        Some(disabled) => {
            let sp = ServicePrincipal { account_enabled: true, ..disabled.clone() };
            let target = audit::service_principal_updated(&disabled, &sp);
            store
                .update_service_principal(
                    &sp,
                    &[context.record(sp.tenant_id, Activity::UpdateServicePrincipal, target)],
                )
                .await?;
            Ok(sp)
        }
        None => {
            let sp = service_principal_for(app, now);
            add_service_principal(store, context, &sp).await?;
            Ok(sp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_lower_cased_dns_names() {
        assert_eq!(normalize_domain("Contoso.Example").unwrap(), "contoso.example");
        for bad in ["common", "a..b", "-a.b", "a-.b", "a_b.c", "", &format!("{}.b", "a".repeat(64))] {
            assert!(matches!(normalize_domain(bad), Err(ProvisionError::InvalidDomain(_))), "{bad}");
        }
        assert!(normalize_domain(&format!("{}.example", "a".repeat(60))).is_ok());
    }

    #[test]
    fn directory_roles_are_graphs_plus_custos_admin() {
        let roles = directory_app_roles();
        assert_eq!(roles.len(), 11);
        let admin = roles.iter().find(|r| r.value.as_deref() == Some("Custos.Admin")).unwrap();
        assert_eq!(admin.id, CUSTOS_ADMIN_ROLE_ID);
        assert!(roles.iter().all(|r| r.is_enabled && r.allowed_member_types == ["Application"]));
    }
}
