//! The routes of federated identity credentials, one handler per operation for the three ways
//! an owner is named:
//!
//! - Graph `/v1.0/applications/{id}/federatedIdentityCredentials[/{credential}]` (object id);
//! - Graph `/v1.0/applications(appId='…')/federatedIdentityCredentials[/{credential}]`;
//! - admin `/admin/v1/tenants/{tenant}/managedIdentities/{id}/federatedIdentityCredentials[/…]`.
//!
//! Graph routes need `Application.Read.All` (or a role implying it) to read and
//! `Application.ReadWrite.All` to write, as `addPassword` does; the admin routes need the
//! tenant's admin, as the rest of the managed identity API. The operations themselves are in
//! [`crate::federated_credentials`].

use crate::DirectoryState;
use crate::admin::tenant_admin;
use crate::auth::{Authed, Permission};
use crate::body::{GraphPath, JsonBody};
use crate::error::GraphError;
use crate::federated_credentials::Owner;
use crate::managed_identities;
use crate::privileged::{self, Target};
use crate::resolve::{self, AlternateKey};
use axum::Json;
use axum::extract::{RawQuery, State};
use http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

/// The path parameters of every route; which are present tells the routes apart.
#[derive(Debug, Deserialize)]
pub(crate) struct OwnerPath {
    /// Admin routes: the tenant (GUID or domain).
    tenant: Option<String>,
    /// The application's object id (Graph) or the managed identity's id (admin).
    id: Option<String>,
    /// Graph alternate-key routes: `applications(appId='…')`.
    entity: Option<String>,
    /// The credential's id or name.
    credential: Option<String>,
}

impl OwnerPath {
    fn credential(&self) -> Result<&str, GraphError> {
        self.credential
            .as_deref()
            .ok_or_else(|| GraphError::Malformed("The request URL could not be parsed.".to_owned()))
    }

    /// The owner the path names, once the caller is allowed to `write` (or read) it.
    async fn resolve(&self, state: &DirectoryState, auth: &Authed, write: bool) -> Result<Owner, GraphError> {
        let unparsable = || GraphError::Malformed("The request URL could not be parsed.".to_owned());
        if let Some(tenant) = &self.tenant {
            let (_, tenant) = tenant_admin(state, auth, tenant.clone()).await?;
            let key = self.id.clone().ok_or_else(unparsable)?;
            let sp = managed_identities::find(state, tenant.id, &key).await?;
            let app = state.store.application_by_app_id(tenant.id, sp.app_id).await?.ok_or_else(|| {
                tracing::warn!(tenant = %tenant.id, app_id = %sp.app_id, "identity has no application");
                GraphError::NotFound(key.clone())
            })?;
            return Ok(Owner { app, context: None, key, caller: auth.caller().clone() });
        }
        let app_id = match &self.entity {
            Some(segment) => match AlternateKey::parse(segment)? {
                AlternateKey::Application(app_id) => Some(app_id),
                AlternateKey::ServicePrincipal(_) => {
                    return Err(GraphError::Malformed(
                        "Resource not found for the segment 'federatedIdentityCredentials'.".to_owned(),
                    ));
                }
            },
            None => None,
        };
        let permission = if write { Permission::WriteApplications } else { Permission::ReadApplications };
        let caller = auth.require(permission)?;
        let store = state.store.as_ref();
        let (app, key) = match (app_id, &self.id) {
            (Some(app_id), _) => {
                (resolve::application_by_app_id(store, caller.tenant_id, app_id).await?, app_id.to_string())
            }
            (None, Some(id)) => (resolve::application(store, caller.tenant_id, id).await?, id.clone()),
            (None, None) => return Err(unparsable()),
        };
        if write {
            privileged::ensure_may_change(state, caller, Target::Application(&app)).await?;
        }
        let context = format!(
            "{}/v1.0/$metadata#applications('{}')/federatedIdentityCredentials",
            state.origins.graph(),
            app.id
        );
        Ok(Owner { app, context: Some(context), key, caller: caller.clone() })
    }
}

/// `GET .../federatedIdentityCredentials`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(path): GraphPath<OwnerPath>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    path.resolve(&state, &auth, false).await?.list(query.as_deref())
}

/// `POST .../federatedIdentityCredentials`
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(path): GraphPath<OwnerPath>,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let owner = path.resolve(&state, &auth, true).await?;
    owner.create(&state, body?).await
}

/// `GET .../federatedIdentityCredentials/{id-or-name}`
pub(crate) async fn show(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(path): GraphPath<OwnerPath>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, GraphError> {
    let owner = path.resolve(&state, &auth, false).await?;
    owner.show(path.credential()?, query.as_deref())
}

/// `PATCH .../federatedIdentityCredentials/{id-or-name}`
pub(crate) async fn update(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(path): GraphPath<OwnerPath>,
    body: Result<JsonBody, GraphError>,
) -> Result<StatusCode, GraphError> {
    let owner = path.resolve(&state, &auth, true).await?;
    owner.update(&state, path.credential()?, body?).await
}

/// `DELETE .../federatedIdentityCredentials/{id-or-name}`
pub(crate) async fn delete(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath(path): GraphPath<OwnerPath>,
) -> Result<StatusCode, GraphError> {
    let owner = path.resolve(&state, &auth, true).await?;
    owner.delete(&state, path.credential()?).await
}
