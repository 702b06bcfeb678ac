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
//!
//! Every write carries its directory audit, and the first also Entra's `Consent to
//! application` record (on the client's service principal, with `ConsentContext.*` and
//! `ConsentAction.Permissions`); the records of one consent share its correlation id. The writes
//! are separate transactions (the [`Store`] has no multi-object write): a crash between them
//! leaves part of the consent with its records, and consenting again completes it.

use crate::audit;
use crate::provision::CUSTOS_ADMIN_ROLE_ID;
use crate::provision_apps::service_principal_for;
use custos_core::audit::{Activity, AuditContext, AuditTarget, DirectoryAudit, ModifiedProperty};
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

/// How often a consent is planned again when a concurrent consent created the client's service
/// principal between the read and the write.
const MAX_CONSENT_ATTEMPTS: usize = 2;

/// Writes `grantee`'s consent to `asked` for `client` in `tenant` (see the module doc), each
/// write recorded as `context`'s; the first write also carries the `Consent to application`
/// record, so a consent that changes nothing records nothing.
pub async fn grant(
    store: &dyn Store,
    tenant: TenantId,
    client: &Application,
    grantee: Grantee,
    asked: &[ResourcePermissions],
    context: &AuditContext,
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
    let mut attempt = 0;
    loop {
        attempt += 1;
        let plan = plan(store, tenant, client, grantee, &resources, context.now).await?;
        match apply(store, &plan, grantee, context).await {
            Err(StoreError::Conflict(_))
                if plan.created_service_principal && attempt < MAX_CONSENT_ATTEMPTS => {}
            Err(e) => return Err(e.into()),
            Ok(()) => {
                return Ok(ConsentOutcome {
                    client: plan.client,
                    created_service_principal: plan.created_service_principal,
                    grants: plan.grants.into_iter().map(|(grant, _)| grant).collect(),
                    assignments: plan.assignments,
                });
            }
        }
    }
}

/// What a consent will write.
struct Plan {
    client: ServicePrincipal,
    created_service_principal: bool,
    /// Each resource's grant as it will be, with its scope before (`None`: a new grant; equal
    /// to the grant's: unchanged).
    grants: Vec<(OAuth2PermissionGrant, Option<String>)>,
    /// The assignments to create, with their resources.
    assignments: Vec<AppRoleAssignment>,
    resources: Vec<ServicePrincipal>,
}

async fn plan(
    store: &dyn Store,
    tenant: TenantId,
    client: &Application,
    grantee: Grantee,
    resources: &[(ServicePrincipal, &ResourcePermissions)],
    now: OffsetDateTime,
) -> Result<Plan, StoreError> {
    let (client_sp, created_service_principal) =
        match store.service_principal_by_app_id(tenant, client.app_id).await? {
            Some(existing) => (existing, false),
            None => (ServicePrincipal { tenant_id: tenant, ..service_principal_for(client, now) }, true),
        };
    let existing_grants = store.permission_grants(tenant).await?;
    let existing_assignments = store.assignments(tenant).await?;
    let mut plan = Plan {
        client: client_sp,
        created_service_principal,
        grants: Vec::new(),
        assignments: Vec::new(),
        resources: resources.iter().map(|(sp, _)| sp.clone()).collect(),
    };
    for (resource_sp, permissions) in resources {
        if !permissions.scopes.is_empty() {
            plan.grants.push(merge_grant(
                &existing_grants,
                &plan.client,
                resource_sp,
                grantee,
                &permissions.scopes,
                now,
            ));
        }
        for role in &permissions.roles {
            let held = existing_assignments.iter().any(|a| {
                a.principal_id == plan.client.id && a.resource_id == resource_sp.id && a.app_role_id == *role
            });
            if !held {
                plan.assignments.push(AppRoleAssignment {
                    id: crate::new_assignment_id(),
                    tenant_id: tenant,
                    principal_id: plan.client.id,
                    resource_id: resource_sp.id,
                    app_role_id: *role,
                    created: now,
                });
            }
        }
    }
    Ok(plan)
}

