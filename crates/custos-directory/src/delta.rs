//! `GET /v1.0/applications/delta` and `/v1.0/servicePrincipals/delta` (also `delta()` and
//! `microsoft.graph.delta`; `graph-fidelity.md` §4). A round without a token returns every
//! object; `$deltatoken=latest` none; each round ends with an `@odata.deltaLink` whose
//! `$deltatoken` is the round's time, MAC'd like a `$skiptoken` and bound to the tenant and the
//! collection. The next round returns the objects the directory audit log names as changed since
//! that time (a few seconds earlier, for clocks of several nodes: Graph allows an object to appear
//! again), the current state of those that exist and `{"id", "@removed": {"reason": "deleted"}}`
//! for those that do not. A service principal also changes when its application does. One page
//! per round; `$select` is kept in the link. Changes older than the audit log's retention are not
//! seen.

use crate::DirectoryState;
use crate::auth::{Authed, Caller, Permission};
use crate::error::GraphError;
use crate::odata::{Pager, encode, options, parse_select, project, unsupported_option};
use crate::resolve;
use crate::shapes::{self, APPLICATION, SERVICE_PRINCIPAL};
use axum::Json;
use axum::extract::{RawQuery, State};
use custos_core::ObjectId;
use custos_core::audit::TargetType;
use custos_store::{LogOrder, LogQuery, MAX_LOG_PAGE};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use time::{Duration, OffsetDateTime};

/// How far before the token's time a round looks (records of other nodes' clocks).
const MARGIN: Duration = Duration::seconds(5);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Set {
    Applications,
    ServicePrincipals,
}

impl Set {
    fn path(self) -> &'static str {
        match self {
            Self::Applications => "applications",
            Self::ServicePrincipals => "servicePrincipals",
        }
    }
}

/// What a delta request asks for.
struct DeltaQuery {
    select: Option<(String, Vec<String>)>,
    /// `None`: the first round; `Some(None)`: `latest`; `Some(Some(t))`: changes since `t`.
    token: Option<Option<OffsetDateTime>>,
}

fn token_path(set: Set) -> String {
    format!("{}/delta#deltatoken", set.path())
}

fn parse(
    state: &DirectoryState,
    caller: &Caller,
    set: Set,
    raw: Option<&str>,
) -> Result<DeltaQuery, GraphError> {
    let entity = match set {
        Set::Applications => &APPLICATION,
        Set::ServicePrincipals => &SERVICE_PRINCIPAL,
    };
    let mut query = DeltaQuery { select: None, token: None };
    for (name, value) in options(raw)? {
        match name.as_str() {
            "$select" => {
                // `id` is always returned.
                let mut props = parse_select(&value, entity)?;
                if !props.iter().any(|p| p == "id") {
                    props.push("id".to_owned());
                }
                query.select = Some((value, props));
            }
            "$deltatoken" | "$deltaToken" if value.eq_ignore_ascii_case("latest") => query.token = Some(None),
            "$deltatoken" | "$deltaToken" => {
                let pager = Pager::new(&state.paging_key, caller.tenant_id, state.origins.graph());
                let seconds = pager.open_token(&token_path(set), &value)?;
                let time = i64::try_from(seconds)
                    .ok()
                    .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
                    .ok_or_else(|| {
                        GraphError::BadRequest("The specified page token value is invalid.".to_owned())
                    })?;
                query.token = Some(Some(time));
            }
            _ => return Err(unsupported_option(&name)),
        }
    }
    Ok(query)
}

/// The ids of `kind` objects the audit log names as changed at or after `since`.
async fn changed(
    state: &DirectoryState,
    caller: &Caller,
    since: OffsetDateTime,
) -> Result<[BTreeSet<String>; 2], GraphError> {
    let mut apps = BTreeSet::new();
    let mut sps = BTreeSet::new();
    let mut query = LogQuery {
        tenant: Some(caller.tenant_id),
        since: Some(since - MARGIN),
        until: None,
        limit: MAX_LOG_PAGE,
        after: None,
        order: LogOrder::OldestFirst,
    };
    loop {
        let page = state.store.directory_audits(&query).await?;
        for target in page.records.iter().flat_map(|r| &r.targets) {
            match target.kind {
                TargetType::Application => apps.insert(target.id.clone()),
                TargetType::ServicePrincipal => sps.insert(target.id.clone()),
                _ => false,
            };
        }
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok([apps, sps]),
        }
    }
}

