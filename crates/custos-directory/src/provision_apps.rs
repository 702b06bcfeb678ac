//! Provisioning inside an existing tenant, written straight through the [`Store`] by trusted
//! callers (tenant provisioning, `custos init`, `custos serve --demo`), never on behalf of a
//! Graph caller: a service principal for an application, a resource API (an application with an
//! identifier URI and app roles, plus its service principal), a daemon client holding one client
//! secret, and app-role grants between them.
//!
//! Each function is idempotent where a second run can meet the first one's result: a resource
//! API with a fixed identifier URI is found again by that URI (the store keeps identifier URIs
//! unique in a tenant), a service principal by its appId, a grant by principal, resource and
//! role. Graph's handlers keep their own checks and error texts and do not call this module.
//! Every write is recorded as the installation's ([`AuditContext::installation`]).

use crate::audit;
use custos_core::audit::{Activity, AuditContext};
use custos_core::model::{
    AppRole, AppRoleAssignment, Application, PasswordCredential, ServicePrincipal, ServicePrincipalType,
};
use custos_core::scope::identifier_uri_key;
use custos_core::{AppId, ObjectId, Secret, TenantId};
use custos_jose::secret::{SecretHasher, generate_client_secret};
use custos_store::{Store, StoreError};
use time::OffsetDateTime;
use uuid::Uuid;

/// Lifetime of a client secret minted here: two years, as Graph's `addPassword` default.
pub const CLIENT_SECRET_LIFETIME: time::Duration = time::Duration::days(2 * 365);

/// The enabled service principal of `app` in the application's tenant, of type `Application`,
/// created now. Not stored.
pub fn service_principal_for(app: &Application, now: OffsetDateTime) -> ServicePrincipal {
    ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: app.tenant_id,
        app_id: app.app_id,
        display_name: app.display_name.clone(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::Application,
        properties: Default::default(),
        created: now,
    }
}

/// The service principal of `app`, created (as [`service_principal_for`]) when it has none.
pub async fn ensure_service_principal(
    store: &dyn Store,
    app: &Application,
    now: OffsetDateTime,
) -> Result<ServicePrincipal, StoreError> {
    if let Some(existing) = store.service_principal_by_app_id(app.tenant_id, app.app_id).await? {
        return Ok(existing);
    }
    let sp = service_principal_for(app, now);
    let record = AuditContext::installation(now).record(
        sp.tenant_id,
        Activity::AddServicePrincipal,
        audit::service_principal_added(&sp),
    );
    store.create_service_principal(&sp, &[record]).await?;
    Ok(sp)
}

/// A new client secret: the plain text (to show once) and the credential that stores only its
/// keyed hash, valid from `now` for [`CLIENT_SECRET_LIFETIME`].
pub fn new_client_secret(
    hasher: &SecretHasher,
    display_name: &str,
    now: OffsetDateTime,
) -> (String, PasswordCredential) {
    let secret = generate_client_secret();
    let credential = PasswordCredential {
        key_id: Uuid::new_v4(),
        display_name: Some(display_name.to_owned()),
        hint: secret.chars().take(3).collect(),
        start: now,
        end: now + CLIENT_SECRET_LIFETIME,
        secret_hash: hasher.hash(&secret).into(),
    };
    (secret, credential)
}

/// One app role of a resource API, offered to applications (daemons) only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleSpec<'a> {
    /// The value that goes into the `roles` claim.
    pub value: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Description shown to admins.
    pub description: &'a str,
}

impl RoleSpec<'_> {
    /// The enabled app role with a new id.
    fn to_app_role(self) -> AppRole {
        AppRole {
            id: Uuid::new_v4(),
            allowed_member_types: vec!["Application".to_owned()],
            description: Some(self.description.to_owned()),
            display_name: Some(self.display_name.to_owned()),
            is_enabled: true,
            value: Some(self.value.to_owned()),
        }
    }
}

/// A resource API to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceApiSpec<'a> {
    /// Display name of the application.
    pub display_name: &'a str,
    /// Its description.
    pub description: &'a str,
    /// The Application ID URI; `None` gives `api://<appId>`, as Entra suggests under "Expose an
    /// API" (and is never found again: each run registers a new application).
    pub identifier_uri: Option<&'a str>,
    /// The app roles it defines.
    pub roles: &'a [RoleSpec<'a>],
    /// `requestedAccessTokenVersion`: `Some(2)` for v2 tokens, `None` for v1.
    pub access_token_version: Option<u8>,
}

/// A resource API as registered or found again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceApi {
    /// The application.
    pub application: Application,
    /// Its service principal in the tenant.
    pub service_principal: ServicePrincipal,
}

impl ResourceApi {
    /// The Application ID URI clients ask for (the first identifier URI).
    pub fn identifier_uri(&self) -> Option<&str> {
        self.application.identifier_uris.first().map(String::as_str)
    }
}