/// Writes `plan`, each change with its record; the first also with the consent's own.
async fn apply(
    store: &dyn Store,
    plan: &Plan,
    grantee: Grantee,
    context: &AuditContext,
) -> Result<(), StoreError> {
    let tenant = plan.client.tenant_id;
    let mut consent =
        Some(context.record(tenant, Activity::ConsentToApplication, consent_target(plan, grantee)));
    let mut records = |record: DirectoryAudit| -> Vec<DirectoryAudit> {
        [record].into_iter().chain(consent.take()).collect()
    };
    if plan.created_service_principal {
        let target = audit::service_principal_added(&plan.client);
        store
            .create_service_principal(
                &plan.client,
                &records(context.record(tenant, Activity::AddServicePrincipal, target)),
            )
            .await?;
    }
    for (grant, before) in &plan.grants {
        let resource = plan.resources.iter().find(|r| r.id == grant.resource_id);
        match before {
            None => {
                let target = audit::permission_grant(grant, resource, None, Some(&grant.scope));
                let record = context.record(tenant, Activity::AddDelegatedPermissionGrant, target);
                store.create_permission_grant(grant, &records(record)).await?;
            }
            Some(old) if *old != grant.scope => {
                let target = audit::permission_grant(grant, resource, Some(old), Some(&grant.scope));
                let record = context.record(tenant, Activity::UpdateDelegatedPermissionGrant, target);
                store.update_permission_grant(tenant, &grant.id, &grant.scope, &records(record)).await?;
            }
            Some(_) => {}
        }
    }
    for assignment in &plan.assignments {
        if let Some(resource) = plan.resources.iter().find(|r| r.id == assignment.resource_id) {
            let target = audit::assignment(store, assignment, &plan.client, resource, false).await;
            let record = context.record(tenant, Activity::AddAppRoleAssignment, target);
            store.create_assignment(assignment, &records(record)).await?;
        }
    }
    Ok(())
}

/// The client's service principal with Entra's consent properties.
fn consent_target(plan: &Plan, grantee: Grantee) -> AuditTarget {
    let permissions: Vec<String> = plan
        .grants
        .iter()
        .map(|(g, _)| {
            format!(
                "[Id: {}, ClientId: {}, PrincipalId: {}, ResourceId: {}, ConsentType: {}, Scope:  {}, CreatedDateTime: , LastModifiedDateTime ]",
                g.id,
                g.client_id,
                g.principal_id.map(|p| p.to_string()).unwrap_or_default(),
                g.resource_id,
                g.consent_type.as_str(),
                g.scope
            )
        })
        .collect();
    let admin = matches!(grantee, Grantee::Tenant);
    let flag = |b: bool| if b { "True" } else { "False" };
    audit::service_principal(&plan.client).with([
        ModifiedProperty::link("ConsentContext.IsAdminConsent", flag(admin)),
        ModifiedProperty::link("ConsentContext.IsAppOnly", flag(plan.grants.is_empty())),
        ModifiedProperty::link("ConsentContext.OnBehalfOfAll", flag(admin)),
        ModifiedProperty::link("ConsentContext.Tags", "WindowsAzureActiveDirectoryIntegratedApp"),
        ModifiedProperty::link("ConsentAction.Permissions", format!("[] => [{}]; ", permissions.join(", "))),
        ModifiedProperty::link("TargetId.ServicePrincipalNames", plan.client.app_id.to_string()),
    ])
}

/// The grant of (client, resource, grantee) after the consent, with its scope before: the
/// existing one widened to include `scopes`, or a new one.
fn merge_grant(
    existing: &[OAuth2PermissionGrant],
    client: &ServicePrincipal,
    resource: &ServicePrincipal,
    grantee: Grantee,
    scopes: &[String],
    now: OffsetDateTime,
) -> (OAuth2PermissionGrant, Option<String>) {
    let principal = match grantee {
        Grantee::Tenant => None,
        Grantee::User(user) => Some(user),
    };
    let current = existing
        .iter()
        .find(|g| g.client_id == client.id && g.resource_id == resource.id && g.principal_id == principal);
    if let Some(current) = current {
        let scope = union(current.scopes(), scopes);
        return (OAuth2PermissionGrant { scope, ..current.clone() }, Some(current.scope.clone()));
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
    (grant, None)
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
