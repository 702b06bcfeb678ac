//! JSON batching, `POST /v1.0/$batch` (`graph-fidelity.md` §5): up to 20 requests, each
//! `{"id", "method", "url", "headers"?, "body"?, "dependsOn"?}` with `url` relative to `/v1.0`,
//! run one after the other in the order given through the directory's own routes (with the
//! batch's bearer token, so each is authorised as if sent alone) and answered together as
//! `{"responses": [{"id", "status", "headers", "body"}]}`, bodies as JSON (text for `/$count`).
//! A request whose `dependsOn` names a failed one is not run and answers 424. Like Graph,
//! msgraph-core's `depends_on` is ignored. A malformed batch is one 400; a 200 batch says nothing
//! about its items.

use crate::auth::Authed;
use crate::body::JsonBody;
use crate::error::GraphError;
use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, Method, Request, StatusCode, header};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tower::ServiceExt;

/// Most requests in one batch.
const MAX_REQUESTS: usize = 20;
/// Largest item response body read back.
const MAX_ITEM_BODY: usize = 4 * 1024 * 1024;
/// Request headers a batch passes to every item.
const PASSED: &[header::HeaderName] = &[header::AUTHORIZATION];

/// The directory routes items run through (without `$batch` itself).
#[derive(Clone)]
pub(crate) struct Items(pub(crate) Router);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    id: String,
    method: String,
    url: String,
    #[serde(default)]
    headers: Option<HashMap<String, String>>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    depends_on: Option<Vec<String>>,
    /// msgraph-core's spelling; ignored, as Graph ignores it.
    #[serde(default, rename = "depends_on")]
    #[allow(dead_code, reason = "accepted and ignored, as Graph does")]
    depends_on_snake: Option<Value>,
}

fn malformed(why: &str) -> GraphError {
    GraphError::Malformed(format!("Invalid batch payload format: {why}."))
}

/// Checks the batch as a whole: size, unique ids (without regard to case), dependencies on
/// earlier requests only.
fn check(items: &[Item]) -> Result<(), GraphError> {
    if items.is_empty() {
        return Err(malformed("no requests"));
    }
    if items.len() > MAX_REQUESTS {
        return Err(GraphError::BadRequest(format!(
            "The number of requests in a batch must not exceed {MAX_REQUESTS}; {} were sent.",
            items.len()
        )));
    }
    for (i, item) in items.iter().enumerate() {
        if item.id.is_empty() || items[..i].iter().any(|o| o.id.eq_ignore_ascii_case(&item.id)) {
            return Err(malformed(&format!("request id '{}' is empty or not unique", item.id)));
        }
        for dependency in item.depends_on.iter().flatten() {
            if !items[..i].iter().any(|o| o.id.eq_ignore_ascii_case(dependency)) {
                return Err(GraphError::BadRequest(format!(
                    "Invalid dependency for request Id {}.",
                    item.id
                )));
            }
        }
    }
    Ok(())
}

/// The item as a request to the directory routes.
fn request(item: &Item, outer: &HeaderMap) -> Result<Request<Body>, String> {
    let method =
        Method::from_bytes(item.method.to_ascii_uppercase().as_bytes()).map_err(|_| "method".to_owned())?;
    if item.url.contains("://") {
        return Err("url".to_owned());
    }
    let uri = format!("/v1.0/{}", item.url.trim_start_matches('/'));
    let mut builder = Request::builder().method(method).uri(uri);
    for name in PASSED {
        if let Some(value) = outer.get(name) {
            builder = builder.header(name, value);
        }
    }
    let mut json_body = true;
    for (name, value) in item.headers.iter().flatten() {
        if name.eq_ignore_ascii_case("content-type")
            && !value.to_ascii_lowercase().starts_with("application/json")
        {
            json_body = false;
        }
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = match &item.body {
        None | Some(Value::Null) => Body::empty(),
        Some(Value::String(encoded)) if !json_body => {
            Body::from(BASE64.decode(encoded).map_err(|_| "body".to_owned())?)
        }
        Some(value) => {
            if !item.headers.iter().flatten().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
            }
            Body::from(value.to_string())
        }
    };
    builder.body(body).map_err(|_| "headers".to_owned())
}

/// Runs one item and renders its response.
async fn run(router: &Router, item: &Item, outer: &HeaderMap) -> (StatusCode, Value) {
    let request = match request(item, outer) {
        Ok(request) => request,
        Err(what) => {
            let message = format!("Invalid {what} of request Id {}.", item.id);
            let rendered = json!({
                "id": item.id,
                "status": StatusCode::BAD_REQUEST.as_u16(),
                "headers": {"Content-Type": "application/json"},
                "body": {"error": {"code": "BadRequest", "message": message}},
            });
            return (StatusCode::BAD_REQUEST, rendered);
        }
    };
    let response = match router.clone().oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    let status = response.status();
    let content_type =
        response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let bytes = axum::body::to_bytes(response.into_body(), MAX_ITEM_BODY).await.unwrap_or_default();
    let mut rendered = json!({"id": item.id, "status": status.as_u16()});
    let mut headers = Map::new();
    if let Some(content_type) = &content_type {
        headers.insert("Content-Type".to_owned(), json!(content_type));
    }
    rendered["headers"] = Value::Object(headers);
    if !bytes.is_empty() {
        rendered["body"] = match serde_json::from_slice::<Value>(&bytes) {
            Ok(value) if content_type.as_deref().is_none_or(|c| c.starts_with("application/json")) => value,
            _ => Value::String(String::from_utf8_lossy(&bytes).into_owned()),
        };
    }
    (status, rendered)
}

/// `POST /v1.0/$batch`
pub(crate) async fn batch(
    Extension(Items(router)): Extension<Items>,
    // Refuses an unauthenticated batch as a whole; each item is authorised on its own.
    _auth: Authed,
    headers: HeaderMap,
    body: Result<JsonBody, GraphError>,
) -> Result<axum::Json<Value>, GraphError> {
    let mut body = body?.required()?.only(&["requests"])?;
    let items: Vec<Item> = body.take("requests", "Batch")?.ok_or_else(|| malformed("no requests"))?;
    check(&items)?;
    let mut statuses: HashMap<String, StatusCode> = HashMap::new();
    let mut responses = Vec::with_capacity(items.len());
    for item in &items {
        let failed_dependency = item
            .depends_on
            .iter()
            .flatten()
            .any(|d| statuses.get(&d.to_ascii_lowercase()).is_none_or(|s| !s.is_success()));
        let (status, rendered) = if failed_dependency {
            let message = "The request was not run because a request it depends on failed.";
            let rendered = json!({
                "id": item.id,
                "status": StatusCode::FAILED_DEPENDENCY.as_u16(),
                "headers": {"Content-Type": "application/json"},
                "body": {"error": {"code": "BadRequest", "message": message}},
            });
            (StatusCode::FAILED_DEPENDENCY, rendered)
        } else {
            run(&router, item, &headers).await
        };
        statuses.insert(item.id.to_ascii_lowercase(), status);
        responses.push(rendered);
    }
    Ok(axum::Json(json!({"responses": responses})))
}
