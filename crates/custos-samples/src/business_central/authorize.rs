//! Authorization after the guard, as Business Central does it for S2S calls (seed 001, resource-apis.md
//! §3): the guard has already checked the token (signature, issuer, tenant, audience); this middleware
//! then decides, in this order,
//!
//! 1. **App role** for the route: `API.ReadWrite.All` for `/api/v2.0`, `Automation.ReadWrite.All` for
//!    `/api/microsoft/automation/v2.0`. A token without it gets **401 `Authentication_InvalidCredentials`**
//!    "The server has rejected the client credentials.", the answer BC gives to tokens it does not accept
//!    for the endpoint (BC does not document this case; custos' choice). The sample's log names the missing role.
//! 2. **Registration**: the token's client id (`appid`/`azp`) must be a card in Microsoft Entra
//!    Applications with State Enabled; otherwise the same 401 (obs, `microsoft/nav-docker#570`).
//! 3. **Permission sets** of the app's user decide read or write on the addressed object (see
//!    [`permission_sets`](super::apps::permission_sets)); otherwise **403
//!    `Authorization_InsufficientPermissions`** with BC 22's message shape "Sorry, the current permissions
//!    prevented the action. (TableData 18 Customer Insert: Base Application)" (message shape obs; the code and
//!    status are custos' inference). An assignment limited to a company counts only for paths under that company.
//! 4. **Own user**: no write (PATCH, POST, DELETE) to the caller's own user or its `userPermissions`,
//!    whatever its permission sets: an app holding `D365 AUTOMATION` must not widen its own rights. Same
//!    403 code, message [`UserRule::OwnUser`].
//!
//! An admitted request carries a [`Caller`] in its extensions, for rules that depend on the body (an
//! application's `state` needs `SECURITY`, see the Automation API's `users`).
//!
//! Paths outside both APIs (and `$metadata`) need a registered, Enabled app and no permission set.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use custos_guard::Principal;
use http::Method;
use uuid::Uuid;

use percent_encoding::percent_decode_str;

use super::api::{ApiEntity, addressed_entity};
use super::apps::permission_sets::{self, Access, ObjectGroup};
use super::apps::{Applications, CallerAccess, ClientId};
use super::automation::{self, path::Resource};
use super::entities::codec::format_guid;
use super::error::{BcError, UserRule};
use super::state::BcState;

/// The app role API v2.0 requires.
pub(crate) const API_ROLE: &str = "API.ReadWrite.All";
/// The app role the Automation API requires.
pub(crate) const AUTOMATION_ROLE: &str = "Automation.ReadWrite.All";

/// Who an admitted request comes from, as handlers need it (in the request's extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The app's user (`userSecurityId`).
    pub(crate) user_security_id: String,
    /// The role ids of the permission sets that apply to the request (unscoped ones and those limited to
    /// the path's company).
    pub(crate) roles: Vec<String>,
}

impl Caller {
    /// Whether the permission set `role_id` applies to the request.
    pub(crate) fn holds(&self, role_id: &str) -> bool {
        self.roles.iter().any(|role| role == role_id)
    }
}

/// Which of the sample's APIs a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiFamily {
    /// `/v2.0/[{tenant}/]{environment}/api/v2.0/...`.
    Api,
    /// `/v2.0/[{tenant}/]{environment}/api/microsoft/automation/v2.0/...`.
    Automation,
}

impl ApiFamily {
    fn role(self) -> &'static str {
        match self {
            Self::Api => API_ROLE,
            Self::Automation => AUTOMATION_ROLE,
        }
    }

    fn group(self) -> ObjectGroup {
        match self {
            Self::Api => ObjectGroup::Business,
            Self::Automation => ObjectGroup::Automation,
        }
    }
}

/// A BC table as its permission errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TableObject {
    id: u32,
    caption: &'static str,
    extension: &'static str,
}

const COMPANY: TableObject = TableObject { id: 2_000_000_006, caption: "Company", extension: "System" };

fn api_object(entity: ApiEntity) -> TableObject {
    match entity {
        ApiEntity::Companies => COMPANY,
        ApiEntity::Customers => TableObject { id: 18, caption: "Customer", extension: "Base Application" },
        ApiEntity::Items => TableObject { id: 27, caption: "Item", extension: "Base Application" },
        ApiEntity::Vendors => TableObject { id: 23, caption: "Vendor", extension: "Base Application" },
    }
}

