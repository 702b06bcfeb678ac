//! Federated identity credentials: stored with the application, changed only atomically through
//! `modify_application` (add, update, remove and their refusals), never lost to a concurrent
//! change, and served by the directory cache.

use super::*;
use custos_store::{Directory, FederatedUpdate};
use std::sync::Arc;

fn subject_update(subject: &str) -> FederatedUpdate {
    FederatedUpdate { subject: Some(subject.to_owned()), ..FederatedUpdate::default() }
}

pub(crate) async fn federated_changes(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    let first = world.client_app.federated_identity_credentials[0].clone();

    let mut second = federated_credential(2);
    second.description = None;
    second.audiences = vec!["api://custom-audience".to_owned()];
    let written = store
        .modify_application(tenant, id, ApplicationChange::AddFederated(second.clone()), &audit())
        .await
        .unwrap();
    let mut expected = world.client_app.clone();
    expected.federated_identity_credentials.push(second.clone());
    assert_eq!(written, expected);
    assert_eq!(store.application(tenant, id).await.unwrap(), Some(expected));

    // Names are unique case-insensitively; issuer + subject exactly.
    let mut same_name = federated_credential(3);
    same_name.name = first.name.to_uppercase();
    assert_eq!(
        refused(
            store
                .modify_application(tenant, id, ApplicationChange::AddFederated(same_name.clone()), &audit())
                .await
        ),
        ChangeRefused::DuplicateFederatedName(same_name.name)
    );
    let mut same_pair = federated_credential(3);
    same_pair.subject.clone_from(&first.subject);
    assert_eq!(
        refused(
            store.modify_application(tenant, id, ApplicationChange::AddFederated(same_pair), &audit()).await
        ),
        ChangeRefused::DuplicateIssuerSubject {
            issuer: first.issuer.clone(),
            subject: first.subject.clone()
        }
    );

    // An update changes the named properties only and keeps the name and the rest.
    let update = FederatedUpdate {
        subject: Some("repo:contoso/orders:ref:refs/heads/main".to_owned()),
        description: Some(None),
        ..FederatedUpdate::default()
    };
    let written = store
        .modify_application(tenant, id, ApplicationChange::UpdateFederated(first.id, update), &audit())
        .await
        .unwrap();
    let updated = &written.federated_identity_credentials[0];
    assert_eq!(updated.subject, "repo:contoso/orders:ref:refs/heads/main");
    assert_eq!(updated.description, None);
    assert_eq!(
        (&updated.name, &updated.issuer, &updated.audiences),
        (&first.name, &first.issuer, &first.audiences)
    );
    assert_eq!(written.password_credentials, world.client_app.password_credentials, "secrets are untouched");
    assert_eq!(written.key_credentials, world.client_app.key_credentials, "certificates are untouched");
    assert_eq!(store.application(tenant, id).await.unwrap().as_ref(), Some(&written));
    let clash = subject_update(&second.subject);
    assert_eq!(
        refused(
            store
                .modify_application(tenant, id, ApplicationChange::UpdateFederated(first.id, clash), &audit())
                .await
        ),
        ChangeRefused::DuplicateIssuerSubject {
            issuer: second.issuer.clone(),
            subject: second.subject.clone()
        }
    );

    let written = store
        .modify_application(tenant, id, ApplicationChange::RemoveFederated(first.id), &audit())
        .await
        .unwrap();
    assert_eq!(written.federated_identity_credentials, vec![second.clone()]);
    for change in [
        ApplicationChange::RemoveFederated(first.id),
        ApplicationChange::UpdateFederated(first.id, subject_update("x")),
    ] {
        assert_eq!(
            refused(store.modify_application(tenant, id, change, &audit()).await),
            ChangeRefused::UnknownFederatedCredential(first.id)
        );
    }

    // The limit holds: 20, then refusal.
    for seed in 10..29 {
        store
            .modify_application(
                tenant,
                id,
                ApplicationChange::AddFederated(federated_credential(seed)),
                &audit(),
            )
            .await
            .unwrap();
    }
    assert_eq!(
        refused(
            store
                .modify_application(
                    tenant,
                    id,
                    ApplicationChange::AddFederated(federated_credential(99)),
                    &audit()
                )
                .await
        ),
        ChangeRefused::TooMany { limit: 20 }
    );
    assert_eq!(
        store.application(tenant, id).await.unwrap().unwrap().federated_identity_credentials.len(),
        20
    );
    assert_not_found(
        store
            .modify_application(
                tenant,
                ObjectId::new_random(),
                ApplicationChange::AddFederated(federated_credential(5)),
                &audit(),
            )
            .await,
    );
}

