//! JSON batching, `POST /v1.0/$batch` (`graph-fidelity.md` §5): items run through the directory
//! routes with the batch's token, answered together; `dependsOn`, 424, and the batch's own 400s.

mod common;

use common::{AssertGraphError, Harness};
use http::StatusCode;
use serde_json::{Value, json};

fn by_id(reply: &common::Reply) -> std::collections::HashMap<String, Value> {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json["responses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["id"].as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

#[tokio::test]
async fn items_run_in_order_with_the_batch_token() {
    let h = Harness::new().await;
    let reply = h
        .post(
            "/v1.0/$batch",
            "admin",
            json!({"requests": [
                {"id": "1", "method": "POST", "url": "/applications", "headers": {"Content-Type": "application/json"},
                 "body": {"displayName": "batched"}},
                {"id": "2", "method": "GET", "url": "applications?$filter=displayName%20eq%20'batched'&$select=displayName", "dependsOn": ["1"]},
                {"id": "3", "method": "GET", "url": "/applications/not-a-guid"},
                {"id": "4", "method": "GET", "url": "/organization", "dependsOn": ["3"]},
                {"id": "5", "method": "GET", "url": "/applications/$count", "headers": {"ConsistencyLevel": "eventual"}},
                {"id": "6", "method": "PUT", "url": "/organization", "depends_on": []},
                {"id": "7", "method": "GET", "url": "/groups"}
            ]}),
        )
        .await;
    let items = by_id(&reply);
    assert_eq!(items["1"]["status"], 201);
    assert_eq!(items["1"]["body"]["displayName"], "batched");
    assert!(items["1"]["headers"]["Content-Type"].as_str().unwrap().starts_with("application/json"));
    assert_eq!(items["2"]["status"], 200);
    assert_eq!(items["2"]["body"]["value"], json!([{"displayName": "batched"}]));
    assert_eq!(items["3"]["status"], 400);
    assert_eq!(items["3"]["body"]["error"]["message"], "Invalid object identifier 'not-a-guid'.");
    assert_eq!(items["4"]["status"], 424, "its dependency failed");
    assert_eq!(items["5"]["status"], 200);
    assert!(items["5"]["body"].as_str().unwrap().parse::<u32>().unwrap() >= 1);
    assert_eq!(items["6"]["status"], 405);
    assert_eq!(
        items["6"]["body"]["error"]["message"],
        "Specified HTTP method is not allowed for the request target."
    );
    assert_eq!(items["7"]["body"]["error"]["message"], "Resource not found for the segment 'groups'.");
    // Each item is authorised as if sent alone.
    let reader = h
        .post("/v1.0/$batch", "reader", json!({"requests": [{"id": "a", "method": "POST", "url": "/applications", "body": {"displayName": "x"}}]}))
        .await;
    assert_eq!(by_id(&reader)["a"]["status"], 403);
}

#[tokio::test]
async fn malformed_batches_are_one_400() {
    let h = Harness::new().await;
    let get = |id: &str| json!({"id": id, "method": "GET", "url": "/organization"});
    let too_many: Vec<Value> = (0..21).map(|i| get(&i.to_string())).collect();
    let message = h
        .post("/v1.0/$batch", "admin", json!({"requests": too_many}))
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(message, "The number of requests in a batch must not exceed 20; 21 were sent.");
    let twenty: Vec<Value> = (0..20).map(|i| get(&i.to_string())).collect();
    assert_eq!(by_id(&h.post("/v1.0/$batch", "admin", json!({"requests": twenty})).await).len(), 20);
    let message = h
        .post("/v1.0/$batch", "admin", json!({"requests": [get("a"), get("A")]}))
        .await
        .error(StatusCode::BAD_REQUEST, "BadRequest");
    assert_eq!(message, "Invalid batch payload format: request id 'A' is empty or not unique.");
    let later = json!({"requests": [{"id": "1", "method": "GET", "url": "/organization", "dependsOn": ["2"]}, get("2")]});
    let message =
        h.post("/v1.0/$batch", "admin", later).await.error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    assert_eq!(message, "Invalid dependency for request Id 1.");
    h.post("/v1.0/$batch", "admin", json!({"requests": []}))
        .await
        .error(StatusCode::BAD_REQUEST, "BadRequest");
    h.post("/v1.0/$batch", "admin", json!({"calls": []}))
        .await
        .error(StatusCode::BAD_REQUEST, "Request_BadRequest");
    let absolute = h
        .post("/v1.0/$batch", "admin", json!({"requests": [{"id": "1", "method": "GET", "url": "https://graph.microsoft.com/v1.0/organization"}]}))
        .await;
    assert_eq!(by_id(&absolute)["1"]["status"], 400);
    // Without a token the batch itself is refused.
    let reply =
        h.raw(http::Method::POST, "/v1.0/$batch", None, &json!({"requests": [get("1")]}).to_string()).await;
    reply.error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
}