fn automation_object(resource: Resource) -> TableObject {
    match resource.segment() {
        "users" => TableObject { id: 2_000_000_120, caption: "User", extension: "System" },
        "userPermissions" => {
            TableObject { id: 2_000_000_053, caption: "Access Control", extension: "System" }
        }
        "permissionSets" => {
            TableObject { id: 2_000_000_167, caption: "Aggregate Permission Set", extension: "System" }
        }
        _ => COMPANY,
    }
}

/// What a request addresses, as far as authorization cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    family: ApiFamily,
    /// The table behind the addressed entity set; `None` for `$metadata` and paths that are no resource.
    object: Option<TableObject>,
    /// The company whose data the request reads or changes, if the path names one (the key of
    /// `companies({id})`, or of `automationCompanies({id})` below it).
    company_id: Option<Uuid>,
    /// The user the path addresses: `users({id})` and its `userPermissions` (Automation API).
    user: Option<Uuid>,
}

/// The family of a raw (not yet decoded) path and the part after the API's version segment. The
/// routers match the raw path, so `%2F` inside the tenant or environment segment is part of that
/// segment; classifying a decoded path instead would disagree with the dispatchers.
pub(crate) fn family(path: &str) -> Option<(ApiFamily, &str)> {
    let rest = path.strip_prefix("/v2.0/")?;
    // `{environment}/api/...` or `{tenant}/{environment}/api/...`, non-empty prefix segments.
    for prefix_len in 1..=2 {
        let mut parts = rest.splitn(prefix_len + 1, '/');
        if parts.by_ref().take(prefix_len).any(str::is_empty) {
            continue;
        }
        let Some(after) = parts.next() else { continue };
        if let Some(resources) = after.strip_prefix("api/v2.0").filter(|r| r.is_empty() || r.starts_with('/'))
        {
            return Some((ApiFamily::Api, resources.trim_start_matches('/')));
        }
        if let Some(resources) =
            after.strip_prefix("api/microsoft/automation/v2.0").filter(|r| r.is_empty() || r.starts_with('/'))
        {
            return Some((ApiFamily::Automation, resources.strip_prefix('/').unwrap_or(resources)));
        }
    }
    None
}

/// The company key in an API v2.0 path (`companies(<guid>)`), if any.
fn company_in(resources: &str) -> Option<Uuid> {
    let key = resources.strip_prefix("companies(")?.split_once(')')?.0;
    Uuid::try_parse(key.strip_prefix("id=").unwrap_or(key)).ok()
}

/// Classifies a raw request path as the dispatchers do: the API prefix is matched on the raw path,
/// only the resource part below it is percent-decoded. `None` outside both APIs.
pub(crate) fn target(path: &str) -> Option<Target> {
    let (family, raw_resources) = family(path)?;
    let Ok(resources) = percent_decode_str(raw_resources).decode_utf8() else {
        return Some(Target { family, object: None, company_id: None, user: None });
    };
    Some(match family {
        ApiFamily::Api => Target {
            family,
            object: addressed_entity(path).map(api_object),
            company_id: company_in(&resources),
            user: None,
        },
        ApiFamily::Automation => match automation::path::parse(&resources) {
            Ok(resource) => {
                let company_id = resource.affected_company();
                let user = resource.user();
                Target { family, object: Some(automation_object(resource)), company_id, user }
            }
            Err(_) => Target { family, object: None, company_id: None, user: None },
        },
    })
}

/// BC's permission type for a method, and whether it reads or writes.
fn permission_of(method: &Method) -> (&'static str, Access) {
    match *method {
        Method::POST => ("Insert", Access::Write),
        Method::PATCH | Method::PUT => ("Modify", Access::Write),
        Method::DELETE => ("Delete", Access::Write),
        _ => ("Read", Access::Read),
    }
}

