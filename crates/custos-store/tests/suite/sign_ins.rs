//! Sign-in logs: batches appended together, read back per tenant in time order through the
//! shared log reader, narrowed by kind, client, user and outcome, and found by id.

use super::*;
use custos_core::sign_in_log::{
    ClientCredentialType, SignIn, SignInApp, SignInCredential, SignInEventType, SignInStatus, SignInUser,
};
use custos_store::{LogOrder, LogQuery, SignInFilter};
use std::sync::Arc;

/// A sign-in of `kind` by `app` in `tenant` at `seconds` after [`T0`], successful when `code` is 0.
pub(crate) fn sign_in_record(
    tenant: TenantId,
    kind: SignInEventType,
    app: &str,
    seconds: i64,
    code: u32,
) -> SignIn {
    let user = kind.is_user().then(|| SignInUser {
        id: Some(ObjectId::new_random()),
        principal_name: "Alice@Contoso.example".to_owned(),
        display_name: Some("Alice".to_owned()),
    });
    SignIn {
        id: Uuid::new_v4(),
        tenant_id: tenant,
        created: at(seconds),
        event_type: kind,
        app: SignInApp {
            app_id: app.to_owned(),
            display_name: Some("Daemon".to_owned()),
            service_principal: None,
        },
        user,
        resource: None,
        ip: Some("198.51.100.9".parse().unwrap()),
        user_agent: None,
        correlation_id: Uuid::new_v4(),
        credential: SignInCredential { kind: Some(ClientCredentialType::ClientSecret), ..Default::default() },
        status: if code == 0 {
            SignInStatus::success()
        } else {
            SignInStatus::failure(code, "Refused. More.")
        },
        scopes: vec![".default".to_owned()],
        login_hint_present: false,
    }
}

async fn read(store: &dyn Store, query: &LogQuery, filter: &SignInFilter) -> Vec<SignIn> {
    store.sign_ins(query, filter).await.unwrap().records
}

pub(crate) async fn sign_ins_read_back_per_tenant_filtered_and_paged(store: Arc<dyn Store>) {
    let (a, b) = (TenantId::new_random(), TenantId::new_random());
    let batch = vec![
        sign_in_record(a, SignInEventType::ServicePrincipal, "app-1", 10, 0),
        sign_in_record(a, SignInEventType::ServicePrincipal, "app-2", 20, 7_000_215),
        sign_in_record(a, SignInEventType::InteractiveUser, "app-1", 20, 0),
        sign_in_record(a, SignInEventType::ManagedIdentity, "mi-1", 30, 0),
        sign_in_record(b, SignInEventType::ServicePrincipal, "app-1", 40, 0),
    ];
    store.append_sign_ins(&batch).await.unwrap();
    store.append_sign_ins(&[]).await.unwrap();

    let all = SignInFilter::default();
    let newest = read(store.as_ref(), &LogQuery::newest(a, 100), &all).await;
    // Newest first; records of one instant in reverse insertion order.
    assert_eq!(newest, vec![batch[3].clone(), batch[2].clone(), batch[1].clone(), batch[0].clone()]);
    let oldest = LogQuery { order: LogOrder::OldestFirst, ..LogQuery::newest(a, 100) };
    assert_eq!(
        read(store.as_ref(), &oldest, &all).await,
        vec![batch[0].clone(), batch[1].clone(), batch[2].clone(), batch[3].clone()]
    );
    assert_eq!(read(store.as_ref(), &LogQuery::newest(b, 100), &all).await, vec![batch[4].clone()]);

    let kinds =
        |kinds: &[SignInEventType]| SignInFilter { event_types: kinds.to_vec(), ..Default::default() };
    let workload = kinds(&[SignInEventType::ServicePrincipal, SignInEventType::ManagedIdentity]);
    let ids = |records: Vec<SignIn>| records.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(read(store.as_ref(), &LogQuery::newest(a, 100), &workload).await),
        vec![batch[3].id, batch[1].id, batch[0].id]
    );
    let interactive = kinds(&[SignInEventType::InteractiveUser]);
    assert_eq!(ids(read(store.as_ref(), &LogQuery::newest(a, 100), &interactive).await), vec![batch[2].id]);
    let by_app = SignInFilter { app_id: Some("app-1".to_owned()), ..Default::default() };
    assert_eq!(
        ids(read(store.as_ref(), &LogQuery::newest(a, 100), &by_app).await),
        vec![batch[2].id, batch[0].id]
    );
    let by_user =
        SignInFilter { user_principal_name: Some("ALICE@contoso.EXAMPLE".to_owned()), ..Default::default() };
    assert_eq!(ids(read(store.as_ref(), &LogQuery::newest(a, 100), &by_user).await), vec![batch[2].id]);
    let failed = SignInFilter { failed_only: true, ..Default::default() };
    assert_eq!(ids(read(store.as_ref(), &LogQuery::newest(a, 100), &failed).await), vec![batch[1].id]);
    let code = SignInFilter { error_code: Some(7_000_215), ..workload.clone() };
    assert_eq!(ids(read(store.as_ref(), &LogQuery::newest(a, 100), &code).await), vec![batch[1].id]);
    let none = SignInFilter { error_code: Some(7_000_215), ..interactive };
    assert!(read(store.as_ref(), &LogQuery::newest(a, 100), &none).await.is_empty());

    // A time window, and pages of two that continue where the last one ended.
    let window = LogQuery { since: Some(at(20)), until: Some(at(20)), ..LogQuery::newest(a, 100) };
    assert_eq!(ids(read(store.as_ref(), &window, &all).await), vec![batch[2].id, batch[1].id]);
    let first = store.sign_ins(&LogQuery::newest(a, 2), &workload).await.unwrap();
    assert_eq!(ids(first.records), vec![batch[3].id, batch[1].id]);
    let rest = LogQuery { after: first.next, ..LogQuery::newest(a, 2) };
    let second = store.sign_ins(&rest, &workload).await.unwrap();
    assert_eq!(ids(second.records), vec![batch[0].id]);
    assert_eq!(second.next, None);

    // By id, only in its own tenant.
    assert_eq!(store.sign_in(a, batch[1].id).await.unwrap(), Some(batch[1].clone()));
    assert_eq!(store.sign_in(b, batch[1].id).await.unwrap(), None);
    assert_eq!(store.sign_in(a, Uuid::new_v4()).await.unwrap(), None);
}

