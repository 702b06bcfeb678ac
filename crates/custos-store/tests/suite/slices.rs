//! The narrow reads slices of large tenants are built from (an application by identifier URI
//! key, the assignments and grants between two service principals, the tenant's object count),
//! and slices answering every lookup as the whole snapshot does, on each backend.

use super::*;
use custos_store::{Directory, Needs};
use std::sync::Arc;

pub(crate) async fn narrow_reads(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (a, b) = (world.tenant_a.id, world.tenant_b.id);
    let resource = Some(world.resource_app.clone());

    // Any spelling with the same key finds the application; the caller compares exactly.
    for uri in ["api://orders", "API://Orders/", "api://orders//", "https://orders.contoso.example"] {
        assert_eq!(store.application_by_identifier_uri(a, uri).await.unwrap(), resource, "{uri}");
    }
    for uri in ["api://order", "", "api://orders\0", &world.resource_app.app_id.to_string()] {
        assert_eq!(store.application_by_identifier_uri(a, uri).await.unwrap(), None, "{uri:?}");
    }
    assert_eq!(store.application_by_identifier_uri(b, "api://orders").await.unwrap(), None);

    assert_eq!(store.directory_object_count(a).await.unwrap(), 4);
    assert_eq!(store.directory_object_count(b).await.unwrap(), 0);
    assert_eq!(store.directory_object_count(TenantId::new_random()).await.unwrap(), 0);

    let (client, resource_sp) = (world.client_sp.id, world.resource_sp.id);
    let write = assignment(&world.client_sp, &world.resource_sp, ROLE_WRITE, 7);
    store.create_assignment(&write, &audit()).await.unwrap();
    let between = store.assignments_between(a, client, resource_sp).await.unwrap();
    assert_eq!(between, vec![world.assignment.clone(), write]);
    assert_eq!(store.assignments_between(a, resource_sp, client).await.unwrap(), vec![]);
    assert_eq!(store.assignments_between(b, client, resource_sp).await.unwrap(), vec![]);

    let admin = grant(&world.client_sp, &world.resource_sp, None, "Orders.Read", 30);
    let own = grant(&world.client_sp, &world.resource_sp, Some(ObjectId::new_random()), "Orders.Write", 31);
    let backwards = grant(&world.resource_sp, &world.client_sp, None, "Orders.Read", 32);
    for g in [&admin, &own, &backwards] {
        store.create_permission_grant(g, &audit()).await.unwrap();
    }
    assert_eq!(store.permission_grants_between(a, client, resource_sp).await.unwrap(), vec![admin, own]);
    assert_eq!(store.permission_grants_between(a, resource_sp, client).await.unwrap(), vec![backwards]);
    assert_eq!(store.permission_grants_between(b, client, resource_sp).await.unwrap(), vec![]);
}

/// Every identifier of `directory_snapshot_lookups`, asked of a slice (a directory slicing every
/// tenant) and of the whole snapshot: the same answers.
pub(crate) async fn slices_answer_as_the_whole_snapshot(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let grant = grant(&world.client_sp, &world.resource_sp, None, "Orders.Read", 30);
    store.create_permission_grant(&grant, &audit()).await.unwrap();
    let tenant = world.tenant_a.id;
    let whole = Directory::new(Arc::clone(&store)).snapshot(tenant).await.unwrap().unwrap();
    let sliced = Directory::new(Arc::clone(&store)).with_slices(0, 64);
    let app_id = world.resource_app.app_id.to_string();
    let (client, resource) = (world.client_sp.id, world.resource_sp.id);
    let user = ObjectId::new_random();
    for identifier in [
        "api://orders",
        "api://orders/",
        "https://orders.contoso.example/",
        "https://orders.contoso.example",
        &app_id,
        &app_id.to_uppercase(),
        "api://orders//",
        "API://orders",
        "api://order",
        "",
        &format!("{{{app_id}}}"),
    ] {
        let needs = Needs::client(&world.client_app.app_id.to_string()).and_resource(identifier);
        let slice = sliced.snapshot_for(tenant, &needs).await.unwrap().unwrap();
        assert_eq!(slice.tenant, whole.tenant);
        assert_eq!(slice.settings, whole.settings);
        let found = slice.application_by_identifier(identifier);
        assert_eq!(found, whole.application_by_identifier(identifier), "{identifier}");
        assert_eq!(slice.application(world.client_app.app_id), Some(&world.client_app));
        assert_eq!(slice.service_principal(world.client_app.app_id), Some(&world.client_sp));
        if let Some(app) = found {
            assert_eq!(slice.service_principal(app.app_id), whole.service_principal(app.app_id));
            let whole_roles = whole.assigned_role_ids(client, resource);
            assert_eq!(slice.assigned_role_ids(client, resource), whole_roles, "{identifier}");
            assert_eq!(whole_roles, [ROLE_READ]);
            let scopes = slice.delegated_scopes(client, resource, user);
            assert_eq!(scopes, whole.delegated_scopes(client, resource, user), "{identifier}");
            assert_eq!(scopes, ["Orders.Read"]);
        }
    }
}
