//! Sign-in logs and audit logs: Graph's `auditLogs` collections filtered by time, application
//! and status, newest first, a page at a time (Graph's `@odata.nextLink`), each record's whole
//! JSON in a detail panel.

use crate::api::{encode, literal};
use crate::form::Ctx;
use crate::layout::{self, Nav, s};
use axum::extract::Query;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::Value;

/// Records per page.
const PAGE_SIZE: u32 = 50;

/// The filters of both log pages.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct LogQuery {
    /// From, as `YYYY-MM-DDTHH:MM` (UTC; an `<input type="datetime-local">`).
    from: Option<String>,
    /// Until, likewise.
    until: Option<String>,
    /// An application id (sign-ins: the client; audits: the initiating application).
    app: Option<String>,
    /// `success` or `failure`.
    status: Option<String>,
    /// The path and query of Graph's next page.
    next: Option<String>,
}

fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A `datetime-local` value as a Graph date-time literal, when it is one.
fn instant(value: &str) -> Option<String> {
    let ok = value.len() == 16
        && value.as_bytes()[10] == b'T'
        && value.chars().all(|c| c.is_ascii_digit() || "-:T".contains(c));
    ok.then(|| format!("{value}:00Z"))
}

/// The `$filter` of the page's fields; `time` and `app` name the collection's properties.
fn filter(query: &LogQuery, time: &str, app: &str, success: Option<&str>) -> Option<String> {
    let mut clauses = Vec::new();
    if let Some(from) = present(&query.from).and_then(instant) {
        clauses.push(format!("{time} ge {from}"));
    }
    if let Some(until) = present(&query.until).and_then(instant) {
        clauses.push(format!("{time} le {until}"));
    }
    if let Some(id) = present(&query.app) {
        clauses.push(format!("{app} eq {}", literal(id)));
    }
    if let (Some("success"), Some(success)) = (present(&query.status), success) {
        clauses.push(success.to_owned());
    }
    (!clauses.is_empty()).then(|| clauses.join(" and "))
}

/// The API path to read: the next page when it is one of this collection's, else the first.
fn path(ctx: &Ctx, query: &LogQuery, collection: &str, filter: Option<String>) -> String {
    if let Some(next) = present(&query.next) {
        let next = next.strip_prefix(ctx.portal.public_url.as_str()).unwrap_or(next);
        if next.starts_with(&format!("{collection}?")) {
            return next.to_owned();
        }
    }
    let mut path = format!("{collection}?$top={PAGE_SIZE}");
    if let Some(filter) = filter {
        path.push_str(&format!("&$filter={}", encode(&filter)));
    }
    path
}

