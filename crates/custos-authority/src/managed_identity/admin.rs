//! The endpoint-secret admin API, beside custos's other managed-identity admin routes:
//!
//! - `POST /admin/v1/tenants/{tenant}/managedIdentities/{id}/endpointSecret` with an optional
//!   `{"days": N}` (1–3650, default 365): makes a new endpoint secret, replacing any earlier
//!   one, and answers 201 with it (shown this once, `Cache-Control: no-store`) and the URLs a
//!   workload uses. Concurrent creates leave exactly one secret, the last one stored (see
//!   `supersede`);
//! - `DELETE` on the same path: removes the identity's endpoint secret (204; 404 when it has
//!   none).
//!
//! `{id}` is the identity's object id or client id. Installation admin only, with the errors of
//! the rest of the admin API (Graph's envelope).

use super::secret::{self, EndpointSecret};
use crate::Authority;
use crate::admin::body::single_property;
use crate::admin::error::{AdminError, RequestIds};
use crate::admin::installation_admin;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::post;
use custos_core::model::{Application, ServicePrincipal, ServicePrincipalType, Tenant};
use custos_core::{AppId, ObjectId};
use custos_store::{ApplicationChange, ChangeRefused, Store as _, StoreError};
use serde_json::{Value, json};
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

const PATH: &str = "/admin/v1/tenants/{tenant}/managedIdentities/{id}/endpointSecret";
/// Largest request body.
const MAX_BODY_BYTES: usize = 1024;
/// Validity of a new secret unless the request says otherwise.
const DEFAULT_DAYS: i64 = 365;
/// Longest validity a secret may be given.
const MAX_DAYS: i64 = 3650;

