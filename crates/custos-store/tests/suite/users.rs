//! Users, directory roles, delegated permission grants and the cross-tenant application lookup.

use super::*;
use custos_core::consent::{ConsentType, OAuth2PermissionGrant};
use custos_core::users::{DirectoryRoleAssignment, GLOBAL_ADMINISTRATOR, User};
use std::sync::Arc;

pub(crate) fn user(tenant: &Tenant, local: &str, seconds: i64) -> User {
    User {
        id: ObjectId::new_random(),
        tenant_id: tenant.id,
        user_principal_name: format!("{local}@{}", tenant.domain),
        display_name: format!("{local} — «ünïcode»"),
        given_name: Some(local.to_owned()),
        surname: None,
        mail_nickname: local.to_owned(),
        mail: None,
        account_enabled: true,
        tokens_valid_from: at(seconds),
        created: at(seconds),
    }
}

pub(crate) fn grant(
    client: &ServicePrincipal,
    resource: &ServicePrincipal,
    principal: Option<ObjectId>,
    scope: &str,
    seconds: i64,
) -> OAuth2PermissionGrant {
    OAuth2PermissionGrant {
        id: format!("{}{}", Uuid::new_v4().simple(), &Uuid::new_v4().simple().to_string()[..11]),
        tenant_id: client.tenant_id,
        client_id: client.id,
        consent_type: if principal.is_some() { ConsentType::Principal } else { ConsentType::AllPrincipals },
        principal_id: principal,
        resource_id: resource.id,
        scope: scope.to_owned(),
        created: at(seconds),
    }
}

pub(crate) async fn user_round_trip(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let alice = user(&world.tenant_a, "alice", 20);
    let bob = user(&world.tenant_a, "bob", 21);
    store.create_user(&alice, "$argon2id$alice", &audit()).await.unwrap();
    store.create_user(&bob, "$argon2id$bob", &audit()).await.unwrap();

    let tenant = world.tenant_a.id;
    assert_eq!(store.user(tenant, alice.id).await.unwrap(), Some(alice.clone()));
    let upper = alice.user_principal_name.to_uppercase();
    assert_eq!(store.user_by_upn(tenant, &upper).await.unwrap(), Some(alice.clone()), "UPNs ignore case");
    assert_eq!(store.users(tenant).await.unwrap(), vec![alice.clone(), bob.clone()]);
    assert_eq!(store.user_password_hash(tenant, alice.id).await.unwrap().as_deref(), Some("$argon2id$alice"));
    // Another tenant sees none of them.
    assert_eq!(store.user(world.tenant_b.id, alice.id).await.unwrap(), None);
    assert_eq!(store.user_by_upn(world.tenant_b.id, &alice.user_principal_name).await.unwrap(), None);
    assert_eq!(store.users(world.tenant_b.id).await.unwrap(), vec![]);

    let mut changed = alice.clone();
    changed.display_name = "Alice Liddell".to_owned();
    changed.account_enabled = false;
    changed.surname = Some("Liddell".to_owned());
    store.update_user(&changed, &audit()).await.unwrap();
    assert_eq!(store.user(tenant, alice.id).await.unwrap(), Some(changed.clone()));

    store.set_user_password(tenant, alice.id, "$argon2id$new", at(30), &audit()).await.unwrap();
    assert_eq!(store.user_password_hash(tenant, alice.id).await.unwrap().as_deref(), Some("$argon2id$new"));
    assert_eq!(store.user(tenant, alice.id).await.unwrap().unwrap().tokens_valid_from, at(30));

    store.delete_user(tenant, bob.id, &audit()).await.unwrap();
    assert_eq!(store.user(tenant, bob.id).await.unwrap(), None);
    assert_not_found(store.delete_user(tenant, bob.id, &audit()).await);
    assert_not_found(store.delete_user(world.tenant_b.id, alice.id, &audit()).await);
    let mut ghost = bob.clone();
    ghost.id = ObjectId::new_random();
    assert_not_found(store.update_user(&ghost, &audit()).await);
    assert_not_found(store.set_user_password(tenant, ghost.id, "h", at(1), &audit()).await);
}

