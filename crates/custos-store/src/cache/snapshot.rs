//! [`TenantSnapshot`]: an immutable, hash-indexed view of one tenant's applications, service
//! principals, role assignments and delegated permission grants, built once per cache fill and
//! shared by every token request: all of them, or for a large tenant a slice holding those one
//! request names ([`super::Needs`]).

use custos_core::consent::OAuth2PermissionGrant;
use custos_core::model::{AppRoleAssignment, Application, ServicePrincipal, Tenant};
use custos_core::settings::TenantSettings;
use custos_core::{AppId, ObjectId};
use std::collections::HashMap;
use uuid::Uuid;

/// Everything the token path needs about one tenant (or a slice of it: then every lookup of an
/// object its [`super::Needs`] names answers as the whole tenant's would). Every lookup is a hash
/// lookup.
#[derive(Debug)]
pub struct TenantSnapshot {
    /// The tenant itself.
    pub tenant: Tenant,
    /// The tenant's settings (defaults when none were stored).
    pub settings: TenantSettings,
    applications: HashMap<AppId, Application>,
    /// Identifier URI, exactly as registered -> application.
    by_uri: HashMap<String, AppId>,
    /// Identifier URIs registered with a trailing `/`, keyed without it -> application.
    by_uri_without_slash: HashMap<String, AppId>,
    service_principals: HashMap<ObjectId, ServicePrincipal>,
    sp_by_app_id: HashMap<AppId, ObjectId>,
    roles: HashMap<(ObjectId, ObjectId), Vec<Uuid>>,
    /// (client service principal, resource service principal) -> delegated grants.
    grants: HashMap<(ObjectId, ObjectId), Vec<OAuth2PermissionGrant>>,
}

impl TenantSnapshot {
    /// Indexes the objects of `tenant` (as listed by the store, oldest first).
    pub(crate) fn build(
        tenant: Tenant,
        applications: Vec<Application>,
        service_principals: Vec<ServicePrincipal>,
        assignments: Vec<AppRoleAssignment>,
    ) -> Self {
        let mut by_uri = HashMap::new();
        let mut by_uri_without_slash = HashMap::new();
        for app in &applications {
            for uri in &app.identifier_uris {
                // The store keeps URIs unique per tenant; on any overlap the oldest app wins.
                by_uri.entry(uri.clone()).or_insert(app.app_id);
                if let Some(trimmed) = uri.strip_suffix('/') {
                    by_uri_without_slash.entry(trimmed.to_owned()).or_insert(app.app_id);
                }
            }
        }
        let sp_by_app_id = service_principals.iter().map(|sp| (sp.app_id, sp.id)).collect();
        let mut roles: HashMap<(ObjectId, ObjectId), Vec<Uuid>> = HashMap::new();
        for a in assignments {
            roles.entry((a.principal_id, a.resource_id)).or_default().push(a.app_role_id);
        }
        Self {
            tenant,
            settings: TenantSettings::default(),
            applications: applications.into_iter().map(|a| (a.app_id, a)).collect(),
            by_uri,
            by_uri_without_slash,
            service_principals: service_principals.into_iter().map(|sp| (sp.id, sp)).collect(),
            sp_by_app_id,
            roles,
            grants: HashMap::new(),
        }
    }

    /// Indexes the tenant's delegated permission grants.
    pub(crate) fn index_grants(&mut self, grants: Vec<OAuth2PermissionGrant>) {
        for grant in grants {
            self.grants.entry((grant.client_id, grant.resource_id)).or_default().push(grant);
        }
    }

    /// How many applications and service principals the snapshot holds.
    pub(crate) fn object_count(&self) -> u64 {
        (self.applications.len() + self.service_principals.len()) as u64
    }

    /// The delegated grants of `client` on `resource` (service principal ids), oldest first.
    pub fn grants(&self, client: ObjectId, resource: ObjectId) -> &[OAuth2PermissionGrant] {
        self.grants.get(&(client, resource)).map_or(&[], Vec::as_slice)
    }

    /// The permission values `user` may use through `client` on `resource`: the union of the
    /// tenant-wide (admin) grant and the user's own, in grant order, without duplicates.
    pub fn delegated_scopes(&self, client: ObjectId, resource: ObjectId, user: ObjectId) -> Vec<&str> {
        let mut scopes: Vec<&str> = Vec::new();
        for grant in self.grants(client, resource).iter().filter(|g| g.covers(user)) {
            for scope in grant.scopes() {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
        }
        scopes
    }

    /// The application with this client id.
    pub fn application(&self, app_id: AppId) -> Option<&Application> {
        self.applications.get(&app_id)
    }

    /// Resource lookup as Entra does it: an identifier URI exactly, the same URI with or
    /// without one trailing slash, or the appId GUID string (canonical form, any case).
    /// URIs compare case-sensitively; an exact match wins over a slash variant.
    pub fn application_by_identifier(&self, identifier: &str) -> Option<&Application> {
        let app_id = self
            .by_uri
            .get(identifier)
            .copied()
            .or_else(|| identifier.parse::<AppId>().ok().filter(|id| self.applications.contains_key(id)))
            .or_else(|| identifier.strip_suffix('/').and_then(|trimmed| self.by_uri.get(trimmed).copied()))
            .or_else(|| self.by_uri_without_slash.get(identifier).copied())?;
        self.applications.get(&app_id)
    }

    /// The service principal of the application with this client id.
    pub fn service_principal(&self, app_id: AppId) -> Option<&ServicePrincipal> {
        self.sp_by_app_id.get(&app_id).and_then(|id| self.service_principals.get(id))
    }

    /// The service principal with this object id.
    pub fn service_principal_by_id(&self, id: ObjectId) -> Option<&ServicePrincipal> {
        self.service_principals.get(&id)
    }

    /// Role ids assigned to `principal` on `resource` (both service principal object ids),
    /// in assignment order; empty when none.
    pub fn assigned_role_ids(&self, principal: ObjectId, resource: ObjectId) -> &[Uuid] {
        self.roles.get(&(principal, resource)).map_or(&[], Vec::as_slice)
    }
}
