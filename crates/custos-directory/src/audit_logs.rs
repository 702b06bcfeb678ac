//! `GET /v1.0/auditLogs/directoryAudits` and `/{id}` (the same under `/beta`): a tenant's
//! directory audits in Graph's `directoryAudit` shape (`custos_core::audit::DirectoryAudit::to_graph`),
//! newest first, with the `$filter` of the spec's F column (`audit-and-activity.md` §2.1) and
//! the log paging of [`crate::log_paging`]. App role `AuditLog.Read.All`, or the delegated
//! scope with a Global Administrator user; anyone else gets Graph's 403
//! `Authentication_MSGraphPermissionMissing`. The records are read-only: every other method
//! is a 405.

use crate::DirectoryState;
use crate::auth::{Authed, Permission};
use crate::error::GraphError;
use crate::filter::{Kind, Ops, Property};
use crate::log_paging::{LogCollection, LogListQuery, LogLocation};
use crate::odata::{EntityType, entity_response_in, entity_select};
use axum::Json;
use axum::extract::{MatchedPath, Path, RawQuery, State};
use serde_json::Value;

/// What `$filter` may name inside `targetResources/any(t: …)`.
const TARGET_RESOURCE: &[Property] = &[
    Property::text_with("id", Ops::EQ),
    Property::text("displayName"),
    Property::text_with("userPrincipalName", Ops::EQ),
];

/// Graph's `directoryAudit` as far as queries are concerned.
pub(crate) static DIRECTORY_AUDIT: EntityType = EntityType {
    name: "directoryAudit",
    resource: "DirectoryAudit",
    properties: &[
        "id",
        "category",
        "correlationId",
        "result",
        "resultReason",
        "activityDisplayName",
        "activityDateTime",
        "loggedByService",
        "operationType",
        "initiatedBy",
        "targetResources",
        "additionalDetails",
    ],
    filterable: &[
        Property::text_with("id", Ops::EQ),
        Property::text_with("category", Ops::EQ),
        Property::text_with("correlationId", Ops::EQ),
        Property::text_with("result", Ops::EQ),
        Property::text("activityDisplayName"),
        Property::time("activityDateTime"),
        Property::text_with("loggedByService", Ops::EQ),
        Property::text_with("operationType", Ops::EQ),
        Property::text_with("initiatedBy/user/id", Ops::EQ),
        Property::text_with("initiatedBy/user/displayName", Ops::EQ),
        Property::text("initiatedBy/user/userPrincipalName"),
        Property::text_with("initiatedBy/app/appId", Ops::EQ),
        Property::text_with("initiatedBy/app/displayName", Ops::EQ),
        Property::text_with("initiatedBy/app/servicePrincipalId", Ops::EQ),
        Property::new("targetResources", Kind::ObjectArray(TARGET_RESOURCE)),
    ],
    queries: &crate::odata::PLAIN,
};

/// The collection, ordered by `activityDateTime`.
static DIRECTORY_AUDITS: LogCollection =
    LogCollection { entity: &DIRECTORY_AUDIT, time_property: "activityDateTime" };

/// Where the collection lives below a version.
const PATH: &str = "auditLogs/directoryAudits";

/// `GET /{v1.0|beta}/auditLogs/directoryAudits`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    matched: MatchedPath,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadAuditLogs)?;
    let query = LogListQuery::parse(query.as_deref(), &DIRECTORY_AUDITS)?;
    let location = LogLocation::under(&matched, PATH);
    let store = state.store.as_ref();
    state
        .log_pager(caller.tenant_id)
        .page(
            &DIRECTORY_AUDITS,
            location,
            &query,
            |q| async move { store.directory_audits(&q).await },
            |r| r.to_graph(),
        )
        .await
        .map(Json)
}

/// `GET /{v1.0|beta}/auditLogs/directoryAudits/{id}`
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    matched: MatchedPath,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadAuditLogs)?;
    let select = entity_select(query.as_deref(), &DIRECTORY_AUDIT)?;
    let record = state.store.directory_audit(caller.tenant_id, &id).await?;
    let record = record.ok_or(GraphError::NotFound(id))?;
    Ok(Json(entity_response_in(
        state.origins.graph(),
        LogLocation::under(&matched, PATH).version,
        PATH,
        record.to_graph(),
        select.as_deref(),
    )))
}

/// Any other method: audit records are never created, changed or deleted through an API.
pub(crate) async fn read_only() -> GraphError {
    GraphError::MethodNotAllowed
}
