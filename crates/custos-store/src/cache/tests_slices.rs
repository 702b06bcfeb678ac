//! Slices of large tenants ([`super::slices`]): the objects a request names and nothing else,
//! no whole-tenant load, a bounded number per tenant, dropped by writes, and never installed
//! when a write overlapped their load. Runs on the gated store of [`super::tests`].

use super::tests::{Gated, audit, setup};
use super::{Directory, Needs};
use crate::Store;
use custos_core::consent::{ConsentType, OAuth2PermissionGrant};
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, ServicePrincipalType, Tenant};
use custos_core::{AppId, ObjectId, TenantId};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use time::macros::datetime;
use uuid::Uuid;

const ROLE: Uuid = Uuid::from_u128(0x5151);

/// A client, the resource `api://orders/` it has a role on and a tenant-wide grant to, and an
/// unrelated `api://other` it also has a role on; every object through `directory`.
struct Tenant3 {
    tenant: Tenant,
    client: (Application, ServicePrincipal),
    resource: (Application, ServicePrincipal),
    other: (Application, ServicePrincipal),
}

fn app(tenant: TenantId, name: &str, uri: Option<&str>) -> (Application, ServicePrincipal) {
    let created = datetime!(2025-01-02 00:00:00 UTC);
    let app = Application {
        oauth2_permission_scopes: Vec::new(),
        required_resource_access: Vec::new(),
        redirect_uris: custos_core::consent::RedirectUris::default(),
        properties: Default::default(),
        id: ObjectId::new_random(),
        tenant_id: tenant,
        app_id: AppId::new_random(),
        display_name: name.to_owned(),
        description: None,
        identifier_uris: uri.map(str::to_owned).into_iter().collect(),
        app_roles: Vec::new(),
        requested_access_token_version: None,
        sign_in_audience: "AzureADMyOrg".to_owned(),
        password_credentials: Vec::new(),
        key_credentials: Vec::new(),
        federated_identity_credentials: Vec::new(),
        access_token_signing_algorithm: Default::default(),
        created,
    };
    let sp = ServicePrincipal {
        id: ObjectId::new_random(),
        tenant_id: tenant,
        app_id: app.app_id,
        display_name: name.to_owned(),
        account_enabled: true,
        app_role_assignment_required: false,
        service_principal_type: ServicePrincipalType::Application,
        properties: Default::default(),
        created,
    };
    (app, sp)
}

fn assignment(tenant: TenantId, principal: ObjectId, resource: ObjectId) -> AppRoleAssignment {
    AppRoleAssignment {
        id: Uuid::new_v4().simple().to_string(),
        tenant_id: tenant,
        principal_id: principal,
        resource_id: resource,
        app_role_id: ROLE,
        created: datetime!(2025-01-03 00:00:00 UTC),
    }
}

/// The gated store with [`Tenant3`] in the tenant of `setup`, and a directory slicing every
/// tenant, keeping `capacity` slices.
async fn sliced(capacity: usize) -> (Arc<Gated>, Directory, Tenant3) {
    let (gated, _, tenant, _) = setup().await;
    let directory = Directory::new(gated.clone()).with_slices(0, capacity);
    let t = tenant.id;
    let world = Tenant3 {
        client: app(t, "Daemon", None),
        resource: app(t, "Orders", Some("api://orders/")),
        other: app(t, "Other", Some("api://other")),
        tenant,
    };
    for (app, sp) in [&world.client, &world.resource, &world.other] {
        directory.create_application(app, &audit()).await.unwrap();
        directory.create_service_principal(sp, &audit()).await.unwrap();
    }
    let client = world.client.1.id;
    for resource in [world.resource.1.id, world.other.1.id] {
        directory.create_assignment(&assignment(t, client, resource), &audit()).await.unwrap();
    }
    let grant = OAuth2PermissionGrant {
        id: Uuid::new_v4().simple().to_string(),
        tenant_id: t,
        client_id: client,
        consent_type: ConsentType::AllPrincipals,
        principal_id: None,
        resource_id: world.resource.1.id,
        scope: "Orders.Read".to_owned(),
        created: datetime!(2025-01-03 00:00:00 UTC),
    };
    directory.create_permission_grant(&grant, &audit()).await.unwrap();
    (gated, directory, world)
}

fn needs(world: &Tenant3, resource: &str) -> Needs {
    Needs::client(&world.client.0.app_id.to_string()).and_resource(resource)
}

