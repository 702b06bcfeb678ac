//! `companies` (GET) and `companies({id})/automationCompanies` (GET, POST 201, PATCH with
//! `If-Match`, DELETE) of the Automation API, over the same `companies` table as API v2.0: a company
//! created here appears in API v2.0's `companies` too. A new company is not initialised (no customers,
//! items or vendors), as BC's docs say; deleting one deletes its records. GETs are
//! [`respond::list`](super::respond::list) and [`respond::get`](super::respond::get) over the tables
//! defined here.

use axum::response::Response;
use http::StatusCode;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::entities::{AUTOMATION_COMPANIES, COMPANIES};
use super::query::Table;
use super::respond::{self, Call, entity, no_content};
use crate::business_central::entities::codec::{
    SqlValue, Write, format_guid, format_instant, parse_body, text_of,
};
use crate::business_central::error::BcError;
use crate::business_central::etag::{IfMatch, etag};
use crate::business_central::odata::sql::push_value;
use crate::business_central::state::BcState;

/// `companies` of the Automation API.
pub(crate) const COMPANY_TABLE: Table =
    Table { def: &COMPANIES, key: "id", default_order: "name", segment: "companies" };
/// `automationCompanies`.
pub(crate) const AUTOMATION_TABLE: Table =
    Table { def: &AUTOMATION_COMPANIES, key: "id", default_order: "name", segment: "automationCompanies" };

/// 404 unless the company of the path exists.
pub(crate) async fn require_company(state: &BcState, id: Uuid) -> Result<(), BcError> {
    COMPANY_TABLE.require(state.db.pool(), id).await.map(drop)
}

fn name_required() -> BcError {
    BcError::FieldValidation(
        "Name must have a value in Company: Name=. It cannot be zero or empty.".to_owned(),
    )
}

fn duplicate(name: &str) -> BcError {
    BcError::RecordExists(format!(
        "The record in table Company already exists. Identification fields and values: Name='{name}'"
    ))
}

/// Whether a database error is a UNIQUE violation (the company name).
fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.is_unique_violation())
}

/// POST `automationCompanies`: `{name, displayName, businessProfileId}` → 201 with the new company.
/// Its `systemVersion` is that of the company in the path.
pub(crate) async fn create(
    state: &BcState,
    call: &Call<'_>,
    parent: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let values = parse_body(&AUTOMATION_COMPANIES, call.body, Write::Create)?;
    let name = text_of(&values, "name")
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .ok_or_else(name_required)?;
    let pool = state.db.pool();
    let version: String = sqlx::query_scalar("SELECT systemVersion FROM companies WHERE id = ?")
        .bind(format_guid(parent))
        .fetch_optional(pool)
        .await?
        .unwrap_or_default();
    let id = format_guid(Uuid::new_v4());
    let now = format_instant(state.clock.now());
    let mut builder = QueryBuilder::<Sqlite>::new(
        "INSERT INTO companies (id, systemVersion, systemCreatedAt, systemModifiedAt, evaluationCompany",
    );
    for (field, _) in &values {
        builder.push(format_args!(", \"{}\"", field.name));
    }
    builder.push(") VALUES (");
    let mut list = builder.separated(", ");
    list.push_bind(&id).push_bind(version).push_bind(&now).push_bind(&now).push_bind(0_i64);
    builder.push(", ");
    let mut first = true;
    for (field, value) in values {
        if !first {
            builder.push(", ");
        }
        first = false;
        let value = if field.name == "name" { SqlValue::Text(name.clone()) } else { value };
        push_value(&mut builder, value);
    }
    builder.push(")");
    match builder.build().execute(pool).await {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => return Err(duplicate(&name)),
        Err(error) => return Err(error.into()),
    }
    let row = AUTOMATION_TABLE.find(pool, &id).await?.ok_or_else(|| BcError::ResourceNotFound(id.clone()))?;
    Ok(entity(
        StatusCode::CREATED,
        call.context(&format!("{fragment}/$entity")),
        AUTOMATION_TABLE.json(&row)?,
    ))
}

/// The current ETag and version of a company, or 404.
async fn current_etag(state: &BcState, id: &str) -> Result<(String, i64), BcError> {
    let version = AUTOMATION_TABLE.version(state.db.pool(), id).await?;
    Ok((etag(id, version), version))
}

/// PATCH `automationCompanies({id})` (rename): `If-Match` required, stale → 409.
pub(crate) async fn update(
    state: &BcState,
    call: &Call<'_>,
    id: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let id = format_guid(id);
    let (tag, version) = current_etag(state, &id).await?;
    IfMatch::required(call.headers)?.check(&tag)?;
    let values = parse_body(&AUTOMATION_COMPANIES, call.body, Write::Update)?;
    let mut builder =
        QueryBuilder::<Sqlite>::new("UPDATE companies SET version = version + 1, systemModifiedAt = ");
    builder.push_bind(format_instant(state.clock.now()));
    let mut new_name = None;
    for (field, value) in values {
        if field.name == "name" {
            let SqlValue::Text(text) = &value else { return Err(name_required()) };
            let trimmed = text.trim().to_owned();
            if trimmed.is_empty() {
                return Err(name_required());
            }
            new_name = Some(trimmed.clone());
            builder.push(", \"name\" = ");
            builder.push_bind(trimmed);
            continue;
        }
        builder.push(format_args!(", \"{}\" = ", field.name));
        push_value(&mut builder, value);
    }
    AUTOMATION_TABLE.push_where_version(&mut builder, &id, version);
    let done = match builder.build().execute(state.db.pool()).await {
        Ok(done) => done,
        Err(error) if is_unique_violation(&error) => return Err(duplicate(&new_name.unwrap_or_default())),
        Err(error) => return Err(error.into()),
    };
    if done.rows_affected() == 0 {
        return Err(BcError::EntityChanged);
    }
    respond::updated(state, call, AUTOMATION_TABLE, &id, fragment).await
}

/// DELETE `automationCompanies({id})`: `If-Match` checked only when sent (resource-apis.md §1.4).
pub(crate) async fn delete(state: &BcState, call: &Call<'_>, id: Uuid) -> Result<Response, BcError> {
    let id = format_guid(id);
    let (tag, version) = current_etag(state, &id).await?;
    IfMatch::from_headers(call.headers).check(&tag)?;
    let done = sqlx::query("DELETE FROM companies WHERE id = ? AND version = ?")
        .bind(&id)
        .bind(version)
        .execute(state.db.pool())
        .await?;
    if done.rows_affected() == 0 {
        return Err(BcError::EntityChanged);
    }
    Ok(no_content())
}
