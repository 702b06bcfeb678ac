//! Atomic credential changes (`modify_application`): every change kind, its refusals, and that
//! concurrent changes of one application are never lost or undone.

use super::*;
use std::sync::Arc;

/// A client secret whose hash is derived from `seed`.
fn secret(seed: u8) -> PasswordCredential {
    PasswordCredential {
        key_id: Uuid::new_v4(),
        display_name: Some(format!("secret-{seed}")),
        hint: "xyz".to_owned(),
        start: at(100),
        end: at(100 + 86_400),
        secret_hash: vec![seed; 32].into(),
    }
}

fn key_ids(credentials: &[PasswordCredential]) -> Vec<Uuid> {
    credentials.iter().map(|p| p.key_id).collect()
}

pub(crate) async fn password_changes(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    let original = world.client_app.password_credentials[0].clone();

    let added = secret(7);
    let written = store
        .modify_application(tenant, id, ApplicationChange::AddPassword(added.clone()), &audit())
        .await
        .unwrap();
    let mut expected = world.client_app.clone();
    expected.password_credentials.push(added.clone());
    assert_eq!(written, expected);
    assert_eq!(store.application(tenant, id).await.unwrap(), Some(expected.clone()));

    // A keyId already used is refused; nothing changes.
    assert_eq!(
        refused(
            store
                .modify_application(tenant, id, ApplicationChange::AddPassword(added.clone()), &audit())
                .await
        ),
        ChangeRefused::DuplicateKeyId(added.key_id)
    );

    let written = store
        .modify_application(tenant, id, ApplicationChange::RemovePassword(original.key_id), &audit())
        .await
        .unwrap();
    assert_eq!(written.password_credentials, vec![added.clone()]);
    assert_eq!(written.key_credentials, world.client_app.key_credentials, "certificates are untouched");
    assert_eq!(
        refused(
            store
                .modify_application(tenant, id, ApplicationChange::RemovePassword(original.key_id), &audit())
                .await
        ),
        ChangeRefused::UnknownKeyId(original.key_id)
    );
    // A certificate's keyId does not name a secret.
    let certificate = world.client_app.key_credentials[0].key_id;
    assert_eq!(
        refused(
            store
                .modify_application(tenant, id, ApplicationChange::RemovePassword(certificate), &audit())
                .await
        ),
        ChangeRefused::UnknownKeyId(certificate)
    );
    assert_eq!(store.application(tenant, id).await.unwrap().unwrap().password_credentials, vec![added]);

    // The limit holds: 100 secrets, then refusal.
    for seed in 0..99 {
        store
            .modify_application(tenant, id, ApplicationChange::AddPassword(secret(seed)), &audit())
            .await
            .unwrap();
    }
    assert_eq!(
        refused(
            store.modify_application(tenant, id, ApplicationChange::AddPassword(secret(200)), &audit()).await
        ),
        ChangeRefused::TooMany { limit: 100 }
    );
    assert_eq!(store.application(tenant, id).await.unwrap().unwrap().password_credentials.len(), 100);

    assert_not_found(
        store
            .modify_application(
                tenant,
                ObjectId::new_random(),
                ApplicationChange::AddPassword(secret(1)),
                &audit(),
            )
            .await,
    );
}

pub(crate) async fn key_changes(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    let first = world.client_app.key_credentials[0].clone();

    let second = key_credential(2, 10);
    let written = store
        .modify_application(tenant, id, ApplicationChange::AddKey(second.clone()), &audit())
        .await
        .unwrap();
    assert_eq!(written.key_credentials, vec![first.clone(), second.clone()]);
    assert_eq!(written.password_credentials, world.client_app.password_credentials);

    let mut same_key_id = key_credential(3, 10);
    same_key_id.key_id = first.key_id;
    assert_eq!(
        refused(store.modify_application(tenant, id, ApplicationChange::AddKey(same_key_id), &audit()).await),
        ChangeRefused::DuplicateKeyId(first.key_id)
    );
    let same_certificate = key_credential(2, 20);
    assert_eq!(
        refused(
            store.modify_application(tenant, id, ApplicationChange::AddKey(same_certificate), &audit()).await
        ),
        ChangeRefused::DuplicateCertificate { certificate_der: second.certificate_der.clone() }
    );

    // Replace: a kept entry is read from the row as it is now, a new one is taken as sent.
    let third = key_credential(3, 30);
    let entries = vec![KeyEntry::New(third.clone()), KeyEntry::Keep(second.key_id)];
    let written = store
        .modify_application(tenant, id, ApplicationChange::ReplaceKeys(entries), &audit())
        .await
        .unwrap();
    assert_eq!(written.key_credentials, vec![third.clone(), second.clone()]);
    assert_eq!(
        store.application(tenant, id).await.unwrap().unwrap().key_credentials,
        vec![third.clone(), second.clone()]
    );

    // Keeping a certificate that is gone (removed concurrently) is refused, not resurrected.
    let entries = vec![KeyEntry::Keep(first.key_id), KeyEntry::Keep(third.key_id)];
    assert_eq!(
        refused(
            store.modify_application(tenant, id, ApplicationChange::ReplaceKeys(entries), &audit()).await
        ),
        ChangeRefused::UnknownKeyId(first.key_id)
    );
    let too_many = (10..61).map(|seed| KeyEntry::New(key_credential(seed, 40))).collect();
    assert_eq!(
        refused(
            store.modify_application(tenant, id, ApplicationChange::ReplaceKeys(too_many), &audit()).await
        ),
        ChangeRefused::TooMany { limit: 50 }
    );

    let written = store
        .modify_application(tenant, id, ApplicationChange::RemoveKey(third.key_id), &audit())
        .await
        .unwrap();
    assert_eq!(written.key_credentials, vec![second.clone()]);
    assert_eq!(
        refused(
            store.modify_application(tenant, id, ApplicationChange::RemoveKey(third.key_id), &audit()).await
        ),
        ChangeRefused::UnknownKeyId(third.key_id)
    );
    let written = store
        .modify_application(tenant, id, ApplicationChange::ReplaceKeys(Vec::new()), &audit())
        .await
        .unwrap();
    assert_eq!(written.key_credentials, vec![]);
    assert_eq!(store.application(tenant, id).await.unwrap(), Some(written));
}

