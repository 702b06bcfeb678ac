//! Consent in another tenant (seed 004's onboarding): a multi-tenant client of tenant A is
//! consented to by tenant B, which gets its service principal, an AllPrincipals grant and app
//! role assignments; a single-tenant client cannot be; consent again changes nothing.

use custos_core::audit::AuditContext;
use custos_core::consent::{
    AccessType, ConsentType, PermissionScope, RequiredResourceAccess, ResourceAccess, ScopeConsent,
};
use custos_core::model::{AppRole, Application, SIGN_IN_AUDIENCE_MULTIPLE_ORGS};
use custos_core::{AppId, Clock, FixedClock, ObjectId};
use custos_directory::consent::{self, ConsentError, Grantee};
use custos_directory::provision::{AdminScope, CUSTOS_ADMIN_ROLE_ID, ProvisionedTenant, provision_tenant};
use custos_directory::provision_apps::ensure_service_principal;
use custos_jose::secret::SecretHasher;
use custos_store::Store;
use custos_store::sqlite::SqliteStore;
use std::sync::Arc;
use uuid::Uuid;

const READ_ROLE: Uuid = Uuid::from_u128(0x594c1fb6_4f81_4475_ae41_0c394909246c);
const READ_SCOPE: Uuid = Uuid::from_u128(0x594c1fb6_4f81_4475_ae41_0c394909246d);
const WRITE_SCOPE: Uuid = Uuid::from_u128(0x594c1fb6_4f81_4475_ae41_0c394909246e);

struct World {
    store: Arc<dyn Store>,
    clock: FixedClock,
    a: ProvisionedTenant,
    b: ProvisionedTenant,
    /// A resource API registered in tenant B with one role and two scopes.
    resource: Application,
}

fn scope(id: Uuid, value: &str) -> PermissionScope {
    PermissionScope {
        id,
        value: value.to_owned(),
        consent: ScopeConsent::Admin,
        admin_consent_display_name: Some(format!("{value} for everyone")),
        admin_consent_description: None,
        user_consent_display_name: None,
        user_consent_description: None,
        is_enabled: true,
    }
}

impl World {
    async fn new() -> Self {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open("sqlite::memory:").await.unwrap());
        let clock = FixedClock::new(time::OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap());
        let hasher = SecretHasher::new(&[9; 32]);
        let a = provision_tenant(
            store.as_ref(),
            &custos_core::audit::AuditContext::installation(clock.now()),
            &hasher,
            &clock,
            "a.example",
            "A",
            AdminScope::Installation,
        )
        .await
        .unwrap();
        let b = provision_tenant(
            store.as_ref(),
            &custos_core::audit::AuditContext::installation(clock.now()),
            &hasher,
            &clock,
            "b.example",
            "B",
            AdminScope::Tenant,
        )
        .await
        .unwrap();
        let mut resource =
            Application::new(b.tenant.id, AppId::new_random(), "Activity".to_owned(), clock.now());
        resource.identifier_uris = vec!["https://activity.b.example".to_owned()];
        resource.app_roles = vec![AppRole {
            id: READ_ROLE,
            allowed_member_types: vec!["Application".to_owned()],
            description: None,
            display_name: Some("Read".to_owned()),
            is_enabled: true,
            value: Some("Activity.Read".to_owned()),
        }];
        resource.oauth2_permission_scopes =
            vec![scope(READ_SCOPE, "Activity.Read"), scope(WRITE_SCOPE, "Activity.Write")];
        store.create_application(&resource, &audit()).await.unwrap();
        ensure_service_principal(store.as_ref(), &resource, clock.now()).await.unwrap();
        Self { store, clock, a, b, resource }
    }

    /// A client in tenant A asking for the resource's role and read scope.
    async fn client(&self, audience: &str) -> Application {
        let mut client =
            Application::new(self.a.tenant.id, AppId::new_random(), "Auditor".to_owned(), self.clock.now());
        client.sign_in_audience = audience.to_owned();
        client.required_resource_access = vec![RequiredResourceAccess {
            resource_app_id: self.resource.app_id,
            resource_access: vec![
                ResourceAccess { id: READ_ROLE, kind: AccessType::Role },
                ResourceAccess { id: READ_SCOPE, kind: AccessType::Scope },
            ],
        }];
        self.store.create_application(&client, &audit()).await.unwrap();
        client
    }
}