/// The middleware: see the module documentation for the rules and their order.
pub(crate) async fn authorize(State(state): State<BcState>, mut request: Request, next: Next) -> Response {
    let principal = request.extensions().get::<Principal>().cloned();
    let decision = check(&state, principal, request.uri().path(), request.method()).await;
    match decision {
        Ok(caller) => {
            request.extensions_mut().insert(caller);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

async fn check(
    state: &BcState,
    principal: Option<Principal>,
    path: &str,
    method: &Method,
) -> Result<Caller, BcError> {
    let Some(principal) = principal else {
        tracing::warn!("business central sample: request reached authorization without a guard principal");
        return Err(BcError::InvalidCredentials);
    };
    let client = principal.client_app_id.to_string();
    let target = target(path);
    if let Some(target) = &target {
        let role = target.family.role();
        if !principal.has_role(role) {
            tracing::info!(client_id = %client, role, "refused: the token lacks the API's app role");
            return Err(BcError::InvalidCredentials);
        }
    }
    let id: ClientId = principal.client_app_id.as_uuid().into();
    let access = Applications::new(state.db.pool(), state.clock.as_ref()).caller_access(id).await?;
    let Some(access) = access.filter(|a| a.state == super::apps::AppState::Enabled) else {
        tracing::info!(client_id = %client, "refused: not an Enabled Microsoft Entra application");
        return Err(BcError::InvalidCredentials);
    };
    let roles = applicable_roles(state, &access, target.as_ref().and_then(|t| t.company_id)).await?;
    let caller = Caller { user_security_id: access.user_security_id, roles };
    let Some(Target { family, object: Some(object), user, .. }) = target else { return Ok(caller) };
    let (permission, needed) = permission_of(method);
    if !permission_sets::any_allows(caller.roles.iter().map(String::as_str), family.group(), needed) {
        tracing::info!(client_id = %client, table = object.caption, permission, "refused by permission sets");
        return Err(BcError::InsufficientPermissions {
            object: format!("TableData {} {}", object.id, object.caption),
            permission,
            extension: object.extension,
        });
    }
    if needed == Access::Write && user.is_some_and(|u| format_guid(u) == caller.user_security_id) {
        let table = object.caption;
        tracing::info!(client_id = %client, table, permission, "refused: a change to its own user");
        return Err(BcError::UserChangeRefused(UserRule::OwnUser));
    }
    Ok(caller)
}

/// The role ids that apply: assignments for every company, plus those limited to the company of the path.
async fn applicable_roles(
    state: &BcState,
    access: &CallerAccess,
    company_id: Option<Uuid>,
) -> Result<Vec<String>, BcError> {
    let scoped = access.assignments.iter().any(|(_, company)| !company.is_empty());
    let company_name = match company_id {
        Some(id) if scoped => sqlx::query_scalar::<_, String>("SELECT name FROM companies WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(state.db.pool())
            .await?
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(access
        .assignments
        .iter()
        .filter(|(_, company)| company.is_empty() || (!company_name.is_empty() && *company == company_name))
        .map(|(role, _)| role.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: &str = "6f7a1c8e-0000-4000-8000-000000000001";

    #[test]
    fn paths_are_classified_by_family_object_and_company() {
        let t = target(&format!("/v2.0/production/api/v2.0/companies({C})/customers")).unwrap();
        assert_eq!(t.family, ApiFamily::Api);
        assert_eq!(t.object.unwrap().caption, "Customer");
        assert_eq!(t.company_id.unwrap().to_string(), C);

        let t = target(&format!("/v2.0/{C}/sandbox/api/v2.0/companies")).unwrap();
        assert_eq!((t.family, t.object.unwrap().id, t.company_id), (ApiFamily::Api, 2_000_000_006, None));

        let t = target(&format!(
            "/v2.0/production/api/microsoft/automation/v2.0/companies({C})/users({C})/userPermissions"
        ))
        .unwrap();
        assert_eq!(t.family, ApiFamily::Automation);
        assert_eq!(t.object.unwrap().caption, "Access Control");

        // Renaming or deleting another company is checked against that company, not the entry point.
        const OTHER: &str = "6f7a1c8e-0000-4000-8000-000000000002";
        let t = target(&format!(
            "/v2.0/production/api/microsoft/automation/v2.0/companies({C})/automationCompanies({OTHER})"
        ))
        .unwrap();
        assert_eq!(t.company_id.unwrap().to_string(), OTHER);

        let t = target("/v2.0/production/api/v2.0/$metadata").unwrap();
        assert_eq!(t.object, None);

        for outside in
            ["/", "/v2.0/production/odata/x", "/v2.0/a/b/c/api/v2.0/companies", "/api/v2.0/companies"]
        {
            assert_eq!(target(outside), None, "{outside}");
        }
    }

    #[test]
    fn methods_map_to_bc_permission_types() {
        assert_eq!(permission_of(&Method::GET), ("Read", Access::Read));
        assert_eq!(permission_of(&Method::POST), ("Insert", Access::Write));
        assert_eq!(permission_of(&Method::PATCH), ("Modify", Access::Write));
        assert_eq!(permission_of(&Method::DELETE), ("Delete", Access::Write));
    }
}