/// The admin routes.
pub(super) fn routes() -> Router<Arc<Authority>> {
    Router::new().route(PATH, post(create).delete(remove)).layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// The identity's tenant, application and service principal.
struct Found {
    tenant: Tenant,
    app: Application,
    sp: ServicePrincipal,
}

fn not_found(what: &str) -> AdminError {
    AdminError::NotFound(format!(
        "Resource '{what}' does not exist or one of its queried reference-property objects are not present."
    ))
}

/// The managed identity `id` (object id or client id) names in the tenant `tenant_key`.
async fn find(auth: &Authority, tenant_key: &str, id: &str) -> Result<Found, AdminError> {
    let tenant = auth.directory.resolve_tenant(tenant_key).await?.ok_or_else(|| not_found(tenant_key))?;
    let store = auth.directory.as_ref();
    let by_object = match id.parse::<ObjectId>() {
        Ok(object_id) => store.service_principal(tenant.id, object_id).await?,
        Err(_) => None,
    };
    let sp = match (by_object, id.parse::<AppId>()) {
        (Some(sp), _) => Some(sp),
        (None, Ok(app_id)) => store.service_principal_by_app_id(tenant.id, app_id).await?,
        (None, Err(_)) => None,
    };
    let sp = sp
        .filter(|sp| sp.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .ok_or_else(|| not_found(id))?;
    let app = store.application_by_app_id(tenant.id, sp.app_id).await?.ok_or_else(|| not_found(id))?;
    Ok(Found { tenant, app, sp })
}

fn change_error(id: &str, error: StoreError) -> AdminError {
    match error {
        StoreError::NotFound => not_found(id),
        StoreError::Refused(refused) => {
            AdminError::BadRequest(format!("The endpoint secret cannot be stored: {refused}."))
        }
        other => other.into(),
    }
}

/// Removes every endpoint secret of `added` (the application as a create's `AddPassword` left
/// it) but the last one. The store applies changes one at a time and appends a new secret, so
/// the last endpoint secret of that snapshot is the newest stored so far, and the create that
/// stored the newest of all sees every other one that is left: of concurrent creates, exactly
/// the last one's secret survives (an earlier one answers 201 with a secret superseded at once,
/// as if the creates had run one after the other). Removing only the secrets seen before the add
/// would let two concurrent creates both survive.
async fn supersede(auth: &Authority, added: &Application, id: &str) -> Result<(), AdminError> {
    let mut key_ids: Vec<_> = added
        .password_credentials
        .iter()
        .filter(|c| secret::is_endpoint_secret(c))
        .map(|c| c.key_id)
        .collect();
    key_ids.pop();
    remove_passwords(auth, added, key_ids, id).await
}

/// Removes the secrets `key_ids` from `app`; one a concurrent request removed already is no
/// error.
async fn remove_passwords(
    auth: &Authority,
    app: &Application,
    key_ids: Vec<Uuid>,
    id: &str,
) -> Result<(), AdminError> {
    let store = auth.directory.as_ref();
    for key_id in key_ids {
        match store.modify_application(app.tenant_id, app.id, ApplicationChange::RemovePassword(key_id)).await
        {
            Ok(_) | Err(StoreError::Refused(ChangeRefused::UnknownKeyId(_))) => {}
            Err(e) => return Err(change_error(id, e)),
        }
    }
    Ok(())
}

/// `days` of a create body: the default for an empty body or `{}`.
fn days(body: &[u8]) -> Result<i64, AdminError> {
    match single_property(body, "days", "an endpoint secret")? {
        None => Ok(DEFAULT_DAYS),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|d| (1..=MAX_DAYS).contains(&d)) => {
            Ok(n.as_i64().unwrap_or(DEFAULT_DAYS))
        }
        Some(_) => {
            Err(AdminError::BadRequest(format!("'days' must be a whole number from 1 to {MAX_DAYS}.")))
        }
    }
}

/// `POST .../endpointSecret`: 201 with the new secret and the workload's URLs.
async fn create(
    State(auth): State<Arc<Authority>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ids = RequestIds::new(&headers);
    let result = async {
        let caller = installation_admin(&auth, &headers).await?;
        let Path((tenant_key, id)) = path.map_err(|e| AdminError::BadRequest(e.body_text()))?;
        let body = body.map_err(|_| AdminError::PayloadTooLarge(MAX_BODY_BYTES))?;
        let days = days(&body)?;
        let Found { tenant, app, sp } = find(&auth, &tenant_key, &id).await?;
        let secret = EndpointSecret::generate(tenant.id, sp.id).ok_or_else(|| {
            tracing::error!("cannot make an endpoint secret: the random number generator failed");
            AdminError::Unavailable
        })?;
        let start = auth.clock.now();
        let end = start + time::Duration::days(days);
        let credential = secret::credential(&auth.hasher, &secret, start, end);
        let store = auth.directory.as_ref();
        let added = store
            .modify_application(tenant.id, app.id, ApplicationChange::AddPassword(credential.clone()))
            .await
            .map_err(|e| change_error(&id, e))?;
        supersede(&auth, &added, &id).await?;
        tracing::info!(by = %caller.app_id, tenant = %tenant.id, app_id = %sp.app_id, key_id = %credential.key_id, "managed identity endpoint secret created");
        let base = &auth.config.public_url;
        Ok((
            StatusCode::CREATED,
            json!({
                "id": sp.id,
                "appId": sp.app_id,
                "tenantId": tenant.id,
                "displayName": sp.display_name,
                "keyId": credential.key_id,
                "endDateTime": end.format(&Rfc3339).unwrap_or_default(),
                "secret": secret.expose(),
                "identityEndpoint": format!("{base}/msi/token"),
                "podIdentityAuthorityHost": format!("{base}/msi/{}", secret.expose()),
                "endpointsEnabled": auth.config.managed_identity_endpoints,
            }),
        ))
    }
    .await;
    let mut response = ids.respond(result, auth.clock.now());
    // The body carries a bearer secret: no cache may keep it.
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `DELETE .../endpointSecret`: 204, or 404 when the identity has no endpoint secret.
async fn remove(
    State(auth): State<Arc<Authority>>,
    path: Result<Path<(String, String)>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let ids = RequestIds::new(&headers);
    let result = async {
        let caller = installation_admin(&auth, &headers).await?;
        let Path((tenant_key, id)) = path.map_err(|e| AdminError::BadRequest(e.body_text()))?;
        let Found { tenant, app, sp } = find(&auth, &tenant_key, &id).await?;
        let key_ids: Vec<_> =
            app.password_credentials.iter().filter(|c| secret::is_endpoint_secret(c)).map(|c| c.key_id).collect();
        if key_ids.is_empty() {
            return Err(AdminError::NotFound(format!("The managed identity '{id}' has no endpoint secret.")));
        }
        remove_passwords(&auth, &app, key_ids, &id).await?;
        tracing::info!(by = %caller.app_id, tenant = %tenant.id, app_id = %sp.app_id, "managed identity endpoint secret removed");
        Ok((StatusCode::NO_CONTENT, Value::Null))
    }
    .await;
    let mut response = ids.respond(result, auth.clock.now());
    if response.status() == StatusCode::NO_CONTENT {
        *response.body_mut() = Body::empty();
        response.headers_mut().remove(header::CONTENT_TYPE);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_bodies_are_read_strictly() {
        // Blank, malformed and non-object bodies: see `admin::body`'s tests.
        assert_eq!(days(b""), Ok(DEFAULT_DAYS));
        assert_eq!(days(br#"{"days":30}"#), Ok(30));
        assert_eq!(
            days(br#"{"days":0}"#),
            Err(AdminError::BadRequest("'days' must be a whole number from 1 to 3650.".to_owned()))
        );
        assert!(matches!(days(br#"{"days":"30"}"#), Err(AdminError::BadRequest(_))));
        assert!(matches!(days(br#"{"days":3651}"#), Err(AdminError::BadRequest(_))));
        assert_eq!(
            days(br#"{"secret":"x"}"#),
            Err(AdminError::BadRequest(
                "Property 'secret' does not exist on an endpoint secret; only 'days' does.".to_owned()
            ))
        );
    }
}
