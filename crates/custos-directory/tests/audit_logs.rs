//! Reading directory audits through Graph (`/v1.0|beta/auditLogs/directoryAudits`): the
//! envelope, every `$filter` consumers send, paging through `@odata.nextLink`, per-tenant
//! isolation, the 403 without `AuditLog.Read.All`, the 400s of malformed queries, and that no
//! method changes a record.

mod common;

use common::{AssertGraphError, BASE, Harness};
use custos_core::users::GLOBAL_ADMINISTRATOR;
use custos_store::postgres::PostgresStore;
use http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::{Connection as _, Executor as _};
use std::sync::Arc;
use time::Duration;

const AUDITS: &str = "/v1.0/auditLogs/directoryAudits";

/// The harness clock's start.
const NOON: time::OffsetDateTime = time::macros::datetime!(2026-03-01 12:00 UTC);

/// `AUDITS?$filter=<filter, encoded>` plus `rest`.
fn filtered(filter: &str, rest: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(filter.as_bytes()).collect();
    format!("{AUDITS}?$filter={encoded}{rest}")
}

/// The list filtered by `filter`, as `admin`.
async fn by(h: &Harness, filter: &str) -> common::Reply {
    h.get(&filtered(filter, ""), "admin").await
}

/// The records of a page.
fn values(reply: &common::Reply) -> &Vec<Value> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["value"].as_array().unwrap()
}

/// The `activityDisplayName` and first target's `displayName` of each record of a page.
fn summary(reply: &common::Reply) -> Vec<(String, String)> {
    values(reply)
        .iter()
        .map(|r| {
            let target = r["targetResources"][0]["displayName"].as_str().unwrap_or_default();
            (r["activityDisplayName"].as_str().unwrap().to_owned(), target.to_owned())
        })
        .collect()
}

/// Every record the list (and its nextLinks) returns, and the number of pages.
async fn every_page(h: &Harness, first: &str, token: &str) -> (Vec<Value>, usize) {
    let mut records = Vec::new();
    let mut uri = first.to_owned();
    let mut pages = 0;
    loop {
        let reply = h.get(&uri, token).await;
        records.extend(values(&reply).iter().cloned());
        pages += 1;
        match reply.json["@odata.nextLink"].as_str() {
            Some(link) => uri = link.strip_prefix(BASE).expect(link).to_owned(),
            None => return (records, pages),
        }
    }
}

/// Tenant A after provisioning plus, one minute apart from 12:01, the applications `Alpha`,
/// `Beta`, `Gamma` (and their service principals' creation right after each).
async fn three_apps(h: &Harness) -> Vec<Value> {
    let mut apps = Vec::new();
    for name in ["Alpha", "Beta", "Gamma"] {
        h.clock.advance(Duration::minutes(1));
        apps.push(h.create_app(json!({"displayName": name})).await);
    }
    apps
}

