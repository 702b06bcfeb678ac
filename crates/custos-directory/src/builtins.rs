//! The built-in resources every tenant has, owned by the platform as Microsoft's are by
//! Microsoft: the directory API's delegated permissions (Microsoft Graph's values and ids, so
//! user tokens for `https://graph.microsoft.com` work with `/v1.0/me`), the **Office 365
//! Management APIs** resource (`https://manage.office.com`, v1 tokens, its three application
//! permissions offered as delegated scopes with the same ids, `entra-user-flows.md` §7) and
//! **Azure Resource Manager** (`https://management.core.windows.net/`, the Azure CLI's login
//! resource, `graph-fidelity.md` §7) and the **Azure portal's API** (`ADIbizaUX`, the resource of
//! `az ad app permission admin-consent`, [`crate::portal_consent`]).
//!
//! [`ensure_builtins`] brings tenants made by an older version up to date at server start-up,
//! idempotently: missing directory API roles and scopes are added (and the new roles granted to
//! the tenant's bootstrap admin, which was provisioned holding every directory role), and a
//! missing built-in resource registration is created with its service principal. These changes
//! are recorded as the installation's.

use crate::audit;
use crate::provision::{CUSTOS_ADMIN_ROLE_ID, directory_app_roles, find_bootstrap_admin};
use crate::provision_apps::ensure_service_principal;
use custos_core::audit::{Activity, AuditContext};
use custos_core::consent::{PermissionScope, ScopeConsent};
use custos_core::ids::GRAPH_APP_ID;
use custos_core::model::{AppRole, AppRoleAssignment, Application, SIGN_IN_AUDIENCE_MULTIPLE_ORGS};
use custos_core::{AppId, Clock, TenantId};
use custos_store::{Store, StoreError};
use time::OffsetDateTime;
use uuid::{Uuid, uuid};

/// Client id of the Office 365 Management APIs.
pub const OFFICE_MANAGEMENT_APP_ID: AppId = AppId(uuid!("c5393580-f805-4401-95e8-94b7a6ef2fc2"));
/// Its identifier URI (the `resource` of seed 004's consent URL, and the tokens' `aud`).
pub const OFFICE_MANAGEMENT_URI: &str = "https://manage.office.com";
/// Its display name.
pub const OFFICE_MANAGEMENT_DISPLAY_NAME: &str = "Office 365 Management APIs";

/// Client id of Azure Resource Manager (the Azure CLI's login resource).
pub const RESOURCE_MANAGER_APP_ID: AppId = AppId(uuid!("797f4846-ba00-4fd7-ba43-dac1f8f63013"));
/// Its identifier URIs, as Azure's clouds publish them (`authentication.audiences`).
pub const RESOURCE_MANAGER_URIS: [&str; 2] =
    ["https://management.core.windows.net/", "https://management.azure.com/"];
/// Its display name.
pub const RESOURCE_MANAGER_DISPLAY_NAME: &str = "Windows Azure Service Management API";

/// Client id of the Azure portal's own API (ADIbizaUX): the Azure CLI asks for its tokens by
/// this id to post admin consent to `main.iam.ad.ext.azure.com`.
pub const PORTAL_API_APP_ID: AppId = AppId(uuid!("74658136-14ec-4630-ad9b-26e160ff0fc6"));
/// Its display name.
pub const PORTAL_API_DISPLAY_NAME: &str = "ADIbizaUX";
/// Its one delegated permission: a signed-in user's access to the portal's API.
pub const PORTAL_API_SCOPE: &str = "user_impersonation";
/// Its id (custos' own: Microsoft does not publish it).
const PORTAL_API_SCOPE_ID: Uuid = uuid!("e27e3122-4903-4d8c-8bd2-c8240fc88002");

/// `(id, value, display name, description)` of the Office 365 Management APIs' permissions;
/// each is both an app role and an `Admin` delegated scope with the same id.
const OFFICE_MANAGEMENT_PERMISSIONS: &[(Uuid, &str, &str, &str)] = &[
    (
        uuid!("594c1fb6-4f81-4475-ae41-0c394909246c"),
        "ActivityFeed.Read",
        "Read activity data for your organization",
        "Allows the application to read activity data for your organization.",
    ),
    (
        uuid!("4807a72c-ad38-4250-94c9-4eabfe26cd55"),
        "ActivityFeed.ReadDlp",
        "Read DLP policy events including detected sensitive data",
        "Allows the application to read DLP policy events, including detected sensitive data, for your organization.",
    ),
    (
        uuid!("e2cea78f-e743-4d8f-a16a-75b629a038ae"),
        "ServiceHealth.Read",
        "Read service health information for your organization",
        "Allows the application to read service health information for your organization.",
    ),
];

