//! Paged reads of a tenant's applications, service principals and users, whole or narrowed to
//! a display-name prefix.

use super::*;
use custos_core::users::User;
use custos_store::{LogPage, ObjectQuery};
use std::sync::Arc;

/// Every page of `read` from the start, `limit` at a time, checking the page rules on the way.
async fn all_pages<T, F, Fut>(tenant: TenantId, limit: u32, skip: bool, read: F) -> Vec<T>
where
    T: Clone + PartialEq + std::fmt::Debug,
    F: Fn(ObjectQuery) -> Fut,
    Fut: std::future::Future<Output = StoreResult<LogPage<T>>>,
{
    let query = ObjectQuery { skip_managed_identities: skip, ..ObjectQuery::first(tenant, limit) };
    pages_of(query, read).await
}

/// Every page of `read` from `query` on, checking the page rules on the way.
async fn pages_of<T, F, Fut>(mut query: ObjectQuery, read: F) -> Vec<T>
where
    T: Clone + PartialEq + std::fmt::Debug,
    F: Fn(ObjectQuery) -> Fut,
    Fut: std::future::Future<Output = StoreResult<LogPage<T>>>,
{
    let limit = query.limit;
    let mut seen = Vec::new();
    loop {
        let page = read(query.clone()).await.unwrap();
        assert!(page.records.len() <= limit as usize);
        assert_eq!(page.records.len(), page.positions.len());
        // A full page links on; a short one is the last.
        assert_eq!(page.next.is_some(), page.records.len() == limit as usize);
        assert_eq!(page.next, page.positions.last().copied().filter(|_| page.next.is_some()));
        if let (Some(first), Some(second)) = (page.positions.first(), page.records.get(1)) {
            // Resuming after any record continues right after it.
            let resumed = read(ObjectQuery { after: Some(*first), ..query.clone() }).await.unwrap();
            assert_eq!(resumed.records.first(), Some(second));
        }
        seen.extend(page.records.iter().cloned());
        match page.next {
            Some(next) => query.after = Some(next),
            None => return seen,
        }
    }
}

pub(crate) async fn objects_read_in_pages_in_list_order(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    // More objects, some created at the same instant (then insertion order decides), one
    // earlier than the ones inserted before it, and one behind a managed identity.
    let mut managed = application(tenant, "Managed identity app", 4);
    managed.identifier_uris.clear();
    let mut apps = vec![managed.clone()];
    for (i, seconds) in [5, 5, 5, 3, 7].into_iter().enumerate() {
        let mut app = application(tenant, &format!("App {i}"), seconds);
        app.identifier_uris = vec![format!("api://paged-{i}")];
        apps.push(app);
    }
    let other = application(world.tenant_b.id, "Other tenant", 6);
    for app in apps.iter().chain([&other]) {
        store.create_application(app, &audit()).await.unwrap();
    }
    let mut identity = service_principal(&managed, 4);
    identity.service_principal_type = ServicePrincipalType::ManagedIdentity;
    store.create_service_principal(&identity, &audit()).await.unwrap();
    for app in &apps[1..3] {
        store.create_service_principal(&service_principal(app, 5), &audit()).await.unwrap();
    }

    let listed = store.applications(tenant).await.unwrap();
    assert_eq!(listed.len(), 8);
    let sps = store.service_principals(tenant).await.unwrap();
    assert_eq!(sps.len(), 5);
    for limit in [1, 2, 3, 8, 1000] {
        let read = |q| {
            let store = store.clone();
            async move { store.applications_page(&q).await }
        };
        assert_eq!(all_pages(tenant, limit, false, read).await, listed, "limit {limit}");
        let unmanaged: Vec<Application> = listed.iter().filter(|a| a.id != managed.id).cloned().collect();
        assert_eq!(all_pages(tenant, limit, true, read).await, unmanaged, "limit {limit}");
        let read = |q| {
            let store = store.clone();
            async move { store.service_principals_page(&q).await }
        };
        assert_eq!(all_pages(tenant, limit, false, read).await, sps, "limit {limit}");
    }
    // A limit above the cap reads the cap; another tenant's objects never appear.
    let capped = store.applications_page(&ObjectQuery::first(tenant, u32::MAX)).await.unwrap();
    assert_eq!(capped.records, listed);
    let b = store.applications_page(&ObjectQuery::first(world.tenant_b.id, 10)).await.unwrap();
    assert_eq!(b.records, vec![other]);
    let none = store.applications_page(&ObjectQuery::first(TenantId::new_random(), 10)).await.unwrap();
    assert_eq!((none.records.len(), none.next), (0, None));
}

pub(crate) async fn applications_by_app_ids_in_one_read(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let other = application(world.tenant_b.id, "Other tenant", 6);
    store.create_application(&other, &audit()).await.unwrap();
    let tenant = world.tenant_a.id;
    let ids = [world.client_app.app_id, AppId::new_random(), world.resource_app.app_id, other.app_id];
    let mut found = store.applications_by_app_ids(tenant, &ids).await.unwrap();
    found.sort_by_key(|a| a.created);
    assert_eq!(found, vec![world.resource_app.clone(), world.client_app.clone()]);
    assert_eq!(store.applications_by_app_ids(tenant, &[]).await.unwrap(), vec![]);
    // More ids than one statement takes.
    let many: Vec<AppId> = (0..2500).map(|_| AppId::new_random()).chain([world.client_app.app_id]).collect();
    assert_eq!(store.applications_by_app_ids(tenant, &many).await.unwrap(), vec![world.client_app]);
}

