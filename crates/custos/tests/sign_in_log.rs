//! The sign-in log of a real `custos serve`: every token decision is written, also the ones still
//! queued when the server gets SIGTERM; `/metrics` counts them; `--sign-in-log off` writes none;
//! `custos logs signins` lists them.

mod common;

use common::{admin, admin_json, init_and_serve, token};
use custos_core::sign_in_log::{SignIn, SignInEventType};
use custos_store::{LogQuery, SignInFilter, Store as _};
use serde_json::Value;
use std::path::Path;

const GRAPH: &str = "https://graph.microsoft.com/.default";

/// The sign-ins stored in the data directory's database.
fn stored(data: &Path, init: &Value) -> Vec<SignIn> {
    let tenant: custos_core::TenantId = init["tenantId"].as_str().unwrap().parse().unwrap();
    let url = format!("sqlite://{}", data.join("custos.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = custos_store::sqlite::SqliteStore::open(&url).await.unwrap();
        store.sign_ins(&LogQuery::newest(tenant, 1000), &SignInFilter::default()).await.unwrap().records
    })
}

#[test]
fn sign_ins_queued_at_sigterm_are_all_written() {
    let (_dir, data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let base = server.url();
    let tenant = init["tenantId"].as_str().unwrap();
    let client_id = init["adminClientId"].as_str().unwrap();
    let secret = init["adminClientSecret"].as_str().unwrap();
    for _ in 0..20 {
        assert_eq!(token(&http, &base, tenant, client_id, secret, GRAPH).0, 200);
    }
    for _ in 0..3 {
        assert_eq!(token(&http, &base, tenant, client_id, "wrong", GRAPH).0, 401);
    }
    let metrics = http.get(format!("{base}/metrics")).send().unwrap().text().unwrap();
    for counter in ["recorded", "dropped", "failed"] {
        assert!(metrics.contains(&format!("# TYPE custos_sign_ins_{counter}_total counter\n")), "{metrics}");
    }
    assert!(metrics.contains("custos_sign_ins_dropped_total 0\n"), "{metrics}");
    // Terminated at once: what the last second recorded is still queued, and is written on the
    // way out.
    assert!(server.terminate().success());

    let records = stored(&data, &init);
    assert_eq!(records.len(), 23, "every decision is in the store after a clean shutdown");
    assert!(
        records
            .iter()
            .all(|r| r.app.app_id == client_id && r.event_type == SignInEventType::ServicePrincipal)
    );
    assert_eq!(records.iter().filter(|r| r.status.error_code == 7_000_215).count(), 3);
    assert!(records.iter().all(|r| r.ip == Some("127.0.0.1".parse().unwrap())));
    let db = std::fs::read(data.join("custos.db")).unwrap();
    assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret is not in the database");
}

#[test]
fn sign_in_logging_can_be_turned_off() {
    let (_dir, data, init, server) = init_and_serve(&["--sign-in-log", "off"]);
    let http = server.client();
    let tenant = init["tenantId"].as_str().unwrap();
    let (client_id, secret) =
        (init["adminClientId"].as_str().unwrap(), init["adminClientSecret"].as_str().unwrap());
    assert_eq!(token(&http, &server.url(), tenant, client_id, secret, GRAPH).0, 200);
    let metrics = http.get(format!("{}/metrics", server.url())).send().unwrap().text().unwrap();
    assert!(metrics.contains("custos_sign_ins_recorded_total 0\n"), "{metrics}");
    assert!(server.terminate().success());
    assert!(stored(&data, &init).is_empty());
}

#[test]
fn an_operator_lists_the_sign_ins() {
    let (_dir, data, init, server) = init_and_serve(&[]);
    let http = server.client();
    let tenant = init["tenantId"].as_str().unwrap();
    let client_id = init["adminClientId"].as_str().unwrap();
    for _ in 0..2 {
        assert_eq!(token(&http, &server.url(), tenant, client_id, "wrong", GRAPH).0, 401);
    }
    // The writer commits within a second; each listing is a new process (no sleeping here).
    let mut failed = Value::Null;
    for _ in 0..100 {
        failed = admin_json(&server, &data, &["logs", "signins", "--failed"]);
        if failed.as_array().unwrap().len() == 2 {
            break;
        }
    }
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.iter().all(|r| r["status"]["errorCode"] == 7_000_215 && r["appId"] == client_id));
    assert_eq!(failed[0]["signInEventTypes"], serde_json::json!(["servicePrincipal"]));
    // The CLI's own token requests are sign-ins of the admin application too.
    let by_app = admin_json(&server, &data, &["logs", "signins", "--app", client_id, "--since", "1h"]);
    assert!(by_app.as_array().unwrap().iter().any(|r| r["status"]["errorCode"] == 0), "{by_app}");
    let table = admin(&server, &data, &["logs", "signins", "--failed"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("AADSTS7000215") && text.contains("servicePrincipal"), "{text}");
}
