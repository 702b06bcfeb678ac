//! How Automation API responses look: collections `{"@odata.context", "value": [...]}` (plus
//! `@odata.count` when asked) and single entities with their `@odata.context`, sent with API v2.0's
//! OData headers and `ETag` ([`api::response`](crate::business_central::api::response)).

use axum::response::{IntoResponse, Response};
use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::query::Table;
use crate::business_central::api::response::{entity_response, odata_json};
use crate::business_central::authorize::Caller;
use crate::business_central::error::BcError;
use crate::business_central::state::BcState;

/// The request, as the handlers see it.
#[derive(Debug)]
pub(crate) struct Call<'a> {
    /// `{scheme}://{host}/v2.0/.../api/microsoft/automation/v2.0`, for `@odata.context`.
    pub(crate) base: String,
    /// The request headers (`If-Match`).
    pub(crate) headers: &'a HeaderMap,
    /// The raw query string.
    pub(crate) query: Option<&'a str>,
    /// The request body (empty for GET and DELETE).
    pub(crate) body: &'a [u8],
    /// Who calls, as [`authorize`](crate::business_central::authorize) admitted them; `None` when the
    /// router runs without it (handler tests), which rules that need a permission set treat as holding none.
    pub(crate) caller: Option<&'a Caller>,
}

impl Call<'_> {
    /// `{base}/$metadata#{fragment}`.
    pub(crate) fn context(&self, fragment: &str) -> String {
        format!("{}/$metadata#{fragment}", self.base)
    }
}

/// 200 with a collection.
pub(crate) fn collection(context: String, values: Vec<Map<String, Value>>, count: Option<usize>) -> Response {
    let mut body = Map::new();
    body.insert("@odata.context".to_owned(), Value::String(context));
    if let Some(count) = count {
        body.insert("@odata.count".to_owned(), Value::from(count));
    }
    body.insert("value".to_owned(), Value::Array(values.into_iter().map(Value::Object).collect()));
    odata_json(StatusCode::OK, &Value::Object(body))
}

/// One entity with `status` (200 or 201), its `@odata.context` and the `ETag` header.
pub(crate) fn entity(status: StatusCode, context: String, object: Map<String, Value>) -> Response {
    let mut body = Map::new();
    body.insert("@odata.context".to_owned(), Value::String(context));
    body.extend(object);
    entity_response(status, body)
}

/// GET of a table-backed set: its rows under the request's query options.
pub(crate) async fn list(
    state: &BcState,
    call: &Call<'_>,
    table: Table,
    fragment: &str,
) -> Result<Response, BcError> {
    let (values, count) = table.list(state.db.pool(), call.query).await?;
    Ok(collection(call.context(fragment), values, count))
}

/// GET of one row of a table-backed set, or 404 naming the set.
pub(crate) async fn get(
    state: &BcState,
    call: &Call<'_>,
    table: Table,
    id: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let row = table.require(state.db.pool(), id).await?;
    Ok(entity(StatusCode::OK, call.context(fragment), table.json(&row)?))
}

/// 200 with the row `key` after a write that changed it; gone meanwhile → 409.
pub(crate) async fn updated(
    state: &BcState,
    call: &Call<'_>,
    table: Table,
    key: &str,
    fragment: &str,
) -> Result<Response, BcError> {
    let row = table.find(state.db.pool(), key).await?.ok_or(BcError::EntityChanged)?;
    Ok(entity(StatusCode::OK, call.context(fragment), table.json(&row)?))
}

/// 204 No Content.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
