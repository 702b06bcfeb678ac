//! OData JSON responses: BC's content type and `OData-Version`, `@odata.context` URLs, the
//! `ETag` header equal to the body's `@odata.etag`, and an entity's JSON from its row.

use super::Urls;
use crate::business_central::entities::codec::row_to_json;
use crate::business_central::entities::{EntityDef, Field};
use crate::business_central::error::BcError;
use crate::business_central::etag::etag;
use axum::response::{IntoResponse, Response};
use http::header::{CONTENT_TYPE, ETAG, LOCATION};
use http::{HeaderName, HeaderValue, StatusCode};
use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use uuid::Uuid;

/// The content type of BC's OData JSON responses.
pub(crate) const ODATA_JSON: &str =
    "application/json; odata.metadata=minimal; odata.streaming=true; IEEE754Compatible=false; charset=utf-8";
/// `OData-Version`.
const ODATA_VERSION: HeaderName = HeaderName::from_static("odata-version");
/// `OData-EntityId`, sent with 204 responses to POST.
const ODATA_ENTITY_ID: HeaderName = HeaderName::from_static("odata-entityid");

/// A JSON body with OData's headers.
pub(crate) fn odata_json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(ODATA_JSON));
    headers.insert(ODATA_VERSION, HeaderValue::from_static("4.0"));
    response
}

/// Sets `name` to `value` when the value is a valid header value.
pub(crate) fn set_header(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

/// A single entity's response, with the `ETag` header.
pub(crate) fn entity_response(status: StatusCode, object: Map<String, Value>) -> Response {
    let tag = object.get("@odata.etag").and_then(Value::as_str).map(str::to_owned);
    let mut response = odata_json(status, &Value::Object(object));
    if let Some(tag) = tag {
        set_header(&mut response, ETAG, &tag);
    }
    response
}

/// A 204 answer to a POST with `Prefer: return=minimal`: `Location`, `OData-EntityId`, `ETag`.
pub(crate) fn created_no_content(location: &str, tag: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    set_header(&mut response, LOCATION, location);
    set_header(&mut response, ODATA_ENTITY_ID, location);
    set_header(&mut response, ETAG, tag);
    set_header(&mut response, HeaderName::from_static("preference-applied"), "return=minimal");
    response
}

/// The `@odata.context` URL: `{base}/$metadata#companies(<id>)/customers[(a,b)][/$entity]`.
pub(crate) fn context_url(
    urls: &Urls,
    company: Option<Uuid>,
    def: &EntityDef,
    select: Option<&[&'static Field]>,
    single: bool,
) -> String {
    let mut url = format!("{}/$metadata#", urls.base);
    if let Some(company) = company {
        url.push_str(&format!("companies({company})/"));
    }
    url.push_str(def.set);
    if let Some(fields) = select {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        url.push_str(&format!("({})", names.join(",")));
    }
    if single {
        url.push_str("/$entity");
    }
    url
}

/// The canonical URL of an entity: `{base}/companies(<c>)/customers(<id>)`.
pub(crate) fn entity_url(urls: &Urls, company: Uuid, def: &EntityDef, id: &str) -> String {
    format!("{}/companies({company})/{}({id})", urls.base, def.set)
}

/// The row's id and ETag.
pub(crate) fn row_etag(row: &SqliteRow) -> Result<(String, String), BcError> {
    let id: String = row.try_get("id")?;
    let version: i64 = row.try_get("version")?;
    let tag = etag(&id, version);
    Ok((id, tag))
}

/// The row's JSON with `@odata.etag`.
pub(crate) fn entity_json(
    row: &SqliteRow,
    def: &EntityDef,
    select: Option<&[&'static Field]>,
) -> Result<Map<String, Value>, BcError> {
    let (_, tag) = row_etag(row)?;
    Ok(row_to_json(row, def, select, &tag)?)
}
