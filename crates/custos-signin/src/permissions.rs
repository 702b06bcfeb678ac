//! What a sign-in asks consent for, resolved in the user's tenant (`entra-user-flows.md` §1.4,
//! §2.1, §2.4): for v2 individual scopes, exactly those delegated permissions; for
//! `{resource}/.default` and for v1, the client's static `requiredResourceAccess` (delegated,
//! plus application permissions when an administrator consents for the tenant). OIDC scopes
//! need no consent. A resource missing from the tenant is AADSTS500011, a permission it does not
//! expose AADSTS650053 (both redirected).

use crate::scopes::{ScopeItem, ScopeSet};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::aadsts::{SignInError, TokenError};
use custos_core::consent::{AccessType, ConsentType, PermissionScope, ScopeConsent};
use custos_core::ids::{AppId, GRAPH_APP_ID, ObjectId};
use custos_core::model::{AppRole, Application, ServicePrincipal};
use custos_directory::provision::CUSTOS_ADMIN_ROLE_ID;
use custos_store::{Needs, TenantSnapshot};

/// What is asked of one resource.
#[derive(Debug, Clone)]
pub(crate) struct ResourceAsk<'a> {
    /// The resource application in the user's tenant.
    pub(crate) app: &'a Application,
    /// Its service principal there.
    pub(crate) sp: &'a ServicePrincipal,
    /// Delegated permissions.
    pub(crate) scopes: Vec<&'a PermissionScope>,
    /// Application permissions (only when an administrator consents for the tenant).
    pub(crate) roles: Vec<&'a AppRole>,
}

/// Everything a sign-in asks for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Plan<'a> {
    pub(crate) asks: Vec<ResourceAsk<'a>>,
}

/// What the request wants.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Wanted<'r> {
    /// v2 scopes (authorize or `/v2.0/adminconsent`).
    Scopes(&'r ScopeSet),
    /// v1: the static `requiredResourceAccess`; `resource` must exist when named.
    Static { resource: Option<&'r str> },
}

impl<'a> Plan<'a> {
    /// Resolves what `client` wants in `snapshot` (the user's tenant). `roles` includes
    /// application permissions of the static requirements.
    pub(crate) fn build(
        client: &Application,
        snapshot: &'a TenantSnapshot,
        at: Where<'_>,
        wanted: Wanted<'_>,
        roles: bool,
    ) -> Result<Self, TokenError> {
        let mut plan = Self::default();
        match wanted {
            Wanted::Static { resource } => {
                if let Some(resource) = resource {
                    find_resource(snapshot, resource, at)?;
                }
                for required in &client.required_resource_access {
                    plan.add_static(snapshot, client, required.resource_app_id, roles);
                }
            }
            Wanted::Scopes(set) => {
                for item in &set.items {
                    match item {
                        ScopeItem::Oidc(_) => {}
                        ScopeItem::Default { resource } => {
                            let (app, _) = find_resource(snapshot, resource, at)?;
                            plan.add_static(snapshot, client, app.app_id, roles);
                        }
                        ScopeItem::Permission { resource, value } => {
                            let (app, sp) = find_resource(snapshot, resource, at)?;
                            let scope =
                                app.scope_by_value(value).ok_or_else(|| SignInError::UnknownScope {
                                    app_name: client.display_name.clone(),
                                    scope: value.clone(),
                                    resource_app_id: app.app_id.to_string(),
                                })?;
                            plan.ask(app, sp).scopes.push(scope);
                        }
                    }
                }
            }
        }
        for ask in &mut plan.asks {
            ask.scopes.sort_by_key(|s| s.id);
            ask.scopes.dedup_by_key(|s| s.id);
            ask.roles.sort_by_key(|r| r.id);
            ask.roles.dedup_by_key(|r| r.id);
        }
        Ok(plan)
    }

    fn ask(&mut self, app: &'a Application, sp: &'a ServicePrincipal) -> &mut ResourceAsk<'a> {
        let index = match self.asks.iter().position(|a| a.app.app_id == app.app_id) {
            Some(index) => index,
            None => {
                self.asks.push(ResourceAsk { app, sp, scopes: Vec::new(), roles: Vec::new() });
                self.asks.len() - 1
            }
        };
        &mut self.asks[index]
    }

    /// Adds the client's static requirements on `resource` (skipped when the resource is not in
    /// the tenant: the requirement cannot be granted there).
    fn add_static(
        &mut self,
        snapshot: &'a TenantSnapshot,
        client: &Application,
        resource: AppId,
        roles: bool,
    ) {
        let (Some(app), Some(sp)) = (snapshot.application(resource), snapshot.service_principal(resource))
        else {
            return;
        };
        let access = client.required_resource_access.iter().filter(|r| r.resource_app_id == resource);
        let entries: Vec<_> = access.flat_map(|r| r.resource_access.iter().copied()).collect();
        let ask = self.ask(app, sp);
        for entry in entries {
            match entry.kind {
                AccessType::Scope => {
                    if let Some(scope) =
                        app.oauth2_permission_scopes.iter().find(|s| s.id == entry.id && s.is_enabled)
                    {
                        ask.scopes.push(scope);
                    }
                }
                // `Custos.Admin` is never granted by consent (custos_directory::consent).
                AccessType::Role if roles && entry.id != CUSTOS_ADMIN_ROLE_ID => {
                    if let Some(role) = app.app_roles.iter().find(|r| r.id == entry.id && r.is_enabled) {
                        ask.roles.push(role);
                    }
                }
                AccessType::Role => {}
            }
        }
    }

    /// A digest of what is asked and how (`tenant_wide`): the consent page carries it, and Accept
    /// counts only when the plan is still the one shown.
    pub(crate) fn digest(&self, tenant_wide: bool) -> String {
        let mut text = String::from(if tenant_wide { "tenant" } else { "user" });
        for ask in &self.asks {
            text.push_str(&format!("|{}", ask.app.app_id));
            for scope in &ask.scopes {
                text.push_str(&format!(" s:{}", scope.id));
            }
            for role in &ask.roles {
                text.push_str(&format!(" r:{}", role.id));
            }
        }
        URL_SAFE_NO_PAD.encode(custos_jose::hash::sha256(text.as_bytes()))
    }

    /// Drops application permissions (a user who may not grant them consents to the rest).
    pub(crate) fn without_roles(mut self) -> Self {
        for ask in &mut self.asks {
            ask.roles.clear();
        }
        self
    }

    /// Whether anything asked needs an administrator (an `Admin` scope or an app role).
    pub(crate) fn needs_admin(&self) -> bool {
        self.asks
            .iter()
            .any(|a| !a.roles.is_empty() || a.scopes.iter().any(|s| s.consent == ScopeConsent::Admin))
    }

    /// Whether app roles of the directory API (Graph) are asked: Cloud and Application
    /// Administrators may not grant those.
    pub(crate) fn has_graph_roles(&self) -> bool {
        self.asks.iter().any(|a| a.app.app_id == GRAPH_APP_ID && !a.roles.is_empty())
    }

    /// Whether everything asked is already granted to `client` for `user` (tenant-wide when
    /// `tenant_wide`).
    pub(crate) fn is_granted(
        &self,
        snapshot: &TenantSnapshot,
        client: AppId,
        user: ObjectId,
        tenant_wide: bool,
    ) -> bool {
        let Some(client_sp) = snapshot.service_principal(client) else { return false };
        self.asks.iter().all(|ask| {
            let grants = snapshot.grants(client_sp.id, ask.sp.id);
            let granted = |value: &str| {
                grants
                    .iter()
                    .filter(|g| {
                        g.covers(user) && (!tenant_wide || g.consent_type == ConsentType::AllPrincipals)
                    })
                    .any(|g| g.scopes().any(|s| s == value))
            };
            let assigned = snapshot.assigned_role_ids(client_sp.id, ask.sp.id);
            ask.scopes.iter().all(|s| granted(&s.value)) && ask.roles.iter().all(|r| assigned.contains(&r.id))
        })
    }
}

