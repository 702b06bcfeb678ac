//! Text containing U+0000: PostgreSQL cannot store it, so every backend refuses it the same
//! way, with [`StoreError::InvalidInput`] and nothing written, and a lookup by such a key finds
//! nothing.

use super::*;
use custos_store::AssertionMarker;
use std::sync::Arc;

/// What every backend answers for text containing U+0000.
const REFUSAL: &str = "invalid input: text must not contain U+0000 (NUL)";

/// Fails unless the outcome is the refusal of text containing U+0000.
fn assert_nul_refused<T: std::fmt::Debug>(result: StoreResult<T>) {
    match result {
        Err(err @ StoreError::InvalidInput(_)) => assert_eq!(err.to_string(), REFUSAL),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
}

/// Every kind of object whose text (plain or inside a JSON document) holds U+0000.
pub(crate) async fn nul_text_is_refused(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let tenant = world.tenant_a.id;

    let mut nul_tenant = super::tenant("nul.example", 7);
    nul_tenant.display_name = "Tenant\0".to_owned();
    assert_nul_refused(store.create_tenant(&nul_tenant, &audit()).await);
    assert_eq!(store.tenants().await.unwrap(), vec![world.tenant_a.clone(), world.tenant_b.clone()]);

    let mut named = application(tenant, "App\0", 8);
    named.identifier_uris = vec!["api://fine".to_owned()];
    let mut uri = application(tenant, "App", 8);
    uri.identifier_uris = vec!["api://nul\0".to_owned()];
    let mut role = application(tenant, "App", 8);
    role.app_roles = world.resource_app.app_roles.clone();
    role.app_roles[0].description = Some("Read\0".to_owned());
    let mut secret = application(tenant, "App", 8);
    secret.password_credentials[0].hint = "a\0c".to_owned();
    for app in [named, uri, role, secret] {
        assert_nul_refused(store.create_application(&app, &audit()).await);
    }
    let mut described = world.client_app.clone();
    described.description = Some("\0".to_owned());
    described.identifier_uris = vec!["api://billing".to_owned()];
    assert_nul_refused(store.update_application(&described, &audit()).await);
    assert_eq!(
        store.applications(tenant).await.unwrap(),
        vec![world.resource_app.clone(), world.client_app.clone()],
        "no application, identifier URI or change was written"
    );

    let mut renamed = world.resource_sp.clone();
    renamed.display_name = "\0".to_owned();
    assert_nul_refused(store.update_service_principal(&renamed, &audit()).await);
    let mut other_app = application(tenant, "Other", 9);
    other_app.identifier_uris = vec!["api://other".to_owned()];
    store.create_application(&other_app, &audit()).await.unwrap();
    let mut sp = service_principal(&other_app, 9);
    sp.display_name = "Other\0".to_owned();
    assert_nul_refused(store.create_service_principal(&sp, &audit()).await);
    assert_eq!(
        store.service_principals(tenant).await.unwrap(),
        vec![world.resource_sp.clone(), world.client_sp.clone()]
    );

    let mut grant = assignment(&world.client_sp, &world.resource_sp, ROLE_WRITE, 10);
    grant.id = "grant\0".to_owned();
    assert_nul_refused(store.create_assignment(&grant, &audit()).await);
    assert_nul_refused(store.delete_assignment(tenant, "grant\0", &audit()).await);
    assert_eq!(store.assignments(tenant).await.unwrap(), vec![world.assignment.clone()]);

    assert_nul_refused(store.insert_signing_key(&signing_key("kid\0"), &audit()).await);
    assert_eq!(store.signing_keys().await.unwrap(), vec![]);

    // A batch of markers is refused whole: the valid marker before the NUL one is not recorded.
    let marker = |jti: &str| AssertionMarker {
        tenant,
        client: world.client_app.app_id,
        jti: jti.to_owned(),
        digest: [1; 32],
        expires: 600,
    };
    assert_nul_refused(store.record_assertion_markers(&[marker("fine"), marker("jti\0")], 0).await);
    assert_eq!(
        store.record_assertion_markers(&[marker("fine")], 0).await.unwrap(),
        vec![custos_store::MarkerOutcome::Recorded]
    );
}

/// Credential changes carrying U+0000 are refused, whatever property holds it.
pub(crate) async fn nul_credential_changes_are_refused(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    let (tenant, id) = (world.tenant_a.id, world.client_app.id);
    let federated = world.client_app.federated_identity_credentials[0].clone();

    let mut password = world.client_app.password_credentials[0].clone();
    password.key_id = Uuid::new_v4();
    password.display_name = Some("ci\0".to_owned());
    let mut key = key_credential(9, 0);
    key.display_name = Some("CN=\0".to_owned());
    let mut added_federated = federated_credential(2);
    added_federated.audiences.push("aud\0".to_owned());
    let update = custos_store::FederatedUpdate { subject: Some("sub\0".to_owned()), ..Default::default() };
    for change in [
        ApplicationChange::AddPassword(password),
        ApplicationChange::AddKey(key.clone()),
        ApplicationChange::ReplaceKeys(vec![KeyEntry::New(key)]),
        ApplicationChange::AddFederated(added_federated),
        ApplicationChange::UpdateFederated(federated.id, update),
    ] {
        assert_nul_refused(store.modify_application(tenant, id, change, &audit()).await);
    }
    assert_eq!(store.application(tenant, id).await.unwrap(), Some(world.client_app.clone()));
}

/// No stored text contains U+0000, so a lookup by a key holding it finds nothing.
pub(crate) async fn nul_keys_find_nothing(store: Arc<dyn Store>) {
    let world = World::new();
    world.create_all(store.as_ref()).await;
    assert_eq!(store.tenant_by_domain("contoso.example\0").await.unwrap(), None);
    assert_eq!(store.tenant_by_domain("contoso.example").await.unwrap(), Some(world.tenant_a));
}
