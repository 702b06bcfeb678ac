//! `/v1.0/organization`: the caller's tenant, as a one-member collection.

use crate::DirectoryState;
use crate::auth::{Authed, Permission};
use crate::error::GraphError;
use crate::odata::{Collection, ListQuery, Pager};
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
    let collection = Collection { path: "organization".to_owned(), context: "organization".to_owned() };
    let pager = Pager::new(&state.paging_key, caller.tenant_id, &state.public_url);
    Ok(Json(pager.page(&collection, &query, vec![shapes::organization(&tenant)])?))
}
