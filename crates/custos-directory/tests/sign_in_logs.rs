//! Reading sign-ins through Graph (`/v1.0|beta/auditLogs/signIns`): which kinds each version
//! returns, the `signInEventTypes` lambda on beta and its 400 on v1.0, the filters consumers
//! send, paging, ordering, per-tenant isolation, the 403 without `AuditLog.Read.All`, injection
//! attempts, and that no method changes a record.

mod common;

use common::{AssertGraphError, BASE, Harness};
use custos_core::TenantId;
use custos_core::sign_in_log::{
    ClientCredentialType, SignIn, SignInApp, SignInCredential, SignInEventType, SignInStatus, SignInUser,
};
use http::{Method, StatusCode};
use serde_json::{Value, json};
use time::macros::datetime;
use uuid::Uuid;

const V1: &str = "/v1.0/auditLogs/signIns";
const BETA: &str = "/beta/auditLogs/signIns";

/// A record of `kind` by `app` at `minute` past noon, failed with `code` unless 0.
fn record(tenant: TenantId, kind: SignInEventType, app: &str, minute: i64, code: u32) -> SignIn {
    SignIn {
        id: Uuid::new_v4(),
        tenant_id: tenant,
        created: datetime!(2026-03-01 12:00 UTC) + time::Duration::minutes(minute),
        event_type: kind,
        app: SignInApp {
            app_id: app.to_owned(),
            display_name: Some(format!("App {app}")),
            service_principal: None,
        },
        user: kind.is_user().then(|| SignInUser {
            id: None,
            principal_name: "Alice@A.example".to_owned(),
            display_name: Some("Alice".to_owned()),
        }),
        resource: None,
        ip: Some("198.51.100.4".parse().unwrap()),
        user_agent: None,
        correlation_id: Uuid::new_v4(),
        credential: SignInCredential { kind: Some(ClientCredentialType::ClientSecret), ..Default::default() },
        status: if code == 0 { SignInStatus::success() } else { SignInStatus::failure(code, "Refused.") },
        scopes: Vec::new(),
        login_hint_present: false,
    }
}

/// Tenant A: interactive sign-ins at minutes 1 (app `web`), 2 (`web`, wrong password) and 5
/// (`portal`); a non-interactive one at 3, a service principal's at 4 and a managed identity's
/// at 6. Tenant B: one interactive sign-in.
async fn seeded(h: &Harness) -> Vec<SignIn> {
    use SignInEventType::*;
    let a = h.tenant_a();
    let records = vec![
        record(a, InteractiveUser, "web", 1, 0),
        record(a, InteractiveUser, "web", 2, 50_126),
        record(a, NonInteractiveUser, "web", 3, 0),
        record(a, ServicePrincipal, "daemon", 4, 0),
        record(a, InteractiveUser, "portal", 5, 0),
        record(a, ManagedIdentity, "identity", 6, 0),
    ];
    h.store.append_sign_ins(&records).await.unwrap();
    h.store.append_sign_ins(&[record(h.b.tenant.id, InteractiveUser, "other", 1, 0)]).await.unwrap();
    records
}

fn filtered(base: &str, filter: &str, rest: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    format!("{base}?$filter={encoded}{rest}")
}

