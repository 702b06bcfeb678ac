use super::*;
use serde_json::json;
use time::macros::datetime;

const DIRECTORY: &[Property] =
    &[Property::text("displayName"), Property::text("appId"), Property::text("id")];

const TARGET: &[Property] = &[Property::text_with("id", Ops::EQ), Property::text("displayName")];

const LOG: &[Property] = &[
    Property::time("when"),
    Property::text_with("category", Ops::EQ.and(Ops::NE)),
    Property::text("activity"),
    Property::new("status/errorCode", Kind::Int(Ops::EQ.and(Ops::NE).and(Ops::ORDER))),
    Property::new("interactive", Kind::Bool(Ops::EQ.and(Ops::NE))),
    Property::text_with("initiatedBy/user/id", Ops::EQ),
    Property::new("types", Kind::TextArray(Ops::EQ.and(Ops::NE))),
    Property::new("targets", Kind::ObjectArray(TARGET)),
];

fn directory(s: &str) -> Result<Filter, GraphError> {
    Filter::parse(
        s,
        &Schema { resource: "Application", properties: DIRECTORY, logic: Logic::Directory, advanced: false },
    )
}

fn log(s: &str) -> Result<Filter, GraphError> {
    Filter::parse(s, &Schema { resource: "Record", properties: LOG, logic: Logic::Full, advanced: false })
}

/// Directory properties with Graph's default and advanced-only operators.
const GRAPH: &[Property] = &[
    Property::new("displayName", Kind::Text(Ops::EQ.and(Ops::IN).and(Ops::STARTS_WITH)))
        .advanced(Ops::NE.and(Ops::ORDER).and(Ops::NULL)),
    Property::new("mail", Kind::Text(Ops::EQ.and(Ops::STARTS_WITH))).advanced(Ops::ENDS_WITH),
    Property::new("names", Kind::TextArray(Ops::EQ.and(Ops::STARTS_WITH))),
    Property::new("created", Kind::Time(Ops::EQ.and(Ops::ORDER))).advanced(Ops::NE.and(Ops::NULL)),
    Property::new("kind", Kind::Text(Ops::EQ.and(Ops::IN))).advanced(Ops::NE),
    Property::new("required", Kind::Bool(Ops::NONE)).advanced(Ops::EQ.and(Ops::NE)),
];

fn graph(s: &str, advanced: bool) -> Result<Filter, GraphError> {
    Filter::parse(
        s,
        &Schema { resource: "ServicePrincipal", properties: GRAPH, logic: Logic::Directory, advanced },
    )
}

fn graph_item() -> Value {
    json!({
        "displayName": "Orders API",
        "mail": "orders@contoso.example",
        "names": ["A1", "api://orders"],
        "created": "2026-01-02T03:04:05Z",
        "kind": "Application",
        "required": true,
        "notes": null,
    })
}

fn graph_matches(filter: &str) -> bool {
    graph(filter, true).unwrap_or_else(|e| panic!("{filter}: {e:?}")).matches(&graph_item())
}

#[test]
fn directory_defaults_take_eq_in_startswith_or_and_lambdas() {
    for (filter, expected) in [
        ("names/any(c:c eq 'api://orders')", true),
        ("names/any(x:x eq 'API://ORDERS')", true),
        ("names/any(c:c eq 'api://other')", false),
        ("names/any(c:startswith(c,'api:'))", true),
        ("kind in ('Legacy','Application')", true),
        ("kind in ('Legacy')", false),
        ("displayName eq 'x' or kind eq 'application'", true),
        ("created ge 2026-01-01 and created le 2026-01-03", true),
        ("created eq 2026-01-02T03:04:05Z", true),
    ] {
        let parsed = graph(filter, false).unwrap_or_else(|e| panic!("{filter}: {e:?}"));
        assert_eq!(parsed.matches(&graph_item()), expected, "{filter}");
    }
}