#[tokio::test]
async fn lists_newest_first_in_graphs_envelope_on_v1_and_beta() {
    let h = Harness::new().await;
    three_apps(&h).await;
    let reply = h.get(AUDITS, "admin").await;
    assert_eq!(reply.json["@odata.context"], format!("{BASE}/v1.0/$metadata#auditLogs/directoryAudits"));
    assert_eq!(reply.json.get("@odata.nextLink"), None, "one page holds everything");
    let records = values(&reply);
    assert_eq!(
        summary(&reply)[..3],
        [
            ("Add application".to_owned(), "Gamma".to_owned()),
            ("Add application".to_owned(), "Beta".to_owned()),
            ("Add application".to_owned(), "Alpha".to_owned()),
        ]
    );
    let times: Vec<&str> = records.iter().map(|r| r["activityDateTime"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
    assert_eq!(times[0], "2026-03-01T12:03:00Z");
    let first = &records[0];
    assert_eq!(first["loggedByService"], "Core Directory");
    assert_eq!(first["result"], "success");
    assert_eq!(first["initiatedBy"]["app"]["appId"], h.a.admin_app_id.to_string());

    let beta = h.get("/beta/auditLogs/directoryAudits", "admin").await;
    assert_eq!(beta.json["@odata.context"], format!("{BASE}/beta/$metadata#auditLogs/directoryAudits"));
    assert_eq!(beta.json["value"], reply.json["value"]);

    let oldest = h.get(&format!("{AUDITS}?$orderby=activityDateTime%20asc&$top=1"), "admin").await;
    assert_eq!(values(&oldest)[0], *records.last().unwrap());

    // One record by id, with $select, on both versions.
    let id = first["id"].as_str().unwrap();
    let one = h.get(&format!("{AUDITS}/{id}"), "admin").await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(
        one.json["@odata.context"],
        format!("{BASE}/v1.0/$metadata#auditLogs/directoryAudits/$entity")
    );
    assert_eq!(one.json["targetResources"], first["targetResources"]);
    let selected = h.get(&format!("/beta/auditLogs/directoryAudits/{id}?$select=id,result"), "admin").await;
    assert_eq!(
        selected.json,
        json!({
            "@odata.context": format!("{BASE}/beta/$metadata#auditLogs/directoryAudits(id,result)/$entity"),
            "id": id,
            "result": "success",
        })
    );
    h.clock.set(NOON); // the time error bodies carry
    let missing = h.get(&format!("{AUDITS}/Directory_nope"), "admin").await;
    let message = missing.error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
    assert!(message.starts_with("Resource 'Directory_nope' does not exist"), "{message}");
}

#[tokio::test]
async fn filters_consumers_send() {
    let h = Harness::new().await;
    let apps = three_apps(&h).await;
    let beta_id = apps[1]["id"].as_str().unwrap();
    let all = h.get(AUDITS, "admin").await.json["value"].as_array().unwrap().clone();

    let names =
        |reply: &common::Reply| -> Vec<String> { summary(reply).into_iter().map(|(_, t)| t).collect() };

    // Time windows: unquoted date-times with fractions, bare dates, every comparison.
    let window = by(
        &h,
        "activityDateTime ge 2026-03-01T12:01:30Z and activityDateTime le 2026-03-01T12:03:00.0000000Z",
    )
    .await;
    assert_eq!(names(&window), ["Gamma", "Beta"]);
    let after = by(&h, "activityDateTime gt 2026-03-01T12:02:00Z").await;
    assert_eq!(names(&after), ["Gamma"]);
    let before =
        by(&h, "activityDateTime lt 2026-03-01T12:01:00.5Z and activityDateTime ge 2026-03-01T12:00:30Z")
            .await;
    assert_eq!(names(&before), ["Alpha"]);
    assert_eq!(values(&by(&h, "activityDateTime ge 2026-03-01").await).len(), all.len());
    assert!(values(&by(&h, "activityDateTime lt 2026-03-01").await).is_empty());
    assert_eq!(names(&by(&h, "activityDateTime eq 2026-03-01T12:02:00Z").await), ["Beta"]);

    // Strings: eq (case-insensitive enums), startswith, or, not.
    let category =
        by(&h, "category eq 'ApplicationManagement' and activityDisplayName eq 'Add application'").await;
    assert_eq!(names(&category)[..3], ["Gamma", "Beta", "Alpha"]);
    let starts =
        by(&h, "startswith(activityDisplayName,'add app') and activityDateTime ge 2026-03-01T12:01:00Z")
            .await;
    assert_eq!(names(&starts), ["Gamma", "Beta", "Alpha"]);
    assert_eq!(values(&by(&h, "result eq 'Success'").await).len(), all.len());
    assert!(values(&by(&h, "result eq 'failure'").await).is_empty());
    let either = by(&h, "targetResources/any(t: t/displayName eq 'Alpha' or t/displayName eq 'Gamma')").await;
    assert_eq!(names(&either), ["Gamma", "Alpha"]);
    let not = by(&h, "not (activityDateTime lt 2026-03-01T12:02:00Z)").await;
    assert_eq!(names(&not), ["Gamma", "Beta"]);

    // Ids: correlation, target, initiator.
    let beta_record = all.iter().find(|r| r["targetResources"][0]["id"] == beta_id).unwrap();
    let correlation = beta_record["correlationId"].as_str().unwrap();
    assert_eq!(names(&by(&h, &format!("correlationId eq '{correlation}'")).await), ["Beta"]);
    assert_eq!(names(&by(&h, &format!("targetResources/any(t: t/id eq '{beta_id}')")).await), ["Beta"]);
    let by_app = by(&h, &format!("initiatedBy/app/appId eq '{}'", h.a.admin_app_id)).await;
    assert_eq!(names(&by_app)[..3], ["Gamma", "Beta", "Alpha"]);
    let id = beta_record["id"].as_str().unwrap();
    assert_eq!(values(&by(&h, &format!("id eq '{id}'")).await), &vec![beta_record.clone()]);

    // A change by a signed-in administrator is found by the user's id.
    let carol = h.create_user("carol").await["id"].as_str().unwrap().to_owned();
    h.assign_role(&carol, &GLOBAL_ADMINISTRATOR.to_string()).await;
    h.add_user_token("carol", &carol, &["Application.ReadWrite.All"], &[]);
    let reply = h.post("/v1.0/applications", "carol", json!({"displayName": "By Carol"})).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let by_user = by(&h, &format!("initiatedBy/user/id eq '{carol}'")).await;
    assert_eq!(summary(&by_user), [("Add application".to_owned(), "By Carol".to_owned())]);
    let by_upn = by(&h, "startswith(initiatedBy/user/userPrincipalName,'CAROL@')").await;
    assert_eq!(values(&by_upn), values(&by_user));
}

#[tokio::test]
async fn pages_through_a_filter_with_next_links() {
    let h = Harness::new().await;
    for i in 0..7 {
        h.clock.advance(Duration::seconds(1));
        h.create_app(json!({"displayName": format!("Paged {i}")})).await;
    }
    let first = filtered(
        "targetResources/any(t: startswith(t/displayName,'paged '))",
        "&$top=3&$select=id,targetResources",
    );
    let reply = h.get(&first, "admin").await;
    assert_eq!(values(&reply).len(), 3);
    assert_eq!(
        reply.json["@odata.context"],
        format!("{BASE}/v1.0/$metadata#auditLogs/directoryAudits(id,targetResources)")
    );
    let link = reply.json["@odata.nextLink"].as_str().unwrap();
    let expected = format!(
        "{BASE}/v1.0/auditLogs/directoryAudits?$filter=targetResources%2Fany%28t%3A+startswith%28t%2FdisplayName%2C%27paged+%27%29%29&$top=3&$select=id%2CtargetResources&$skiptoken="
    );
    assert!(link.starts_with(&expected), "{link}");

    let (records, pages) = every_page(&h, &first, "admin").await;
    assert_eq!(pages, 3);
    let names: Vec<&str> =
        records.iter().map(|r| r["targetResources"][0]["displayName"].as_str().unwrap()).collect();
    assert_eq!(names, ["Paged 6", "Paged 5", "Paged 4", "Paged 3", "Paged 2", "Paged 1", "Paged 0"]);
    assert!(records.iter().all(|r| r.as_object().unwrap().len() == 2), "$select holds on every page");

    // Oldest first pages the other way; a token is bound to its filter, order and tenant.
    let ascending = format!("{first}&$orderby=activityDateTime%20asc");
    let (records, _) = every_page(&h, &ascending, "admin").await;
    assert_eq!(records[0]["targetResources"][0]["displayName"], "Paged 0");
    assert_eq!(records.len(), 7);
    let token = link.split("$skiptoken=").nth(1).unwrap();
    h.clock.set(NOON); // the time error bodies carry
    let invalid = "The specified page token value is invalid.";
    for uri in [
        format!("{AUDITS}?$skiptoken={token}"),
        format!("{first}&$orderby=activityDateTime%20asc&$skiptoken={token}"),
        format!("{AUDITS}?$skiptoken=not-a-token"),
    ] {
        let reply = h.get(&uri, "admin").await;
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), invalid, "{uri}");
    }
    let other_tenant = h.get(link.strip_prefix(BASE).unwrap(), "admin-b").await;
    assert_eq!(other_tenant.error(StatusCode::BAD_REQUEST, "Request_BadRequest"), invalid);
}

