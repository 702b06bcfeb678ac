//! Round trips and uniqueness rules of every stored object.

use super::*;
use std::sync::Arc;

pub(crate) async fn ping(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
}

pub(crate) async fn tenant_round_trip(store: Arc<dyn Store>) {
    let world = World::new();
    // Created out of order: listing is by creation time, not insertion.
    store.create_tenant(&world.tenant_b, &audit()).await.unwrap();
    store.create_tenant(&world.tenant_a, &audit()).await.unwrap();

    assert_eq!(store.tenant(world.tenant_a.id).await.unwrap(), Some(world.tenant_a.clone()));
    assert_eq!(store.tenant_by_domain("CONTOSO.Example").await.unwrap(), Some(world.tenant_a.clone()));
    assert_eq!(store.tenant_by_domain("contoso").await.unwrap(), None);
    assert_eq!(store.tenant(TenantId::new_random()).await.unwrap(), None);
    assert_eq!(store.tenants().await.unwrap(), vec![world.tenant_a, world.tenant_b]);
}

pub(crate) async fn tenant_conflicts(store: Arc<dyn Store>) {
    let world = World::new();
    store.create_tenant(&world.tenant_a, &audit()).await.unwrap();

    let mut same_id = world.tenant_b.clone();
    same_id.id = world.tenant_a.id;
    assert_eq!(conflict(store.create_tenant(&same_id, &audit()).await), "a tenant with this id exists");

    let mut same_domain = world.tenant_b.clone();
    same_domain.domain = "Contoso.EXAMPLE".to_owned();
    assert_eq!(
        conflict(store.create_tenant(&same_domain, &audit()).await),
        "a tenant with this domain exists"
    );
    assert_eq!(store.tenants().await.unwrap(), vec![world.tenant_a]);
}

pub(crate) async fn application_round_trip(store: Arc<dyn Store>) {
    let world = World::new();
    store.create_tenant(&world.tenant_a, &audit()).await.unwrap();
    // The client (no URIs, no roles, no description) is created first but is younger.
    store.create_application(&world.client_app, &audit()).await.unwrap();
    store.create_application(&world.resource_app, &audit()).await.unwrap();
    let tenant = world.tenant_a.id;

    assert_eq!(
        store.application(tenant, world.resource_app.id).await.unwrap(),
        Some(world.resource_app.clone())
    );
    assert_eq!(
        store.application_by_app_id(tenant, world.client_app.app_id).await.unwrap(),
        Some(world.client_app.clone())
    );
    assert_eq!(
        store.applications(tenant).await.unwrap(),
        vec![world.resource_app.clone(), world.client_app.clone()]
    );
    assert_eq!(store.application(tenant, ObjectId::new_random()).await.unwrap(), None);
    assert_eq!(store.application_by_app_id(tenant, AppId::new_random()).await.unwrap(), None);
}

pub(crate) async fn application_update(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;

    let mut changed = world.resource_app.clone();
    changed.display_name = "Orders API v2".to_owned();
    changed.description = None;
    changed.identifier_uris =
        vec!["https://orders.contoso.example/".to_owned(), "api://orders-v2".to_owned()];
    changed.app_roles.truncate(1);
    changed.requested_access_token_version = Some(1);
    changed.access_token_signing_algorithm = AccessTokenSigningAlgorithm::Es256;
    // Credentials in the update are ignored: they change only through modify_application.
    changed.password_credentials.clear();
    changed.key_credentials.clear();
    store.update_application(&changed, &audit()).await.unwrap();
    changed.password_credentials = world.resource_app.password_credentials.clone();
    changed.key_credentials = world.resource_app.key_credentials.clone();
    assert_eq!(store.application(tenant, changed.id).await.unwrap(), Some(changed.clone()));

    // The released URI is free again, in another application.
    let mut other = world.client_app.clone();
    other.identifier_uris = vec!["api://orders".to_owned()];
    store.update_application(&other, &audit()).await.unwrap();
    assert_eq!(store.application(tenant, other.id).await.unwrap(), Some(other));

    let mut missing = world.resource_app.clone();
    missing.id = ObjectId::new_random();
    assert_not_found(store.update_application(&missing, &audit()).await);
}

