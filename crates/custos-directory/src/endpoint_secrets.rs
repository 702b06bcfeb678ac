//! The endpoint-secret admin API, beside the other managed-identity admin routes:
//!
//! - `POST /admin/v1/tenants/{tenant}/managedIdentities/{id}/endpointSecret` with an optional
//!   `{"days": N}` (1–3650, default 365): a new endpoint secret, replacing any earlier one, 201
//!   with the secret (shown this once, never cached) and the URLs a workload uses
//!   (`{publicUrl}/msi/token` with the secret as `X-IDENTITY-HEADER`, or `{publicUrl}/msi/{secret}`
//!   as IMDS host);
//! - `DELETE` on the same path: removes the identity's endpoint secret (204; 404 when it has
//!   none).
//!
//! `{id}` is the identity's object id or client id. Installation admin only. The secrets are
//! the authority's (it alone hashes and checks them): the server plugs it in through the
//! [`EndpointSecrets`] seam.

use crate::DirectoryState;
use crate::admin::tenant_admin;
use crate::auth::Authed;
use crate::body::{GraphPath, JsonBody};
use crate::error::GraphError;
use crate::managed_identities;
use crate::no_store::NoStore;
use async_trait::async_trait;
use axum::Json;
use axum::extract::State;
use custos_core::audit::AuditContext;
use custos_core::model::{Application, ServicePrincipal};
use custos_core::{Secret, TenantId};
use http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// Validity of a new secret unless the request says otherwise, in days.
const DEFAULT_DAYS: u16 = 365;
/// Longest validity a secret may be given, in days.
const MAX_DAYS: u16 = 3650;

/// A new endpoint secret, as the authority made it.
#[derive(Debug, Clone)]
pub struct IssuedEndpointSecret {
    /// The stored credential's `keyId`.
    pub key_id: Uuid,
    /// When it stops working.
    pub end: OffsetDateTime,
    /// The secret itself, shown this once.
    pub secret: Secret<String>,
}

/// Why the authority could not make or remove an endpoint secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointSecretError {
    /// The identity's application is gone (removed concurrently).
    #[error("the managed identity does not exist")]
    NotFound,
    /// The store refused the change; the text says why and is shown to the caller.
    #[error("{0}")]
    Refused(String),
    /// Storage or randomness failed (already logged); the caller may retry.
    #[error("endpoint secrets are unavailable")]
    Unavailable,
}

/// The authority's endpoint secrets of managed identities. The server implements it over the
/// authority.
#[async_trait]
pub trait EndpointSecrets: Send + Sync + 'static {
    /// Makes a secret for the identity (`app`, `sp`) valid for `days`, replacing any earlier
    /// one; of concurrent creates exactly one secret survives. Each change is recorded as
    /// `audit`'s.
    async fn create(
        &self,
        app: &Application,
        sp: &ServicePrincipal,
        days: u16,
        audit: &AuditContext,
    ) -> Result<IssuedEndpointSecret, EndpointSecretError>;
    /// Removes the identity's endpoint secrets; `false` when it had none.
    async fn remove(&self, app: &Application, audit: &AuditContext) -> Result<bool, EndpointSecretError>;
    /// Whether this server answers the managed-identity protocols itself
    /// (`--dev-managed-identity-endpoints`).
    fn endpoints_enabled(&self) -> bool;
}

/// The managed identity `id` names in `tenant`, with its application; 404 otherwise.
async fn identity(
    state: &DirectoryState,
    tenant: TenantId,
    id: &str,
) -> Result<(Application, ServicePrincipal), GraphError> {
    let sp = managed_identities::find(state, tenant, id).await?;
    let app = state
        .store
        .application_by_app_id(tenant, sp.app_id)
        .await?
        .ok_or_else(|| GraphError::NotFound(id.to_owned()))?;
    Ok((app, sp))
}

fn failure(id: &str, err: EndpointSecretError) -> GraphError {
    match err {
        EndpointSecretError::NotFound => GraphError::NotFound(id.to_owned()),
        EndpointSecretError::Refused(why) => {
            GraphError::BadRequest(format!("The endpoint secret cannot be stored: {why}."))
        }
        EndpointSecretError::Unavailable => GraphError::Unavailable,
    }
}

