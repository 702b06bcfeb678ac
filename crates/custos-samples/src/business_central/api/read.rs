//! GET: the service document, `$metadata`, companies and the per-company entity sets with
//! their query options and server-driven paging.

use super::Urls;
use super::response::{context_url, entity_json, entity_response, odata_json, set_header};
use crate::business_central::entities::store::{self, Scope};
use crate::business_central::entities::{COMPANIES, EntityDef};
use crate::business_central::error::BcError;
use crate::business_central::metadata;
use crate::business_central::odata::options::{QueryOptions, parse_query};
use crate::business_central::odata::paging::{PREFERENCE_APPLIED, Preferences, encode_skip_token};
use crate::business_central::state::BcState;
use axum::response::{IntoResponse, Response};
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};
use uuid::Uuid;

/// `GET {base}/`: the OData service document.
pub(super) fn service_document(urls: &Urls) -> Response {
    odata_json(
        StatusCode::OK,
        &json!({
            "@odata.context": format!("{}/$metadata", urls.base),
            "value": [{ "name": "companies", "kind": "EntitySet", "url": "companies" }],
        }),
    )
}

/// `GET {base}/$metadata`: the CSDL document.
pub(super) fn metadata() -> Response {
    let mut response = (StatusCode::OK, metadata::csdl()).into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    response.headers_mut().insert("odata-version", HeaderValue::from_static("4.0"));
    response
}

/// `GET {base}/companies`.
pub(super) async fn companies(
    state: &BcState,
    urls: &Urls,
    headers: &HeaderMap,
) -> Result<Response, BcError> {
    list(state, urls, headers, None, &COMPANIES).await
}

/// `GET {base}/companies({id})`.
pub(super) async fn company(state: &BcState, urls: &Urls, id: Uuid) -> Result<Response, BcError> {
    single(state, urls, None, &COMPANIES, id).await
}

/// `GET {base}/companies({company})/{set}`.
pub(super) async fn collection(
    state: &BcState,
    urls: &Urls,
    headers: &HeaderMap,
    company: Uuid,
    def: &'static EntityDef,
) -> Result<Response, BcError> {
    require_company(state, company).await?;
    list(state, urls, headers, Some(company), def).await
}

/// `GET {base}/companies({company})/{set}({id})`.
pub(super) async fn entity(
    state: &BcState,
    urls: &Urls,
    company: Uuid,
    def: &'static EntityDef,
    id: Uuid,
) -> Result<Response, BcError> {
    require_company(state, company).await?;
    single(state, urls, Some(company), def, id).await
}

/// 404 `BadRequest_ResourceNotFound` for the `companies` segment when the company is unknown.
pub(super) async fn require_company(state: &BcState, company: Uuid) -> Result<(), BcError> {
    if store::company_exists(state.db.pool(), &company.to_string()).await? {
        Ok(())
    } else {
        Err(BcError::ResourceNotFound("companies".to_owned()))
    }
}

async fn list(
    state: &BcState,
    urls: &Urls,
    headers: &HeaderMap,
    company: Option<Uuid>,
    def: &'static EntityDef,
) -> Result<Response, BcError> {
    let pairs = parse_query(urls.query.as_deref())?;
    let options = QueryOptions::parse(&pairs, def)?;
    let preferences = Preferences::from_headers(headers);
    let select = options.select.clone();
    let company_id = company.map(|c| c.to_string());
    let scope = Scope { def, company_id: company_id.as_deref() };
    let page = store::list(state.db.pool(), scope, options, preferences.page_size()).await?;
    let mut values = Vec::with_capacity(page.rows.len());
    for row in &page.rows {
        values.push(Value::Object(entity_json(row, def, select.as_deref())?));
    }
    let mut body = serde_json::Map::new();
    body.insert(
        "@odata.context".to_owned(),
        context_url(urls, company, def, select.as_deref(), false).into(),
    );
    if let Some(count) = page.count {
        body.insert("@odata.count".to_owned(), count.into());
    }
    body.insert("value".to_owned(), Value::Array(values));
    if let Some(offset) = page.next_offset {
        body.insert("@odata.nextLink".to_owned(), next_link(urls, &pairs_raw(urls), offset).into());
    }
    let mut response = odata_json(StatusCode::OK, &Value::Object(body));
    if let Some(size) = preferences.max_page_size {
        set_header(&mut response, PREFERENCE_APPLIED, &format!("odata.maxpagesize={size}"));
    }
    Ok(response)
}

/// The raw `name=value` pieces of the request's query, without `$skiptoken`.
fn pairs_raw(urls: &Urls) -> Vec<String> {
    parse_query(urls.query.as_deref())
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.name != "$skiptoken")
        .map(|p| p.raw)
        .collect()
}

/// The request URL with the same options and a `$skiptoken` for the page at `offset`.
fn next_link(urls: &Urls, pairs: &[String], offset: u32) -> String {
    let mut query = pairs.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str("$skiptoken=");
    query.push_str(&encode_skip_token(offset));
    format!("{}?{query}", urls.request)
}

async fn single(
    state: &BcState,
    urls: &Urls,
    company: Option<Uuid>,
    def: &'static EntityDef,
    id: Uuid,
) -> Result<Response, BcError> {
    let pairs = parse_query(urls.query.as_deref())?;
    let options = QueryOptions::parse(&pairs, def)?;
    let company_id = company.map(|c| c.to_string());
    let scope = Scope { def, company_id: company_id.as_deref() };
    let row = store::find(state.db.pool(), scope, &id.to_string()).await?;
    let select = options.select.as_deref();
    let mut object = serde_json::Map::new();
    object.insert("@odata.context".to_owned(), context_url(urls, company, def, select, true).into());
    object.extend(entity_json(&row, def, select)?);
    Ok(entity_response(StatusCode::OK, object))
}