pub(crate) async fn update_leaves_credentials(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    // A PATCH built from a read taken before a secret was added...
    let stale = store.application(tenant, id).await.unwrap().unwrap();
    let added = secret(5);
    store
        .modify_application(tenant, id, ApplicationChange::AddPassword(added.clone()), &audit())
        .await
        .unwrap();
    let mut patched = stale;
    patched.display_name = "Renamed".to_owned();
    patched.properties.notes = None;
    patched.properties.tags = vec!["a".to_owned(), "b".to_owned()];
    patched.password_credentials.clear();
    patched.key_credentials.clear();
    patched.federated_identity_credentials.clear();
    store.update_application(&patched, &audit()).await.unwrap();
    // ...changes its fields and leaves every credential as stored.
    let read = store.application(tenant, id).await.unwrap().unwrap();
    assert_eq!(read.display_name, "Renamed");
    // The stored-only Graph properties are written whole with the fields.
    assert_eq!(read.properties, patched.properties);
    assert_eq!(
        key_ids(&read.password_credentials),
        vec![world.client_app.password_credentials[0].key_id, added.key_id]
    );
    assert_eq!(read.key_credentials, world.client_app.key_credentials);
    assert_eq!(read.federated_identity_credentials, world.client_app.federated_identity_credentials);
}

pub(crate) async fn concurrent_password_additions(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    let secrets: Vec<PasswordCredential> = (0..16).map(secret).collect();
    let tasks: Vec<_> = secrets
        .iter()
        .cloned()
        .map(|s| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store.modify_application(tenant, id, ApplicationChange::AddPassword(s), &audit()).await
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let read = store.application(tenant, id).await.unwrap().unwrap();
    assert_eq!(read.password_credentials.len(), 17);
    for s in &secrets {
        assert!(read.password_credentials.contains(s), "secret {} was lost", s.key_id);
    }
}

pub(crate) async fn removal_racing_additions(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    for round in 0..10u8 {
        let doomed = secret(round);
        store
            .modify_application(tenant, id, ApplicationChange::AddPassword(doomed.clone()), &audit())
            .await
            .unwrap();
        let additions: Vec<PasswordCredential> = (0..4).map(|i| secret(100 + i)).collect();
        let mut tasks = Vec::new();
        for change in std::iter::once(ApplicationChange::RemovePassword(doomed.key_id))
            .chain(additions.iter().cloned().map(ApplicationChange::AddPassword))
        {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(
                async move { store.modify_application(tenant, id, change, &audit()).await },
            ));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let read = store.application(tenant, id).await.unwrap().unwrap();
        let held = key_ids(&read.password_credentials);
        assert!(!held.contains(&doomed.key_id), "round {round}: the removed secret came back");
        for added in &additions {
            assert!(held.contains(&added.key_id), "round {round}: an added secret was lost");
        }
        // Back to the fixture's one secret for the next round.
        for added in additions {
            store
                .modify_application(tenant, id, ApplicationChange::RemovePassword(added.key_id), &audit())
                .await
                .unwrap();
        }
        assert_eq!(store.application(tenant, id).await.unwrap().unwrap().password_credentials.len(), 1);
    }
}

pub(crate) async fn concurrent_key_additions_respect_the_limit(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    // The fixture holds one certificate; 55 more race for the 49 free places.
    let tasks: Vec<_> = (10..65)
        .map(|seed| {
            let store = Arc::clone(&store);
            let change = ApplicationChange::AddKey(key_credential(seed, 10));
            tokio::spawn(async move { store.modify_application(tenant, id, change, &audit()).await })
        })
        .collect();
    let (mut added, mut refusals) = (0, Vec::new());
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => added += 1,
            Err(err) => refusals.push(refused::<()>(Err(err))),
        }
    }
    assert_eq!(added, 49);
    assert_eq!(refusals, vec![ChangeRefused::TooMany { limit: 50 }; 6]);
    assert_eq!(store.application(tenant, id).await.unwrap().unwrap().key_credentials.len(), 50);
}
