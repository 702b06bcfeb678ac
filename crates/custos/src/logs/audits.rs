//! `custos logs audits`: the directory audits (`GET /v1.0/auditLogs/directoryAudits`).

use super::LogSource;
use crate::output::field;
use serde_json::Value;
use uuid::Uuid;

/// The directory audit log.
pub(crate) static AUDITS: LogSource = LogSource {
    path: "/v1.0/auditLogs/directoryAudits",
    time_property: "activityDateTime",
    scope_filter: None,
    app_filter,
    failed_filter: "not (result eq 'success')",
    headers: &["TIME", "ACTIVITY", "RESULT", "INITIATED BY", "TARGET"],
    row,
    empty: "no directory audits",
};

/// Changes made by the application: `APP` is an appId or, otherwise, a display name.
fn app_filter(quoted: &str) -> String {
    let bare = quoted.trim_matches('\'');
    if Uuid::try_parse(bare).is_ok() {
        format!("initiatedBy/app/appId eq {quoted}")
    } else {
        format!("initiatedBy/app/displayName eq {quoted}")
    }
}

fn row(record: &Value) -> Vec<String> {
    vec![
        field(record, "activityDateTime"),
        field(record, "activityDisplayName"),
        field(record, "result"),
        initiator(&record["initiatedBy"]),
        target(record),
    ]
}

/// The user's principal name, or the application's name (or appId).
fn initiator(by: &Value) -> String {
    let user = &by["user"];
    if user.is_object() {
        let upn = field(user, "userPrincipalName");
        return if upn.is_empty() { field(user, "id") } else { upn };
    }
    let app = &by["app"];
    let name = field(app, "displayName");
    if name.is_empty() { field(app, "appId") } else { name }
}

/// The first target: `Type Name` (or its id when it has no name), and how many more.
fn target(record: &Value) -> String {
    let Some(targets) = record["targetResources"].as_array() else { return String::new() };
    let Some(first) = targets.first() else { return String::new() };
    let name = field(first, "displayName");
    let name = if name.is_empty() { field(first, "id") } else { name };
    let more = if targets.len() > 1 { format!(" (+{})", targets.len() - 1) } else { String::new() };
    format!("{} {name}{more}", field(first, "type"))
}
