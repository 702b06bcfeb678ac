//! POST, PATCH, DELETE: seed 001's REST Client journey, ETags and `If-Match`, `Prefer`,
//! numbering and duplicate keys.

use super::Harness;
use http::StatusCode;

#[tokio::test]
async fn the_rest_client_journey_of_seed_001() {
    let h = Harness::new().await;
    let url = format!("{}/customers", h.company_url());

    let created = h.post(&url, "{\n \"displayName\" : \"MyItemDisplayName2\"\n}").await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json["displayName"], "MyItemDisplayName2");
    assert_eq!(created.json["number"], "C00060", "next number of the series");
    assert_eq!(created.json["type"], "Company");
    assert_eq!(created.json["lastModifiedDateTime"], "2026-01-02T03:04:05.678Z");
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(created.headers["location"], format!("http://bc.test{url}({id})").as_str());
    assert_eq!(created.headers["etag"], created.json["@odata.etag"].as_str().unwrap());
    assert!(created.json["@odata.context"].as_str().unwrap().ends_with("/customers/$entity"));

    let found = h.get(&format!("{url}/?$filter=displayName%20eq%20'MyItemDisplayName2'")).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.text);
    assert_eq!(found.json["value"][0]["id"], id.as_str());

    h.clock.advance(time::Duration::minutes(5));
    let patched =
        h.patch(&format!("{url}({id})"), "*", r#"{"displayName" : "DeleteMe-MyItemDisplayName2"}"#).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.json["displayName"], "DeleteMe-MyItemDisplayName2");
    assert_eq!(patched.json["number"], "C00060");
    assert_eq!(patched.json["lastModifiedDateTime"], "2026-01-02T03:09:05.678Z");
    assert_ne!(patched.json["@odata.etag"], created.json["@odata.etag"]);
    assert_eq!(patched.headers["etag"], patched.json["@odata.etag"].as_str().unwrap());

    let deleted = h.send("DELETE", &format!("{url}({id})"), &[], None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    assert!(deleted.text.is_empty());
    let gone = h.get(&format!("{url}({id})")).await;
    gone.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        "Resource not found for the segment 'customers'.",
    );
}

