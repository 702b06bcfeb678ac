//! Directory audits: committed with their change or not at all, read back newest first per
//! tenant, credential lists added to credential changes, never a secret.

use super::*;
use custos_core::audit::{
    Activity, AuditContext, AuditTarget, DirectoryAudit, Initiator, ModifiedProperty, TargetType,
};
use custos_store::{LogOrder, LogQuery};
use std::sync::Arc;

/// An app initiator's context at `seconds` after [`T0`].
fn context(seconds: i64) -> AuditContext {
    AuditContext {
        initiator: Initiator::App {
            app_id: AppId::new_random(),
            display_name: Some("custos admin".to_owned()),
            service_principal_id: ObjectId::new_random(),
            ip: Some("198.51.100.7".parse().unwrap()),
        },
        correlation_id: Uuid::new_v4(),
        now: at(seconds),
    }
}

fn application_record(app: &Application, activity: Activity, seconds: i64) -> DirectoryAudit {
    let target = AuditTarget::new(TargetType::Application, app.id, Some(&app.display_name))
        .with([ModifiedProperty::attribute("DisplayName", None, Some(app.display_name.clone().into()))]);
    context(seconds).record(app.tenant_id, activity, target)
}

async fn records(store: &dyn Store, tenant: TenantId) -> Vec<DirectoryAudit> {
    store.directory_audits(&LogQuery::newest(tenant, 1000)).await.unwrap().records
}

pub(crate) async fn audits_commit_with_their_change(store: Arc<dyn Store>) {
    let tenant = tenant("audits.example", 0);
    store.create_tenant(&tenant, &audit()).await.unwrap();
    let app = application(tenant.id, "Payroll", 1);
    let added = application_record(&app, Activity::AddApplication, 1);
    store.create_application(&app, std::slice::from_ref(&added)).await.unwrap();
    assert_eq!(records(store.as_ref(), tenant.id).await, vec![added.clone()]);

    // A change refused by the store writes no record: a conflict, a missing object, a refused
    // credential change.
    let duplicate = Application { id: app.id, ..application(tenant.id, "Again", 2) };
    conflict(
        store
            .create_application(&duplicate, &[application_record(&duplicate, Activity::AddApplication, 2)])
            .await,
    );
    let ghost = application(tenant.id, "Ghost", 3);
    assert_not_found(
        store.update_application(&ghost, &[application_record(&ghost, Activity::UpdateApplication, 3)]).await,
    );
    assert_not_found(
        store
            .delete_application(
                tenant.id,
                ghost.id,
                &[application_record(&ghost, Activity::DeleteApplication, 3)],
            )
            .await,
    );
    let unknown = Uuid::new_v4();
    let record = application_record(&app, Activity::UpdateApplicationCredentials, 4);
    refused(
        store
            .modify_application(tenant.id, app.id, ApplicationChange::RemovePassword(unknown), &[record])
            .await,
    );
    assert_not_found(
        store
            .delete_user(
                tenant.id,
                ObjectId::new_random(),
                &[application_record(&app, Activity::DeleteUser, 4)],
            )
            .await,
    );
    assert_not_found(
        store
            .delete_assignment(
                tenant.id,
                "nothing",
                &[application_record(&app, Activity::RemoveAppRoleAssignment, 4)],
            )
            .await,
    );
    assert_eq!(records(store.as_ref(), tenant.id).await, vec![added.clone()]);

    // A change needs a record: an empty list is refused and nothing is written.
    let unrecorded = application(tenant.id, "Unrecorded", 5);
    assert!(matches!(store.create_application(&unrecorded, &[]).await, Err(StoreError::InvalidInput(_))));
    assert_eq!(store.application(tenant.id, unrecorded.id).await.unwrap(), None);

    // Several records of one change are committed together.
    let sp = service_principal(&app, 6);
    let shared = context(6);
    let both = [
        shared.record(
            tenant.id,
            Activity::AddServicePrincipal,
            AuditTarget::new(TargetType::ServicePrincipal, sp.id, None),
        ),
        shared.record(
            tenant.id,
            Activity::ConsentToApplication,
            AuditTarget::new(TargetType::ServicePrincipal, sp.id, None),
        ),
    ];
    store.create_service_principal(&sp, &both).await.unwrap();
    let stored = records(store.as_ref(), tenant.id).await;
    assert_eq!(stored.len(), 3);
    assert!(both.iter().all(|r| stored.contains(r)));
    assert!(stored.iter().filter(|r| r.correlation_id == shared.correlation_id).count() == 2);
}