pub(crate) async fn a_sign_in_batch_is_written_whole_or_not_at_all(store: Arc<dyn Store>) {
    let tenant = TenantId::new_random();
    let first = sign_in_record(tenant, SignInEventType::ServicePrincipal, "app-1", 1, 0);
    store.append_sign_ins(std::slice::from_ref(&first)).await.unwrap();
    // The second batch repeats the first record's id: the database refuses it, and the new
    // record before it is not kept either.
    let fresh = sign_in_record(tenant, SignInEventType::ServicePrincipal, "app-1", 2, 0);
    assert!(store.append_sign_ins(&[fresh.clone(), first.clone()]).await.is_err());
    assert_eq!(
        read(store.as_ref(), &LogQuery::newest(tenant, 10), &SignInFilter::default()).await,
        vec![first]
    );
    // Text the database cannot keep is refused before it is sent.
    let mut nul = sign_in_record(tenant, SignInEventType::ServicePrincipal, "app-1", 3, 0);
    nul.app.app_id = "bad\0id".to_owned();
    assert!(matches!(store.append_sign_ins(&[nul]).await, Err(StoreError::InvalidInput(_))));
}

pub(crate) async fn retention_purges_old_logs_per_tenant_in_chunks(store: Arc<dyn Store>) {
    use custos_core::audit::{Activity, AuditContext, AuditTarget, TargetType};
    use custos_core::settings::TenantSettings;
    let (short, long) = (tenant("short.example", 0), tenant("long.example", 0));
    store.create_tenant(&short, &audit()).await.unwrap();
    store.create_tenant(&long, &audit()).await.unwrap();
    let week = TenantSettings { log_retention_days: 7, ..TenantSettings::default() };
    store.update_tenant_settings(short.id, &week, &audit()).await.unwrap();
    const DAY: i64 = 86_400;
    // Sign-ins 10 and 3 days old in both tenants (at day 40), and a directory audit 10 days old.
    let mut records = Vec::new();
    for t in [short.id, long.id] {
        for age in [10, 10, 10, 3] {
            records.push(sign_in_record(t, SignInEventType::ServicePrincipal, "app", (40 - age) * DAY, 0));
        }
    }
    store.append_sign_ins(&records).await.unwrap();
    let old_audit = AuditContext::installation(at(30 * DAY)).record(
        short.id,
        Activity::UpdateApplication,
        AuditTarget::new(TargetType::Application, ObjectId::new_random(), None),
    );
    let app = application(short.id, "Audited", 30 * DAY);
    store.create_application(&app, std::slice::from_ref(&old_audit)).await.unwrap();
    let new_audit = AuditContext::installation(at(38 * DAY)).record(
        short.id,
        Activity::DeleteApplication,
        AuditTarget::new(TargetType::Application, app.id, None),
    );
    store.delete_application(short.id, app.id, std::slice::from_ref(&new_audit)).await.unwrap();

    // A chunk is bounded.
    assert_eq!(store.purge_logs(short.id, at(35 * DAY), 2).await.unwrap(), 2);
    let clock = custos_core::FixedClock::new(at(40 * DAY));
    let deleted = custos_store::retention::purge_once(store.as_ref(), &clock).await.unwrap();
    assert_eq!(deleted, 2, "the third old sign-in and the old audit of the 7-day tenant");
    let all = SignInFilter::default();
    let left = read(store.as_ref(), &LogQuery::newest(short.id, 100), &all).await;
    assert_eq!(left.iter().map(|r| r.created).collect::<Vec<_>>(), vec![at(37 * DAY)]);
    assert_eq!(read(store.as_ref(), &LogQuery::newest(long.id, 100), &all).await.len(), 4, "30 days kept");
    let audits = store.directory_audits(&LogQuery::newest(short.id, 100)).await.unwrap().records;
    assert!(!audits.contains(&old_audit), "the old audit is gone");
    assert!(audits.contains(&new_audit), "a newer audit stays");
    assert_eq!(custos_store::retention::purge_once(store.as_ref(), &clock).await.unwrap(), 0);
}