/// `(id, value, type, admin display name, admin description)` of the directory API's delegated
/// permissions: Microsoft Graph's values and ids (the first five from `entra-user-flows.md`
/// §8.2, the others as public Graph manifests show them).
const DIRECTORY_SCOPES: &[(Uuid, &str, ScopeConsent, &str, &str)] = &[
    (
        uuid!("37f7f235-527c-4136-accd-4a02d197296e"),
        "openid",
        ScopeConsent::User,
        "Sign users in",
        "Allows users to sign in to the app with their work or school accounts and allows the app to see basic user profile information.",
    ),
    (
        uuid!("14dad69e-099b-42c9-810b-d002981feec1"),
        "profile",
        ScopeConsent::User,
        "View users' basic profile",
        "Allows the app to see your users' basic profile (e.g., name, picture, user name, email address)",
    ),
    (
        uuid!("64a6cdd6-aab1-4aaf-94b8-3cc8405e90d0"),
        "email",
        ScopeConsent::User,
        "View users' email address",
        "Allows the app to read your users' primary email address",
    ),
    (
        uuid!("7427e0e9-2fba-42fe-b0c0-848c9e6a8182"),
        "offline_access",
        ScopeConsent::User,
        "Maintain access to data you have given it access to",
        "Allows the app to see and update the data you gave it access to, even when users are not currently using the app. This does not give the app any additional permissions.",
    ),
    (
        uuid!("e1fe6dd8-ba31-4d61-89e7-88639da4683d"),
        "User.Read",
        ScopeConsent::User,
        "Sign in and read user profile",
        "Allows users to sign-in to the app, and allows the app to read the profile of signed-in users. It also allows the app to read basic company information of signed-in users.",
    ),
    (
        uuid!("a154be20-db9c-4678-8ab7-66f6cc099a59"),
        "User.Read.All",
        ScopeConsent::Admin,
        "Read all users' full profiles",
        "Allows the app to read the full set of profile properties, reports, and managers of other users in your organization, on behalf of the signed-in user.",
    ),
    (
        uuid!("204e0828-b5ca-4ad8-b9f3-f32a958e7cc4"),
        "User.ReadWrite.All",
        ScopeConsent::Admin,
        "Read and write all users' full profiles",
        "Allows the app to read and write the full set of profile properties, reports, and managers of other users in your organization, on behalf of the signed-in user.",
    ),
    (
        uuid!("06da0dbc-49e2-44d2-8312-53f166ab848a"),
        "Directory.Read.All",
        ScopeConsent::Admin,
        "Read directory data",
        "Allows the app to read data in your organization's directory, such as users, groups and apps.",
    ),
    (
        uuid!("c5366453-9fb0-48a5-a156-24f0c49a4b84"),
        "Directory.ReadWrite.All",
        ScopeConsent::Admin,
        "Read and write directory data",
        "Allows the app to read and write data in your organization's directory, such as users, and groups.",
    ),
    (
        uuid!("c79f8feb-a9db-4090-85f9-90d820caa0eb"),
        "Application.Read.All",
        ScopeConsent::Admin,
        "Read applications",
        "Allows the app to read applications and service principals on behalf of the signed-in user.",
    ),
    (
        uuid!("bdfbf15f-ee85-4955-8675-146e8e5296b5"),
        "Application.ReadWrite.All",
        ScopeConsent::Admin,
        "Read and write all applications",
        "Allows the app to create, read, update and delete applications and service principals on behalf of the signed-in user.",
    ),
    (
        uuid!("84bccea3-f856-4a8a-967b-dbe0a3d53a64"),
        "AppRoleAssignment.ReadWrite.All",
        ScopeConsent::Admin,
        "Manage app permission grants and app role assignments",
        "Allows the app to manage permission grants for application permissions to any API and application assignments for any app, on behalf of the signed-in user.",
    ),
    (
        uuid!("d01b97e9-cbc0-49fe-810a-750afd5527a3"),
        "RoleManagement.ReadWrite.Directory",
        ScopeConsent::Admin,
        "Read and write directory RBAC settings",
        "Allows the app to read and manage the role-based access control (RBAC) settings for your company's directory, on behalf of the signed-in user.",
    ),
    (
        uuid!("41ce6ca6-6826-4807-84f1-1c82854f7ee5"),
        "DelegatedPermissionGrant.ReadWrite.All",
        ScopeConsent::Admin,
        "Manage all delegated permission grants",
        "Allows the app to manage permission grants for delegated permissions exposed by any API (including Microsoft Graph), on behalf of the signed in user.",
    ),
    (
        uuid!("e4c9e354-4dc5-45b8-9e7c-e1393b0b1a20"),
        "AuditLog.Read.All",
        ScopeConsent::Admin,
        "Read audit log data",
        "Allows the app to read and query your audit log activities, on behalf of the signed-in user.",
    ),
];