/// Registers the resource API of `spec` in `tenant` with its service principal. An application
/// that already holds the fixed identifier URI is reused as it is (its roles are not changed) and
/// given a service principal when it lacks one.
pub async fn ensure_resource_api(
    store: &dyn Store,
    tenant: TenantId,
    spec: &ResourceApiSpec<'_>,
    now: OffsetDateTime,
) -> Result<ResourceApi, StoreError> {
    let existing =
        match spec.identifier_uri {
            Some(uri) => store.applications(tenant).await?.into_iter().find(|app| {
                app.identifier_uris.iter().any(|u| identifier_uri_key(u) == identifier_uri_key(uri))
            }),
            None => None,
        };
    let application = match existing {
        Some(app) => app,
        None => {
            let app_id = AppId::new_random();
            let app = Application {
                description: Some(spec.description.to_owned()),
                identifier_uris: vec![
                    spec.identifier_uri.map_or_else(|| format!("api://{app_id}"), str::to_owned),
                ],
                app_roles: spec.roles.iter().map(|role| role.to_app_role()).collect(),
                requested_access_token_version: spec.access_token_version,
                ..Application::new(tenant, app_id, spec.display_name.to_owned(), now)
            };
            store.create_application(&app, &[added(&app, now)]).await?;
            app
        }
    };
    let service_principal = ensure_service_principal(store, &application, now).await?;
    Ok(ResourceApi { application, service_principal })
}

/// The installation's record of adding `app`.
fn added(app: &Application, now: OffsetDateTime) -> custos_core::audit::DirectoryAudit {
    AuditContext::installation(now).record(
        app.tenant_id,
        Activity::AddApplication,
        audit::application_added(app),
    )
}

/// A daemon client application as registered, with its one secret in plain text.
#[derive(Debug, Clone)]
pub struct RegisteredClient {
    /// The application (its credential holds only the secret's hash).
    pub application: Application,
    /// Its service principal.
    pub service_principal: ServicePrincipal,
    /// The client secret, in plain text: shown once, never stored.
    pub secret: Secret<String>,
}

/// Registers a new daemon client in `tenant`: an application with one client secret (display
/// name `secret_name`) and its service principal.
pub async fn register_client(
    store: &dyn Store,
    hasher: &SecretHasher,
    tenant: TenantId,
    display_name: &str,
    description: &str,
    secret_name: &str,
    now: OffsetDateTime,
) -> Result<RegisteredClient, StoreError> {
    let (secret, credential) = new_client_secret(hasher, secret_name, now);
    let application = Application {
        description: Some(description.to_owned()),
        password_credentials: vec![credential],
        ..Application::new(tenant, AppId::new_random(), display_name.to_owned(), now)
    };
    store.create_application(&application, &[added(&application, now)]).await?;
    let service_principal = ensure_service_principal(store, &application, now).await?;
    Ok(RegisteredClient { application, service_principal, secret: Secret::new(secret) })
}

