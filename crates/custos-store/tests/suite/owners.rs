//! Owners of applications and service principals: order, conflicts, tenant isolation, and the
//! rows going with either side.

use super::*;
use std::sync::Arc;

pub(crate) async fn owners_round_trip_and_cascade(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    let alice = user(&world.tenant_a, "alice", 10);
    store.create_user(&alice, "$argon2id$alice", &audit()).await.unwrap();
    let app = world.resource_app.id;
    let sp = world.resource_sp.id;

    assert_eq!(store.owners(tenant, app).await.unwrap(), Vec::<ObjectId>::new());
    store.add_owner(tenant, app, alice.id, at(20), &audit()).await.unwrap();
    store.add_owner(tenant, app, world.client_sp.id, at(21), &audit()).await.unwrap();
    store.add_owner(tenant, sp, alice.id, at(22), &audit()).await.unwrap();
    assert_eq!(store.owners(tenant, app).await.unwrap(), vec![alice.id, world.client_sp.id]);
    assert_eq!(store.owners(tenant, sp).await.unwrap(), vec![alice.id]);
    assert!(matches!(
        store.add_owner(tenant, app, alice.id, at(23), &audit()).await,
        Err(StoreError::Conflict(_))
    ));
    // Another tenant sees none and cannot remove any.
    assert_eq!(store.owners(world.tenant_b.id, app).await.unwrap(), Vec::<ObjectId>::new());
    assert_not_found(store.remove_owner(world.tenant_b.id, app, alice.id, &audit()).await);

    store.remove_owner(tenant, app, world.client_sp.id, &audit()).await.unwrap();
    assert_not_found(store.remove_owner(tenant, app, world.client_sp.id, &audit()).await);
    assert_eq!(store.owners(tenant, app).await.unwrap(), vec![alice.id]);

    // Deleting the owner removes it everywhere; deleting the object removes its rows.
    store.add_owner(tenant, app, world.client_sp.id, at(24), &audit()).await.unwrap();
    store.delete_user(tenant, alice.id, &audit()).await.unwrap();
    assert_eq!(store.owners(tenant, app).await.unwrap(), vec![world.client_sp.id]);
    assert_eq!(store.owners(tenant, sp).await.unwrap(), Vec::<ObjectId>::new());
    store.add_owner(tenant, sp, world.client_sp.id, at(25), &audit()).await.unwrap();
    store.delete_service_principal(tenant, world.client_sp.id, &audit()).await.unwrap();
    assert_eq!(store.owners(tenant, app).await.unwrap(), Vec::<ObjectId>::new());
    assert_eq!(store.owners(tenant, sp).await.unwrap(), Vec::<ObjectId>::new());
    let bob = user(&world.tenant_a, "bob", 30);
    store.create_user(&bob, "$argon2id$bob", &audit()).await.unwrap();
    store.add_owner(tenant, app, bob.id, at(31), &audit()).await.unwrap();
    store.add_owner(tenant, sp, bob.id, at(31), &audit()).await.unwrap();
    store.delete_application(tenant, app, &audit()).await.unwrap();
    assert_eq!(store.owners(tenant, app).await.unwrap(), Vec::<ObjectId>::new());
    assert_eq!(store.owners(tenant, sp).await.unwrap(), Vec::<ObjectId>::new());
    // A change needs its audit record.
    assert!(matches!(
        store.add_owner(tenant, bob.id, bob.id, at(32), &[]).await,
        Err(StoreError::InvalidInput(_))
    ));
}
