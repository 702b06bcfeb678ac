//! Fuzzing entry point, not API: the body of the `graph_filter` fuzz target (`fuzz/`), which the
//! stable corpus replay (`crates/custos-fuzzing`) runs too. The `$filter` parser itself stays
//! private; this is the one narrow door to it.

use crate::audit_logs::DIRECTORY_AUDIT;
use crate::filter::{Filter, Logic, Schema};
use crate::odata::EntityType;
use crate::shapes::APPLICATION;
use crate::sign_in_logs::SIGN_IN_BETA;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Parses `data` (when UTF-8) as a `$filter` of three real collections in advanced query mode (applications: the
/// directory grammar; directory audits and beta sign-ins: the full grammar, instants, ints, lambdas) and
/// asserts what must hold: no panic; a parsed filter prints to text that parses back to the same
/// tree; evaluating it on a record never panics; and when it matches a record, the record's
/// instant lies inside the filter's [`Filter::time_window`] (the store reads only that window).
///
/// # Panics
///
/// When one of those invariants does not hold: that is the finding.
pub fn graph_filter(data: &[u8]) {
    let Ok(input) = std::str::from_utf8(data) else { return };
    let collections: [(&EntityType, Logic, &str); 3] = [
        (&APPLICATION, Logic::Directory, "createdDateTime"),
        (&DIRECTORY_AUDIT, Logic::Full, "activityDateTime"),
        (&SIGN_IN_BETA, Logic::Full, "createdDateTime"),
    ];
    let when = "2026-05-11T09:14:39.123456Z";
    let record = json!({
        "id": "0f3c", "appId": "A1", "displayName": "Web API", "category": "ApplicationManagement",
        "activityDisplayName": "Add application", "activityDateTime": when, "createdDateTime": when,
        "status": {"errorCode": 7_000_215}, "signInEventTypes": ["interactiveUser"],
        "initiatedBy": {"user": {"id": "U1", "displayName": "Ada"}, "app": null},
        "targetResources": [{"id": "T1", "displayName": "Web API"}, {"id": "T2", "displayName": null}],
    });
    for (entity, logic, time_property) in collections {
        // Advanced mode: the whole grammar a collection accepts.
        let schema =
            Schema { resource: entity.resource, properties: entity.filterable, logic, advanced: true };
        let Ok(filter) = Filter::parse(input, &schema) else { continue };
        let printed = filter.to_string();
        match Filter::parse(&printed, &schema) {
            Ok(again) => assert_eq!(again, filter, "{input:?} printed as {printed:?}"),
            Err(e) => panic!("{input:?} printed as {printed:?}, which does not parse: {e:?}"),
        }
        if filter.matches(&record) {
            let window = filter.time_window(time_property);
            let at = OffsetDateTime::parse(when, &Rfc3339).ok();
            assert!(window.since.is_none_or(|s| Some(s) <= at), "{input:?}: matched before {window:?}");
            assert!(window.until.is_none_or(|u| Some(u) >= at), "{input:?}: matched after {window:?}");
        }
    }
}