pub(crate) async fn key_credentials_round_trip(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;

    // Several certificates (rollover), one without a display name, kept in order.
    let mut changed = world.client_app.clone();
    let mut second = key_credential(2, 100);
    second.display_name = None;
    changed.key_credentials.push(second);
    changed.key_credentials.push(key_credential(3, 200));
    let entries = changed.key_credentials.iter().cloned().map(KeyEntry::New).collect();
    store
        .modify_application(tenant, changed.id, ApplicationChange::ReplaceKeys(entries), &audit())
        .await
        .unwrap();
    let read = store.application(tenant, changed.id).await.unwrap().unwrap();
    assert_eq!(read.key_credentials, changed.key_credentials);
    assert_eq!(read.key_credentials[2].certificate_der, [0x30, 0x82, 0x01, 3].repeat(64));
    assert_eq!(read.key_credentials[1].custom_key_identifier, vec![2; 20]);

    // Removing one leaves the others; the secrets are untouched.
    let first = changed.key_credentials.remove(0).key_id;
    store
        .modify_application(tenant, changed.id, ApplicationChange::RemoveKey(first), &audit())
        .await
        .unwrap();
    let read = store.application_by_app_id(tenant, changed.app_id).await.unwrap().unwrap();
    assert_eq!(read, changed);
    assert_eq!(read.password_credentials, world.client_app.password_credentials);

    // An application created without certificates reads back with none.
    let mut bare = application(tenant, "No certificates", 50);
    bare.key_credentials.clear();
    store.create_application(&bare, &audit()).await.unwrap();
    assert_eq!(store.application(tenant, bare.id).await.unwrap().unwrap().key_credentials, vec![]);
}

pub(crate) async fn application_conflicts(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;

    let mut same_object_id = application(world.tenant_a.id, "dup", 20);
    same_object_id.id = world.client_app.id;
    assert_eq!(
        conflict(store.create_application(&same_object_id, &audit()).await),
        "an application with this object id exists"
    );

    let mut same_app_id = application(world.tenant_a.id, "dup", 20);
    same_app_id.app_id = world.client_app.app_id;
    assert_eq!(
        conflict(store.create_application(&same_app_id, &audit()).await),
        "an application with this appId exists in the tenant"
    );
    // The same appId in another tenant is fine (an application instance per tenant).
    same_app_id.tenant_id = world.tenant_b.id;
    store.create_application(&same_app_id, &audit()).await.unwrap();

    // An application of a tenant that does not exist.
    let orphan = application(TenantId::new_random(), "orphan", 20);
    assert_eq!(
        conflict(store.create_application(&orphan, &audit()).await),
        "a referenced tenant, application or service principal does not exist in the tenant"
    );
}

pub(crate) async fn identifier_uri_conflicts(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;

    let mut taker = application(tenant, "Taker", 20);
    taker.identifier_uris = vec!["api://fresh".to_owned(), "api://orders".to_owned()];
    assert_eq!(
        conflict(store.create_application(&taker, &audit()).await),
        "an identifier URI is already used in the tenant"
    );
    // Nothing of the failed create remains: the fresh URI is still free.
    assert_eq!(store.application(tenant, taker.id).await.unwrap(), None);
    let mut fresh = application(tenant, "Fresh", 21);
    fresh.identifier_uris = vec!["api://fresh".to_owned()];
    store.create_application(&fresh, &audit()).await.unwrap();

    // Taking a URI by update fails and leaves the application as it was.
    let mut client = world.client_app.clone();
    client.display_name = "renamed".to_owned();
    client.identifier_uris = vec!["https://orders.contoso.example/".to_owned()];
    assert_eq!(
        conflict(store.update_application(&client, &audit()).await),
        "an identifier URI is already used in the tenant"
    );
    assert_eq!(store.application(tenant, client.id).await.unwrap(), Some(world.client_app.clone()));

    // A URI listed twice in one application is a conflict too.
    let mut twice = application(tenant, "Twice", 22);
    twice.identifier_uris = vec!["api://twice".to_owned(), "api://twice".to_owned()];
    assert_eq!(
        conflict(store.create_application(&twice, &audit()).await),
        "an identifier URI is already used in the tenant"
    );

    // The same URI in another tenant is fine.
    let mut elsewhere = application(world.tenant_b.id, "Elsewhere", 23);
    elsewhere.identifier_uris = vec!["api://orders".to_owned()];
    store.create_application(&elsewhere, &audit()).await.unwrap();
    assert_eq!(store.application(world.tenant_b.id, elsewhere.id).await.unwrap(), Some(elsewhere));
}