#[tokio::test]
async fn each_tenant_reads_only_its_own_records() {
    let h = Harness::new().await;
    let app = h.create_app(json!({"displayName": "Only in A"})).await;
    let a = h.get(AUDITS, "admin").await;
    let b = h.get(AUDITS, "admin-b").await;
    let a_ids: Vec<&Value> = values(&a).iter().map(|r| &r["id"]).collect();
    assert!(!values(&b).is_empty(), "B has its own provisioning records");
    assert!(values(&b).iter().all(|r| !a_ids.contains(&&r["id"])));
    let app_id = app["id"].as_str().unwrap();
    let filter = filtered(&format!("targetResources/any(t: t/id eq '{app_id}')"), "");
    assert!(values(&h.get(&filter, "admin-b").await).is_empty());
    let record_id = values(&h.get(&filter, "admin").await)[0]["id"].as_str().unwrap().to_owned();
    h.get(&format!("{AUDITS}/{record_id}"), "admin-b")
        .await
        .error(StatusCode::NOT_FOUND, "Request_ResourceNotFound");
}

#[tokio::test]
async fn callers_without_audit_log_read_all_get_graphs_403() {
    let h = Harness::new().await;
    let missing = "Calling principal does not have required MSGraph permissions AuditLog.Read.All";
    for uri in [AUDITS.to_owned(), "/beta/auditLogs/directoryAudits".to_owned(), format!("{AUDITS}/x")] {
        for token in ["reader", "nobody"] {
            let reply = h.get(&uri, token).await;
            assert_eq!(
                reply.error(StatusCode::FORBIDDEN, "Authentication_MSGraphPermissionMissing"),
                missing
            );
        }
    }
    // Directory.Read.All alone is not enough.
    h.add_token(
        "directory-reader",
        custos_directory::Caller { roles: vec!["Directory.Read.All".into()], ..caller_of(&h) },
    );
    h.get(AUDITS, "directory-reader")
        .await
        .error(StatusCode::FORBIDDEN, "Authentication_MSGraphPermissionMissing");
    h.add_token(
        "auditor",
        custos_directory::Caller { roles: vec!["AuditLog.Read.All".into()], ..caller_of(&h) },
    );
    assert_eq!(h.get(AUDITS, "auditor").await.status, StatusCode::OK);

    // Delegated: the scope and a Global Administrator.
    let dave = h.create_user("dave").await["id"].as_str().unwrap().to_owned();
    h.add_user_token("dave", &dave, &["AuditLog.Read.All"], &["AuditLog.Read.All"]);
    h.get(AUDITS, "dave").await.error(StatusCode::FORBIDDEN, "Authentication_MSGraphPermissionMissing");
    h.assign_role(&dave, &GLOBAL_ADMINISTRATOR.to_string()).await;
    assert_eq!(h.get(AUDITS, "dave").await.status, StatusCode::OK);
    h.add_user_token("dave-unscoped", &dave, &["Directory.Read.All"], &[]);
    h.get(AUDITS, "dave-unscoped")
        .await
        .error(StatusCode::FORBIDDEN, "Authentication_MSGraphPermissionMissing");
    h.raw(Method::GET, AUDITS, None, "").await.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}

