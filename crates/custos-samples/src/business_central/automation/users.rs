//! `companies({id})/users` of the Automation API: GET (list or one) and PATCH with `If-Match`
//! (`state`, `expiryDate`, `contactEmail`). Users are per tenant, not per company, as in BC. An
//! application's user mirrors its card: setting its `state` here enables or disables the
//! Microsoft Entra application too, so changing an application user's `state` needs `SECURITY` among
//! the caller's permission sets (BC: SUPER or SECURITY; applications cannot hold SUPER). GETs are
//! [`respond::list`](super::respond::list) and [`respond::get`](super::respond::get) over [`USER_TABLE`].

use axum::response::Response;
use sqlx::{QueryBuilder, Sqlite};
use uuid::Uuid;

use super::entities::USERS;
use super::query::Table;
use super::respond::{self, Call};
use crate::business_central::apps::permission_sets::SECURITY;
use crate::business_central::db::{self, Begin};
use crate::business_central::entities::codec::{Write, format_guid, format_instant, parse_body, text_of};
use crate::business_central::error::{BcError, UserRule};
use crate::business_central::etag::{IfMatch, etag};
use crate::business_central::odata::sql::push_value;
use crate::business_central::state::BcState;

/// `users`.
pub(crate) const USER_TABLE: Table =
    Table { def: &USERS, key: "userSecurityId", default_order: "userName", segment: "users" };

/// 404 unless the user exists.
pub(crate) async fn require_user(state: &BcState, id: Uuid) -> Result<(), BcError> {
    USER_TABLE.require(state.db.pool(), id).await.map(drop)
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
    let version = USER_TABLE.version(pool, &id).await?;
    IfMatch::required(call.headers)?.check(&etag(&id, version))?;
    let values = parse_body(&USERS, call.body, Write::Update)?;
    let now = format_instant(state.clock.now());
    let new_state = text_of(&values, "state").map(str::to_owned);
    let mut tx = db::begin(pool, Begin::Write).await?;
    if let Some(new_state) = &new_state {
        let current: Option<(String, String)> =
            sqlx::query_as("SELECT state, licenseType FROM users WHERE userSecurityId = ?")
                .bind(&id)
                .fetch_optional(&mut *tx)
                .await?;
        let changes_an_app =
            current.is_some_and(|(state, license)| license == "Application" && state != *new_state);
        if changes_an_app && !call.caller.is_some_and(|caller| caller.holds(SECURITY)) {
            return Err(BcError::UserChangeRefused(UserRule::ApplicationStateNeedsSecurity));
        }
    }
    let mut builder = QueryBuilder::<Sqlite>::new("UPDATE users SET version = version + 1, modifiedAt = ");
    builder.push_bind(&now);
    for (field, value) in values {
        builder.push(format_args!(", \"{}\" = ", field.name));
        push_value(&mut builder, value);
    }
    USER_TABLE.push_where_version(&mut builder, &id, version);
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
    respond::updated(state, call, USER_TABLE, &id, fragment).await
}
