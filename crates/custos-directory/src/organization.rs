//! `/v1.0/organization`: the caller's tenant, as a one-member collection.

use crate::DirectoryState;
use crate::auth::{Authed, Permission};
use crate::error::GraphError;
use crate::odata::ListQuery;
use crate::resolve;
use crate::shapes::{self, ORGANIZATION};
use axum::Json;
use axum::extract::{RawQuery, State};
use serde_json::Value;

/// `GET /v1.0/organization`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadOrganization)?;
    let query = ListQuery::parse(query.as_deref(), &ORGANIZATION)?;
    let tenant = resolve::tenant(state.store.as_ref(), caller.tenant_id).await?;
    state.list_page(caller.tenant_id, "organization", &query, vec![shapes::organization(&tenant)])
}