#[tokio::test]
async fn patch_requires_if_match_and_refuses_stale_tags() {
    let h = Harness::new().await;
    let id = h.customer_id("C00010").await;
    let url = format!("{}/customers({id})", h.company_url());
    let before = h.fingerprint("customers").await;

    let missing =
        h.send("PATCH", &url, &[("content-type", "application/json")], Some(r#"{"city":"Boston"}"#)).await;
    missing.assert_error(
        StatusCode::BAD_REQUEST,
        "BadRequest_InvalidToken",
        "Could not validate the client concurrency token required by the service. Please provide a valid token in the client request.",
    );
    assert_eq!(h.fingerprint("customers").await, before, "nothing written");

    let tag = h.get(&url).await.json["@odata.etag"].as_str().unwrap().to_owned();
    let first = h.patch(&url, &tag, r#"{"city":"Boston"}"#).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(first.json["city"], "Boston");

    let stale = h.patch(&url, &tag, r#"{"city":"Denver"}"#).await;
    stale.assert_error(
        StatusCode::CONFLICT,
        "Request_EntityChanged",
        "Another user has already changed the record.",
    );
    assert_eq!(h.get(&url).await.json["city"], "Boston");

    let new_tag = first.json["@odata.etag"].as_str().unwrap();
    let strong = new_tag.trim_start_matches("W/");
    let second = h.patch(&url, strong, r#"{"city":"Denver"}"#).await;
    assert_eq!(second.status, StatusCode::OK, "a strong copy of the tag matches: {}", second.text);
}

#[tokio::test]
async fn delete_checks_if_match_only_when_sent() {
    let h = Harness::new().await;
    let id = h.customer_id("C00020").await;
    let url = format!("{}/customers({id})", h.company_url());
    let old_tag = h.get(&url).await.json["@odata.etag"].as_str().unwrap().to_owned();
    let changed = h.patch(&url, "*", r#"{"city":"Boston"}"#).await;
    assert_eq!(changed.status, StatusCode::OK);

    let stale = h.send("DELETE", &url, &[("if-match", &old_tag)], None).await;
    stale.assert_error(
        StatusCode::CONFLICT,
        "Request_EntityChanged",
        "Another user has already changed the record.",
    );
    assert_eq!(h.fingerprint("customers").await.0, 5);

    let current = changed.json["@odata.etag"].as_str().unwrap();
    let deleted = h.send("DELETE", &url, &[("if-match", current)], None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);

    let id = h.customer_id("C00030").await;
    let star =
        h.send("DELETE", &format!("{}/customers({id})", h.company_url()), &[("if-match", "*")], None).await;
    assert_eq!(star.status, StatusCode::NO_CONTENT);
    assert_eq!(h.fingerprint("customers").await.0, 3);
}

#[tokio::test]
async fn prefer_return_minimal_gives_204_with_location() {
    let h = Harness::new().await;
    let url = format!("{}/vendors", h.company_url());
    for prefer in ["return=minimal", "return-no-content"] {
        let reply = h
            .send(
                "POST",
                &url,
                &[("content-type", "application/json; charset=utf-8"), ("prefer", prefer)],
                Some(r#"{"displayName":"Contoso Supplies","email":"ap@contoso.example"}"#),
            )
            .await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "{prefer}: {}", reply.text);
        let location = reply.headers["location"].to_str().unwrap();
        assert!(location.starts_with(&format!("http://bc.test{url}(")), "{location}");
        assert_eq!(reply.headers["odata-entityid"], location);
        assert!(reply.headers.contains_key("etag"));
    }
    assert_eq!(h.fingerprint("vendors").await.0, 6);
}

#[tokio::test]
async fn patch_stays_200_with_body_even_when_minimal_is_preferred() {
    let h = Harness::new().await;
    let id = h.customer_id("C00010").await;
    let url = format!("{}/customers({id})", h.company_url());
    let reply = h
        .send(
            "PATCH",
            &url,
            &[("content-type", "application/json"), ("if-match", "*"), ("prefer", "return=minimal")],
            Some(r#"{"creditLimit": 1234.5, "taxLiable": true, "type": "Person", "blocked": "Ship"}"#),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.json["creditLimit"], 1234.5);
    assert_eq!(reply.json["taxLiable"], true);
    assert_eq!(reply.json["type"], "Person");
    assert_eq!(reply.json["blocked"], "Ship");
}

#[tokio::test]
async fn numbers_given_or_assigned_and_duplicates_refused() {
    let h = Harness::new().await;
    let url = format!("{}/items", h.company_url());
    let given =
        h.post(&url, r#"{"number":"1896-S","displayName":"ATHENS Desk, 2","unitPrice":1000.8}"#).await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.text);
    assert_eq!(given.json["number"], "1896-S");
    assert_eq!(given.json["unitPrice"], 1000.8);
    let assigned = h.post(&url, r#"{"displayName":"Bolt","number":""}"#).await;
    assert_eq!(assigned.json["number"], "I00060");

    let before = h.fingerprint("items").await;
    let duplicate = h.post(&url, r#"{"number":"1896-S"}"#).await;
    duplicate.assert_error(
        StatusCode::CONFLICT,
        "Internal_EntityWithSameKeyExists",
        "The Item already exists. Identification fields and values: No.='1896-S'",
    );
    let id = assigned.json["id"].as_str().unwrap();
    let renamed = h.patch(&format!("{url}({id})"), "*", r#"{"number":"1896-S"}"#).await;
    renamed.assert_code(StatusCode::CONFLICT, "Internal_EntityWithSameKeyExists");
    assert_eq!(h.fingerprint("items").await, before, "nothing written");
}

#[tokio::test]
async fn records_of_one_set_are_not_reachable_through_another() {
    let h = Harness::new().await;
    let id = h.customer_id("C00010").await;
    let reply = h.get(&format!("{}/vendors({id})", h.company_url())).await;
    reply.assert_error(
        StatusCode::NOT_FOUND,
        "BadRequest_ResourceNotFound",
        "Resource not found for the segment 'vendors'.",
    );
}

#[tokio::test]
async fn concurrent_creates_on_a_file_database_get_distinct_numbers() {
    use crate::business_central::api::router;
    use crate::business_central::db::Db;
    use crate::business_central::state::BcState;
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let h = Harness::new().await;
    let db = Db::open(dir.path(), h.clock.as_ref()).await.unwrap();
    let company: String = sqlx::query_scalar("SELECT id FROM companies").fetch_one(db.pool()).await.unwrap();
    let state = BcState::new(db, Arc::clone(&h.clock) as _, false);
    let file_h =
        Harness { router: router().with_state(state.clone()), state, clock: h.clock.clone(), company };
    let file_h = Arc::new(file_h);
    let url = format!("{}/customers", file_h.company_url());
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let h = Arc::clone(&file_h);
            let url = url.clone();
            tokio::spawn(async move { h.post(&url, &format!(r#"{{"displayName":"Parallel {i}"}}"#)).await })
        })
        .collect();
    let mut numbers = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        numbers.push(reply.json["number"].as_str().unwrap().to_owned());
    }
    numbers.sort();
    let expected: Vec<String> = (6..14).map(|n| format!("C{:05}", n * 10)).collect();
    assert_eq!(numbers, expected);
}