/// Runs the changes concurrently and returns their results in order.
async fn race(
    store: &Arc<dyn Store>,
    tenant: TenantId,
    id: ObjectId,
    changes: Vec<ApplicationChange>,
) -> Vec<StoreResult<Application>> {
    let tasks: Vec<_> = changes
        .into_iter()
        .map(|change| {
            let store = Arc::clone(store);
            tokio::spawn(async move { store.modify_application(tenant, id, change, &audit()).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

pub(crate) async fn concurrent_federated_changes(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    let first = world.client_app.federated_identity_credentials[0].clone();

    // Updates of different properties of one credential, an addition and a removal, at once:
    // every one of them is in the result.
    let doomed = federated_credential(2);
    store
        .modify_application(tenant, id, ApplicationChange::AddFederated(doomed.clone()), &audit())
        .await
        .unwrap();
    let added = federated_credential(3);
    let described = FederatedUpdate { description: Some(Some("changed".to_owned())), ..Default::default() };
    let results = race(
        &store,
        tenant,
        id,
        vec![
            ApplicationChange::UpdateFederated(first.id, subject_update("new-subject")),
            ApplicationChange::UpdateFederated(first.id, described),
            ApplicationChange::AddFederated(added.clone()),
            ApplicationChange::RemoveFederated(doomed.id),
        ],
    )
    .await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let read = store.application(tenant, id).await.unwrap().unwrap().federated_identity_credentials;
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].subject, "new-subject");
    assert_eq!(read[0].description.as_deref(), Some("changed"));
    assert_eq!(read[1], added);

    // Racing additions of one name: exactly one wins.
    let same_name: Vec<ApplicationChange> = (40..48)
        .map(|seed| {
            let mut credential = federated_credential(seed);
            credential.name = "contested".to_owned();
            ApplicationChange::AddFederated(credential)
        })
        .collect();
    let results = race(&store, tenant, id, same_name).await;
    let refusals: Vec<ChangeRefused> =
        results.into_iter().filter_map(|r| r.err()).map(|e| refused::<()>(Err(e))).collect();
    assert_eq!(refusals, vec![ChangeRefused::DuplicateFederatedName("contested".to_owned()); 7]);

    // 3 are held; 25 race for the 17 free places.
    let additions: Vec<ApplicationChange> =
        (50..75).map(|seed| ApplicationChange::AddFederated(federated_credential(seed))).collect();
    let results = race(&store, tenant, id, additions).await;
    let refusals: Vec<ChangeRefused> =
        results.into_iter().filter_map(|r| r.err()).map(|e| refused::<()>(Err(e))).collect();
    assert_eq!(refusals, vec![ChangeRefused::TooMany { limit: 20 }; 8]);
    assert_eq!(
        store.application(tenant, id).await.unwrap().unwrap().federated_identity_credentials.len(),
        20
    );
}

pub(crate) async fn federated_credentials_in_snapshots(store: Arc<dyn Store>) {
    let world = World::new();
    let directory = Directory::new(store);
    world.create_all(&directory).await;
    let tenant = world.tenant_a.id;
    let snapshot = directory.snapshot(tenant).await.unwrap().unwrap();
    let app = snapshot.application(world.client_app.app_id).unwrap();
    assert_eq!(app.federated_identity_credentials, world.client_app.federated_identity_credentials);

    let added = federated_credential(2);
    directory
        .modify_application(
            tenant,
            world.client_app.id,
            ApplicationChange::AddFederated(added.clone()),
            &audit(),
        )
        .await
        .unwrap();
    let snapshot = directory.snapshot(tenant).await.unwrap().unwrap();
    let app = snapshot.application(world.client_app.app_id).unwrap();
    assert_eq!(app.federated_identity_credentials.last(), Some(&added), "the write invalidated the snapshot");
}