#[tokio::test]
async fn admin_consent_in_another_tenant_installs_the_multi_tenant_app() {
    let w = World::new().await;
    let client = w.client(SIGN_IN_AUDIENCE_MULTIPLE_ORGS).await;
    let tenant = w.b.tenant.id;
    assert_eq!(w.store.service_principal_by_app_id(tenant, client.app_id).await.unwrap(), None);
    assert_eq!(
        consent::registration_for(w.store.as_ref(), tenant, client.app_id).await.unwrap(),
        Some(client.clone())
    );

    let asked = consent::required_permissions(w.store.as_ref(), tenant, &client).await.unwrap();
    assert_eq!(asked.len(), 1);
    assert_eq!(
        (asked[0].scopes.as_slice(), asked[0].roles.as_slice()),
        (&["Activity.Read".to_owned()][..], &[READ_ROLE][..])
    );
    let outcome = consent::grant(
        w.store.as_ref(),
        tenant,
        &client,
        Grantee::Tenant,
        &asked,
        &AuditContext::installation(w.clock.now()),
    )
    .await
    .unwrap();

    assert!(outcome.created_service_principal);
    assert_eq!(outcome.client.tenant_id, tenant);
    assert_eq!(outcome.client.app_id, client.app_id);
    let stored_sp = w.store.service_principal_by_app_id(tenant, client.app_id).await.unwrap().unwrap();
    assert_eq!(stored_sp, outcome.client);
    let resource_sp = w.store.service_principal_by_app_id(tenant, w.resource.app_id).await.unwrap().unwrap();
    let grants = w.store.permission_grants(tenant).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].consent_type, ConsentType::AllPrincipals);
    assert_eq!(
        (grants[0].client_id, grants[0].resource_id, grants[0].principal_id),
        (stored_sp.id, resource_sp.id, None)
    );
    assert_eq!(grants[0].scope, "Activity.Read");
    let roles: Vec<_> = w
        .store
        .assignments(tenant)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.principal_id == stored_sp.id)
        .collect();
    assert_eq!(roles.len(), 1);
    assert_eq!((roles[0].resource_id, roles[0].app_role_id), (resource_sp.id, READ_ROLE));
    // Tenant A is untouched.
    assert!(w.store.permission_grants(w.a.tenant.id).await.unwrap().is_empty());

    // Consenting again is idempotent; a wider consent widens the one grant.
    let again = consent::grant(
        w.store.as_ref(),
        tenant,
        &client,
        Grantee::Tenant,
        &asked,
        &AuditContext::installation(w.clock.now()),
    )
    .await
    .unwrap();
    assert!(!again.created_service_principal);
    assert!(again.assignments.is_empty());
    let mut wider = asked.clone();
    wider[0].scopes = vec!["Activity.Write".to_owned(), "Activity.Read".to_owned()];
    consent::grant(
        w.store.as_ref(),
        tenant,
        &client,
        Grantee::Tenant,
        &wider,
        &AuditContext::installation(w.clock.now()),
    )
    .await
    .unwrap();
    let grants = w.store.permission_grants(tenant).await.unwrap();
    assert_eq!(grants.len(), 1);
    assert_eq!(grants[0].scope, "Activity.Read Activity.Write");
    assert_eq!(
        w.store.assignments(tenant).await.unwrap().iter().filter(|a| a.principal_id == stored_sp.id).count(),
        1
    );
}