/// The directory API's delegated permissions.
pub fn directory_permission_scopes() -> Vec<PermissionScope> {
    DIRECTORY_SCOPES
        .iter()
        .map(|(id, value, consent, name, description)| PermissionScope {
            id: *id,
            value: (*value).to_owned(),
            consent: *consent,
            admin_consent_display_name: Some((*name).to_owned()),
            admin_consent_description: Some((*description).to_owned()),
            user_consent_display_name: Some((*name).to_owned()),
            user_consent_description: Some((*description).to_owned()),
            is_enabled: true,
        })
        .collect()
}

/// The Office 365 Management APIs registration of `tenant` (not stored).
pub fn office_management_application(tenant: TenantId, now: OffsetDateTime) -> Application {
    let mut app =
        Application::new(tenant, OFFICE_MANAGEMENT_APP_ID, OFFICE_MANAGEMENT_DISPLAY_NAME.to_owned(), now);
    app.identifier_uris = vec![OFFICE_MANAGEMENT_URI.to_owned()];
    app.sign_in_audience = SIGN_IN_AUDIENCE_MULTIPLE_ORGS.to_owned();
    for (id, value, name, description) in OFFICE_MANAGEMENT_PERMISSIONS {
        app.app_roles.push(AppRole {
            id: *id,
            allowed_member_types: vec!["Application".to_owned()],
            description: Some((*description).to_owned()),
            display_name: Some((*name).to_owned()),
            is_enabled: true,
            value: Some((*value).to_owned()),
        });
        app.oauth2_permission_scopes.push(PermissionScope {
            id: *id,
            value: (*value).to_owned(),
            consent: ScopeConsent::Admin,
            admin_consent_display_name: Some((*name).to_owned()),
            admin_consent_description: Some((*description).to_owned()),
            user_consent_display_name: Some((*name).to_owned()),
            user_consent_description: Some((*description).to_owned()),
            is_enabled: true,
        });
    }
    app
}

/// The Azure Resource Manager registration of `tenant` (not stored): a resource whose tokens the
/// Azure CLI needs to log in (v1 tokens, no permission of its own).
pub fn resource_manager_application(tenant: TenantId, now: OffsetDateTime) -> Application {
    let mut app =
        Application::new(tenant, RESOURCE_MANAGER_APP_ID, RESOURCE_MANAGER_DISPLAY_NAME.to_owned(), now);
    app.identifier_uris = RESOURCE_MANAGER_URIS.iter().map(|uri| (*uri).to_owned()).collect();
    app.sign_in_audience = SIGN_IN_AUDIENCE_MULTIPLE_ORGS.to_owned();
    app
}

/// The Azure portal's API registration of `tenant` (not stored): a v1 resource known by its
/// client id (no identifier URI), with `user_impersonation` for signed-in administrators.
pub fn portal_api_application(tenant: TenantId, now: OffsetDateTime) -> Application {
    let mut app = Application::new(tenant, PORTAL_API_APP_ID, PORTAL_API_DISPLAY_NAME.to_owned(), now);
    app.sign_in_audience = SIGN_IN_AUDIENCE_MULTIPLE_ORGS.to_owned();
    let name = "Access the Azure portal's API";
    let description = "Allows the application to call the Azure portal's API as the signed-in user.";
    app.oauth2_permission_scopes.push(PermissionScope {
        id: PORTAL_API_SCOPE_ID,
        value: PORTAL_API_SCOPE.to_owned(),
        consent: ScopeConsent::Admin,
        admin_consent_display_name: Some(name.to_owned()),
        admin_consent_description: Some(description.to_owned()),
        user_consent_display_name: Some(name.to_owned()),
        user_consent_description: Some(description.to_owned()),
        is_enabled: true,
    });
    app
}

/// Builds a tenant's registration of a built-in resource.
type Registration = fn(TenantId, OffsetDateTime) -> Application;

/// The built-in resources besides the directory API, by client id.
const BUILT_IN_RESOURCES: [(AppId, Registration); 3] = [
    (OFFICE_MANAGEMENT_APP_ID, office_management_application),
    (RESOURCE_MANAGER_APP_ID, resource_manager_application),
    (PORTAL_API_APP_ID, portal_api_application),
];

/// The built-in resources of `tenant` besides the directory API (not stored).
pub fn built_in_resources(tenant: TenantId, now: OffsetDateTime) -> Vec<Application> {
    BUILT_IN_RESOURCES.iter().map(|(_, build)| build(tenant, now)).collect()
}

/// Whether `app_id` is built in (the directory API, the Office 365 Management APIs, Azure
/// Resource Manager, the Azure portal's API, the portal):
/// not addressable under `applications`, its service principal neither deleted nor disabled.
pub fn is_built_in(app_id: AppId) -> bool {
    app_id == GRAPH_APP_ID
        || app_id == custos_core::ids::PORTAL_APP_ID
        || BUILT_IN_RESOURCES.iter().any(|(id, _)| *id == app_id)
}