#[test]
fn advanced_operators_work_in_advanced_mode() {
    assert!(graph_matches("displayName ne 'x'"));
    assert!(!graph_matches("displayName ne 'orders api'"));
    assert!(graph_matches("not (kind eq 'Legacy')"));
    assert!(graph_matches("not(names/any(c:c eq 'api://other'))"));
    assert!(graph_matches("endswith(mail,'@contoso.example')"));
    assert!(!graph_matches("endswith(mail,'@fabrikam.example')"));
    assert!(graph_matches("required eq true"));
    assert!(graph_matches("displayName ne null") && !graph_matches("displayName eq null"));
    assert!(graph_matches("created ne null"));
    assert!(graph_matches("displayName ge 'Orders'"));
    let many = format!("kind in ({})", vec!["'x'"; 16].join(","));
    assert!(graph(&many, true).is_ok());
}

#[test]
fn advanced_operators_by_default_get_graphs_errors() {
    let not_equals =
        GraphError::UnsupportedQuery("Unsupported property filter clause operator 'NotEqualsMatch'.".into());
    let advanced_only = GraphError::UnsupportedQuery("Unsupported Query.".into());
    let cases: &[(&str, GraphError)] = &[
        ("displayName ne 'x'", not_equals.clone()),
        ("kind ne 'Legacy'", not_equals),
        ("not (kind eq 'Legacy')", advanced_only.clone()),
        ("endswith(mail,'@contoso.example')", advanced_only.clone()),
        ("displayName eq null", advanced_only.clone()),
        ("displayName ge 'a'", advanced_only),
        (
            "required eq true",
            GraphError::UnsupportedQuery(
                "Unsupported or invalid query filter clause specified for property 'required' of resource 'ServicePrincipal'."
                    .into(),
            ),
        ),
        ("endswith(displayName,'x')", unsupported_query()),
        ("names/all(c:c eq 'x')", unsupported_query()),
        ("contains(displayName,'x')", unsupported_query()),
        ("kind eq null", unsupported_query()),
        (
            "kind in ('a','b','c','d','e','f','g','h','i','j','k','l','m','n','o','p')",
            GraphError::UnsupportedQuery(
                "Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15."
                    .into(),
            ),
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(graph(filter, false).as_ref(), Err(expected), "{filter}");
    }
    // Still refused in advanced mode: what the property never takes.
    assert_eq!(graph("endswith(displayName,'x')", true), Err(unsupported_query()));
    assert_eq!(graph("mail ne 'x'", true), Err(unsupported_query()));
    assert!(matches!(graph("kind in ()", false), Err(GraphError::Malformed(_))));
    assert!(matches!(graph("kind in 'a'", false), Err(GraphError::Malformed(_))));
}

fn record() -> Value {
    json!({
        "when": "2026-05-11T09:14:39.123456Z",
        "category": "ApplicationManagement",
        "activity": "Add application",
        "status": {"errorCode": 7_000_215},
        "interactive": false,
        "initiatedBy": {"user": {"id": "U1"}, "app": null},
        "types": ["servicePrincipal"],
        "targets": [{"id": "T1", "displayName": "Web API"}, {"id": "T2", "displayName": null}],
    })
}

fn matches(filter: &str) -> bool {
    log(filter).unwrap_or_else(|e| panic!("{filter}: {e:?}")).matches(&record())
}

fn malformed(filter: &str, why: &str) -> GraphError {
    GraphError::Malformed(format!("Invalid filter clause: {why} in '{filter}'."))
}

fn unsupported_query() -> GraphError {
    GraphError::UnsupportedQuery("Unsupported query.".into())
}

#[test]
fn directory_collections_take_eq_startswith_and_or() {
    assert_eq!(
        directory("displayName eq 'a''b'").unwrap(),
        Filter::Compare("displayName", Op::Eq, Literal::Text("a'b".into()))
    );
    assert_eq!(
        directory("startswith(displayName,'we') and (appId eq 'x')").unwrap(),
        Filter::And(
            Box::new(Filter::StartsWith("displayName", "we".into())),
            Box::new(Filter::Compare("appId", Op::Eq, Literal::Text("x".into())))
        )
    );
    let item = json!({"displayName": "Web API", "appId": "A"});
    assert!(directory("startswith(displayName,'web')").unwrap().matches(&item));
    assert!(directory("displayName eq 'WEB api' and appId eq 'a'").unwrap().matches(&item));
    assert!(!directory("displayName eq 'Web'").unwrap().matches(&item));
    assert!(directory("displayName eq 'a' or appId eq 'A'").unwrap().matches(&item));
    assert_eq!(
        directory("not (displayName eq 'a')"),
        Err(GraphError::UnsupportedQuery("Unsupported Query.".into()))
    );
    assert_eq!(
        directory("displayName ne 'a'"),
        Err(GraphError::UnsupportedQuery(
            "Unsupported property filter clause operator 'NotEqualsMatch'.".into()
        ))
    );
    assert_eq!(directory("displayName ge 'a'"), Err(unsupported_query()));
    assert_eq!(
        directory("description eq 'x'"),
        Err(GraphError::UnsupportedQuery(
            "Unsupported or invalid query filter clause specified for property 'description' of resource 'Application'.".into()
        ))
    );
}

#[test]
fn time_comparisons_compare_instants() {
    assert!(matches("when ge 2026-05-11T09:14:39Z"));
    assert!(matches("when gt 2026-05-11T09:14:39.123Z"));
    assert!(!matches("when gt 2026-05-11T09:14:39.123456Z"));
    assert!(matches("when eq 2026-05-11T09:14:39.1234560Z"));
    assert!(matches("when ne 2026-05-11T09:14:39Z"));
    assert!(matches("when le 2026-05-11T11:14:40+02:00"));
    assert!(!matches("when lt 2026-05-11T11:14:39+02:00"));
    assert!(matches("when lt 2026-05-12"));
    assert!(matches("when gt 2026-05-11 and when lt 2026-05-11T09:15:00"));
    assert!(!matches("when lt 2026-05-11"));
}

#[test]
fn strings_ints_and_bools_compare_by_type() {
    assert!(matches("category eq 'applicationmanagement'"));
    assert!(matches("category ne 'UserManagement'"));
    assert!(!matches("category ne 'ApplicationManagement'"));
    assert!(matches("startswith(activity,'add ')") && matches("startsWith(activity,'ADD')"));
    assert!(matches("status/errorCode eq 7000215") && matches("status/errorCode ne 0"));
    assert!(matches("status/errorCode gt 0") && !matches("status/errorCode lt 0"));
    assert!(matches("interactive eq false") && !matches("interactive eq true"));
    assert!(matches("initiatedBy/user/id eq 'u1'"));
}

#[test]
fn lambdas_range_over_string_and_object_arrays() {
    assert!(matches("types/any(t: t eq 'servicePrincipal')"));
    assert!(matches("types/any(t: t eq 'interactiveUser' or t eq 'servicePrincipal')"));
    assert!(!matches("types/any(t: t ne 'servicePrincipal')"));
    assert!(matches("targets/any(t: t/id eq 'T2')"));
    assert!(matches("targets/any(x: startswith(x/displayName,'web'))"));
    assert!(!matches("targets/any(t: t/id eq 'T3')"));
    assert_eq!(
        log("targets/any(t: t/id eq 'x')").unwrap(),
        Filter::Any("targets", Box::new(Filter::Compare("id", Op::Eq, Literal::Text("x".into()))))
    );
}

#[test]
fn connectives_nest_with_or_below_and() {
    assert!(matches("category eq 'x' or category eq 'ApplicationManagement' and interactive eq false"));
    assert!(!matches("(category eq 'x' or category eq 'ApplicationManagement') and interactive eq true"));
    assert!(matches("not (category eq 'x')") && !matches("not category eq 'ApplicationManagement'"));
    assert!(matches("not not interactive eq false"));
}

#[test]
fn refusals_name_the_problem() {
    let cases: &[(&str, GraphError)] = &[
        (
            "category eq 'x'; DROP TABLE audits",
            malformed("category eq 'x'; DROP TABLE audits", "unexpected character at position 15"),
        ),
        ("category eq 'x''", malformed("category eq 'x''", "unterminated string literal")),
        (
            "category eq 'x') or (1 eq 1",
            malformed("category eq 'x') or (1 eq 1", "unexpected input after the end of the expression"),
        ),
        ("category eq x", malformed("category eq x", "expected a quoted string")),
        ("when ge '2026-01-01'", malformed("when ge '2026-01-01'", "expected an unquoted date-time")),
        ("when ge 2026-13-01", malformed("when ge 2026-13-01", "invalid literal '2026-13-01'")),
        ("status/errorCode eq '0'", malformed("status/errorCode eq '0'", "expected an integer")),
        (
            "status/errorCode eq 99999999999999999999",
            malformed(
                "status/errorCode eq 99999999999999999999",
                "integer out of range '99999999999999999999'",
            ),
        ),
        ("interactive eq 1", malformed("interactive eq 1", "expected true or false")),
        ("category", malformed("category", "expected an operator")),
        ("category like 'x'", malformed("category like 'x'", "expected an operator")),
        ("evil(category)", malformed("evil(category)", "unknown function 'evil'")),
        ("types/any(t eq 'x')", malformed("types/any(t eq 'x')", "expected ':' after the lambda variable")),
        ("", malformed("", "expected a comparison")),
        ("category eq 'x' and", malformed("category eq 'x' and", "expected a comparison")),
        ("contains(category,'x')", unsupported_query()),
        ("category in ('a')", unsupported_query()),
        ("category ge 'a'", unsupported_query()),
        ("startswith(category,'A')", unsupported_query()),
        ("initiatedBy/user/id ne 'x'", unsupported_query()),
        ("types eq 'x'", unsupported_query()),
        ("category/any(t: t eq 'x')", unsupported_query()),
        ("types/all(t: t eq 'x')", unsupported_query()),
        ("targets/any(t: t/id ge 'x')", unsupported_query()),
    ];
    for (filter, expected) in cases {
        assert_eq!(log(filter).as_ref(), Err(expected), "{filter}");
    }
    let property = |name: &str| {
        GraphError::UnsupportedQuery(format!(
            "Unsupported or invalid query filter clause specified for property '{name}' of resource 'Record'."
        ))
    };
    assert_eq!(log("status eq 'x'"), Err(property("status")));
    assert_eq!(log("targets/any(t: t/type eq 'User')"), Err(property("t/type")));
    assert_eq!(log("targets/any(t: category eq 'x')"), Err(property("category")));
    assert_eq!(log("types/any(t: u eq 'x')"), Err(property("u")));
}

#[test]
fn size_nesting_and_clause_count_are_bounded() {
    let deep = format!("{}category eq 'x'{}", "(".repeat(9), ")".repeat(9));
    assert_eq!(log(&deep), Err(malformed(&deep, "the filter is nested too deeply")));
    let nots = format!("{}category eq 'x'", "not ".repeat(9));
    assert_eq!(log(&nots), Err(malformed(&nots, "the filter is nested too deeply")));
    let many = vec!["category eq 'x'"; 17].join(" or ");
    assert_eq!(log(&many), Err(malformed(&many, "the filter has too many clauses")));
    assert!(log(&vec!["category eq 'x'"; 16].join(" or ")).is_ok());
    let long = format!("category eq '{}'", "x".repeat(2048));
    assert_eq!(log(&long), Err(malformed(&long, "the filter is too long")));
}

#[test]
fn time_window_comes_from_the_top_level_and_chain() {
    let window = |f: &str| log(f).unwrap().time_window("when");
    assert_eq!(
        window(
            "when ge 2026-01-01 and category eq 'x' and when lt 2026-02-01T00:00:00Z and when gt 2026-01-02"
        ),
        TimeWindow {
            since: Some(datetime!(2026-01-02 0:00 UTC)),
            until: Some(datetime!(2026-02-01 0:00 UTC))
        }
    );
    let instant = datetime!(2026-01-05 10:00:00.5 UTC);
    assert_eq!(
        window("when eq 2026-01-05T10:00:00.5Z"),
        TimeWindow { since: Some(instant), until: Some(instant) }
    );
    assert_eq!(window("when ge 2026-01-01 or category eq 'x'"), TimeWindow::default());
    assert_eq!(window("not (when ge 2026-01-01)"), TimeWindow::default());
    assert_eq!(window("category eq 'x'"), TimeWindow::default());
}

/// Every truncation, deletion and insertion of a special character in filters that parse is
/// either parsed or refused with a 400, never a panic, and whatever parses evaluates.
#[test]
fn mangled_filters_are_refused_without_panicking() {
    let seeds = [
        "when ge 2026-05-11T09:14:39.5Z and (category eq 'a''b' or not startswith(activity,'x'))",
        "targets/any(t: t/id eq 'T1' or startswith(t/displayName,'w')) and status/errorCode ne -1",
        "types/any(s: s eq 'servicePrincipal') and interactive eq true and when lt 2026-05-12",
    ];
    let inserts = ['\'', '(', ')', '/', ':', ',', ' ', '-', '.', 'é', '\0', 'a', '9'];
    let item = record();
    let mut checked = 0;
    for seed in seeds {
        assert!(log(seed).is_ok(), "{seed}");
        let chars: Vec<char> = seed.chars().collect();
        let mut variants = Vec::new();
        for i in 0..=chars.len() {
            variants.push(chars[..i].iter().collect::<String>());
            if i < chars.len() {
                variants.push(chars[..i].iter().chain(&chars[i + 1..]).collect());
            }
            for c in inserts {
                variants.push(chars[..i].iter().chain([&c]).chain(&chars[i..]).collect());
            }
        }
        for variant in variants {
            match log(&variant) {
                Ok(filter) => {
                    filter.matches(&item);
                    filter.time_window("when");
                }
                Err(GraphError::Malformed(_) | GraphError::UnsupportedQuery(_)) => {}
                Err(other) => panic!("{variant}: {other:?}"),
            }
            checked += 1;
        }
    }
    assert!(checked > 3000, "{checked}");
}

#[test]
fn pinned_values_are_found_only_where_every_match_needs_one() {
    let pinned = |f: &str| directory(f).unwrap().pinned_values("appId").map(|v| v.join(","));
    assert_eq!(pinned("appId eq 'A'"), Some("A".to_owned()));
    assert_eq!(pinned("appId eq 'a' or appId eq 'b'"), Some("a,b".to_owned()));
    assert_eq!(pinned("displayName eq 'x' and appId eq 'a'"), Some("a".to_owned()));
    assert_eq!(
        pinned("(appId eq 'a' or appId eq 'b') and startswith(displayName,'x')"),
        Some("a,b".to_owned())
    );
    assert_eq!(pinned("appId eq 'a' or displayName eq 'x'"), None);
    assert_eq!(pinned("startswith(appId,'a')"), None);
    assert_eq!(pinned("id eq 'a'"), None);
    let kinds = graph("kind in ('Application','Legacy')", false).unwrap();
    assert_eq!(kinds.pinned_values("kind"), Some(vec!["Application", "Legacy"]));
}

#[test]
fn lambdas_pin_their_array_when_the_body_pins_the_element() {
    let pinned = |f: &str| graph(f, false).unwrap().pinned_values("names").map(|v| v.join(","));
    assert_eq!(pinned("names/any(c:c eq 'api://x')"), Some("api://x".to_owned()));
    assert_eq!(pinned("names/any(c:c eq 'a' or c eq 'b')"), Some("a,b".to_owned()));
    assert_eq!(pinned("names/any(c:c eq 'a') and displayName eq 'x'"), Some("a".to_owned()));
    assert_eq!(pinned("names/any(c:c eq 'a') or names/any(c:c eq 'b')"), Some("a,b".to_owned()));
    assert_eq!(pinned("names/any(c:startswith(c,'a'))"), None);
    assert_eq!(pinned("names/any(c:c eq 'a') or displayName eq 'x'"), None);
    let advanced = graph("not(names/any(c:c eq 'a'))", true).unwrap();
    assert_eq!(advanced.pinned_values("names"), None);
}

#[test]
fn required_prefixes_come_from_the_top_level_and_chain() {
    let prefix = |f: &str, advanced: bool| {
        graph(f, advanced).unwrap().required_prefix("displayName").map(str::to_owned)
    };
    assert_eq!(prefix("startswith(displayName,'Ab')", false), Some("Ab".to_owned()));
    assert_eq!(
        prefix("startswith(displayName,'a') and kind eq 'x' and startswith(displayName,'abc')", false),
        Some("abc".to_owned())
    );
    assert_eq!(prefix("startswith(displayName,'a') or kind eq 'x'", false), None);
    assert_eq!(prefix("startswith(mail,'a')", false), None);
    assert_eq!(prefix("not(startswith(displayName,'a'))", true), None);
    assert_eq!(prefix("names/any(c:startswith(c,'a'))", false), None);
}
