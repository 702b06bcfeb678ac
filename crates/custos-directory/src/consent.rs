//! Consent: what accepting an application's permissions writes in the consenting tenant
//! (`entra-user-flows.md` §2.3). Called by the sign-in pages (user and admin consent), the admin
//! API (`custos consent grant`) and nobody else; who may consent is the caller's check.
//!
//! Consent for a client in a tenant
//! 1. creates the client's service principal there when it has none: for an application of
//!    another tenant only when it is multi-tenant (`AzureADMultipleOrgs`);
//! 2. makes the delegated grant of each resource (one per client, resource and grantee) the union
//!    of what it held and what was accepted, so that consenting again is idempotent;
//! 3. for an admin, assigns each requested application permission (app role) not yet held.
//!
//! A resource must have a service principal in the consenting tenant (the built-in APIs have
//! one in every tenant). `Custos.Admin` is never granted by consent.

use crate::provision::CUSTOS_ADMIN_ROLE_ID;
use crate::provision_apps::service_principal_for;
use custos_core::consent::{AccessType, ConsentType, OAuth2PermissionGrant};
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal};
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::{Store, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

/// Who the delegated part of a consent is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grantee {
    /// Every user of the tenant (admin consent, `AllPrincipals`); also grants app roles.
    Tenant,
    /// One user, for themself (`Principal`); app roles cannot be granted this way.
    User(ObjectId),
}

/// The permissions asked of one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePermissions {
    /// The resource application's client id.
    pub resource_app_id: AppId,
    /// Delegated permission values (`scp`), e.g. `User.Read`.
    pub scopes: Vec<String>,
    /// Application permissions (app role ids); only an admin consent grants them.
    pub roles: Vec<Uuid>,
}

