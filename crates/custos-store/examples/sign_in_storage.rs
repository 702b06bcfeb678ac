//! Storage per million sign-ins (BENCHMARKS.md): appends `COUNT` (default 1,000,000) typical
//! service-principal sign-ins, in the sign-in writer's batches of 500, to a fresh SQLite file
//! and, when `CUSTOS_TEST_POSTGRES_URL` is set, to a fresh PostgreSQL schema, then prints the
//! bytes each database uses for them (SQLite: the file after a checkpoint, minus the empty
//! database; PostgreSQL: `pg_total_relation_size('sign_ins')`, table, TOAST and indexes).
//!
//! `cargo run --release -p custos-store --example sign_in_storage [COUNT]`

use custos_core::sign_in_log::{
    ClientCredentialType, SignIn, SignInApp, SignInCredential, SignInEventType, SignInResource, SignInStatus,
    id_and_time,
};
use custos_core::{AppId, ObjectId, TenantId};
use custos_store::Store;
use custos_store::postgres::PostgresStore;
use custos_store::sqlite::SqliteStore;
use sqlx::Row as _;
use time::macros::datetime;
use uuid::Uuid;

const BATCH: usize = 500;

/// A typical record: one of 50 clients of one tenant asking for Microsoft Graph with a secret;
/// one in 20 fails with 7000215.
fn typical(tenant: TenantId, clients: &[(AppId, ObjectId)], graph_sp: ObjectId, n: usize) -> SignIn {
    let (app_id, sp) = clients[n % clients.len()];
    let failed = n.is_multiple_of(20);
    let (id, created) =
        id_and_time(datetime!(2026-01-01 00:00 UTC) + time::Duration::milliseconds(n as i64 * 3));
    SignIn {
        id,
        tenant_id: tenant,
        created,
        event_type: SignInEventType::ServicePrincipal,
        app: SignInApp {
            app_id: app_id.to_string(),
            display_name: Some(format!("nightly-sync-{:02}", n % clients.len())),
            service_principal: Some((sp, format!("nightly-sync-{:02}", n % clients.len()))),
        },
        user: None,
        resource: Some(SignInResource {
            app_id: "00000003-0000-0000-c000-000000000000".to_owned(),
            display_name: Some("Microsoft Graph".to_owned()),
            service_principal_id: Some(graph_sp),
        }),
        ip: Some(format!("10.20.{}.{}", n % 250, n % 200).parse().unwrap()),
        user_agent: None,
        correlation_id: Uuid::new_v4(),
        credential: SignInCredential {
            kind: Some(ClientCredentialType::ClientSecret),
            key_id: (!failed).then(Uuid::new_v4),
            ..Default::default()
        },
        status: if failed {
            SignInStatus::failure(7_000_215, "Invalid client secret provided. Ensure the secret…")
        } else {
            SignInStatus::success()
        },
        scopes: vec![".default".to_owned()],
        login_hint_present: false,
    }
}

async fn fill(store: &dyn Store, count: usize) -> std::time::Duration {
    let tenant = TenantId::new_random();
    let clients: Vec<_> = (0..50).map(|_| (AppId::new_random(), ObjectId::new_random())).collect();
    let graph_sp = ObjectId::new_random();
    #[allow(clippy::disallowed_methods)] // a measuring tool, not custos: wall time of the fill
    let started = std::time::Instant::now();
    let mut n = 0;
    while n < count {
        let batch: Vec<_> =
            (n..(n + BATCH).min(count)).map(|i| typical(tenant, &clients, graph_sp, i)).collect();
        store.append_sign_ins(&batch).await.unwrap();
        n += batch.len();
    }
    started.elapsed()
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::args().nth(1).map_or(1_000_000, |n| n.parse().expect("COUNT is a number"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sign-ins.db");
    let url = format!("sqlite://{}", path.display());
    let store = SqliteStore::open(&url).await.unwrap();
    let empty = std::fs::metadata(&path).unwrap().len();
    let took = fill(&store, count).await;
    store.close().await;
    // Reopening checkpoints the WAL into the file.
    let store = SqliteStore::open(&url).await.unwrap();
    store.close().await;
    let bytes = std::fs::metadata(&path).unwrap().len() - empty;
    report("SQLite", count, bytes, took);

    if let Ok(pg) = std::env::var("CUSTOS_TEST_POSTGRES_URL") {
        let schema = format!("custos_storage_{}", Uuid::new_v4().simple());
        let store = PostgresStore::connect_in_schema(&pg, &schema).await.unwrap();
        let took = fill(&store, count).await;
        store.close().await;
        let pool = sqlx::PgPool::connect(&pg).await.unwrap();
        sqlx::query(&format!("VACUUM ANALYZE \"{schema}\".sign_ins")).execute(&pool).await.unwrap();
        let row = sqlx::query(&format!(
            "SELECT pg_total_relation_size('\"{schema}\".sign_ins') AS total, \
             pg_relation_size('\"{schema}\".sign_ins') AS heap, \
             pg_indexes_size('\"{schema}\".sign_ins') AS indexes"
        ))
        .fetch_one(&pool)
        .await
        .unwrap();
        let (total, heap, indexes): (i64, i64, i64) = (row.get("total"), row.get("heap"), row.get("indexes"));
        report("PostgreSQL", count, total as u64, took);
        println!(
            "  PostgreSQL detail: heap {heap} B, indexes {indexes} B, TOAST and maps {} B",
            total - heap - indexes
        );
        sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE")).execute(&pool).await.unwrap();
    }
}

fn report(database: &str, count: usize, bytes: u64, took: std::time::Duration) {
    println!(
        "{database}: {count} sign-ins, {bytes} bytes ({:.0} MiB; {:.0} bytes per record; {:.0} MiB per million), \
         appended in {:.1} s ({:.0} records/s)",
        bytes as f64 / 1_048_576.0,
        bytes as f64 / count as f64,
        bytes as f64 / count as f64 * 1e6 / 1_048_576.0,
        took.as_secs_f64(),
        count as f64 / took.as_secs_f64()
    );
}
