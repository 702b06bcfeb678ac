//! The keyset read against the whole-tenant read: the same matches in the same order, over
//! pages of every size, for filters of every kind (advanced ones too: the walk takes any filter).

use super::*;
use crate::filter::Logic;
use crate::shapes::{APPLICATION, SERVICE_PRINCIPAL};
use custos_core::audit::{Activity, AuditContext, DirectoryAudit};
use custos_core::ids::GRAPH_APP_ID;
use custos_core::model::{ServicePrincipalType, Tenant};
use custos_core::{AppId, ObjectId};
use custos_store::sqlite::SqliteStore;
use time::OffsetDateTime;
use time::macros::datetime;

const T0: OffsetDateTime = datetime!(2026-03-01 12:00 UTC);
const DOMAIN: &str = "contoso.example";

fn audit() -> [DirectoryAudit; 1] {
    [AuditContext::installation(T0).record_in(None, Activity::AddApplication, Vec::new())]
}

async fn create_tenant(store: &SqliteStore, domain: &str) -> TenantId {
    let tenant = Tenant {
        id: TenantId::new_random(),
        domain: domain.to_owned(),
        display_name: "C".to_owned(),
        created: T0,
    };
    store.create_tenant(&tenant, &audit()).await.unwrap();
    tenant.id
}

/// An application and, when `principal` says of which type, its service principal.
async fn add(store: &SqliteStore, app: Application, principal: Option<ServicePrincipalType>) {
    store.create_application(&app, &audit()).await.unwrap();
    if let Some(kind) = principal {
        let sp = ServicePrincipal {
            id: ObjectId::new_random(),
            tenant_id: app.tenant_id,
            app_id: app.app_id,
            display_name: app.display_name.clone(),
            account_enabled: app.display_name.len().is_multiple_of(2),
            app_role_assignment_required: false,
            service_principal_type: kind,
            properties: Default::default(),
            created: app.created,
        };
        store.create_service_principal(&sp, &audit()).await.unwrap();
    }
}

/// A tenant of a few hundred applications (ties in creation time, mixed-case names, identifier
/// URIs and tags), most with a principal, a built-in and a managed identity among them; and
/// another tenant with the same names.
async fn world() -> (SqliteStore, TenantId) {
    let store = SqliteStore::open("sqlite::memory:").await.unwrap();
    let tenant = create_tenant(&store, DOMAIN).await;
    let other = create_tenant(&store, "other.example").await;
    for i in 0..320_i64 {
        let name = if i % 5 == 0 { format!("app {i}") } else { format!("App {i}") };
        let created = T0 + time::Duration::seconds(i / 3);
        let mut app = Application::new(tenant, AppId::new_random(), name.clone(), created);
        app.identifier_uris = vec![format!("api://{}-{i}", if i % 2 == 0 { "even" } else { "odd" })];
        if i % 2 == 1 {
            app.properties.tags = vec!["odd".to_owned()];
        }
        let principal = (i % 4 != 3).then_some(ServicePrincipalType::Application);
        add(&store, app, principal).await;
        if i < 20 {
            add(&store, Application::new(other, AppId::new_random(), name, created), principal).await;
        }
    }
    let built_in = Application::new(tenant, GRAPH_APP_ID, "App builtin".to_owned(), T0);
    add(&store, built_in, Some(ServicePrincipalType::Application)).await;
    let identity = Application::new(tenant, AppId::new_random(), "App identity".to_owned(), T0);
    add(&store, identity, Some(ServicePrincipalType::ManagedIdentity)).await;
    (store, tenant)
}

/// Every page of the keyset read of `set`, `top` at a time; checks that only the last is short.
async fn keyset_pages<S: Keyset>(set: &S, tenant: TenantId, filter: &Filter, top: usize) -> Vec<Value> {
    let (mut all, mut after) = (Vec::new(), None);
    loop {
        let (page, next) = matches(set, tenant, Some(filter), after, top).await.unwrap();
        assert!(page.len() <= top);
        let full = page.len() == top;
        all.extend(page);
        match next {
            Some(next) => {
                assert!(full, "a page linking on is full");
                after = Some(next);
            }
            None => return all,
        }
    }
}