/// Why consent could not be written. Nothing is written when a check fails; a storage failure
/// may leave part of a consent in place (each step is idempotent, so a retry completes it).
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// The client is registered in another tenant and is not multi-tenant.
    #[error("the application '{0}' is not configured as a multi-tenant application")]
    NotMultiTenant(AppId),
    /// A requested resource has no service principal (or registration) in the tenant.
    #[error("the resource '{0}' does not exist in the tenant")]
    UnknownResource(AppId),
    /// A requested permission is not defined (or not enabled) on its resource.
    #[error("the resource '{resource}' has no permission '{permission}'")]
    UnknownPermission {
        /// The resource application.
        resource: AppId,
        /// The scope value or role id.
        permission: String,
    },
    /// App roles asked in a user's own consent, or `Custos.Admin` asked at all.
    #[error("this permission requires an administrator's consent: {0}")]
    AdminOnly(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a consent wrote or found in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentOutcome {
    /// The client's service principal in the tenant.
    pub client: ServicePrincipal,
    /// Whether that service principal was created by this consent.
    pub created_service_principal: bool,
    /// The delegated grants after the consent, one per resource that had scopes.
    pub grants: Vec<OAuth2PermissionGrant>,
    /// App role assignments created by this consent.
    pub assignments: Vec<AppRoleAssignment>,
}

/// The registration of `app_id` that governs it in `tenant`: its registration in the tenant, or
/// else its home registration (the oldest) when that one is multi-tenant.
pub async fn registration_for(
    store: &dyn Store,
    tenant: TenantId,
    app_id: AppId,
) -> Result<Option<Application>, StoreError> {
    if let Some(local) = store.application_by_app_id(tenant, app_id).await? {
        return Ok(Some(local));
    }
    let home = store.applications_by_app_id(app_id).await?.into_iter().next();
    Ok(home.filter(Application::is_multi_tenant))
}

/// Every permission `client` declares in `requiredResourceAccess`, by resource, resolved
/// against the resources' definitions as `tenant` sees them. Entries naming a resource or
/// permission that does not exist are errors: consent never half-grants silently.
pub async fn required_permissions(
    store: &dyn Store,
    tenant: TenantId,
    client: &Application,
) -> Result<Vec<ResourcePermissions>, ConsentError> {
    let mut asked = Vec::with_capacity(client.required_resource_access.len());
    for required in &client.required_resource_access {
        let resource = registration_for(store, tenant, required.resource_app_id)
            .await?
            .ok_or(ConsentError::UnknownResource(required.resource_app_id))?;
        let mut permissions =
            ResourcePermissions { resource_app_id: resource.app_id, scopes: Vec::new(), roles: Vec::new() };
        for access in &required.resource_access {
            let unknown = || ConsentError::UnknownPermission {
                resource: resource.app_id,
                permission: access.id.to_string(),
            };
            match access.kind {
                AccessType::Scope => {
                    let scope = resource
                        .oauth2_permission_scopes
                        .iter()
                        .find(|s| s.id == access.id && s.is_enabled)
                        .ok_or_else(unknown)?;
                    permissions.scopes.push(scope.value.clone());
                }
                AccessType::Role => {
                    resource.role_by_id(access.id).filter(|r| r.is_enabled).ok_or_else(unknown)?;
                    permissions.roles.push(access.id);
                }
            }
        }
        asked.push(permissions);
    }
    Ok(asked)
}

/// Writes `grantee`'s consent to `asked` for `client` in `tenant` (see the module doc).
pub async fn grant(
    store: &dyn Store,
    tenant: TenantId,
    client: &Application,
    grantee: Grantee,
    asked: &[ResourcePermissions],
    now: OffsetDateTime,
) -> Result<ConsentOutcome, ConsentError> {
    if client.tenant_id != tenant && !client.is_multi_tenant() {
        return Err(ConsentError::NotMultiTenant(client.app_id));
    }
    // Check everything before writing anything.
    let mut resources = Vec::with_capacity(asked.len());
    for permissions in asked {
        let resource_sp = store
            .service_principal_by_app_id(tenant, permissions.resource_app_id)
            .await?
            .ok_or(ConsentError::UnknownResource(permissions.resource_app_id))?;
        if let (Some(role), Grantee::User(_)) = (permissions.roles.first(), grantee) {
            return Err(ConsentError::AdminOnly(role.to_string()));
        }
        if permissions.roles.contains(&CUSTOS_ADMIN_ROLE_ID) {
            return Err(ConsentError::AdminOnly("Custos.Admin".to_owned()));
        }
        resources.push((resource_sp, permissions));
    }

    let (client_sp, created_service_principal) = client_service_principal(store, tenant, client, now).await?;
    let existing_grants = store.permission_grants(tenant).await?;
    let existing_assignments = store.assignments(tenant).await?;
    let mut outcome = ConsentOutcome {
        client: client_sp,
        created_service_principal,
        grants: Vec::new(),
        assignments: Vec::new(),
    };
    for (resource_sp, permissions) in resources {
        if !permissions.scopes.is_empty() {
            let grant = merge_grant(
                store,
                &existing_grants,
                &outcome.client,
                &resource_sp,
                grantee,
                &permissions.scopes,
                now,
            )
            .await?;
            outcome.grants.push(grant);
        }
        for role in &permissions.roles {
            let held = existing_assignments.iter().any(|a| {
                a.principal_id == outcome.client.id
                    && a.resource_id == resource_sp.id
                    && a.app_role_id == *role
            });
            if held {
                continue;
            }
            let assignment = AppRoleAssignment {
                id: crate::new_assignment_id(),
                tenant_id: tenant,
                principal_id: outcome.client.id,
                resource_id: resource_sp.id,
                app_role_id: *role,
                created: now,
            };
            store.create_assignment(&assignment).await?;
            outcome.assignments.push(assignment);
        }
    }
    Ok(outcome)
}

/// The client's service principal in `tenant`, created when missing.
async fn client_service_principal(
    store: &dyn Store,
    tenant: TenantId,
    client: &Application,
    now: OffsetDateTime,
) -> Result<(ServicePrincipal, bool), StoreError> {
    if let Some(existing) = store.service_principal_by_app_id(tenant, client.app_id).await? {
        return Ok((existing, false));
    }
    let mut sp = service_principal_for(client, now);
    sp.tenant_id = tenant;
    match store.create_service_principal(&sp).await {
        Ok(()) => Ok((sp, true)),
        // A concurrent consent created it first.
        Err(StoreError::Conflict(_)) => store
            .service_principal_by_app_id(tenant, client.app_id)
            .await?
            .map(|sp| (sp, false))
            .ok_or(StoreError::NotFound),
        Err(e) => Err(e),
    }
}

/// Creates the grant of (client, resource, grantee), or widens the existing one to include
/// `scopes`; returns it as stored.
async fn merge_grant(
    store: &dyn Store,
    existing: &[OAuth2PermissionGrant],
    client: &ServicePrincipal,
    resource: &ServicePrincipal,
    grantee: Grantee,
    scopes: &[String],
    now: OffsetDateTime,
) -> Result<OAuth2PermissionGrant, StoreError> {
    let principal = match grantee {
        Grantee::Tenant => None,
        Grantee::User(user) => Some(user),
    };
    let current = existing
        .iter()
        .find(|g| g.client_id == client.id && g.resource_id == resource.id && g.principal_id == principal);
    if let Some(current) = current {
        let scope = union(current.scopes(), scopes);
        if scope != current.scope {
            store.update_permission_grant(client.tenant_id, &current.id, &scope).await?;
        }
        return Ok(OAuth2PermissionGrant { scope, ..current.clone() });
    }
    let grant = OAuth2PermissionGrant {
        id: crate::new_assignment_id(),
        tenant_id: client.tenant_id,
        client_id: client.id,
        consent_type: if principal.is_some() { ConsentType::Principal } else { ConsentType::AllPrincipals },
        principal_id: principal,
        resource_id: resource.id,
        scope: union([], scopes),
        created: now,
    };
    store.create_permission_grant(&grant).await?;
    Ok(grant)
}

/// The space-separated union of `held` and `asked`, in that order, without duplicates.
fn union<'a>(held: impl IntoIterator<Item = &'a str>, asked: &'a [String]) -> String {
    let mut all: Vec<&str> = Vec::new();
    for scope in held.into_iter().chain(asked.iter().map(String::as_str)) {
        if !scope.is_empty() && !all.contains(&scope) {
            all.push(scope);
        }
    }
    all.join(" ")
}