pub(crate) async fn credential_changes_record_key_lists_without_secrets(store: Arc<dyn Store>) {
    let tenant = tenant("keys.example", 0);
    store.create_tenant(&tenant, &audit()).await.unwrap();
    let app = application(tenant.id, "Daemon", 1);
    store.create_application(&app, &audit()).await.unwrap();
    let secret = PasswordCredential {
        key_id: Uuid::new_v4(),
        display_name: Some("nightly".to_owned()),
        hint: "Q~x".to_owned(),
        start: at(2),
        end: at(2 + 86_400),
        secret_hash: vec![0xA5; 32].into(),
    };
    let record = context(2).record(
        tenant.id,
        Activity::UpdateApplicationCredentials,
        AuditTarget::new(TargetType::Application, app.id, None),
    );
    store
        .modify_application(tenant.id, app.id, ApplicationChange::AddPassword(secret.clone()), &[record])
        .await
        .unwrap();
    let stored = records(store.as_ref(), tenant.id).await;
    let properties = &stored[0].targets[0].modified_properties;
    let keys = properties.iter().find(|p| p.display_name == "KeyDescription").expect("KeyDescription");
    let (old, new) = (keys.old_value.as_deref().unwrap(), keys.new_value.as_deref().unwrap());
    let added = format!(
        "KeyIdentifier={},KeyType=Password,KeyUsage=Verify,DisplayName=nightly,Hint=Q~x",
        secret.key_id
    );
    assert!(new.contains(&added) && !old.contains(&secret.key_id.to_string()), "{old} -> {new}");
    assert!(new.contains(&app.password_credentials[0].key_id.to_string()), "earlier keys stay listed");
    assert_eq!(properties.last().unwrap().new_value.as_deref(), Some("\"KeyDescription\""));
    let json = serde_json::to_string(&stored[0]).unwrap();
    assert!(
        !json.contains("a5a5") && !json.contains("165,165") && !json.to_lowercase().contains("hash"),
        "{json}"
    );

    let record = context(3).record(
        tenant.id,
        Activity::UpdateApplication,
        AuditTarget::new(TargetType::Application, app.id, None),
    );
    let fic = federated_credential(9);
    store
        .modify_application(tenant.id, app.id, ApplicationChange::AddFederated(fic.clone()), &[record])
        .await
        .unwrap();
    let newest = &records(store.as_ref(), tenant.id).await[0];
    let federated = &newest.targets[0].modified_properties[0];
    assert_eq!(federated.display_name, "FederatedIdentityCredentials");
    assert!(federated.new_value.as_deref().unwrap().contains(&fic.subject));
}

pub(crate) async fn audits_are_read_per_tenant_newest_first_in_pages(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (a, b) = (world.tenant_a.id, world.tenant_b.id);
    let mut written = Vec::new();
    for seconds in [10, 20, 20, 30] {
        let app = application(a, &format!("App {seconds}"), seconds);
        let record = application_record(&app, Activity::AddApplication, seconds);
        store.create_application(&app, std::slice::from_ref(&record)).await.unwrap();
        written.push(record);
    }
    let other = application(b, "Other tenant", 25);
    store
        .create_application(&other, &[application_record(&other, Activity::AddApplication, 25)])
        .await
        .unwrap();
    let key = signing_key("kid-audits");
    let key_record = context(40).record_in(
        None,
        Activity::AddSigningKey,
        vec![AuditTarget::new(TargetType::Other, &key.kid, None)],
    );
    store.insert_signing_key(&key, std::slice::from_ref(&key_record)).await.unwrap();

    let all = records(store.as_ref(), a).await;
    assert_eq!(all.len(), 4, "tenant A sees only its own records");
    // Newest first; of two records of the same time, the later written first.
    assert_eq!(all, written.iter().rev().cloned().collect::<Vec<_>>());
    assert!(records(store.as_ref(), b).await.iter().all(|r| r.tenant_id == Some(b)));
    // One record by id, only in its own tenant.
    assert_eq!(store.directory_audit(a, &written[1].id).await.unwrap().as_ref(), Some(&written[1]));
    assert_eq!(store.directory_audit(b, &written[1].id).await.unwrap(), None);
    assert_eq!(store.directory_audit(a, &key_record.id).await.unwrap(), None, "installation-wide");
    assert_eq!(store.directory_audit(a, "Directory_nope").await.unwrap(), None);
    assert_eq!(store.directory_audit(a, "nul\0").await.unwrap(), None);

    let installation = LogQuery { tenant: None, ..LogQuery::newest(a, 1000) };
    let installation = store.directory_audits(&installation).await.unwrap().records;
    assert!(installation.contains(&key_record) && installation.iter().all(|r| r.tenant_id.is_none()));

    // Pages of two continue after the cursor, also between two records of the same time.
    let mut query = LogQuery::newest(a, 2);
    let first = store.directory_audits(&query).await.unwrap();
    query.after = first.next;
    let second = store.directory_audits(&query).await.unwrap();
    assert_eq!([first.records, second.records].concat(), all);
    query.after = second.next;
    let last = store.directory_audits(&query).await.unwrap();
    assert!(last.records.is_empty() && last.next.is_none(), "{last:?}");
    query.limit = 3;
    query.after = None;
    assert_eq!(store.directory_audits(&query).await.unwrap().next.map(|_| ()), Some(()));
    query.limit = 5;
    assert_eq!(
        store.directory_audits(&query).await.unwrap().next,
        None,
        "a page that is not full is the last"
    );

    // Each record's position resumes right after it (a reader that stopped mid-page).
    let three = store.directory_audits(&LogQuery::newest(a, 3)).await.unwrap();
    assert_eq!(three.positions.len(), 3);
    assert_eq!(three.next, Some(three.positions[2]));
    let resumed = LogQuery { after: Some(three.positions[0]), ..LogQuery::newest(a, 10) };
    assert_eq!(store.directory_audits(&resumed).await.unwrap().records, all[1..]);

    // Oldest first: the same records reversed, paged the other way through the same time.
    let mut query = LogQuery { order: LogOrder::OldestFirst, ..LogQuery::newest(a, 2) };
    let first = store.directory_audits(&query).await.unwrap();
    query.after = first.next;
    let second = store.directory_audits(&query).await.unwrap();
    assert_eq!([first.records, second.records].concat(), written);

    let window = LogQuery { since: Some(at(20)), until: Some(at(25)), ..LogQuery::newest(a, 10) };
    let window = store.directory_audits(&window).await.unwrap().records;
    assert_eq!(window.len(), 2);
    assert!(window.iter().all(|r| r.activity_time == at(20)));
}
