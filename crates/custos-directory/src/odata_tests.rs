//! Unit tests of `odata.rs`: `$skiptoken`s, paging and option parsing.

use super::*;

static THING: EntityType = EntityType {
    name: "thing",
    resource: "Thing",
    properties: &["id", "displayName"],
    filterable: &[Property::text("displayName")],
    queries: &PLAIN,
};

fn collection() -> Collection {
    Collection { path: "things".into(), context: "things".into() }
}

#[test]
fn skiptokens_round_trip_and_resist_tampering() {
    let tenant = TenantId::new_random();
    let pager = Pager::new(&[1; 32], tenant, "https://h");
    let token = pager.mint("things", 5);
    assert_eq!(pager.open("things", &token).unwrap(), 5);
    let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
    bytes[7] = 6;
    let forged = URL_SAFE_NO_PAD.encode(bytes);
    let invalid = GraphError::BadRequest("The specified page token value is invalid.".into());
    assert_eq!(pager.open("things", &forged), Err(invalid.clone()));
    assert_eq!(pager.open("other", &token), Err(invalid.clone()));
    assert_eq!(Pager::new(&[1; 32], TenantId::new_random(), "x").open("things", &token), Err(invalid));
}

#[test]
fn pages_link_to_the_rest() {
    let pager = Pager::new(&[1; 32], TenantId::new_random(), "https://h");
    let items: Vec<Value> = (0..5).map(|i| json!({"id": i.to_string(), "displayName": "x"})).collect();
    let query = ListQuery::parse(Some("$top=2&$select=id"), &THING).unwrap();
    let page = pager.page(&collection(), &query, items).unwrap();
    assert_eq!(page["value"], json!([{"id": "0"}, {"id": "1"}]));
    assert_eq!(page["@odata.context"], "https://h/v1.0/$metadata#things(id)");
    let link = page["@odata.nextLink"].as_str().unwrap();
    assert!(link.starts_with("https://h/v1.0/things?$select=id&$top=2&$skiptoken="), "{link}");
}

#[test]
fn bad_options_are_refused() {
    assert_eq!(
        ListQuery::parse(Some("$top=1000"), &THING).unwrap_err(),
        GraphError::UnsupportedQuery(
            "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.".into()
        )
    );
    assert!(matches!(ListQuery::parse(Some("$top=0"), &THING), Err(GraphError::UnsupportedQuery(_))));
    assert!(matches!(ListQuery::parse(Some("$top=1&$top=2"), &THING), Err(GraphError::Malformed(_))));
    assert!(matches!(ListQuery::parse(Some("$orderby=id"), &THING), Err(GraphError::UnsupportedQuery(_))));
    assert_eq!(
        ListQuery::parse(Some("$select=id,nope"), &THING).unwrap_err(),
        GraphError::BadRequest(
            "Could not find a property named 'nope' on type 'microsoft.graph.thing'.".into()
        )
    );
    assert!(ListQuery::parse(Some("api-version=1&$top=3"), &THING).is_ok());
}