fn caller_of(h: &Harness) -> custos_directory::Caller {
    custos_directory::Caller {
        tenant_id: h.a.tenant.id,
        app_id: h.a.admin_app_id,
        object_id: h.a.admin_service_principal_id,
        roles: Vec::new(),
        scopes: None,
        origin: Default::default(),
    }
}

#[tokio::test]
async fn malformed_queries_are_400_with_graphs_errors() {
    let h = Harness::new().await;
    let before = values(&h.get(AUDITS, "admin").await).clone();
    let syntax =
        |filter: &str, why: &str| (filter.to_owned(), format!("Invalid filter clause: {why} in '{filter}'."));
    for (filter, message) in [
        syntax("result eq 'success'; DROP TABLE directory_audits", "unexpected character at position 19"),
        syntax("result eq 'success' or 1 eq 1", "expected a comparison"),
        syntax("activityDisplayName eq 'x''", "unterminated string literal"),
        syntax("activityDateTime ge '2026-03-01'", "expected an unquoted date-time"),
        syntax("activityDateTime ge 2026-02-30", "invalid literal '2026-02-30'"),
        syntax("exec(activityDisplayName)", "unknown function 'exec'"),
        syntax(
            &format!("{}result eq 'x'{}", "(".repeat(9), ")".repeat(9)),
            "the filter is nested too deeply",
        ),
    ] {
        let reply = h.get(&filtered(&filter, ""), "admin").await;
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "BadRequest"), message, "{filter}");
    }
    for filter in ["resultReason eq 'x'", "targetResources/any(t: t/type eq 'User')"] {
        let reply = h.get(&filtered(filter, ""), "admin").await;
        let message = reply.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
        assert!(message.starts_with("Unsupported or invalid query filter clause"), "{message}");
    }
    for filter in ["contains(activityDisplayName,'x')", "category ne 'x'", "activityDisplayName in ('x')"] {
        let reply = h.get(&filtered(filter, ""), "admin").await;
        assert_eq!(reply.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery"), "Unsupported query.");
    }
    for top in ["0", "1001", "many"] {
        let reply = h.get(&format!("{AUDITS}?$top={top}"), "admin").await;
        assert_eq!(
            reply.error(StatusCode::BAD_REQUEST, "BadRequest"),
            format!("Invalid page size specified: '{top}'")
        );
    }
    assert_eq!(values(&h.get(&format!("{AUDITS}?$top=1000"), "admin").await).len(), before.len());
    for option in ["$count=true", "$search=x", "$expand=initiatedBy", "$orderby=category"] {
        let reply = h.get(&format!("{AUDITS}?{option}"), "admin").await;
        reply.error(StatusCode::BAD_REQUEST, "Request_UnsupportedQuery");
    }
    h.get(&format!("{AUDITS}?$select=secret"), "admin")
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(values(&h.get(AUDITS, "admin").await), &before, "nothing changed");
}

