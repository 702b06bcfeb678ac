//! Cascading deletes and tenant isolation (no cross-tenant IDOR).

use super::*;
use std::sync::Arc;

pub(crate) async fn delete_application_cascades(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    // The resource also holds a role on the client, and two unrelated apps keep theirs.
    let reverse = assignment(&world.resource_sp, &world.client_sp, ROLE_READ, 40);
    store.create_assignment(&reverse, &audit()).await.unwrap();
    let other_app = application(tenant, "Other", 41);
    let other_sp = service_principal(&other_app, 41);
    store.create_application(&other_app, &audit()).await.unwrap();
    store.create_service_principal(&other_sp, &audit()).await.unwrap();
    let unrelated = assignment(&other_sp, &world.client_sp, ROLE_READ, 42);
    store.create_assignment(&unrelated, &audit()).await.unwrap();

    store.delete_application(tenant, world.resource_app.id, &audit()).await.unwrap();

    assert_eq!(store.application(tenant, world.resource_app.id).await.unwrap(), None);
    assert_eq!(store.service_principal(tenant, world.resource_sp.id).await.unwrap(), None);
    assert_eq!(store.assignments(tenant).await.unwrap(), vec![unrelated]);
    assert_eq!(store.service_principals(tenant).await.unwrap(), vec![world.client_sp.clone(), other_sp]);
    // Its identifier URIs are released.
    let mut reuse = application(tenant, "Reuse", 43);
    reuse.identifier_uris = world.resource_app.identifier_uris.clone();
    store.create_application(&reuse, &audit()).await.unwrap();

    assert_not_found(store.delete_application(tenant, world.resource_app.id, &audit()).await);
}

pub(crate) async fn delete_service_principal_cascades(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    let reverse = assignment(&world.resource_sp, &world.client_sp, ROLE_WRITE, 40);
    store.create_assignment(&reverse, &audit()).await.unwrap();

    store.delete_service_principal(tenant, world.client_sp.id, &audit()).await.unwrap();

    assert_eq!(store.assignments(tenant).await.unwrap(), vec![]);
    assert_eq!(store.service_principals(tenant).await.unwrap(), vec![world.resource_sp.clone()]);
    // The application registration stays.
    assert_eq!(store.application(tenant, world.client_app.id).await.unwrap(), Some(world.client_app.clone()));
    assert_not_found(store.delete_service_principal(tenant, world.client_sp.id, &audit()).await);
}

/// Tenant B names tenant A's objects by id: nothing is returned, changed or deleted.
pub(crate) async fn tenant_isolation(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let a = world.tenant_a.id;
    let b = world.tenant_b.id;

    assert_eq!(store.application(b, world.resource_app.id).await.unwrap(), None);
    assert_eq!(store.application_by_app_id(b, world.resource_app.app_id).await.unwrap(), None);
    assert_eq!(store.applications(b).await.unwrap(), vec![]);
    assert_eq!(store.service_principal(b, world.resource_sp.id).await.unwrap(), None);
    assert_eq!(store.service_principal_by_app_id(b, world.resource_app.app_id).await.unwrap(), None);
    assert_eq!(store.service_principals(b).await.unwrap(), vec![]);
    assert_eq!(store.assignments(b).await.unwrap(), vec![]);

    let mut hijacked_app = world.resource_app.clone();
    hijacked_app.tenant_id = b;
    hijacked_app.display_name = "hijacked".to_owned();
    assert_not_found(store.update_application(&hijacked_app, &audit()).await);
    let stolen = world.resource_app.password_credentials[0].key_id;
    assert_not_found(
        store
            .modify_application(b, world.resource_app.id, ApplicationChange::RemovePassword(stolen), &audit())
            .await,
    );
    let mut hijacked_sp = world.resource_sp.clone();
    hijacked_sp.tenant_id = b;
    hijacked_sp.account_enabled = false;
    assert_not_found(store.update_service_principal(&hijacked_sp, &audit()).await);
    assert_not_found(store.delete_assignment(b, &world.assignment.id, &audit()).await);
    assert_not_found(store.delete_service_principal(b, world.client_sp.id, &audit()).await);
    assert_not_found(store.delete_application(b, world.resource_app.id, &audit()).await);

    // An assignment in B naming A's principals is refused.
    let mut cross = assignment(&world.client_sp, &world.resource_sp, ROLE_WRITE, 50);
    cross.tenant_id = b;
    assert_eq!(
        conflict(store.create_assignment(&cross, &audit()).await),
        "a referenced tenant, application or service principal does not exist in the tenant"
    );

    assert_eq!(
        store.applications(a).await.unwrap(),
        vec![world.resource_app.clone(), world.client_app.clone()]
    );
    assert_eq!(
        store.service_principals(a).await.unwrap(),
        vec![world.resource_sp.clone(), world.client_sp.clone()]
    );
    assert_eq!(store.assignments(a).await.unwrap(), vec![world.assignment.clone()]);
    assert_eq!(store.assignments(b).await.unwrap(), vec![]);
}
