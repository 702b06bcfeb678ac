//! `custos logs signins`: the sign-ins of every kind (`GET /beta/auditLogs/signIns`, whose
//! `signInEventTypes` lambda reaches beyond the interactive ones v1.0 is limited to).

use super::LogSource;
use crate::output::field;
use serde_json::Value;
use uuid::Uuid;

/// The sign-in log.
pub(crate) static SIGN_INS: LogSource = LogSource {
    path: "/beta/auditLogs/signIns",
    time_property: "createdDateTime",
    // No kind is `unknownFutureValue`: every kind, where no lambda would mean interactive only.
    scope_filter: Some("signInEventTypes/any(t: t ne 'unknownFutureValue')"),
    app_filter,
    failed_filter: "not (status/errorCode eq 0)",
    headers: &["TIME", "KIND", "APP", "USER", "RESOURCE", "RESULT", "IP ADDRESS"],
    row,
    empty: "no sign-ins",
};

/// Sign-ins of the client application: `APP` is an appId or, otherwise, a display name.
fn app_filter(quoted: &str) -> String {
    let bare = quoted.trim_matches('\'');
    if Uuid::try_parse(bare).is_ok() {
        format!("appId eq {quoted}")
    } else {
        format!("appDisplayName eq {quoted}")
    }
}

fn row(record: &Value) -> Vec<String> {
    let app = field(record, "appDisplayName");
    let resource = field(record, "resourceDisplayName");
    let code = record["status"]["errorCode"].as_i64().unwrap_or_default();
    vec![
        field(record, "createdDateTime"),
        record["signInEventTypes"][0].as_str().unwrap_or_default().to_owned(),
        if app.is_empty() { field(record, "appId") } else { app },
        field(record, "userPrincipalName"),
        if resource.is_empty() { field(record, "resourceId") } else { resource },
        if code == 0 { "success".to_owned() } else { format!("AADSTS{code}") },
        field(record, "ipAddress"),
    ]
}