fn filters(action: &str, query: &LogQuery, app_label: &str) -> Markup {
    let value = |v: &Option<String>| present(v).unwrap_or_default().to_owned();
    let status = present(&query.status).unwrap_or_default();
    html! {
        form.toolbar method="get" action=(action) {
            div { label for="from" { "From (UTC)" } input #from type="datetime-local" name="from" value=(value(&query.from)); }
            div { label for="until" { "Until (UTC)" } input #until type="datetime-local" name="until" value=(value(&query.until)); }
            div { label for="app" { (app_label) } input #app type="text" name="app" value=(value(&query.app)) placeholder="Application (client) ID"; }
            div { label for="status" { "Status" }
                select #status name="status" {
                    option value="" selected[status.is_empty()] { "Any" }
                    option value="success" selected[status == "success"] { "Success" }
                    option value="failure" selected[status == "failure"] { "Failure" }
                }
            }
            button.secondary type="submit" { "Apply" }
        }
    }
}

fn next_link(action: &str, answer: &Value) -> Markup {
    html! {
        @if let Some(next) = answer.get("@odata.nextLink").and_then(Value::as_str) {
            div.actions { a.button.secondary href={ (action) "?next=" (encode(next)) } { "Next page" } }
        }
    }
}

fn detail(record: &Value) -> Markup {
    html! {
        details { summary { "Details" } pre { (serde_json::to_string_pretty(record).unwrap_or_default()) } }
    }
}

/// `GET /portal/sign-ins`
pub(crate) async fn sign_ins(ctx: Ctx, Query(query): Query<LogQuery>) -> Response {
    let collection = "/v1.0/auditLogs/signIns";
    let path = path(
        &ctx,
        &query,
        collection,
        filter(&query, "createdDateTime", "appId", Some("status/errorCode eq 0")),
    );
    let answer = match ctx.api().get(&path).await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(&ctx, Nav::SignIns, "Sign-in logs", &e),
    };
    // Graph filters `status/errorCode` by equality only: failures are picked from each page.
    let failures_only = present(&query.status) == Some("failure");
    let records: Vec<&Value> = layout::list(&answer, "value")
        .iter()
        .filter(|r| !failures_only || r["status"]["errorCode"].as_i64() != Some(0))
        .collect();
    let content = html! {
        (filters("/portal/sign-ins", &query, "Application"))
        @if failures_only { p.hint { "Failures are picked from each page of " (PAGE_SIZE) " sign-ins." } }
        div.scroll { table.stack {
            thead { tr { th { "Date (UTC)" } th { "Application" } th { "User or service principal" } th { "Resource" } th { "Status" } th { "IP address" } } }
            tbody {
                @for r in &records {
                    tr {
                        td data-label="Date" { (layout::when(r, "createdDateTime")) }
                        td data-label="Application" { (s(r, "appDisplayName")) }
                        td data-label="Principal" { (if s(r, "userPrincipalName").is_empty() { s(r, "servicePrincipalName") } else { s(r, "userPrincipalName") }) }
                        td data-label="Resource" { (s(r, "resourceDisplayName")) }
                        td data-label="Status" {
                            @match r["status"]["errorCode"].as_i64() {
                                Some(0) => span.status-ok { "Success" },
                                code => span.status-no { "Failure " (code.map(|c| c.to_string()).unwrap_or_default()) },
                            }
                        }
                        td data-label="IP" { (s(r, "ipAddress")) }
                    }
                    tr { td colspan="6" { (detail(r)) } }
                }
            }
        } }
        @if records.is_empty() { p.muted { "No sign-in matches." } }
        (next_link("/portal/sign-ins", &answer))
    };
    layout::page(&ctx, Nav::SignIns, "Sign-in logs", content)
}

/// `GET /portal/audit`
pub(crate) async fn audits(ctx: Ctx, Query(query): Query<LogQuery>) -> Response {
    let collection = "/v1.0/auditLogs/directoryAudits";
    let mut graph_filter = filter(&query, "activityDateTime", "initiatedBy/app/appId", None);
    if let Some(status) = present(&query.status) {
        let clause = format!("result eq {}", literal(status));
        graph_filter = Some(graph_filter.map_or(clause.clone(), |f| format!("{f} and {clause}")));
    }
    let path = path(&ctx, &query, collection, graph_filter);
    let answer = match ctx.api().get(&path).await {
        Ok(answer) => answer,
        Err(e) => return layout::failed(&ctx, Nav::Audit, "Audit logs", &e),
    };
    let records = layout::list(&answer, "value");
    let initiator = |r: &Value| -> String {
        let by = &r["initiatedBy"];
        [s(&by["user"], "userPrincipalName"), s(&by["app"], "displayName")]
            .into_iter()
            .find(|v| !v.is_empty())
            .unwrap_or("custos")
            .to_owned()
    };
    let content = html! {
        (filters("/portal/audit", &query, "Initiated by application"))
        div.scroll { table.stack {
            thead { tr { th { "Date (UTC)" } th { "Activity" } th { "Category" } th { "Initiated by" } th { "Target" } th { "Result" } } }
            tbody {
                @for r in records {
                    tr {
                        td data-label="Date" { (layout::when(r, "activityDateTime")) }
                        td data-label="Activity" { (s(r, "activityDisplayName")) }
                        td data-label="Category" { (s(r, "category")) }
                        td data-label="Initiated by" { (initiator(r)) }
                        td data-label="Target" {
                            (layout::list(r, "targetResources").iter().map(|t| s(t, "displayName")).filter(|n| !n.is_empty()).collect::<Vec<_>>().join(", "))
                        }
                        td data-label="Result" { @if s(r, "result") == "success" { span.status-ok { "Success" } } @else { span.status-no { (s(r, "result")) } } }
                    }
                    tr { td colspan="6" { (detail(r)) } }
                }
            }
        } }
        @if records.is_empty() { p.muted { "No audit record matches." } }
        (next_link("/portal/audit", &answer))
    };
    layout::page(&ctx, Nav::Audit, "Audit logs", content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_graph_clauses() {
        let query = LogQuery {
            from: Some("2026-12-01T10:00".into()),
            until: Some("bad".into()),
            app: Some("a'b".into()),
            status: Some("success".into()),
            next: None,
        };
        assert_eq!(
            filter(&query, "createdDateTime", "appId", Some("status/errorCode eq 0")).unwrap(),
            "createdDateTime ge 2026-12-01T10:00:00Z and appId eq 'a''b' and status/errorCode eq 0"
        );
        assert_eq!(filter(&LogQuery::default(), "t", "a", None), None);
    }
}
