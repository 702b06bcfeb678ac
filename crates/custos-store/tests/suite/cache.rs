//! The `Directory` cache on top of each backend: snapshot lookups, invalidation by every kind
//! of write, and tenant resolution.

use super::*;
use custos_store::Directory;
use std::sync::Arc;

pub(crate) async fn directory_snapshot_lookups(store: Arc<dyn Store>) {
    let world = World::new();
    let directory = Directory::new(store);
    world.create_all(&directory).await;

    let snap = directory.snapshot(world.tenant_a.id).await.unwrap().unwrap();
    assert_eq!(snap.tenant, world.tenant_a);
    assert_eq!(snap.application(world.client_app.app_id), Some(&world.client_app));
    let resource = Some(&world.resource_app);
    for identifier in [
        "api://orders",
        "api://orders/",
        "https://orders.contoso.example/",
        "https://orders.contoso.example",
        &world.resource_app.app_id.to_string(),
        &world.resource_app.app_id.to_string().to_uppercase(),
    ] {
        assert_eq!(snap.application_by_identifier(identifier), resource, "{identifier}");
    }
    for unknown in [
        "api://orders//",
        "API://orders",
        "api://order",
        "",
        &AppId::new_random().to_string(),
        &format!("{{{}}}", world.resource_app.app_id),
    ] {
        assert_eq!(snap.application_by_identifier(unknown), None, "{unknown}");
    }
    assert_eq!(snap.service_principal(world.resource_app.app_id), Some(&world.resource_sp));
    assert_eq!(snap.service_principal_by_id(world.client_sp.id), Some(&world.client_sp));
    assert_eq!(snap.service_principal_by_id(ObjectId::new_random()), None);
    assert_eq!(snap.assigned_role_ids(world.client_sp.id, world.resource_sp.id), [ROLE_READ]);
    assert!(snap.assigned_role_ids(world.resource_sp.id, world.client_sp.id).is_empty());

    // Cached: the same snapshot until a write.
    let again = directory.snapshot(world.tenant_a.id).await.unwrap().unwrap();
    assert!(Arc::ptr_eq(&snap, &again));

    let empty = directory.snapshot(world.tenant_b.id).await.unwrap().unwrap();
    assert_eq!(empty.tenant, world.tenant_b);
    assert_eq!(empty.application_by_identifier("api://orders"), None);
    assert!(directory.snapshot(TenantId::new_random()).await.unwrap().is_none());
}

pub(crate) async fn directory_invalidation(store: Arc<dyn Store>) {
    let world = World::new();
    let directory = Directory::new(Arc::clone(&store));
    world.create_all(&directory).await;
    let tenant = world.tenant_a.id;
    let snapshot = || async { directory.snapshot(tenant).await.unwrap().unwrap() };
    let before = snapshot().await;

    // Writes that bypass the cache are not seen until the tenant is invalidated.
    let mut bypass = world.client_sp.clone();
    bypass.account_enabled = false;
    store.update_service_principal(&bypass, &audit()).await.unwrap();
    assert!(snapshot().await.service_principal_by_id(bypass.id).unwrap().account_enabled);
    directory.invalidate(tenant);
    assert!(!snapshot().await.service_principal_by_id(bypass.id).unwrap().account_enabled);

    // Invalidating another tenant leaves this one cached.
    let cached = snapshot().await;
    directory.invalidate(world.tenant_b.id);
    assert!(Arc::ptr_eq(&cached, &snapshot().await));
    assert!(!Arc::ptr_eq(&before, &cached));

    let mut app = application(tenant, "New API", 60);
    app.identifier_uris = vec!["api://new".to_owned()];
    directory.create_application(&app, &audit()).await.unwrap();
    assert_eq!(snapshot().await.application_by_identifier("api://new"), Some(&app));

    app.identifier_uris = vec!["api://renamed".to_owned()];
    directory.update_application(&app, &audit()).await.unwrap();
    let snap = snapshot().await;
    assert_eq!(snap.application_by_identifier("api://new"), None);
    assert_eq!(snap.application_by_identifier("api://renamed"), Some(&app));

    // A credential change through the cache invalidates the tenant too.
    let added = key_credential(9, 60);
    let written = directory
        .modify_application(tenant, app.id, ApplicationChange::AddKey(added.clone()), &audit())
        .await;
    assert_eq!(written.unwrap().key_credentials.last(), Some(&added));
    assert_eq!(snapshot().await.application(app.app_id).unwrap().key_credentials.last(), Some(&added));

    let mut sp = service_principal(&app, 61);
    directory.create_service_principal(&sp, &audit()).await.unwrap();
    assert_eq!(snapshot().await.service_principal(app.app_id), Some(&sp));

    sp.app_role_assignment_required = true;
    directory.update_service_principal(&sp, &audit()).await.unwrap();
    assert_eq!(snapshot().await.service_principal_by_id(sp.id), Some(&sp));

    let grant = assignment(&world.client_sp, &sp, ROLE_WRITE, 62);
    directory.create_assignment(&grant, &audit()).await.unwrap();
    assert_eq!(snapshot().await.assigned_role_ids(world.client_sp.id, sp.id), [ROLE_WRITE]);

    directory.delete_assignment(tenant, &grant.id, &audit()).await.unwrap();
    assert!(snapshot().await.assigned_role_ids(world.client_sp.id, sp.id).is_empty());

    directory.delete_service_principal(tenant, sp.id, &audit()).await.unwrap();
    assert_eq!(snapshot().await.service_principal(app.app_id), None);

    directory.delete_application(tenant, app.id, &audit()).await.unwrap();
    assert_eq!(snapshot().await.application(app.app_id), None);

    // Deleting the resource application drops its principal and the client's role on it.
    directory.delete_application(tenant, world.resource_app.id, &audit()).await.unwrap();
    let snap = snapshot().await;
    assert_eq!(snap.application_by_identifier("api://orders"), None);
    assert_eq!(snap.service_principal_by_id(world.resource_sp.id), None);
    assert!(snap.assigned_role_ids(world.client_sp.id, world.resource_sp.id).is_empty());
}

pub(crate) async fn directory_resolve_tenant(store: Arc<dyn Store>) {
    let world = World::new();
    let directory = Directory::new(store);
    world.create_all(&directory).await;
    let a = Some(world.tenant_a.clone());

    assert_eq!(directory.resolve_tenant(&world.tenant_a.id.to_string()).await.unwrap(), a);
    assert_eq!(directory.resolve_tenant(&world.tenant_a.id.to_string().to_uppercase()).await.unwrap(), a);
    assert_eq!(directory.resolve_tenant("Contoso.EXAMPLE").await.unwrap(), a);
    assert_eq!(directory.resolve_tenant("contoso.example").await.unwrap(), a);
    assert_eq!(directory.resolve_tenant("fabrikam.example").await.unwrap(), Some(world.tenant_b.clone()));
    assert_eq!(directory.resolve_tenant(&format!("{{{}}}", world.tenant_a.id)).await.unwrap(), None);
    assert_eq!(directory.resolve_tenant(&TenantId::new_random().to_string()).await.unwrap(), None);

    // Misses are not cached: a tenant created later resolves at once.
    assert_eq!(directory.resolve_tenant("Later.example").await.unwrap(), None);
    let later = tenant("later.example", 70);
    directory.create_tenant(&later, &audit()).await.unwrap();
    assert_eq!(directory.resolve_tenant("LATER.example").await.unwrap(), Some(later));
}
