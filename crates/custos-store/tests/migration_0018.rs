//! Migration 0018 (display-name keys) on rows written before it, for both backends (PostgreSQL
//! when `CUSTOS_TEST_POSTGRES_URL` is set): the store fills in every missing key when it opens,
//! so a display-name prefix finds old applications, service principals and users alike.

use custos_core::model::{Application, ServicePrincipal, ServicePrincipalType, Tenant};
use custos_core::users::User;
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::sqlite::SqliteStore;
use custos_store::{ObjectQuery, Store};
use sqlx::{Connection as _, Executor as _};
use time::macros::datetime;

mod support;

#[allow(unused_imports)]
pub(crate) use custos_core::audit::testing::placeholder as audit;

const TENANT: TenantId = TenantId(uuid::Uuid::from_u128(0xa0));
/// The keys' column emptied, as on rows written before migration 0018.
const FORGET_KEYS: &str = "UPDATE applications SET display_name_key = NULL; \
     UPDATE service_principals SET display_name_key = NULL; UPDATE users SET display_name_key = NULL;";

/// Names whose keys need Unicode lower case (which SQL's `lower` does not do alike everywhere).
const NAMES: [&str; 3] = ["Été API", "ÉTÉ worker", "Other"];

async fn write_old_rows(store: &dyn Store) {
    let created = datetime!(2026-01-01 0:00 UTC);
    let tenant = Tenant { id: TENANT, domain: "old.example".into(), display_name: "Old".into(), created };
    store.create_tenant(&tenant, &audit()).await.unwrap();
    for (i, name) in NAMES.iter().enumerate() {
        let app = Application::new(TENANT, AppId::new_random(), (*name).to_owned(), created);
        store.create_application(&app, &audit()).await.unwrap();
        let sp = ServicePrincipal {
            id: ObjectId::new_random(),
            tenant_id: TENANT,
            app_id: app.app_id,
            display_name: (*name).to_owned(),
            account_enabled: true,
            app_role_assignment_required: false,
            service_principal_type: ServicePrincipalType::Application,
            properties: Default::default(),
            created,
        };
        store.create_service_principal(&sp, &audit()).await.unwrap();
        let user = User {
            id: ObjectId::new_random(),
            tenant_id: TENANT,
            user_principal_name: format!("u{i}@old.example"),
            display_name: (*name).to_owned(),
            given_name: None,
            surname: None,
            mail_nickname: format!("u{i}"),
            mail: None,
            account_enabled: true,
            tokens_valid_from: created,
            created,
        };
        store.create_user(&user, "hash", &audit()).await.unwrap();
    }
}

/// After opening, `été` finds the two old objects of each kind.
async fn assert_filled(store: &dyn Store) {
    let query =
        ObjectQuery { display_name_prefix: Some("été".to_owned()), ..ObjectQuery::first(TENANT, 10) };
    let apps = store.applications_page(&query).await.unwrap().records;
    assert_eq!(apps.iter().map(|a| a.display_name.as_str()).collect::<Vec<_>>(), &NAMES[..2]);
    let sps = store.service_principals_page(&query).await.unwrap().records;
    assert_eq!(sps.iter().map(|s| s.display_name.as_str()).collect::<Vec<_>>(), &NAMES[..2]);
    let users = store.users_page(&query).await.unwrap().records;
    assert_eq!(users.iter().map(|u| u.display_name.as_str()).collect::<Vec<_>>(), &NAMES[..2]);
}

#[tokio::test]
async fn sqlite_0018_fills_in_display_name_keys() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    write_old_rows(&store).await;
    store.close().await;
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    pool.execute(FORGET_KEYS).await.unwrap();
    pool.close().await;

    let store = SqliteStore::open(&url).await.unwrap();
    assert_filled(&store).await;
    store.close().await;
}

#[tokio::test]
async fn postgres_0018_fills_in_display_name_keys() {
    let Some(url) = support::postgres_url("migration test") else { return };
    let schema = support::fresh_schema();
    let store = support::store_in_schema(&url, &schema).await;
    write_old_rows(&store).await;
    store.close().await;
    let mut conn = support::connect(&url).await;
    conn.execute(format!("SET search_path TO \"{schema}\"; {FORGET_KEYS}").as_str()).await.unwrap();

    let store = support::store_in_schema(&url, &schema).await;
    assert_filled(&store).await;
    store.close().await;
    conn.execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str()).await.unwrap();
    conn.close().await.unwrap();
}