pub(crate) async fn user_conflicts(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let alice = user(&world.tenant_a, "alice", 20);
    store.create_user(&alice, "h", &audit()).await.unwrap();
    let mut twin = user(&world.tenant_a, "ALICE", 21);
    twin.user_principal_name = alice.user_principal_name.to_uppercase();
    assert_eq!(
        conflict(store.create_user(&twin, "h", &audit()).await),
        "Another object with the same value for property userPrincipalName already exists."
    );
    let bob = user(&world.tenant_a, "bob", 22);
    store.create_user(&bob, "h", &audit()).await.unwrap();
    let mut renamed = bob.clone();
    renamed.user_principal_name = alice.user_principal_name.clone();
    conflict(store.update_user(&renamed, &audit()).await);
    // The same UPN in another tenant is another user.
    let mut elsewhere = user(&world.tenant_b, "alice", 23);
    elsewhere.user_principal_name = alice.user_principal_name.clone();
    store.create_user(&elsewhere, "h", &audit()).await.unwrap();
    // A user of a tenant that does not exist.
    let mut orphan = user(&world.tenant_a, "orphan", 24);
    orphan.tenant_id = TenantId::new_random();
    conflict(store.create_user(&orphan, "h", &audit()).await);
}

pub(crate) async fn directory_roles(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    let alice = user(&world.tenant_a, "alice", 20);
    store.create_user(&alice, "h", &audit()).await.unwrap();
    let role = DirectoryRoleAssignment {
        id: "YUb1sHQtUEyvox7IA_Eu_mm3jqnUe4lEhvatluHVi2I-1".to_owned(),
        tenant_id: tenant,
        role_definition_id: GLOBAL_ADMINISTRATOR,
        principal_id: alice.id,
        created: at(25),
    };
    store.create_directory_role_assignment(&role, &audit()).await.unwrap();
    assert_eq!(store.directory_role_assignments(tenant).await.unwrap(), vec![role.clone()]);
    assert_eq!(store.directory_role_assignments(world.tenant_b.id).await.unwrap(), vec![]);
    let mut again = role.clone();
    again.id = "another".to_owned();
    assert_eq!(
        conflict(store.create_directory_role_assignment(&again, &audit()).await),
        "the user already holds this directory role"
    );
    let mut nobody = role.clone();
    nobody.id = "nobody".to_owned();
    nobody.principal_id = ObjectId::new_random();
    conflict(store.create_directory_role_assignment(&nobody, &audit()).await);

    assert_not_found(store.delete_directory_role_assignment(world.tenant_b.id, &role.id, &audit()).await);
    store.delete_directory_role_assignment(tenant, &role.id, &audit()).await.unwrap();
    assert_eq!(store.directory_role_assignments(tenant).await.unwrap(), vec![]);
    // Deleting the user removes their roles.
    store.create_directory_role_assignment(&role, &audit()).await.unwrap();
    store.delete_user(tenant, alice.id, &audit()).await.unwrap();
    assert_eq!(store.directory_role_assignments(tenant).await.unwrap(), vec![]);
}

