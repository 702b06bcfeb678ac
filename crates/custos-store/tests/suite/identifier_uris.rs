//! Uniqueness of identifier URIs by their comparison key
//! ([`custos_core::scope::identifier_uri_key`]): trailing slashes and ASCII case do not make a
//! URI new.

use super::*;
use std::sync::Arc;

const TAKEN: &str = "an identifier URI is already used in the tenant";

/// Variants of a used URI conflict on create and update; URIs that only look alike do not.
pub(crate) async fn identifier_uri_variant_conflicts(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;

    let mut first = application(tenant, "First", 20);
    first.identifier_uris = vec!["api://x".to_owned()];
    store.create_application(&first, &audit()).await.unwrap();

    for (i, variant) in
        ["api://x/", "API://X", "Api://x//", "https://orders.contoso.example", "API://ORDERS/"]
            .into_iter()
            .enumerate()
    {
        let mut claimant = application(tenant, &format!("Claimant {i}"), 21);
        claimant.identifier_uris = vec![variant.to_owned()];
        assert_eq!(conflict(store.create_application(&claimant, &audit()).await), TAKEN, "{variant}");
        assert_eq!(store.application(tenant, claimant.id).await.unwrap(), None, "{variant}");
    }

    // Taking a variant by update fails and leaves the application as it was.
    let mut client = world.client_app.clone();
    client.identifier_uris = vec!["API://x/".to_owned()];
    assert_eq!(conflict(store.update_application(&client, &audit()).await), TAKEN);
    assert_eq!(store.application(tenant, client.id).await.unwrap(), Some(world.client_app.clone()));

    // Two variants of one URI in one application conflict too.
    let mut twice = application(tenant, "Twice", 22);
    twice.identifier_uris = vec!["api://twice".to_owned(), "api://TWICE/".to_owned()];
    assert_eq!(conflict(store.create_application(&twice, &audit()).await), TAKEN);

    // An application may rewrite its own URI in another form; it is kept as given.
    first.identifier_uris = vec!["API://X/".to_owned()];
    store.update_application(&first, &audit()).await.unwrap();
    assert_eq!(store.application(tenant, first.id).await.unwrap().unwrap().identifier_uris, ["API://X/"]);

    // Different paths are different URIs, and another tenant may use any variant.
    let mut neighbour = application(tenant, "Neighbour", 23);
    neighbour.identifier_uris = vec!["api://x/y".to_owned(), "api://xy".to_owned()];
    store.create_application(&neighbour, &audit()).await.unwrap();
    let mut elsewhere = application(world.tenant_b.id, "Elsewhere", 24);
    elsewhere.identifier_uris = vec!["api://x/".to_owned()];
    store.create_application(&elsewhere, &audit()).await.unwrap();
    assert_eq!(store.application(world.tenant_b.id, elsewhere.id).await.unwrap(), Some(elsewhere));
}

/// Eight writers racing for variants of one URI: exactly one wins, the others get the conflict.
pub(crate) async fn concurrent_identifier_uri_variant_claims(store: Arc<dyn Store>) {
    const VARIANTS: [&str; 8] = [
        "api://contested",
        "api://contested/",
        "API://contested",
        "api://Contested//",
        "Api://CONTESTED",
        "api://contested///",
        "API://CONTESTED/",
        "api://conTESTed",
    ];
    let world = World::new();
    store.create_tenant(&world.tenant_a, &audit()).await.unwrap();
    let tasks: Vec<_> = VARIANTS
        .iter()
        .zip(0..)
        .map(|(variant, i)| {
            let store = Arc::clone(&store);
            let mut app = application(world.tenant_a.id, &format!("racer {i}"), i);
            app.identifier_uris = vec![(*variant).to_owned()];
            tokio::spawn(async move { store.create_application(&app, &audit()).await })
        })
        .collect();
    let mut won = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => won += 1,
            Err(e) => assert_eq!(e.to_string(), format!("conflict: {TAKEN}")),
        }
    }
    assert_eq!(won, 1);
    let apps = store.applications(world.tenant_a.id).await.unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].identifier_uris.len(), 1);
    assert!(VARIANTS.contains(&apps[0].identifier_uris[0].as_str()));
}
