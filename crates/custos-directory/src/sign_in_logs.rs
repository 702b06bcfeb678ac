//! `GET /v1.0/auditLogs/signIns`, `/beta/auditLogs/signIns` and `/{id}` under both: a tenant's
//! sign-ins in Graph's `signIn` shape (`custos_core::sign_in_log::SignIn::to_graph`, v1.0 or
//! beta), newest first, through the log paging and `$filter` of [`crate::log_paging`], with
//! the same permission as directory audits (`AuditLog.Read.All`, else Graph's 403
//! `Authentication_MSGraphPermissionMissing`). Records are read-only: any other method is a
//! 405.
//!
//! Which kinds a request sees (`audit-and-activity.md` §1.1): without a `signInEventTypes`
//! filter, interactive user sign-ins only (always so on v1.0, where naming the property is
//! Graph's 400). On beta, `signInEventTypes/any(t: t eq '…' or t eq '…')` in the filter's
//! top-level `and` chain is pushed down to the store as the set of kinds to read; anywhere else
//! (under `or`, `not`, with `ne`) every kind is read and the filter decides. Naming user and
//! workload kinds together with `eq` is a 400 (`BadRequest`), as Graph refuses the mix.

use crate::DirectoryState;
use crate::auth::{Authed, Permission};
use crate::error::GraphError;
use crate::filter::{Filter, Kind, Literal, Logic, Op, Ops, Property};
use crate::log_paging::{LogCollection, LogListQuery, LogLocation};
use crate::odata::{EntityType, entity_response_in, entity_select, options};
use axum::Json;
use axum::extract::{MatchedPath, Path, RawQuery, State};
use custos_core::sign_in_log::{GraphVersion, SignInEventType};
use custos_store::SignInFilter;
use serde_json::Value;
use uuid::Uuid;

/// The property naming a record's kind (beta only).
const EVENT_TYPES: &str = "signInEventTypes";

/// Where the collection lives below a version.
const PATH: &str = "auditLogs/signIns";

/// Graph's answer to `signInEventTypes` on v1.0 (observed, `audit-and-activity.md` §1.1).
const NO_EVENT_TYPES_ON_V1: &str =
    "Could not find a property named 'signInEventTypes' on type 'microsoft.graph.signIn'";

/// Declares a v1.0 list and beta's, which is v1.0's followed by beta's own entries.
macro_rules! v1_and_beta {
    ($ty:ty: $v1:ident = [$($common:expr),* $(,)?], $beta:ident = [.., $($extra:expr),* $(,)?]) => {
        const $v1: &[$ty] = &[$($common),*];
        const $beta: &[$ty] = &[$($common,)* $($extra),*];
    };
}

// The properties of the v1.0 rendering, and of beta's.
v1_and_beta! {
    &str: V1_PROPERTIES = [
        "id",
        "createdDateTime",
        "userDisplayName",
        "userPrincipalName",
        "userId",
        "appId",
        "appDisplayName",
        "ipAddress",
        "clientAppUsed",
        "correlationId",
        "conditionalAccessStatus",
        "isInteractive",
        "riskDetail",
        "riskLevelAggregated",
        "riskLevelDuringSignIn",
        "riskState",
        "riskEventTypes",
        "riskEventTypes_v2",
        "resourceDisplayName",
        "resourceId",
        "resourceTenantId",
        "homeTenantId",
        "servicePrincipalId",
        "servicePrincipalName",
        "userAgent",
        "status",
        "deviceDetail",
        "location",
        "appliedConditionalAccessPolicies",
    ],
    BETA_PROPERTIES = [
        ..,
        "signInEventTypes",
        "clientCredentialType",
        "servicePrincipalCredentialKeyId",
        "servicePrincipalCredentialThumbprint",
        "federatedCredentialId",
        "managedServiceIdentity",
        "resourceServicePrincipalId",
        "authenticationProcessingDetails",
        "authenticationRequirement",
        "tokenIssuerType",
        "tokenIssuerName",
        "userType",
    ]
}

// The F column of §1.2: v1.0's; beta's adds the service principal and the kinds.
v1_and_beta! {
    Property: V1_FILTERABLE = [
        Property::text_with("id", Ops::EQ),
        Property::time("createdDateTime"),
        Property::text_with("appId", Ops::EQ),
        Property::text("appDisplayName"),
        Property::text("ipAddress"),
        Property::text_with("clientAppUsed", Ops::EQ),
        Property::text_with("conditionalAccessStatus", Ops::EQ),
        Property::text_with("correlationId", Ops::EQ),
        Property::text_with("resourceDisplayName", Ops::EQ),
        Property::text_with("resourceId", Ops::EQ),
        Property::new("status/errorCode", Kind::Int(Ops::EQ)),
        Property::text("userDisplayName"),
        Property::text("userPrincipalName"),
        Property::text_with("userId", Ops::EQ),
    ],
    BETA_FILTERABLE = [
        ..,
        Property::text("servicePrincipalId"),
        Property::text("servicePrincipalName"),
        Property::new(EVENT_TYPES, Kind::TextArray(Ops::EQ.and(Ops::NE))),
    ]
}

