//! What the directory's writes record (`custos_core::audit`): who made a Graph or admin call
//! ([`context`]: the caller's service principal or signed-in user, the client's address from the
//! connection, the `client-request-id` as correlation id) and, per kind of object, the audit
//! target with its modified properties in Graph's encoding. Handlers build a record with these
//! and hand it to the store method that makes the change, which commits both together.
//!
//! Attribute values come from the objects themselves and never carry a secret: a new secret
//! is described by the store from its `keyId`, display name and hint
//! ([`custos_core::audit::credential_properties`]); a password change of a user only by name.

use crate::DirectoryState;
use crate::auth::Caller;
use custos_core::audit::{
    Activity, AuditContext, AuditTarget, DirectoryAudit, Initiator, ModifiedProperty, TargetType,
};
use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal};
use custos_core::users::{DIRECTORY_ROLES, DirectoryRoleAssignment, User};
use custos_store::Store;
use serde_json::{Value, json};
use std::net::IpAddr;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Where a request came from: the client's address and the correlation id of its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestOrigin {
    /// The client's IP address (the connection's peer), when known.
    pub ip: Option<IpAddr>,
    /// The request's `client-request-id` when it was a GUID; else one made for the request.
    pub correlation_id: Uuid,
}

impl RequestOrigin {
    /// The origin of a request with this peer address and `client-request-id` header value.
    pub fn new(ip: Option<IpAddr>, client_request_id: Option<&str>) -> Self {
        let correlation_id =
            client_request_id.and_then(|id| Uuid::try_parse(id.trim()).ok()).unwrap_or_else(Uuid::new_v4);
        Self { ip, correlation_id }
    }
}

/// The audit context of `caller`'s request: an app initiator named after its service principal
/// (app-only tokens) or a user initiator with the user's principal name (delegated tokens).
pub(crate) async fn context(state: &DirectoryState, caller: &Caller) -> AuditContext {
    let ip = caller.origin.ip;
    let initiator = if caller.scopes.is_some() {
        let upn = match state.store.user(caller.tenant_id, caller.object_id).await {
            Ok(user) => user.map(|u| u.user_principal_name),
            Err(_) => None,
        };
        Initiator::User { id: caller.object_id, upn, ip }
    } else {
        let display_name = match state.store.service_principal(caller.tenant_id, caller.object_id).await {
            Ok(sp) => sp.map(|sp| sp.display_name),
            Err(_) => None,
        };
        Initiator::App { app_id: caller.app_id, display_name, service_principal_id: caller.object_id, ip }
    };
    AuditContext { initiator, correlation_id: caller.origin.correlation_id, now: state.clock.now() }
}

/// The attributes of an application audits compare, in order.
fn application_attributes(app: &Application) -> Vec<(&'static str, Value)> {
    vec![
        ("AppId", json!(app.app_id)),
        ("DisplayName", json!(app.display_name)),
        ("Description", json!(app.description)),
        ("AvailableToOtherTenants", json!(app.is_multi_tenant())),
        ("IdentifierUris", json!(app.identifier_uris)),
        ("AppRoles", json!(app.app_roles.iter().map(|r| &r.value).collect::<Vec<_>>())),
        ("RequestedAccessTokenVersion", json!(app.requested_access_token_version)),
        // custos extension: unset (null) at the RS256 default, so Entra-shaped audits are unchanged.
        (
            "AccessTokenSigningAlgorithm",
            json!(crate::shapes::custos_extension(app).map(|_| app.access_token_signing_algorithm.as_str())),
        ),
        ("AppAddress", json!(app.redirect_uris)),
        ("RequiredResourceAccess", json!(app.required_resource_access)),
        (
            "Oauth2PermissionScopes",
            json!(app.oauth2_permission_scopes.iter().map(|s| &s.value).collect::<Vec<_>>()),
        ),
    ]
}