pub(crate) async fn permission_grants(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    let alice = user(&world.tenant_a, "alice", 20);
    store.create_user(&alice, "h", &audit()).await.unwrap();
    let admin = grant(&world.client_sp, &world.resource_sp, None, "Orders.Read", 30);
    let own = grant(&world.client_sp, &world.resource_sp, Some(alice.id), "Orders.Write", 31);
    store.create_permission_grant(&admin, &audit()).await.unwrap();
    store.create_permission_grant(&own, &audit()).await.unwrap();
    assert_eq!(store.permission_grants(tenant).await.unwrap(), vec![admin.clone(), own.clone()]);
    assert_eq!(store.permission_grants(world.tenant_b.id).await.unwrap(), vec![]);

    let duplicate = grant(&world.client_sp, &world.resource_sp, None, "x", 32);
    assert_eq!(
        conflict(store.create_permission_grant(&duplicate, &audit()).await),
        "a permission grant for this client, resource and principal exists"
    );
    let mut dangling = grant(&world.client_sp, &world.resource_sp, None, "x", 33);
    dangling.resource_id = ObjectId::new_random();
    conflict(store.create_permission_grant(&dangling, &audit()).await);
    let mut mixed = grant(&world.client_sp, &world.resource_sp, None, "x", 34);
    mixed.consent_type = ConsentType::Principal;
    assert!(matches!(
        store.create_permission_grant(&mixed, &audit()).await,
        Err(StoreError::InvalidInput(_))
    ));

    store.update_permission_grant(tenant, &admin.id, "Orders.Read Orders.List", &audit()).await.unwrap();
    assert_eq!(store.permission_grants(tenant).await.unwrap()[0].scope, "Orders.Read Orders.List");
    assert_not_found(store.update_permission_grant(world.tenant_b.id, &admin.id, "x", &audit()).await);
    assert_not_found(store.delete_permission_grant(world.tenant_b.id, &admin.id, &audit()).await);

    // A user's deletion takes their own grant; the admin grant stays.
    store.delete_user(tenant, alice.id, &audit()).await.unwrap();
    assert_eq!(store.permission_grants(tenant).await.unwrap().len(), 1);
    // Deleting the client's service principal takes the rest.
    store.delete_service_principal(tenant, world.client_sp.id, &audit()).await.unwrap();
    assert_eq!(store.permission_grants(tenant).await.unwrap(), vec![]);
}

pub(crate) async fn grants_in_snapshots(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let directory = custos_store::Directory::new(Arc::clone(&store));
    let tenant = world.tenant_a.id;
    let (alice, bob) = (ObjectId::new_random(), ObjectId::new_random());
    let (client, resource) = (world.client_sp.id, world.resource_sp.id);
    let empty = directory.snapshot(tenant).await.unwrap().unwrap();
    assert!(empty.delegated_scopes(client, resource, alice).is_empty());

    let admin = grant(&world.client_sp, &world.resource_sp, None, "openid Orders.Read", 30);
    directory.create_permission_grant(&admin, &audit()).await.unwrap();
    let mut own = grant(&world.client_sp, &world.resource_sp, None, "Orders.Read Orders.Write", 31);
    own.consent_type = ConsentType::Principal;
    own.principal_id = Some(alice);
    // The grant names a user id the store does not check; only the principal key matters here.
    directory.create_permission_grant(&own, &audit()).await.unwrap();
    let snapshot = directory.snapshot(tenant).await.unwrap().unwrap();
    assert_eq!(snapshot.delegated_scopes(client, resource, alice), ["openid", "Orders.Read", "Orders.Write"]);
    assert_eq!(snapshot.delegated_scopes(client, resource, bob), ["openid", "Orders.Read"]);
    assert!(snapshot.delegated_scopes(resource, client, alice).is_empty(), "grants have a direction");
    assert_eq!(snapshot.grants(client, resource).len(), 2);

    directory.delete_permission_grant(tenant, &admin.id, &audit()).await.unwrap();
    let snapshot = directory.snapshot(tenant).await.unwrap().unwrap();
    assert!(snapshot.delegated_scopes(client, resource, bob).is_empty());
}

pub(crate) async fn applications_across_tenants(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let app_id = world.client_app.app_id;
    assert_eq!(store.applications_by_app_id(app_id).await.unwrap(), vec![world.client_app.clone()]);
    assert_eq!(store.applications_by_app_id(AppId::new_random()).await.unwrap(), vec![]);
}