#[tokio::test]
async fn a_single_tenant_app_cannot_be_consented_to_elsewhere() {
    let w = World::new().await;
    let client = w.client("AzureADMyOrg").await;
    let tenant = w.b.tenant.id;
    assert_eq!(consent::registration_for(w.store.as_ref(), tenant, client.app_id).await.unwrap(), None);
    let asked = consent::required_permissions(w.store.as_ref(), tenant, &client).await.unwrap();
    let refused = consent::grant(
        w.store.as_ref(),
        tenant,
        &client,
        Grantee::Tenant,
        &asked,
        &AuditContext::installation(w.clock.now()),
    )
    .await;
    assert!(matches!(refused, Err(ConsentError::NotMultiTenant(id)) if id == client.app_id), "{refused:?}");
    assert_eq!(w.store.service_principal_by_app_id(tenant, client.app_id).await.unwrap(), None);
}

#[tokio::test]
async fn users_consent_to_scopes_only_and_nobody_grants_custos_admin() {
    let w = World::new().await;
    let client = w.client(SIGN_IN_AUDIENCE_MULTIPLE_ORGS).await;
    let tenant = w.b.tenant.id;
    let user = ObjectId::new_random();
    let asked = consent::required_permissions(w.store.as_ref(), tenant, &client).await.unwrap();
    let refused = consent::grant(
        w.store.as_ref(),
        tenant,
        &client,
        Grantee::User(user),
        &asked,
        &AuditContext::installation(w.clock.now()),
    )
    .await;
    assert!(matches!(refused, Err(ConsentError::AdminOnly(_))), "{refused:?}");
    assert_eq!(
        w.store.service_principal_by_app_id(tenant, client.app_id).await.unwrap(),
        None,
        "nothing written"
    );

    let scopes_only = vec![consent::ResourcePermissions { roles: Vec::new(), ..asked[0].clone() }];
    let outcome = consent::grant(
        w.store.as_ref(),
        tenant,
        &client,
        Grantee::User(user),
        &scopes_only,
        &AuditContext::installation(w.clock.now()),
    )
    .await
    .unwrap();
    assert_eq!(outcome.grants[0].consent_type, ConsentType::Principal);
    assert_eq!(outcome.grants[0].principal_id, Some(user));

    let graph = custos_core::ids::GRAPH_APP_ID;
    let admin = vec![consent::ResourcePermissions {
        resource_app_id: graph,
        scopes: Vec::new(),
        roles: vec![CUSTOS_ADMIN_ROLE_ID],
    }];
    let refused = consent::grant(
        w.store.as_ref(),
        tenant,
        &client,
        Grantee::Tenant,
        &admin,
        &AuditContext::installation(w.clock.now()),
    )
    .await;
    assert!(matches!(refused, Err(ConsentError::AdminOnly(ref p)) if p == "Custos.Admin"), "{refused:?}");
}

#[tokio::test]
async fn unknown_resources_and_permissions_are_refused() {
    let w = World::new().await;
    let mut client = w.client(SIGN_IN_AUDIENCE_MULTIPLE_ORGS).await;
    client.required_resource_access[0]
        .resource_access
        .push(ResourceAccess { id: Uuid::new_v4(), kind: AccessType::Scope });
    let refused = consent::required_permissions(w.store.as_ref(), w.b.tenant.id, &client).await;
    assert!(matches!(refused, Err(ConsentError::UnknownPermission { .. })), "{refused:?}");
    client.required_resource_access[0].resource_app_id = AppId::new_random();
    let refused = consent::required_permissions(w.store.as_ref(), w.b.tenant.id, &client).await;
    assert!(matches!(refused, Err(ConsentError::UnknownResource(_))), "{refused:?}");
    // Tenant A has no service principal of B's resource.
    let asked = vec![consent::ResourcePermissions {
        resource_app_id: w.resource.app_id,
        scopes: vec!["Activity.Read".to_owned()],
        roles: Vec::new(),
    }];
    let refused = consent::grant(
        w.store.as_ref(),
        w.a.tenant.id,
        &client,
        Grantee::Tenant,
        &asked,
        &AuditContext::installation(w.clock.now()),
    )
    .await;
    assert!(matches!(refused, Err(ConsentError::UnknownResource(_))), "{refused:?}");
}

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;