pub(crate) async fn service_principal_round_trip(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;

    assert_eq!(
        store.service_principal(tenant, world.client_sp.id).await.unwrap(),
        Some(world.client_sp.clone())
    );
    assert_eq!(
        store.service_principal_by_app_id(tenant, world.resource_app.app_id).await.unwrap(),
        Some(world.resource_sp.clone())
    );

    // A managed identity has no application registration.
    let mut identity = service_principal(&application(tenant, "mi", 30), 30);
    identity.service_principal_type = ServicePrincipalType::ManagedIdentity;
    store.create_service_principal(&identity, &audit()).await.unwrap();

    let mut changed = world.resource_sp.clone();
    changed.display_name = "Orders (renamed)".to_owned();
    changed.account_enabled = false;
    changed.app_role_assignment_required = true;
    changed.properties.notes = Some("written with the flags".to_owned());
    changed.properties.alternative_names = vec!["urn:orders".to_owned()];
    store.update_service_principal(&changed, &audit()).await.unwrap();
    assert_eq!(
        store.service_principals(tenant).await.unwrap(),
        vec![changed, world.client_sp.clone(), identity]
    );

    let mut missing = world.client_sp.clone();
    missing.id = ObjectId::new_random();
    assert_not_found(store.update_service_principal(&missing, &audit()).await);
    assert_eq!(store.service_principal(tenant, missing.id).await.unwrap(), None);
}

pub(crate) async fn service_principal_conflicts(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;

    let second = service_principal(&world.client_app, 30);
    assert_eq!(
        conflict(store.create_service_principal(&second, &audit()).await),
        "the tenant already has a service principal for this appId"
    );
    let mut same_id = service_principal(&application(world.tenant_a.id, "x", 30), 30);
    same_id.id = world.client_sp.id;
    assert_eq!(
        conflict(store.create_service_principal(&same_id, &audit()).await),
        "a service principal with this object id exists"
    );
    // The same appId in another tenant is fine.
    let mut other_tenant = service_principal(&world.client_app, 30);
    other_tenant.tenant_id = world.tenant_b.id;
    store.create_service_principal(&other_tenant, &audit()).await.unwrap();
    assert_eq!(store.service_principals(world.tenant_b.id).await.unwrap(), vec![other_tenant]);
}

pub(crate) async fn assignment_round_trip(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;

    let write = assignment(&world.client_sp, &world.resource_sp, ROLE_WRITE, 31);
    store.create_assignment(&write, &audit()).await.unwrap();
    assert_eq!(store.assignments(tenant).await.unwrap(), vec![world.assignment.clone(), write.clone()]);

    store.delete_assignment(tenant, &world.assignment.id, &audit()).await.unwrap();
    assert_eq!(store.assignments(tenant).await.unwrap(), vec![write]);
    assert_not_found(store.delete_assignment(tenant, &world.assignment.id, &audit()).await);
}

