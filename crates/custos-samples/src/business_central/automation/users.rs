//! `companies({id})/users` of the Automation API: GET (list or one) and PATCH with `If-Match`
//! (`state`, `expiryDate`, `contactEmail`). Users are per tenant, not per company, as in BC. An
//! application's user mirrors its card: setting its `state` here enables or disables the
//! Microsoft Entra application too.

use axum::response::Response;
use http::StatusCode;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::entities::USERS;
use super::query::Table;
use super::respond::{Call, collection, entity};
use crate::business_central::entities::codec::{SqlValue, Write, format_guid, format_instant, parse_body};
use crate::business_central::error::BcError;
use crate::business_central::etag::{IfMatch, etag};
use crate::business_central::odata::sql::push_value;
use crate::business_central::state::BcState;

/// `users`.
pub(crate) const USER_TABLE: Table = Table { def: &USERS, key: "userSecurityId", default_order: "userName" };

/// 404 unless the user exists.
pub(crate) async fn require_user(state: &BcState, id: Uuid) -> Result<(), BcError> {
    match USER_TABLE.find(state.db.pool(), &format_guid(id)).await? {
        Some(_) => Ok(()),
        None => Err(BcError::ResourceNotFound("users".to_owned())),
    }
}

/// GET `users`.
pub(crate) async fn list(state: &BcState, call: &Call<'_>, fragment: &str) -> Result<Response, BcError> {
    let (values, count) = USER_TABLE.list(state.db.pool(), call.query).await?;
    Ok(collection(call.context(fragment), values, count))
}

/// GET `users({userSecurityId})`.
pub(crate) async fn get(
    state: &BcState,
    call: &Call<'_>,
    id: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let row = USER_TABLE
        .find(state.db.pool(), &format_guid(id))
        .await?
        .ok_or_else(|| BcError::ResourceNotFound("users".to_owned()))?;
    Ok(entity(StatusCode::OK, call.context(fragment), USER_TABLE.json(&row)?))
}

/// PATCH `users({userSecurityId})`: `If-Match` required (`*` accepted), stale → 409.
pub(crate) async fn update(
    state: &BcState,
    call: &Call<'_>,
    id: Uuid,
    fragment: &str,
) -> Result<Response, BcError> {
    let id = format_guid(id);
    let pool = state.db.pool();
    let version: i64 = sqlx::query_scalar("SELECT version FROM users WHERE userSecurityId = ?")
        .bind(&id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| BcError::ResourceNotFound("users".to_owned()))?;
    let if_match = IfMatch::from_headers(call.headers);
    if if_match == IfMatch::Absent {
        return Err(BcError::MissingConcurrencyToken);
    }
    if !if_match.matches(&etag(&id, version)) {
        return Err(BcError::EntityChanged);
    }
    let values = parse_body(&USERS, call.body, Write::Update)?;
    let now = format_instant(state.clock.now());
    let new_state = values.iter().find_map(|(f, v)| match v {
        SqlValue::Text(t) if f.name == "state" => Some(t.clone()),
        _ => None,
    });
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut builder = QueryBuilder::<Sqlite>::new("UPDATE users SET version = version + 1, modifiedAt = ");
    builder.push_bind(&now);
    for (field, value) in values {
        builder.push(format_args!(", \"{}\" = ", field.name));
        push_value(&mut builder, value);
    }
    builder.push(" WHERE userSecurityId = ");
    builder.push_bind(&id);
    builder.push(" AND version = ");
    builder.push_bind(version);
    if builder.build().execute(&mut *tx).await?.rows_affected() == 0 {
        return Err(BcError::EntityChanged);
    }
    if let Some(new_state) = new_state {
        sqlx::query("UPDATE entra_applications SET state = ?, modified_at = ? WHERE user_security_id = ?")
            .bind(new_state)
            .bind(&now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let row = USER_TABLE.find(pool, &id).await?.ok_or(BcError::EntityChanged)?;
    Ok(entity(StatusCode::OK, call.context(fragment), USER_TABLE.json(&row)?))
}