/// The ids of a page's records, checking it is a 200.
fn ids(reply: &common::Reply) -> Vec<String> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["value"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

fn ids_of(records: &[&SignIn]) -> Vec<String> {
    records.iter().map(|r| r.id.to_string()).collect()
}

#[tokio::test]
async fn v1_and_beta_list_interactive_sign_ins_newest_first() {
    let h = Harness::new().await;
    let r = seeded(&h).await;
    let v1 = h.get(V1, "admin").await;
    assert_eq!(ids(&v1), ids_of(&[&r[4], &r[1], &r[0]]));
    assert_eq!(v1.json["@odata.context"], format!("{BASE}/v1.0/$metadata#auditLogs/signIns"));
    let first = &v1.json["value"][0];
    assert_eq!(first["isInteractive"], true);
    assert_eq!(first["userPrincipalName"], "alice@a.example");
    assert_eq!(first.get("signInEventTypes"), None, "v1.0 has no signInEventTypes");
    let beta = h.get(BETA, "admin").await;
    assert_eq!(ids(&beta), ids(&v1), "beta without the lambda: interactive only too");
    assert_eq!(beta.json["@odata.context"], format!("{BASE}/beta/$metadata#auditLogs/signIns"));
    assert_eq!(beta.json["value"][0]["signInEventTypes"], json!(["interactiveUser"]));

    let one = h.get(&format!("{BETA}/{}", r[3].id), "admin").await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.json);
    assert_eq!(one.json["clientCredentialType"], "clientSecret");
    assert_eq!(one.json["@odata.context"], format!("{BASE}/beta/$metadata#auditLogs/signIns/$entity"));
    h.get(&format!("{V1}/{}", Uuid::new_v4()), "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    h.get(&format!("{V1}/not-a-guid"), "admin")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn beta_selects_kinds_with_the_event_type_lambda() {
    let h = Harness::new().await;
    let r = seeded(&h).await;
    let kind = |filter: &str| filtered(BETA, filter, "");
    let sp = h.get(&kind("signInEventTypes/any(t: t eq 'servicePrincipal')"), "admin").await;
    assert_eq!(ids(&sp), ids_of(&[&r[3]]));
    assert_eq!(sp.json["value"][0]["signInEventTypes"], json!(["servicePrincipal"]));
    let workloads = kind(
        "signInEventTypes/any(t: t eq 'servicePrincipal' or t eq 'managedIdentity') and appId eq 'identity'",
    );
    assert_eq!(ids(&h.get(&workloads, "admin").await), ids_of(&[&r[5]]));
    let users = kind("(signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'nonInteractiveUser'))");
    assert_eq!(ids(&h.get(&users, "admin").await), ids_of(&[&r[4], &r[2], &r[1], &r[0]]));
    let not_interactive = kind("signInEventTypes/any(t: t ne 'interactiveUser')");
    assert_eq!(ids(&h.get(&not_interactive, "admin").await), ids_of(&[&r[5], &r[3], &r[2]]));

    let mixed = h
        .get(&kind("signInEventTypes/any(t: t eq 'interactiveUser' or t eq 'servicePrincipal')"), "admin")
        .await;
    assert!(mixed.error(StatusCode::BAD_REQUEST, "BadRequest").contains("cannot combine"));
    let on_v1 = h.get(&filtered(V1, "signInEventTypes/any(t: t eq 'servicePrincipal')", ""), "admin").await;
    assert_eq!(
        on_v1.error(StatusCode::BAD_REQUEST, "BadRequest"),
        "Could not find a property named 'signInEventTypes' on type 'microsoft.graph.signIn'"
    );
}

#[tokio::test]
async fn filters_consumers_send_and_paging() {
    let h = Harness::new().await;
    let r = seeded(&h).await;
    let by = |filter: &str| filtered(V1, filter, "");
    assert_eq!(ids(&h.get(&by("appId eq 'portal'"), "admin").await), ids_of(&[&r[4]]));
    assert_eq!(ids(&h.get(&by("status/errorCode eq 50126"), "admin").await), ids_of(&[&r[1]]));
    assert_eq!(ids(&h.get(&by("userPrincipalName eq 'ALICE@a.example'"), "admin").await).len(), 3);
    let window = by("createdDateTime ge 2026-03-01T12:02:00Z and createdDateTime lt 2026-03-01T12:05:00Z");
    assert_eq!(ids(&h.get(&window, "admin").await), ids_of(&[&r[1]]));
    assert_eq!(ids(&h.get(&by("createdDateTime gt 2026-03-01"), "admin").await).len(), 3, "a bare date");

    // One record a page, oldest first, through every nextLink.
    let mut uri = format!("{V1}?$top=1&$orderby=createdDateTime%20asc");
    let mut seen = Vec::new();
    loop {
        let reply = h.get(&uri, "admin").await;
        seen.extend(ids(&reply));
        match reply.json["@odata.nextLink"].as_str() {
            Some(link) => uri = link.strip_prefix(BASE).unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ids_of(&[&r[0], &r[1], &r[4]]));
    h.get(&format!("{V1}?$top=1001"), "admin").await.error(StatusCode::BAD_REQUEST, "BadRequest");
}

#[tokio::test]
async fn each_tenant_sees_its_own_and_injections_are_refused() {
    let h = Harness::new().await;
    let r = seeded(&h).await;
    let b = h.get(V1, "admin-b").await;
    assert_eq!(ids(&b).len(), 1);
    assert_eq!(b.json["value"][0]["appId"], "other");
    h.get(&format!("{V1}/{}", r[0].id), "admin-b")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");

    for injection in [
        "appId eq 'web' or 1 eq 1",
        "appId eq 'web'; DROP TABLE sign_ins",
        "appId eq 'x'' or ''1''=''1'",
        "appId eq web",
        "record eq 'x'",
    ] {
        let reply = h.get(&filtered(V1, injection, ""), "admin").await;
        match reply.status {
            StatusCode::BAD_REQUEST => {}
            StatusCode::OK => assert!(ids(&reply).is_empty(), "{injection}: {}", reply.json),
            other => panic!("{injection}: {other} {}", reply.json),
        }
    }
    assert_eq!(ids(&h.get(V1, "admin").await).len(), 3, "nothing changed");
}

#[tokio::test]
async fn audit_log_read_all_is_required_and_records_are_read_only() {
    let h = Harness::new().await;
    let r = seeded(&h).await;
    let missing = "Calling principal does not have required MSGraph permissions AuditLog.Read.All";
    for uri in [V1.to_owned(), BETA.to_owned(), format!("{V1}/{}", r[0].id)] {
        for token in ["reader", "nobody"] {
            let reply = h.get(&uri, token).await;
            assert_eq!(
                reply.error(StatusCode::FORBIDDEN, "Authentication_MSGraphPermissionMissing"),
                missing
            );
        }
    }
    for method in [Method::POST, Method::PATCH, Method::PUT, Method::DELETE] {
        for uri in [V1.to_owned(), format!("{BETA}/{}", r[0].id)] {
            let reply = h.call(method.clone(), &uri, "admin", Some(json!({"appId": "changed"}))).await;
            assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        }
    }
    let after: Vec<Value> = h.get(V1, "admin").await.json["value"].as_array().unwrap().clone();
    assert!(after.iter().all(|v| v["appId"] != "changed"));
}
