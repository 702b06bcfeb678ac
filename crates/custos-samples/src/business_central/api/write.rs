//! POST, PATCH and DELETE on the per-company entity sets (resource-apis.md §1.4): 201 (or 204
//! with `Prefer: return=minimal`/`return-no-content`), 200 with the entity, 204. `If-Match` is
//! required on PATCH and checked on DELETE only when sent (custos decision, security.md §6);
//! `*` matches anything; a stale tag is 409 `Request_EntityChanged`. Every refusal happens before
//! anything is written.

use super::Urls;
use super::read::require_company;
use super::response::{
    context_url, created_no_content, entity_json, entity_response, entity_url, row_etag, set_header,
};
use crate::business_central::db::{self, Begin};
use crate::business_central::entities::EntityDef;
use crate::business_central::entities::codec::{Write, parse_body};
use crate::business_central::entities::store::{self, Scope};
use crate::business_central::error::BcError;
use crate::business_central::etag::IfMatch;
use crate::business_central::inbound::readable;
use crate::business_central::odata::paging::Preferences;
use crate::business_central::state::BcState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::response::Response;
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, StatusCode};
use sqlx::Row;
use uuid::Uuid;

/// The record a PATCH or DELETE addresses: company, entity set, id.
pub(super) type Address = (Uuid, &'static EntityDef, Uuid);

/// 415 unless the request says its body is JSON.
fn require_json(headers: &HeaderMap) -> Result<(), BcError> {
    let value = headers.get(CONTENT_TYPE).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = value.as_deref().and_then(|v| v.split(';').next()).map(str::trim).unwrap_or("");
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(BcError::UnsupportedMediaType(value.unwrap_or_default()))
    }
}

/// `POST {base}/companies({company})/{set}`.
pub(super) async fn create(
    state: &BcState,
    urls: &Urls,
    headers: &HeaderMap,
    company: Uuid,
    def: &'static EntityDef,
    body: &Result<Bytes, BytesRejection>,
) -> Result<Response, BcError> {
    require_json(headers)?;
    require_company(state, company).await?;
    let values = parse_body(def, readable(body)?, Write::Create)?;
    let company_id = company.to_string();
    // IMMEDIATE: the number series is read and used under one write lock, so concurrent POSTs
    // queue (busy timeout) instead of failing to upgrade a read snapshot.
    let mut tx = db::begin(state.db.pool(), Begin::Write).await?;
    let id = store::insert(&mut tx, def, &company_id, values, state.clock.now()).await?;
    tx.commit().await?;
    let scope = Scope { def, company_id: Some(&company_id) };
    let row = store::find(state.db.pool(), scope, &id).await?;
    let location = entity_url(urls, company, def, &id);
    if Preferences::from_headers(headers).no_content {
        let (_, tag) = row_etag(&row)?;
        return Ok(created_no_content(&location, &tag));
    }
    let object = with_context(urls, company, def, &row)?;
    let mut response = entity_response(StatusCode::CREATED, object);
    set_header(&mut response, LOCATION, &location);
    Ok(response)
}

/// `PATCH {base}/companies({company})/{set}({id})`.
pub(super) async fn update(
    state: &BcState,
    urls: &Urls,
    headers: &HeaderMap,
    (company, def, id): Address,
    body: &Result<Bytes, BytesRejection>,
) -> Result<Response, BcError> {
    require_json(headers)?;
    require_company(state, company).await?;
    let company_id = company.to_string();
    let id = id.to_string();
    let scope = Scope { def, company_id: Some(&company_id) };
    let row = store::find(state.db.pool(), scope, &id).await?;
    let expected = expected_version(&IfMatch::required(headers)?, &row)?;
    let values = parse_body(def, readable(body)?, Write::Update)?;
    if !store::update(state.db.pool(), scope, &id, expected, values, state.clock.now()).await? {
        return Err(BcError::EntityChanged);
    }
    let row = store::get(state.db.pool(), scope, &id).await?.ok_or(BcError::EntityChanged)?;
    let object = with_context(urls, company, def, &row)?;
    Ok(entity_response(StatusCode::OK, object))
}

/// `DELETE {base}/companies({company})/{set}({id})`.
pub(super) async fn delete(
    state: &BcState,
    headers: &HeaderMap,
    (company, def, id): Address,
) -> Result<Response, BcError> {
    require_company(state, company).await?;
    let company_id = company.to_string();
    let id = id.to_string();
    let scope = Scope { def, company_id: Some(&company_id) };
    let row = store::find(state.db.pool(), scope, &id).await?;
    let expected = expected_version(&IfMatch::from_headers(headers), &row)?;
    if !store::delete(state.db.pool(), scope, &id, expected).await? {
        return Err(BcError::EntityChanged);
    }
    Ok(axum::response::IntoResponse::into_response(StatusCode::NO_CONTENT))
}

/// The written record as the response body: its `@odata.context` and properties.
fn with_context(
    urls: &Urls,
    company: Uuid,
    def: &'static EntityDef,
    row: &sqlx::sqlite::SqliteRow,
) -> Result<serde_json::Map<String, serde_json::Value>, BcError> {
    let mut object = serde_json::Map::new();
    object.insert("@odata.context".to_owned(), context_url(urls, Some(company), def, None, true).into());
    object.extend(entity_json(row, def, None)?);
    Ok(object)
}

/// The version a write must still find: the row's when the client sent a matching tag, none
/// for `*` or no header; 409 when the tag is stale.
fn expected_version(if_match: &IfMatch, row: &sqlx::sqlite::SqliteRow) -> Result<Option<i64>, BcError> {
    if_match.check(&row_etag(row)?.1)?;
    match if_match {
        IfMatch::Tags(_) => Ok(Some(row.try_get("version")?)),
        IfMatch::Absent | IfMatch::Any => Ok(None),
    }
}