/// Display names that differ in case, in characters that lower-case to more than one, and in
/// characters `LIKE` would take as wildcards.
const NAMES: [&str; 12] = [
    "Orders API",
    "orders-worker",
    "ORDERS",
    "Order",
    "Été",
    "ÉTAGE",
    "étz",
    "a%b",
    "a_b",
    "axb",
    "İstanbul",
    "istanbul",
];

/// The prefixes read: each must find exactly the names that start with it case-insensitively.
const PREFIXES: [&str; 12] = ["orders", "ORDER", "o", "été", "ét", "É", "a%", "a_", "İ", "i", "", "nothing"];

fn starts(name: &str, prefix: &str) -> bool {
    name.to_lowercase().starts_with(&prefix.to_lowercase())
}

pub(crate) async fn display_name_prefixes_narrow_pages(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    let mut created = Vec::new();
    for (i, name) in NAMES.iter().enumerate() {
        let seconds = 10 + (i as i64 % 3);
        let app = application(tenant, name, seconds);
        store.create_application(&app, &audit()).await.unwrap();
        created.push(app.clone());
        store.create_service_principal(&service_principal(&app, seconds), &audit()).await.unwrap();
        let local = format!("user{i}");
        let mut person = user(&world.tenant_a, &local, seconds);
        person.display_name = (*name).to_owned();
        store.create_user(&person, "hash", &audit()).await.unwrap();
    }
    // The same names in another tenant are never read.
    let other = application(world.tenant_b.id, "Orders API", 10);
    store.create_application(&other, &audit()).await.unwrap();
    // A renamed object is found by its new name only.
    let mut renamed = created[0].clone();
    renamed.display_name = "Orderly".to_owned();
    store.update_application(&renamed, &audit()).await.unwrap();

    let apps = store.applications(tenant).await.unwrap();
    let sps = store.service_principals(tenant).await.unwrap();
    let users = store.users(tenant).await.unwrap();
    for prefix in PREFIXES {
        for limit in [1, 2, 1000] {
            let query = ObjectQuery {
                display_name_prefix: Some(prefix.to_owned()),
                ..ObjectQuery::first(tenant, limit)
            };
            let want: Vec<Application> =
                apps.iter().filter(|a| starts(&a.display_name, prefix)).cloned().collect();
            let read = |q| {
                let store = store.clone();
                async move { store.applications_page(&q).await }
            };
            assert_eq!(pages_of(query.clone(), read).await, want, "applications '{prefix}' limit {limit}");
            let want: Vec<ServicePrincipal> =
                sps.iter().filter(|s| starts(&s.display_name, prefix)).cloned().collect();
            let read = |q| {
                let store = store.clone();
                async move { store.service_principals_page(&q).await }
            };
            assert_eq!(
                pages_of(query.clone(), read).await,
                want,
                "service principals '{prefix}' limit {limit}"
            );
            let want: Vec<User> = users.iter().filter(|u| starts(&u.display_name, prefix)).cloned().collect();
            let read = |q| {
                let store = store.clone();
                async move { store.users_page(&q).await }
            };
            assert_eq!(pages_of(query, read).await, want, "users '{prefix}' limit {limit}");
        }
    }
    let named = |prefix: &str| ObjectQuery {
        display_name_prefix: Some(prefix.to_owned()),
        ..ObjectQuery::first(tenant, 100)
    };
    let found = store.applications_page(&named("orders api")).await.unwrap().records;
    assert_eq!(found, vec![world.resource_app.clone()], "the renamed 'Orders API' is 'Orderly' now");
    let found = store.applications_page(&named("ORDERLY")).await.unwrap().records;
    assert_eq!(found, vec![renamed]);
    assert_eq!(store.applications_page(&named("a\0")).await.unwrap().records, vec![]);
}

pub(crate) async fn users_read_in_pages_in_list_order(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;
    // Some created at the same instant (then insertion order decides), one earlier than the
    // ones inserted before it.
    for (i, seconds) in [5, 5, 5, 3, 7, 5].into_iter().enumerate() {
        store.create_user(&user(&world.tenant_a, &format!("u{i}"), seconds), "hash", &audit()).await.unwrap();
    }
    let other = user(&world.tenant_b, "other", 6);
    store.create_user(&other, "hash", &audit()).await.unwrap();
    let listed = store.users(tenant).await.unwrap();
    assert_eq!(listed.len(), 6);
    for limit in [1, 2, 5, 6, 1000] {
        let read = |q| {
            let store = store.clone();
            async move { store.users_page(&q).await }
        };
        assert_eq!(all_pages(tenant, limit, false, read).await, listed, "limit {limit}");
    }
    let b = store.users_page(&ObjectQuery::first(world.tenant_b.id, 10)).await.unwrap();
    assert_eq!(b.records, vec![other]);
    let none = store.users_page(&ObjectQuery::first(TenantId::new_random(), 10)).await.unwrap();
    assert_eq!((none.records.len(), none.next), (0, None));
}