/// Attribute properties for every attribute that differs between `before` and `after` (all
/// set ones when `before` is `None`), then `Included Updated Properties`.
fn attribute_changes(
    before: Option<Vec<(&'static str, Value)>>,
    after: Vec<(&'static str, Value)>,
) -> Vec<ModifiedProperty> {
    let mut changed = Vec::new();
    for (position, (name, new)) in after.into_iter().enumerate() {
        let old = before.as_ref().map(|b| b[position].1.clone());
        let unset = |v: &Value| v.is_null() || v.as_array().is_some_and(Vec::is_empty);
        let differs = match &old {
            Some(old) => *old != new,
            None => !unset(&new),
        };
        if differs {
            changed.push(ModifiedProperty::attribute(name, old, Some(new)));
        }
    }
    let names: Vec<&str> = changed.iter().map(|p| p.display_name.as_str()).collect();
    if !names.is_empty() {
        let included = ModifiedProperty::included(&names);
        changed.push(included);
    }
    changed
}

/// An application as a target, without properties.
pub(crate) fn application(app: &Application) -> AuditTarget {
    AuditTarget::new(TargetType::Application, app.id, Some(&app.display_name))
}

/// A new application with the attributes it was created with.
pub(crate) fn application_added(app: &Application) -> AuditTarget {
    application(app).with(attribute_changes(None, application_attributes(app)))
}

/// An application whose descriptive attributes changed from `before`.
pub(crate) fn application_updated(before: &Application, after: &Application) -> AuditTarget {
    application(after)
        .with(attribute_changes(Some(application_attributes(before)), application_attributes(after)))
}

fn service_principal_attributes(sp: &ServicePrincipal) -> Vec<(&'static str, Value)> {
    vec![
        ("AccountEnabled", json!(sp.account_enabled)),
        ("AppPrincipalId", json!(sp.app_id)),
        ("DisplayName", json!(sp.display_name)),
        ("ServicePrincipalName", json!([sp.app_id])),
        ("AppRoleAssignmentRequired", json!(sp.app_role_assignment_required)),
        ("ServicePrincipalType", json!(sp.service_principal_type.as_str())),
    ]
}

/// A service principal as a target, without properties.
pub(crate) fn service_principal(sp: &ServicePrincipal) -> AuditTarget {
    AuditTarget::new(TargetType::ServicePrincipal, sp.id, Some(&sp.display_name))
}

/// A new service principal with its attributes.
pub(crate) fn service_principal_added(sp: &ServicePrincipal) -> AuditTarget {
    service_principal(sp).with(attribute_changes(None, service_principal_attributes(sp)))
}

/// A service principal whose attributes changed from `before`.
pub(crate) fn service_principal_updated(before: &ServicePrincipal, after: &ServicePrincipal) -> AuditTarget {
    service_principal(after).with(attribute_changes(
        Some(service_principal_attributes(before)),
        service_principal_attributes(after),
    ))
}

fn rfc3339(time: time::OffsetDateTime) -> String {
    time.format(&Rfc3339).unwrap_or_default()
}

/// An app role assignment, added (`removed = false`) or removed: the target is the **resource**
/// service principal, the grantee named in `ServicePrincipal.*` (Entra's order, which consumers
/// read by position: `AppRole.Id`, `AppRole.Value`, `AppRole.DisplayName` first).
pub(crate) async fn assignment(
    store: &dyn Store,
    assignment: &AppRoleAssignment,
    principal: &ServicePrincipal,
    resource: &ServicePrincipal,
    removed: bool,
) -> AuditTarget {
    let role = match crate::resolve::application_of(store, resource).await {
        Ok(Some(app)) => app.role_by_id(assignment.app_role_id).cloned(),
        _ => None,
    };
    let value = role.as_ref().and_then(|r| r.value.clone()).unwrap_or_default();
    let role_name = role.as_ref().and_then(|r| r.display_name.clone()).unwrap_or_default();
    let created = rfc3339(assignment.created);
    let properties = [
        ("AppRole.Id", assignment.app_role_id.to_string()),
        ("AppRole.Value", value),
        ("AppRole.DisplayName", role_name),
        ("AppRoleAssignment.CreatedDateTime", created.clone()),
        ("AppRoleAssignment.LastModifiedDateTime", created),
        ("ServicePrincipal.ObjectID", principal.id.to_string()),
        ("ServicePrincipal.DisplayName", principal.display_name.clone()),
        ("ServicePrincipal.AppId", principal.app_id.to_string()),
        ("ServicePrincipal.Name", principal.display_name.clone()),
        ("TargetId.ServicePrincipalNames", resource.app_id.to_string()),
    ];
    service_principal(resource).with(properties.into_iter().map(|(name, value)| {
        if removed { ModifiedProperty::unlinked(name, value) } else { ModifiedProperty::link(name, value) }
    }))
}

/// A delegated permission grant, added, changed or removed: the target is the resource service
/// principal; `old_scope` is the scope before an update or removal.
pub(crate) fn permission_grant(
    grant: &OAuth2PermissionGrant,
    resource: Option<&ServicePrincipal>,
    old_scope: Option<&str>,
    new_scope: Option<&str>,
) -> AuditTarget {
    let quoted = |s: &str| Value::String(format!(" {s}")).to_string();
    let mut target = match resource {
        Some(resource) => service_principal(resource),
        None => AuditTarget::new(TargetType::ServicePrincipal, grant.resource_id, None),
    };
    target.modified_properties = vec![
        ModifiedProperty {
            display_name: "DelegatedPermissionGrant.Scope".to_owned(),
            old_value: old_scope.map(quoted),
            new_value: new_scope.map(quoted),
        },
        ModifiedProperty::link("DelegatedPermissionGrant.ConsentType", grant.consent_type.as_str()),
        ModifiedProperty::link("DelegatedPermissionGrant.ObjectID", &grant.id),
        ModifiedProperty::link("ServicePrincipal.ObjectID", grant.client_id.to_string()),
    ];
    if let Some(user) = grant.principal_id {
        target.modified_properties.push(ModifiedProperty::link("User.ObjectID", user.to_string()));
    }
    target
}

fn user_attributes(user: &User) -> Vec<(&'static str, Value)> {
    vec![
        ("AccountEnabled", json!(user.account_enabled)),
        ("DisplayName", json!(user.display_name)),
        ("UserPrincipalName", json!(user.user_principal_name)),
        ("GivenName", json!(user.given_name)),
        ("Surname", json!(user.surname)),
        ("MailNickname", json!(user.mail_nickname)),
    ]
}

/// A user as a target, without properties.
pub(crate) fn user(user: &User) -> AuditTarget {
    AuditTarget::user(user.id, &user.display_name, &user.user_principal_name)
}

/// A new user with the attributes it was created with (never its password).
pub(crate) fn user_added(new: &User) -> AuditTarget {
    user(new).with(attribute_changes(None, user_attributes(new)))
}

/// A user whose attributes changed from `before`; `password_changed` lists `PasswordProfile`
/// among the updated properties, without any value.
pub(crate) fn user_updated(before: &User, after: &User, password_changed: bool) -> AuditTarget {
    let mut properties = attribute_changes(Some(user_attributes(before)), user_attributes(after));
    if password_changed {
        let mut names: Vec<&str> = properties
            .iter()
            .filter(|p| p.display_name != "Included Updated Properties")
            .map(|p| p.display_name.as_str())
            .collect();
        names.push("PasswordProfile");
        let included = ModifiedProperty::included(&names);
        properties.retain(|p| p.display_name != "Included Updated Properties");
        properties.push(included);
    }
    properties.push(ModifiedProperty::link("TargetId.UserType", "Member"));
    user(after).with(properties)
}

/// A directory role assignment, added or removed: the principal (a user) with `Role.*`, then
/// the role itself.
pub(crate) fn directory_role(
    assignment: &DirectoryRoleAssignment,
    principal: Option<&User>,
) -> Vec<AuditTarget> {
    let role = assignment.role_definition_id.to_string();
    let name = DIRECTORY_ROLES
        .iter()
        .find(|(id, _)| *id == assignment.role_definition_id)
        .map_or("", |(_, name)| name);
    let properties = [
        ModifiedProperty::link("Role.ObjectID", &role),
        ModifiedProperty::link("Role.DisplayName", name),
        ModifiedProperty::link("Role.TemplateId", &role),
        ModifiedProperty::link("TargetId.UserType", "Member"),
    ];
    let principal = match principal {
        Some(u) => user(u),
        None => AuditTarget::new(TargetType::User, assignment.principal_id, None),
    };
    vec![principal.with(properties), AuditTarget::new(TargetType::Role, &role, None)]
}

/// The record of a credential change of `app` by `caller` (secrets and certificates: Entra's
/// certificates-and-secrets activity; federated identity credentials: `Update application`).
/// The store adds the old and new credential lists.
pub(crate) async fn credentials(
    state: &DirectoryState,
    caller: &Caller,
    app: &Application,
    activity: Activity,
) -> DirectoryAudit {
    context(state, caller).await.record(app.tenant_id, activity, application(app))
}

/// A tenant's settings (its authorization policy) changed from `before` to `after`: one
/// attribute per setting that differs, by its admin API name.
pub(crate) fn settings_updated(
    tenant: custos_core::TenantId,
    before: &custos_core::settings::TenantSettings,
    after: &custos_core::settings::TenantSettings,
) -> AuditTarget {
    let as_object = |settings: &custos_core::settings::TenantSettings| match serde_json::to_value(settings) {
        Ok(Value::Object(members)) => members,
        _ => serde_json::Map::new(),
    };
    let (old, new) = (as_object(before), as_object(after));
    let mut properties: Vec<ModifiedProperty> = new
        .iter()
        .filter(|(name, value)| old.get(*name) != Some(*value))
        .map(|(name, value)| ModifiedProperty::attribute(name, old.get(name).cloned(), Some(value.clone())))
        .collect();
    let names: Vec<&str> = properties.iter().map(|p| p.display_name.as_str()).collect();
    if !names.is_empty() {
        let included = ModifiedProperty::included(&names);
        properties.push(included);
    }
    AuditTarget::new(TargetType::Policy, tenant, Some("Authorization Policy")).with(properties)
}