static SIGN_IN_V1: EntityType = EntityType {
    name: "signIn",
    resource: "SignIn",
    properties: V1_PROPERTIES,
    filterable: V1_FILTERABLE,
    queries: &crate::odata::PLAIN,
};
pub(crate) static SIGN_IN_BETA: EntityType = EntityType {
    name: "signIn",
    resource: "SignIn",
    properties: BETA_PROPERTIES,
    filterable: BETA_FILTERABLE,
    queries: &crate::odata::PLAIN,
};
static SIGN_INS_V1: LogCollection = LogCollection { entity: &SIGN_IN_V1, time_property: "createdDateTime" };
static SIGN_INS_BETA: LogCollection =
    LogCollection { entity: &SIGN_IN_BETA, time_property: "createdDateTime" };

/// The Graph version a route was matched under, with its collection.
fn served(matched: &MatchedPath) -> (&'static str, GraphVersion, &'static LogCollection) {
    if matched.as_str().starts_with("/beta/") {
        ("beta", GraphVersion::Beta, &SIGN_INS_BETA)
    } else {
        ("v1.0", GraphVersion::V1, &SIGN_INS_V1)
    }
}

/// `GET /{v1.0|beta}/auditLogs/signIns`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    matched: MatchedPath,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadAuditLogs)?;
    let (_, graph_version, collection) = served(&matched);
    if graph_version == GraphVersion::V1 {
        refuse_event_types_on_v1(query.as_deref())?;
    }
    let query = LogListQuery::parse(query.as_deref(), collection)?;
    let kinds = SignInFilter { event_types: kinds(query.filter())?, ..SignInFilter::default() };
    let store = state.store.as_ref();
    let kinds = &kinds;
    state
        .log_pager(caller.tenant_id)
        .page(
            collection,
            LogLocation::under(&matched, PATH),
            &query,
            |q| async move { store.sign_ins(&q, kinds).await },
            |r| r.to_graph(graph_version),
        )
        .await
        .map(Json)
}

/// `GET /{v1.0|beta}/auditLogs/signIns/{id}`: any kind (the id names the record).
pub(crate) async fn get(
    State(state): State<DirectoryState>,
    auth: Authed,
    matched: MatchedPath,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadAuditLogs)?;
    let (version, graph_version, collection) = served(&matched);
    let select = entity_select(query.as_deref(), collection.entity)?;
    let not_found = || GraphError::NotFound(id.clone());
    let key = Uuid::try_parse(&id).map_err(|_| not_found())?;
    let record = state.store.sign_in(caller.tenant_id, key).await?.ok_or_else(not_found)?;
    Ok(Json(entity_response_in(
        state.origins.graph(),
        version,
        PATH,
        record.to_graph(graph_version),
        select.as_deref(),
    )))
}

/// Graph's 400 for a v1.0 filter that names `signInEventTypes` (which beta would accept).
fn refuse_event_types_on_v1(raw: Option<&str>) -> Result<(), GraphError> {
    for (name, value) in options(raw)? {
        if name == "$filter"
            && SIGN_IN_BETA.parse_filter(&value, Logic::Full, false).is_ok_and(|f| names_event_types(&f))
        {
            return Err(GraphError::Malformed(NO_EVENT_TYPES_ON_V1.to_owned()));
        }
    }
    Ok(())
}

fn names_event_types(filter: &Filter) -> bool {
    match filter {
        Filter::Any(path, _) => *path == EVENT_TYPES,
        Filter::And(a, b) | Filter::Or(a, b) => names_event_types(a) || names_event_types(b),
        Filter::Not(a) => names_event_types(a),
        Filter::Compare(..) | Filter::StartsWith(..) | Filter::EndsWith(..) => false,
    }
}

/// The kinds to read from the store (empty: every kind); see the module docs.
fn kinds(filter: Option<&Filter>) -> Result<Vec<SignInEventType>, GraphError> {
    let Some(filter) = filter.filter(|f| names_event_types(f)) else {
        return Ok(vec![SignInEventType::InteractiveUser]);
    };
    let Some(named) = top_level_kinds(filter) else { return Ok(Vec::new()) };
    if named.iter().any(|k| k.is_user()) && named.iter().any(|k| !k.is_user()) {
        return Err(GraphError::Malformed(
            "signInEventTypes cannot combine user sign-in types (interactiveUser, nonInteractiveUser) with \
             servicePrincipal or managedIdentity in one filter."
                .to_owned(),
        ));
    }
    Ok(named)
}

/// The kinds a top-level `signInEventTypes/any(t: t eq … or t eq …)` names, if the filter's
/// `and` chain has one.
fn top_level_kinds(filter: &Filter) -> Option<Vec<SignInEventType>> {
    match filter {
        Filter::And(a, b) => top_level_kinds(a).or_else(|| top_level_kinds(b)),
        Filter::Any(path, body) if *path == EVENT_TYPES => {
            let mut kinds = Vec::new();
            equalities(body, &mut kinds).then_some(kinds)
        }
        _ => None,
    }
}

/// Collects the kinds of an `or` chain of `t eq '…'`; false for anything else. An unknown
/// kind matches nothing and is left out.
fn equalities(body: &Filter, kinds: &mut Vec<SignInEventType>) -> bool {
    match body {
        Filter::Or(a, b) => equalities(a, kinds) && equalities(b, kinds),
        Filter::Compare("", Op::Eq, Literal::Text(text)) => {
            let known = SignInEventType::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(text));
            kinds.extend(known);
            true
        }
        _ => false,
    }
}

/// Any other method: sign-ins are never created, changed or deleted through an API.
pub(crate) async fn read_only() -> GraphError {
    GraphError::MethodNotAllowed
}