/// What [`Plan::build`] and [`Plan::is_granted`] read of the user's tenant for `client` and
/// `wanted`: the client, every resource the request names and every resource of the client's
/// static requirements (a slice of a large tenant, [`custos_store::Directory::snapshot_for`]).
pub(crate) fn needs(client: &Application, wanted: Wanted<'_>, public_url: &str) -> Needs {
    let mut resources: Vec<String> = Vec::new();
    let mut named = |resource: &str| {
        let resource = custos_core::resource_alias::canonical(public_url, resource.to_owned());
        resources.push(resource);
    };
    match wanted {
        Wanted::Static { resource } => resource.into_iter().for_each(&mut named),
        Wanted::Scopes(set) => {
            for item in &set.items {
                match item {
                    ScopeItem::Oidc(_) => {}
                    ScopeItem::Default { resource } | ScopeItem::Permission { resource, .. } => {
                        named(resource.as_str());
                    }
                }
            }
        }
    }
    resources.extend(client.required_resource_access.iter().map(|r| r.resource_app_id.to_string()));
    resources.sort_unstable();
    resources.dedup();
    Needs { client: Some(client.app_id), principal: None, resources }
}

/// Where a plan is made: the user's tenant (its name for errors) on the server at `public_url`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Where<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) public_url: &'a str,
}

/// The resource application a scope names (the server's own origin names the directory API,
/// as at the token endpoint).
fn find_resource<'a>(
    snapshot: &'a TenantSnapshot,
    resource: &str,
    at: Where<'_>,
) -> Result<(&'a Application, &'a ServicePrincipal), TokenError> {
    let named = if custos_core::resource_alias::is_alias(at.public_url, resource) {
        custos_core::ids::GRAPH_IDENTIFIER_URI
    } else {
        resource
    };
    let app = match named.parse::<AppId>() {
        Ok(app_id) => snapshot.application(app_id),
        Err(_) => snapshot.application_by_identifier(named),
    };
    app.and_then(|app| snapshot.service_principal(app.app_id).map(|sp| (app, sp))).ok_or_else(|| {
        TokenError::UnknownResource { resource: resource.to_owned(), tenant: at.tenant_name.to_owned() }
    })
}