/// Grants `principal` each app role of `resource` named in `values` that it does not hold yet.
/// Returns the values the principal holds afterwards, in the order of `values`; a value the
/// resource does not define is skipped with a warning.
pub async fn grant_app_roles(
    store: &dyn Store,
    resource: &ResourceApi,
    principal: &ServicePrincipal,
    values: &[&str],
    now: OffsetDateTime,
) -> Result<Vec<String>, StoreError> {
    let tenant = resource.service_principal.tenant_id;
    let held = store.assignments(tenant).await?;
    let mut granted = Vec::with_capacity(values.len());
    let application = &resource.application;
    for value in values {
        let Some(role) = application.app_roles.iter().find(|r| r.value.as_deref() == Some(*value)) else {
            tracing::warn!(application = %application.display_name, role = value, "the application has no such app role");
            continue;
        };
        let already = held.iter().any(|a| {
            a.principal_id == principal.id
                && a.resource_id == resource.service_principal.id
                && a.app_role_id == role.id
        });
        if !already {
            let assignment = AppRoleAssignment {
                id: crate::new_assignment_id(),
                tenant_id: tenant,
                principal_id: principal.id,
                resource_id: resource.service_principal.id,
                app_role_id: role.id,
                created: now,
            };
            let context = AuditContext::installation(now);
            crate::provision::add_assignment(
                store,
                &context,
                &assignment,
                principal,
                &resource.service_principal,
            )
            .await?;
        }
        granted.push((*value).to_owned());
    }
    Ok(granted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit() -> [custos_core::audit::DirectoryAudit; 1] {
        [AuditContext::installation(NOW).record_in(None, Activity::AddApplication, Vec::new())]
    }
    use custos_core::model::Tenant;
    use custos_store::sqlite::SqliteStore;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
    const ROLES: [RoleSpec<'static>; 2] = [
        RoleSpec { value: "Payroll.Read", display_name: "Read payroll", description: "Reads payroll." },
        RoleSpec { value: "Payroll.Write", display_name: "Write payroll", description: "Writes payroll." },
    ];

    async fn tenant_store() -> (SqliteStore, TenantId) {
        let store = SqliteStore::open("sqlite::memory:").await.unwrap();
        let tenant = Tenant {
            id: TenantId::new_random(),
            domain: "contoso.example".to_owned(),
            display_name: "Contoso".to_owned(),
            created: NOW,
        };
        store.create_tenant(&tenant, &audit()).await.unwrap();
        (store, tenant.id)
    }

    fn payroll(identifier_uri: Option<&'static str>) -> ResourceApiSpec<'static> {
        ResourceApiSpec {
            display_name: "Payroll API",
            description: "Payroll.",
            identifier_uri,
            roles: &ROLES,
            access_token_version: Some(2),
        }
    }

    #[tokio::test]
    async fn a_resource_api_with_a_fixed_uri_is_registered_once() {
        let (store, tenant) = tenant_store().await;
        let first = ensure_resource_api(&store, tenant, &payroll(Some("api://payroll")), NOW).await.unwrap();
        assert_eq!(first.identifier_uri(), Some("api://payroll"));
        assert_eq!(first.application.requested_access_token_version, Some(2));
        let role = &first.application.app_roles[1];
        assert_eq!(
            (role.value.as_deref(), role.display_name.as_deref(), role.description.as_deref()),
            (Some("Payroll.Write"), Some("Write payroll"), Some("Writes payroll."))
        );
        assert!(role.is_enabled && role.allowed_member_types == ["Application"]);
        assert_eq!(first.service_principal.app_id, first.application.app_id);

        // Found again by its URI, compared as Entra does (case and a trailing slash aside).
        let again = ensure_resource_api(&store, tenant, &payroll(Some("API://Payroll/")), NOW).await.unwrap();
        assert_eq!(again, first);
        assert_eq!(store.applications(tenant).await.unwrap().len(), 1);
        assert_eq!(store.service_principals(tenant).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_resource_api_without_a_uri_gets_api_app_id_each_time() {
        let (store, tenant) = tenant_store().await;
        let first = ensure_resource_api(&store, tenant, &payroll(None), NOW).await.unwrap();
        let expected = format!("api://{}", first.application.app_id);
        assert_eq!(first.identifier_uri(), Some(expected.as_str()));
        let second = ensure_resource_api(&store, tenant, &payroll(None), NOW).await.unwrap();
        assert_ne!(second.application.app_id, first.application.app_id);
    }

    #[tokio::test]
    async fn a_found_application_without_a_service_principal_gets_one() {
        let (store, tenant) = tenant_store().await;
        let app = Application {
            identifier_uris: vec!["api://bare".to_owned()],
            ..Application::new(tenant, AppId::new_random(), "bare".to_owned(), NOW)
        };
        store.create_application(&app, &audit()).await.unwrap();
        let found = ensure_resource_api(&store, tenant, &payroll(Some("api://bare")), NOW).await.unwrap();
        assert_eq!(found.application, app, "a found application is reused unchanged");
        assert_eq!(
            store.service_principal_by_app_id(tenant, app.app_id).await.unwrap(),
            Some(found.service_principal)
        );
    }

    #[tokio::test]
    async fn clients_hold_one_hashed_secret_and_grants_are_not_repeated() {
        let (store, tenant) = tenant_store().await;
        let hasher = SecretHasher::new(&[7; 32]);
        let api = ensure_resource_api(&store, tenant, &payroll(Some("api://payroll")), NOW).await.unwrap();
        let client =
            register_client(&store, &hasher, tenant, "daemon", "A daemon.", "demo", NOW).await.unwrap();
        let [credential] = client.application.password_credentials.as_slice() else { panic!("one secret") };
        assert!(hasher.verify(client.secret.expose(), credential.secret_hash.expose()));
        assert_eq!(credential.hint, client.secret.expose()[..3]);
        assert_eq!(credential.end - credential.start, CLIENT_SECRET_LIFETIME);
        assert!(
            format!("{client:?}").contains("<redacted>")
                && !format!("{client:?}").contains(client.secret.expose().as_str())
        );
        let stored = store.application_by_app_id(tenant, client.application.app_id).await.unwrap();
        assert_eq!(stored, Some(client.application.clone()));

        let sp = &client.service_principal;
        let values = ["Payroll.Read", "No.Such.Role", "Payroll.Write"];
        let granted = grant_app_roles(&store, &api, sp, &values, NOW).await.unwrap();
        assert_eq!(granted, ["Payroll.Read", "Payroll.Write"]);
        let again = grant_app_roles(&store, &api, sp, &values, NOW).await.unwrap();
        assert_eq!(again, granted);
        assert_eq!(store.assignments(tenant).await.unwrap().len(), 2, "no duplicate grants");
    }
}
