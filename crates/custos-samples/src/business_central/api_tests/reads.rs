//! GET: shapes, `@odata.context`, ETags, the two base-path forms and the query options.

use super::{BASE, Harness};
use crate::business_central::error::REQUEST_ID;
use http::StatusCode;
use serde_json::Value;

fn names(reply: &super::Reply, field: &str) -> Vec<String> {
    reply.json["value"].as_array().unwrap().iter().map(|v| v[field].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn companies_list_has_the_demo_company_with_context_and_etag() {
    let h = Harness::new().await;
    let reply = h.get(&format!("{BASE}/companies")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json; odata.metadata=minimal")
    );
    assert_eq!(reply.headers["odata-version"], "4.0");
    assert!(reply.headers.contains_key(REQUEST_ID));
    assert_eq!(reply.json["@odata.context"], "http://bc.test/v2.0/production/api/v2.0/$metadata#companies");
    let company = &reply.json["value"][0];
    assert_eq!(company["id"], h.company.as_str());
    assert_eq!(company["name"], "CRONUS US");
    assert_eq!(company["displayName"], "CRONUS USA, Inc.");
    assert_eq!(company["systemVersion"], "21.2.49946.51685");
    assert_eq!(company["timestamp"], 50516);
    assert_eq!(company["systemCreatedAt"], "2026-01-02T03:04:05.678Z");
    let tag = company["@odata.etag"].as_str().unwrap();
    assert!(tag.starts_with("W/\"") && tag.ends_with('"'), "{tag}");
}

#[tokio::test]
async fn tenant_qualified_base_path_works_too() {
    let h = Harness::new().await;
    let base = "/v2.0/8a3a4c2e-0000-4000-8000-00000000000a/sandbox/api/v2.0";
    let reply = h.get(&format!("{base}/companies({})/items", h.company)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json["@odata.context"],
        format!("http://bc.test{base}/$metadata#companies({})/items", h.company)
    );
    assert_eq!(reply.json["value"].as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn single_company_and_entity_carry_the_etag_header() {
    let h = Harness::new().await;
    let reply = h.get(&h.company_url()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json["@odata.context"],
        "http://bc.test/v2.0/production/api/v2.0/$metadata#companies/$entity"
    );
    assert_eq!(reply.headers["etag"], reply.json["@odata.etag"].as_str().unwrap());

    let id = h.customer_id("C00020").await;
    let reply = h.get(&format!("{}/customers({id})", h.company_url())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json["@odata.context"],
        format!("http://bc.test{BASE}/$metadata#companies({})/customers/$entity", h.company)
    );
    assert_eq!(reply.headers["etag"], reply.json["@odata.etag"].as_str().unwrap());
    assert_eq!(reply.json["displayName"], "Trey Research");
    assert_eq!(reply.json["creditLimit"], 5000);
    assert_eq!(reply.json["balanceDue"], 0);
    assert_eq!(reply.json["taxLiable"], false);
    assert_eq!(reply.json["blocked"], " ");
    assert_eq!(reply.json["currencyId"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(reply.json["lastModifiedDateTime"], "2026-01-02T03:04:05.678Z");
    let object = reply.json.as_object().unwrap();
    assert_eq!(object.len(), 2 + crate::business_central::entities::CUSTOMERS.fields.len(), "every field");
}

#[tokio::test]
async fn collections_of_every_set() {
    let h = Harness::new().await;
    for (set, count, first) in [("customers", 5, "C00010"), ("items", 5, "I00010"), ("vendors", 4, "V00010")]
    {
        let reply = h.get(&format!("{}/{set}", h.company_url())).await;
        assert_eq!(reply.status, StatusCode::OK, "{set}: {}", reply.text);
        assert_eq!(
            reply.json["@odata.context"],
            format!("http://bc.test{BASE}/$metadata#companies({})/{set}", h.company)
        );
        let values = reply.json["value"].as_array().unwrap();
        assert_eq!(values.len(), count, "{set}");
        assert_eq!(values[0]["number"], first, "ordered by number");
        assert!(values.iter().all(|v| v["@odata.etag"].is_string()));
    }
    let reply = h.get(&format!("{}/items?$filter=type%20eq%20'Service'", h.company_url())).await;
    assert_eq!(names(&reply, "displayName"), ["Installation"]);
    assert_eq!(reply.json["value"][0]["unitPrice"], 75);
    assert_eq!(reply.json["value"][0]["blocked"], false);
}

#[tokio::test]
async fn slash_before_the_query_as_the_rest_client_file_sends() {
    let h = Harness::new().await;
    let reply =
        h.get(&format!("{}/customers/?$filter=displayName%20eq%20'Relecloud'", h.company_url())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(names(&reply, "number"), ["C00050"]);
    let plus = h.get(&format!("{}/customers/?$filter=displayName+eq+'Relecloud'", h.company_url())).await;
    assert_eq!(names(&plus, "number"), ["C00050"]);
}

#[tokio::test]
async fn filters_on_every_type_and_function() {
    let h = Harness::new().await;
    let url = format!("{}/customers", h.company_url());
    let id = h.customer_id("C00030").await;
    for (filter, expected) in [
        ("city eq 'Atlanta'", vec!["C00010", "C00040"]),
        ("city eq 'atlanta'", vec!["C00010", "C00040"]), // BC's collation is case-insensitive
        ("city ne 'Atlanta' and city ne 'Miami'", vec!["C00020"]),
        ("creditLimit gt 0", vec!["C00020", "C00040"]),
        ("creditLimit ge 5000 and creditLimit lt 10000", vec!["C00020"]),
        ("creditLimit le 0", vec!["C00010", "C00030", "C00050"]),
        ("taxLiable eq false and city eq 'Chicago'", vec!["C00020"]),
        ("contains(displayName,'Re')", vec!["C00020", "C00050"]),
        ("startswith(displayName,'A')", vec!["C00010", "C00040"]),
        ("endswith(displayName,'House')", vec!["C00040"]),
        ("contains(displayName,'%')", vec![]),
        ("number eq 'C00010' or number eq 'C00050'", vec!["C00010", "C00050"]),
        ("not (city eq 'Miami')", vec!["C00010", "C00020", "C00040"]),
        ("lastModifiedDateTime gt 2026-01-01T00:00:00Z and city eq 'Chicago'", vec!["C00020"]),
        ("lastModifiedDateTime gt 2026-01-03T00:00:00Z", vec![]),
        (&format!("id eq {id}"), vec!["C00030"]),
        ("displayName eq 'x''; DROP TABLE customers; --'", vec![]),
    ] {
        let reply = h.get(&format!("{url}?$filter={}", filter.replace(' ', "%20"))).await;
        assert_eq!(reply.status, StatusCode::OK, "{filter}: {}", reply.text);
        assert_eq!(names(&reply, "number"), expected, "{filter}");
    }
    assert_eq!(h.fingerprint("customers").await.0, 5, "the table is still there");
}

#[tokio::test]
async fn select_orderby_top_skip_count() {
    let h = Harness::new().await;
    let url = format!("{}/customers", h.company_url());
    let reply = h
        .get(&format!(
            "{url}?$select=number,displayName&$orderby=displayName%20desc&$top=2&$skip=1&$count=true"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(
        reply.json["@odata.context"],
        format!("http://bc.test{BASE}/$metadata#companies({})/customers(number,displayName)", h.company)
    );
    assert_eq!(reply.json["@odata.count"], 5);
    assert_eq!(names(&reply, "displayName"), ["School of Fine Art", "Relecloud"]);
    let first = reply.json["value"][0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["@odata.etag", "displayName", "number"]);

    let reply = h.get(&format!("{url}?$orderby=city,creditLimit%20desc&$select=number")).await;
    assert_eq!(names(&reply, "number"), ["C00040", "C00010", "C00020", "C00030", "C00050"]);

    let reply = h.get(&format!("{url}?$filter=city%20eq%20'Miami'&$count=true&$top=1")).await;
    assert_eq!(reply.json["@odata.count"], 2);
    assert_eq!(reply.json["value"].as_array().unwrap().len(), 1);

    let reply = h.get(&format!("{url}?$top=0")).await;
    assert_eq!(reply.json["value"], Value::Array(vec![]));

    let id = h.customer_id("C00010").await;
    let reply = h.get(&format!("{url}({id})?$select=displayName")).await;
    assert_eq!(reply.json["displayName"], "Adatum Corporation");
    assert!(reply.json.get("number").is_none());
    assert_eq!(
        reply.json["@odata.context"],
        format!("http://bc.test{BASE}/$metadata#companies({})/customers(displayName)/$entity", h.company)
    );
}

#[tokio::test]
async fn service_document_and_metadata() {
    let h = Harness::new().await;
    let reply = h.get(&format!("{BASE}/")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["value"][0]["name"], "companies");

    let reply = h.get(&format!("{BASE}/$metadata")).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.headers["content-type"], "application/xml; charset=utf-8");
    assert!(reply.text.contains(r#"<EntityType Name="customer">"#));
    assert!(reply.text.contains(r#"<EntitySet Name="companies" EntityType="Microsoft.NAV.company"/>"#));
}

#[tokio::test]
async fn percent_encoded_keys_are_decoded() {
    let h = Harness::new().await;
    let reply = h.get(&format!("{BASE}/companies%28{}%29/vendors", h.company)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["value"].as_array().unwrap().len(), 4);
}