/// Every object of the collection, rendered, by id.
async fn current(
    state: &DirectoryState,
    caller: &Caller,
    set: Set,
) -> Result<Vec<(String, Value)>, GraphError> {
    let store = state.store.as_ref();
    let tenant = caller.tenant_id;
    Ok(match set {
        Set::Applications => {
            let domain = resolve::tenant(store, tenant).await?.domain;
            resolve::listed_applications(store, tenant)
                .await?
                .iter()
                .map(|a| (a.id.to_string(), shapes::application(a, &domain, false)))
                .collect()
        }
        Set::ServicePrincipals => {
            let apps: HashMap<_, _> =
                store.applications(tenant).await?.into_iter().map(|a| (a.app_id, a)).collect();
            store
                .service_principals(tenant)
                .await?
                .iter()
                .map(|sp| (sp.id.to_string(), shapes::service_principal(sp, apps.get(&sp.app_id))))
                .collect()
        }
    })
}

async fn round(
    state: DirectoryState,
    auth: Authed,
    set: Set,
    raw: Option<String>,
) -> Result<Json<Value>, GraphError> {
    let caller = auth.require(Permission::ReadApplications)?;
    let query = parse(&state, caller, set, raw.as_deref())?;
    let now = state.clock.now();
    let objects = current(&state, caller, set).await?;
    let select = query.select.as_ref().map(|(_, p)| p.as_slice());
    let value: Vec<Value> = match query.token {
        None => objects.into_iter().map(|(_, o)| project(o, select)).collect(),
        Some(None) => Vec::new(),
        Some(Some(since)) => {
            let [apps, mut sps] = changed(&state, caller, since).await?;
            if set == Set::ServicePrincipals {
                // A principal shows its application's names, roles, scopes and tags.
                let store = state.store.as_ref();
                for app in store.applications(caller.tenant_id).await? {
                    if apps.contains(&app.id.to_string())
                        && let Some(sp) =
                            store.service_principal_by_app_id(caller.tenant_id, app.app_id).await?
                    {
                        sps.insert(sp.id.to_string());
                    }
                }
            }
            let ids = if set == Set::Applications { apps } else { sps };
            let mut by_id: HashMap<String, Value> = objects.into_iter().collect();
            let mut value = Vec::new();
            for (id, object_id) in
                ids.into_iter().filter_map(|id| id.parse::<ObjectId>().ok().map(|o| (id, o)))
            {
                match by_id.remove(&id) {
                    Some(object) => value.push(project(object, select)),
                    // Applications custos does not list (built-in resources, managed identities'
                    // registrations) are not deletions.
                    None if set == Set::Applications
                        && state.store.application(caller.tenant_id, object_id).await?.is_some() => {}
                    None => value.push(json!({"id": id, "@removed": {"reason": "deleted"}})),
                }
            }
            value
        }
    };
    let pager = Pager::new(&state.paging_key, caller.tenant_id, state.origins.graph());
    let seconds = usize::try_from(now.unix_timestamp()).unwrap_or_default();
    let token = pager.mint_token(&token_path(set), seconds);
    let mut link = format!("{}/v1.0/{}/delta?", state.origins.graph(), set.path());
    if let Some((raw, _)) = &query.select {
        link.push_str(&format!("$select={}&", encode(raw)));
    }
    link.push_str(&format!("$deltatoken={token}"));
    Ok(Json(json!({
        "@odata.context": format!("{}/v1.0/$metadata#{}", state.origins.graph(), set.path()),
        "value": value,
        "@odata.deltaLink": link,
    })))
}

/// `GET /v1.0/applications/delta`
pub(crate) async fn applications(
    State(state): State<DirectoryState>,
    auth: Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphError> {
    round(state, auth, Set::Applications, raw).await
}

/// `GET /v1.0/servicePrincipals/delta`
pub(crate) async fn service_principals(
    State(state): State<DirectoryState>,
    auth: Authed,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, GraphError> {
    round(state, auth, Set::ServicePrincipals, raw).await
}