#[tokio::test]
async fn no_method_changes_a_record() {
    let h = Harness::new().await;
    let before = values(&h.get(AUDITS, "admin").await).clone();
    let id = before[0]["id"].as_str().unwrap();
    for (method, uri) in [
        (Method::POST, AUDITS.to_owned()),
        (Method::PUT, format!("{AUDITS}/{id}")),
        (Method::PATCH, format!("{AUDITS}/{id}")),
        (Method::DELETE, format!("{AUDITS}/{id}")),
        (Method::DELETE, "/beta/auditLogs/directoryAudits".to_owned()),
    ] {
        let reply = h.call(method.clone(), &uri, "admin", Some(json!({"result": "failure"}))).await;
        let message = reply.error(StatusCode::METHOD_NOT_ALLOWED, "Request_BadRequest");
        assert_eq!(message, "Specified HTTP method is not allowed for the request target.");
        assert_eq!(reply.header("allow"), Some("GET"), "{method} {uri}");
    }
    assert_eq!(values(&h.get(AUDITS, "admin").await), &before);
}

/// The same reads over PostgreSQL (when `CUSTOS_TEST_POSTGRES_URL` is set, in a fresh schema):
/// the filter's time window, the cursor of a `$skiptoken` and the lookup by id bind there too.
#[tokio::test]
async fn filters_and_pages_on_postgresql() {
    let Ok(url) = std::env::var("CUSTOS_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: directory audits on PostgreSQL, CUSTOS_TEST_POSTGRES_URL not set");
        return;
    };
    let schema = format!("custos_test_{}", uuid::Uuid::new_v4().simple());
    let store = PostgresStore::connect_in_schema(&url, &schema).await.unwrap();
    let h = Harness::on(Arc::new(store)).await;
    three_apps(&h).await;

    let window =
        by(&h, "activityDateTime gt 2026-03-01T12:01:00Z and activityDateTime le 2026-03-01T12:03:00Z").await;
    let names: Vec<String> = summary(&window).into_iter().map(|(_, t)| t).collect();
    assert_eq!(names, ["Gamma", "Beta"]);
    let first = filtered(
        "startswith(activityDisplayName,'Add application') or category eq 'UserManagement'",
        "&$top=2",
    );
    let (records, pages) = every_page(&h, &first, "admin").await;
    let all = values(&h.get(AUDITS, "admin").await).clone();
    let expected: Vec<&Value> =
        all.iter().filter(|r| r["activityDisplayName"] == "Add application").collect();
    assert_eq!(records.iter().collect::<Vec<_>>(), expected);
    assert!(pages >= expected.len().div_ceil(2), "{pages} pages of at most 2");
    let ascending = format!("{first}&$orderby=activityDateTime%20asc");
    let (oldest_first, _) = every_page(&h, &ascending, "admin").await;
    assert_eq!(oldest_first.iter().rev().collect::<Vec<_>>(), expected);
    let id = all[0]["id"].as_str().unwrap();
    assert_eq!(h.get(&format!("{AUDITS}/{id}"), "admin").await.json["id"], id);
    assert!(values(&h.get(AUDITS, "admin-b").await).iter().all(|r| !all.contains(r)));

    let mut connection = sqlx::PgConnection::connect(&url).await.unwrap();
    connection.execute(format!("DROP SCHEMA \"{schema}\" CASCADE").as_str()).await.unwrap();
}