/// Brings every tenant's built-in resources up to date (see the module docs). Returns how many
/// tenants were changed.
pub async fn ensure_builtins(store: &dyn Store, clock: &dyn Clock) -> Result<usize, StoreError> {
    let mut changed = 0;
    for tenant in store.tenants().await? {
        let now = clock.now();
        let Some(directory) = store.application_by_app_id(tenant.id, GRAPH_APP_ID).await? else {
            continue; // an unfinished provisioning: completed when provisioned again
        };
        let mut touched = upgrade_directory(store, directory, now).await?;
        for (app_id, build) in BUILT_IN_RESOURCES {
            if store.application_by_app_id(tenant.id, app_id).await?.is_none() {
                let app = build(tenant.id, now);
                let record = AuditContext::installation(now).record(
                    tenant.id,
                    Activity::AddApplication,
                    audit::application_added(&app),
                );
                match store.create_application(&app, &[record]).await {
                    Ok(()) | Err(StoreError::Conflict(_)) => {}
                    Err(e) => return Err(e),
                }
                touched = true;
            }
            if let Some(app) = store.application_by_app_id(tenant.id, app_id).await? {
                ensure_service_principal(store, &app, now).await?;
            }
        }
        if touched {
            tracing::info!(tenant = %tenant.id, "built-in resources brought up to date");
            changed += 1;
        }
    }
    Ok(changed)
}

/// Adds the directory API roles (never `Custos.Admin`: only the home tenant has it, from
/// provisioning) and scopes a tenant lacks, and grants the added roles to its bootstrap admin.
async fn upgrade_directory(
    store: &dyn Store,
    mut directory: Application,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let added: Vec<AppRole> = directory_app_roles()
        .into_iter()
        .filter(|r| r.id != CUSTOS_ADMIN_ROLE_ID && directory.role_by_id(r.id).is_none())
        .collect();
    let missing_scopes: Vec<PermissionScope> = directory_permission_scopes()
        .into_iter()
        .filter(|s| !directory.oauth2_permission_scopes.iter().any(|have| have.id == s.id))
        .collect();
    if added.is_empty() && missing_scopes.is_empty() {
        return Ok(false);
    }
    let before = directory.clone();
    directory.app_roles.extend(added.iter().cloned());
    directory.oauth2_permission_scopes.extend(missing_scopes);
    let context = AuditContext::installation(now);
    let target = audit::application_updated(&before, &directory);
    store
        .update_application(
            &directory,
            &[context.record(directory.tenant_id, Activity::UpdateApplication, target)],
        )
        .await?;
    let directory_sp = ensure_service_principal(store, &directory, now).await?;
    let admin_sp = match find_bootstrap_admin(store, directory.tenant_id).await? {
        Some(admin) => store.service_principal(directory.tenant_id, admin.service_principal_id).await?,
        None => None,
    };
    if let Some(admin_sp) = admin_sp {
        for role in &added {
            let assignment = AppRoleAssignment {
                id: crate::new_assignment_id(),
                tenant_id: directory.tenant_id,
                principal_id: admin_sp.id,
                resource_id: directory_sp.id,
                app_role_id: role.id,
                created: now,
            };
            match crate::provision::add_assignment(store, &context, &assignment, &admin_sp, &directory_sp)
                .await
            {
                Ok(()) | Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn office_management_permissions_are_roles_and_admin_scopes_with_the_same_ids() {
        let app = office_management_application(TenantId::new_random(), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(app.identifier_uris, [OFFICE_MANAGEMENT_URI]);
        assert_eq!(app.app_roles.len(), 3);
        for role in &app.app_roles {
            let scope = app.scope_by_value(role.value.as_deref().unwrap()).unwrap();
            assert_eq!(scope.id, role.id);
            assert_eq!(scope.consent, ScopeConsent::Admin);
        }
        assert_eq!(app.access_token_version(), custos_core::model::TokenVersion::V1);
    }

    #[test]
    fn directory_scopes_are_distinct_and_oidc_ones_user_consentable() {
        let scopes = directory_permission_scopes();
        let ids: HashSet<_> = scopes.iter().map(|s| s.id).collect();
        let values: HashSet<_> = scopes.iter().map(|s| s.value.as_str()).collect();
        assert_eq!((ids.len(), values.len()), (scopes.len(), scopes.len()));
        for s in &scopes {
            let user =
                ["openid", "profile", "email", "offline_access", "User.Read"].contains(&s.value.as_str());
            assert_eq!(s.consent == ScopeConsent::User, user, "{}", s.value);
        }
    }
}