#[tokio::test]
async fn a_slice_holds_what_the_request_names_and_nothing_else() {
    let (gated, directory, world) = sliced(8).await;
    let (client, resource) = (&world.client, &world.resource);
    let slice =
        directory.snapshot_for(world.tenant.id, &needs(&world, "api://orders")).await.unwrap().unwrap();
    assert_eq!(slice.tenant, world.tenant);
    assert_eq!(slice.application(client.0.app_id), Some(&client.0));
    assert_eq!(slice.service_principal(client.0.app_id), Some(&client.1));
    // The slash rules hold within the slice: the resource is registered with a trailing slash.
    for identifier in ["api://orders", "api://orders/"] {
        assert_eq!(slice.application_by_identifier(identifier), Some(&resource.0), "{identifier}");
    }
    assert_eq!(slice.service_principal_by_id(resource.1.id), Some(&resource.1));
    assert_eq!(slice.assigned_role_ids(client.1.id, resource.1.id), [ROLE]);
    assert_eq!(slice.delegated_scopes(client.1.id, resource.1.id, ObjectId::new_random()), ["Orders.Read"]);
    // What the request did not name is not there.
    assert_eq!(slice.application_by_identifier("api://other"), None);
    assert_eq!(slice.service_principal(world.other.0.app_id), None);
    assert!(slice.assigned_role_ids(client.1.id, world.other.1.id).is_empty());

    // Cached, and no whole-tenant load happened.
    let again = directory.snapshot_for(world.tenant.id, &needs(&world, "api://orders")).await.unwrap();
    assert!(Arc::ptr_eq(&slice, &again.unwrap()));
    assert_eq!(gated.loads.load(Ordering::SeqCst), 0);

    // A resource named by appId, and a client without a registration in the tenant.
    let by_app_id = needs(&world, &resource.0.app_id.to_string());
    let slice = directory.snapshot_for(world.tenant.id, &by_app_id).await.unwrap().unwrap();
    assert_eq!(slice.application_by_identifier(&resource.0.app_id.to_string()), Some(&resource.0));
    let stranger = Needs::client(&AppId::new_random().to_string()).and_resource("api://orders/");
    let slice = directory.snapshot_for(world.tenant.id, &stranger).await.unwrap().unwrap();
    assert_eq!(slice.application_by_identifier("api://orders/"), Some(&resource.0));
    assert!(slice.service_principal(world.client.0.app_id).is_none());

    // A service principal named by object id brings its application.
    let slice =
        directory.snapshot_for(world.tenant.id, &Needs::principal(client.1.id)).await.unwrap().unwrap();
    assert_eq!(slice.service_principal_by_id(client.1.id), Some(&client.1));
    assert_eq!(slice.application(client.0.app_id), Some(&client.0));

    assert!(directory.snapshot_for(TenantId::new_random(), &Needs::default()).await.unwrap().is_none());
    assert_eq!(directory.cache_sizes().0, 1, "an unknown tenant leaves no slot");
}

#[tokio::test]
async fn a_tenant_keeps_at_most_its_capacity_of_slices() {
    let (_, directory, world) = sliced(3).await;
    let tenant = world.tenant.id;
    for i in 0..10 {
        let slice = directory.snapshot_for(tenant, &needs(&world, &format!("api://x{i}"))).await.unwrap();
        assert_eq!(slice.unwrap().application(world.client.0.app_id), Some(&world.client.0));
        assert!(directory.cached_slices(tenant) <= 3);
    }
    assert_eq!(directory.cached_slices(tenant), 3);
    // The newest one stays cached.
    let last = needs(&world, "api://x9");
    let first = directory.snapshot_for(tenant, &last).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&first, &directory.snapshot_for(tenant, &last).await.unwrap().unwrap()));
}

#[tokio::test]
async fn writes_drop_the_slices_of_their_tenant() {
    let (_, directory, world) = sliced(8).await;
    let (tenant, wanted) = (world.tenant.id, needs(&world, "api://orders"));
    let before = directory.snapshot_for(tenant, &wanted).await.unwrap().unwrap();
    assert!(before.service_principal_by_id(world.resource.1.id).unwrap().account_enabled);

    let mut disabled = world.resource.1.clone();
    disabled.account_enabled = false;
    directory.update_service_principal(&disabled, &audit()).await.unwrap();
    assert_eq!(directory.cached_slices(tenant), 0);
    let after = directory.snapshot_for(tenant, &wanted).await.unwrap().unwrap();
    assert!(!after.service_principal_by_id(world.resource.1.id).unwrap().account_enabled);

    // A change another server announces drops them too.
    directory.apply(&crate::change_feed::Change::Tenant(tenant));
    assert_eq!(directory.cached_slices(tenant), 0);
    directory.delete_application(tenant, world.resource.0.id, &audit()).await.unwrap();
    let gone = directory.snapshot_for(tenant, &wanted).await.unwrap().unwrap();
    assert_eq!(gone.application_by_identifier("api://orders"), None);
    assert!(gone.assigned_role_ids(world.client.1.id, world.resource.1.id).is_empty());
}

#[tokio::test]
async fn a_slice_loaded_across_a_write_is_not_installed() {
    let (gated, directory, world) = sliced(8).await;
    let directory = Arc::new(directory);
    let (tenant, wanted) = (world.tenant.id, needs(&world, "api://orders"));
    let before = gated.narrow_reads.load(Ordering::SeqCst);
    gated.hold.store(true, Ordering::SeqCst);
    let loader = {
        let (directory, wanted) = (directory.clone(), wanted.clone());
        tokio::spawn(async move { directory.snapshot_for(tenant, &wanted).await.unwrap().unwrap() })
    };
    // The load has read the client's principal (enabled); now a write disables it.
    gated.held.notified().await;
    let mut disabled = world.client.1.clone();
    disabled.account_enabled = false;
    directory.update_service_principal(&disabled, &audit()).await.unwrap();
    gated.release.notify_one();

    let loaded = loader.await.unwrap();
    assert!(!loaded.service_principal_by_id(disabled.id).unwrap().account_enabled);
    let cached = directory.snapshot_for(tenant, &wanted).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&loaded, &cached));
    // Two loads of two principal reads each: the stale one discarded, the second installed.
    assert_eq!(gated.narrow_reads.load(Ordering::SeqCst) - before, 4);
}

#[tokio::test]
async fn small_tenants_keep_the_whole_snapshot() {
    let (gated, directory, tenant, app) = setup().await;
    let wanted = Needs::client(&AppId::new_random().to_string()).and_resource("api://old");
    let snapshot = directory.snapshot_for(tenant.id, &wanted).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&snapshot, &directory.snapshot(tenant.id).await.unwrap().unwrap()));
    assert_eq!(snapshot.application(app.app_id), Some(&app));
    assert_eq!((gated.loads.load(Ordering::SeqCst), gated.narrow_reads.load(Ordering::SeqCst)), (1, 0));
    assert_eq!(directory.cached_slices(tenant.id), 0);
}