fn ids(items: &[Value]) -> Vec<&str> {
    items.iter().map(|i| i["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn filtered_keyset_reads_match_the_whole_tenant_read() {
    let (store, tenant) = world().await;
    let apps = Applications { store: &store, domain: DOMAIN.to_owned(), with_keys: false };
    let listed = crate::resolve::listed_applications(&store, tenant).await.unwrap();
    let every_app: Vec<Value> = listed.iter().map(|a| shapes::application(a, DOMAIN, false)).collect();
    let sps = ServicePrincipals { store: &store, tenant };
    let every_sp = super::super::render_service_principals(
        &store,
        tenant,
        &store.service_principals(tenant).await.unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(every_app.len(), 320);
    assert_eq!(every_sp.len(), 242);

    let app_filters = [
        "startswith(displayName,'app 1')",
        "startswith(displayName,'APP 1') and startswith(displayName,'app 12')",
        "startswith(displayName,'app 2') or tags/any(t:t eq 'odd')",
        "identifierUris/any(c:startswith(c,'api://EVEN-1'))",
        "startswith(displayName,'app') and not(tags/any(t:t eq 'odd'))",
        "displayName ne 'App 13' and startswith(displayName,'app 1') and not(displayName eq 'app 15')",
        "not(startswith(displayName,'app')) or displayName in ('App 7', 'App 301')",
        "startswith(displayName,'app 3') and identifierUris/any(c:c eq 'api://odd-31' or c eq 'api://even-30')",
        "signInAudience eq 'AzureADMyOrg'",
        "startswith(displayName,'zzz')",
        "startswith(displayName,'')",
    ];
    let sp_filters = [
        "servicePrincipalNames/any(c:startswith(c,'api://even-2'))",
        "startswith(displayName,'App 1') and accountEnabled eq true",
        "not(servicePrincipalNames/any(c:c eq 'api://even-4')) and startswith(displayName,'app 4')",
        "accountEnabled ne true and startswith(displayName,'app 2')",
        "startswith(displayName,'app identity') or startswith(displayName,'app builtin')",
        "servicePrincipalType ne 'Application'",
    ];
    for top in [2, 7, 999] {
        for text in app_filters {
            let filter = APPLICATION.parse_filter(text, Logic::Directory, true).unwrap();
            let want: Vec<&Value> = every_app.iter().filter(|a| filter.matches(a)).collect();
            let got = keyset_pages(&apps, tenant, &filter, top).await;
            assert_eq!(
                ids(&got),
                want.iter().map(|i| i["id"].as_str().unwrap()).collect::<Vec<_>>(),
                "{text} $top={top}"
            );
            assert_eq!(got.iter().collect::<Vec<_>>(), want, "{text} $top={top}: rendered alike");
        }
        for text in sp_filters {
            let filter = SERVICE_PRINCIPAL.parse_filter(text, Logic::Directory, true).unwrap();
            let want: Vec<&Value> = every_sp.iter().filter(|s| filter.matches(s)).collect();
            let got = keyset_pages(&sps, tenant, &filter, top).await;
            assert_eq!(got.iter().collect::<Vec<_>>(), want, "{text} $top={top}");
        }
    }
    // Some filters match a few, some many, some none.
    let count = |text: &str| {
        let filter = APPLICATION.parse_filter(text, Logic::Directory, true).unwrap();
        every_app.iter().filter(|a| filter.matches(a)).count()
    };
    assert_eq!(count("startswith(displayName,'app 1')"), 1 + 10 + 100);
    assert_eq!(count("startswith(displayName,'zzz')"), 0);
}