/// `days` of a create body: the default for an empty body, `{}` or `null`.
fn days(body: JsonBody) -> Result<u16, GraphError> {
    let refused = || GraphError::BadRequest(format!("'days' must be a whole number from 1 to {MAX_DAYS}."));
    let Some(body) = body.0 else { return Ok(DEFAULT_DAYS) };
    match body.only(&["days"])?.take::<Option<Value>>("days", "EndpointSecret")?.flatten() {
        None => Ok(DEFAULT_DAYS),
        Some(value) => value
            .as_u64()
            .and_then(|d| u16::try_from(d).ok())
            .filter(|d| (1..=MAX_DAYS).contains(d))
            .ok_or_else(refused),
    }
}

/// `POST .../endpointSecret`: 201 with the new secret and the workload's URLs.
pub(crate) async fn create(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath((key, id)): GraphPath<(String, String)>,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, NoStore<Json<Value>>), GraphError> {
    let (caller, tenant) = tenant_admin(&state, &auth, key).await?;
    let days = days(body?)?;
    let (app, sp) = identity(&state, tenant.id, &id).await?;
    let audit = crate::audit::context(&state, &caller).await;
    let issued = state.endpoint_secrets.create(&app, &sp, days, &audit).await.map_err(|e| failure(&id, e))?;
    tracing::info!(by = %caller.app_id, tenant = %tenant.id, app_id = %sp.app_id, key_id = %issued.key_id, "managed identity endpoint secret created");
    let base = state.origins.public();
    Ok((
        StatusCode::CREATED,
        NoStore(Json(json!({
            "id": sp.id,
            "appId": sp.app_id,
            "tenantId": tenant.id,
            "displayName": sp.display_name,
            "keyId": issued.key_id,
            "endDateTime": issued.end.format(&Rfc3339).unwrap_or_default(),
            "secret": issued.secret.expose(),
            "identityEndpoint": format!("{base}/msi/token"),
            "podIdentityAuthorityHost": format!("{base}/msi/{}", issued.secret.expose()),
            "endpointsEnabled": state.endpoint_secrets.endpoints_enabled(),
        }))),
    ))
}

/// `DELETE .../endpointSecret`: 204, or 404 when the identity has no endpoint secret.
pub(crate) async fn remove(
    State(state): State<DirectoryState>,
    auth: Authed,
    GraphPath((key, id)): GraphPath<(String, String)>,
) -> Result<StatusCode, GraphError> {
    let (caller, tenant) = tenant_admin(&state, &auth, key).await?;
    let (app, sp) = identity(&state, tenant.id, &id).await?;
    let audit = crate::audit::context(&state, &caller).await;
    if !state.endpoint_secrets.remove(&app, &audit).await.map_err(|e| failure(&id, e))? {
        return Err(GraphError::Missing(format!("The managed identity '{id}' has no endpoint secret.")));
    }
    tracing::info!(by = %caller.app_id, tenant = %tenant.id, app_id = %sp.app_id, "managed identity endpoint secret removed");
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::JsonObject;

    fn body(v: Value) -> JsonBody {
        JsonBody(JsonObject::from_value(v))
    }

    #[test]
    fn create_bodies_are_read_strictly() {
        assert_eq!(days(JsonBody(None)), Ok(DEFAULT_DAYS));
        assert_eq!(days(body(json!({}))), Ok(DEFAULT_DAYS));
        assert_eq!(days(body(json!({"days": 30}))), Ok(30));
        let refused = GraphError::BadRequest("'days' must be a whole number from 1 to 3650.".to_owned());
        for wrong in [json!(0), json!("30"), json!(3651), json!(1.5)] {
            assert_eq!(days(body(json!({ "days": wrong }))), Err(refused.clone()));
        }
        assert!(matches!(days(body(json!({"secret": "x"}))), Err(GraphError::BadRequest(_))));
    }
}