pub(crate) async fn assignment_conflicts(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;

    let again = assignment(&world.client_sp, &world.resource_sp, ROLE_READ, 31);
    assert_eq!(
        conflict(store.create_assignment(&again, &audit()).await),
        "the app role is already assigned to the principal on the resource"
    );
    let mut same_id = assignment(&world.client_sp, &world.resource_sp, ROLE_WRITE, 31);
    same_id.id = world.assignment.id.clone();
    assert_eq!(
        conflict(store.create_assignment(&same_id, &audit()).await),
        "an app role assignment with this id exists"
    );
    // A principal that does not exist in the tenant.
    let mut dangling = assignment(&world.client_sp, &world.resource_sp, ROLE_WRITE, 31);
    dangling.principal_id = ObjectId::new_random();
    assert_eq!(
        conflict(store.create_assignment(&dangling, &audit()).await),
        "a referenced tenant, application or service principal does not exist in the tenant"
    );
    assert_eq!(store.assignments(world.tenant_a.id).await.unwrap(), vec![world.assignment]);
}

pub(crate) async fn signing_keys(store: Arc<dyn Store>) {
    let mut older = signing_key("kid-older");
    older.state = SigningKeyState::Current;
    older.created = at(1);
    let newer = signing_key("kid-newer");
    store.insert_signing_key(&newer, &audit()).await.unwrap();
    store.insert_signing_key(&older, &audit()).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), vec![older.clone(), newer.clone()]);

    let mut retired = older.clone();
    retired.state = SigningKeyState::Retired;
    retired.retires = Some(at(5_000));
    store.update_signing_key(&retired, &audit()).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), vec![retired, newer.clone()]);

    let mut reused = signing_key("kid-newer");
    reused.sealed_private_key = vec![9; 64];
    assert_eq!(
        conflict(store.insert_signing_key(&reused, &audit()).await),
        "a signing key with this kid exists"
    );
    assert_not_found(store.update_signing_key(&signing_key("kid-unknown"), &audit()).await);
    assert_eq!(store.signing_keys().await.unwrap()[1], newer);
}

/// The ES256 companion of a signing key: stored with the key, added to a key stored without one,
/// and then never cleared or replaced by an update carrying another (or none).
pub(crate) async fn signing_key_es256_companions(store: Arc<dyn Store>) {
    let companion = |kid: &str, byte: u8| Es256KeyRecord {
        kid: kid.to_owned(),
        sealed_private_key: vec![byte; 48],
        certificate_der: vec![0x30, 0x81, byte],
    };
    let mut with = signing_key("kid-with-es256");
    with.es256 = Some(companion("ec-1", 1));
    store.insert_signing_key(&with, &audit()).await.unwrap();
    let without = signing_key("kid-without-es256");
    store.insert_signing_key(&without, &audit()).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), vec![with.clone(), without.clone()]);

    let added = SigningKeyRecord { es256: Some(companion("ec-2", 2)), ..without.clone() };
    store.update_signing_key(&added, &audit()).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap()[1], added);

    // A node holding the row as it was (no companion) changes the state, not the companion.
    let stale = SigningKeyRecord { state: SigningKeyState::Current, ..without };
    store.update_signing_key(&stale, &audit()).await.unwrap();
    let replaced = SigningKeyRecord { es256: Some(companion("ec-3", 3)), ..stale.clone() };
    store.update_signing_key(&replaced, &audit()).await.unwrap();
    let stored = store.signing_keys().await.unwrap();
    assert_eq!(stored[1].state, SigningKeyState::Current);
    assert_eq!(stored[1].es256, Some(companion("ec-2", 2)));
    assert_eq!(stored[0], with);
}

/// Many writers racing for one identifier URI: exactly one wins, the others get the conflict.
pub(crate) async fn concurrent_identifier_uri_claims(store: Arc<dyn Store>) {
    let world = World::new();
    store.create_tenant(&world.tenant_a, &audit()).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let store = Arc::clone(&store);
            let mut app = application(world.tenant_a.id, &format!("racer {i}"), i);
            app.identifier_uris = vec!["api://contested".to_owned()];
            tokio::spawn(async move { store.create_application(&app, &audit()).await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(e) => assert_eq!(e.to_string(), "conflict: an identifier URI is already used in the tenant"),
        }
    }
    assert_eq!(won, 1);
    let apps = store.applications(world.tenant_a.id).await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].identifier_uris, ["api://contested"]);
}
