//! The webhook listener, `POST /webhook` (`audit-and-activity.md` §3.5): one address for every
//! tenant, each tenant's subscriptions registered with its own `authId`. A request is accepted only
//! with a `Webhook-AuthID` equal (constant time) to a tenant's; then
//!
//! - the validation request (`{"validationCode": …}`) is answered 200, so `/start` succeeds;
//! - a notification array is noted in the store, each entry only if its `tenantId` is the tenant
//!   the `authId` belongs to and its `contentUri` is that tenant's feed on the Activity API, and
//!   answered 200 at once; the blobs are fetched by the retrieval task, which the listener wakes.
//!
//! Refusals: no or unknown `Webhook-AuthID` → 401, a body that is neither → 400, both as
//! `{"error":{"code","message"}}`, the Activity API's own error shape.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::routes::ConsumerState;
use super::store::{PendingContent, Tenant};
use crate::office365_management::store::millis;

/// The header carrying the subscription's `authId`.
pub const AUTH_HEADER: &str = "Webhook-AuthID";

fn refusal(status: StatusCode, code: &str, message: &str) -> Response {
    (status, axum::Json(json!({"error": {"code": code, "message": message}}))).into_response()
}

/// The tenant whose `authId` is `presented`; every tenant is compared, in constant time each.
pub fn tenant_for_auth_id<'a>(tenants: &'a [Tenant], presented: &str) -> Option<&'a Tenant> {
    let mut found = None;
    for tenant in tenants {
        if custos_jose::constant_time::eq(tenant.auth_id.as_bytes(), presented.as_bytes()) {
            found = Some(tenant);
        }
    }
    found
}

/// `POST /webhook`.
pub async fn listener(
    State(state): State<Arc<ConsumerState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(presented) = headers.get(AUTH_HEADER).and_then(|v| v.to_str().ok()) else {
        return refusal(StatusCode::UNAUTHORIZED, "MissingAuthId", "The Webhook-AuthID header is missing.");
    };
    let tenants = match state.retrieval.store.tenants().await {
        Ok(tenants) => tenants,
        Err(error) => {
            tracing::error!(%error, "tenant store");
            return refusal(StatusCode::SERVICE_UNAVAILABLE, "StoreUnavailable", "Try again later.");
        }
    };
    let Some(tenant) = tenant_for_auth_id(&tenants, presented) else {
        tracing::info!("webhook request with an unknown Webhook-AuthID refused");
        return refusal(StatusCode::UNAUTHORIZED, "InvalidAuthId", "The Webhook-AuthID is not valid.");
    };
    let malformed = || {
        refusal(
            StatusCode::BAD_REQUEST,
            "InvalidBody",
            "The body must be a validation request or an array of notifications.",
        )
    };
    let Ok(value) = serde_json::from_slice::<Value>(&body) else { return malformed() };
    match value {
        Value::Object(object) if object.get("validationCode").is_some_and(Value::is_string) => {
            tracing::info!(tenant = %tenant.tenant_id, "webhook validation answered");
            StatusCode::OK.into_response()
        }
        Value::Array(items) => note(&state, tenant, &items).await,
        _ => malformed(),
    }
}

async fn note(state: &ConsumerState, tenant: &Tenant, items: &[Value]) -> Response {
    let now = millis(state.retrieval.clock.now());
    let mut noted = 0;
    for item in items {
        let text = |name: &str| item.get(name).and_then(Value::as_str);
        let (Some(tenant_id), Some(content_type), Some(content_id), Some(content_uri)) =
            (text("tenantId"), text("contentType"), text("contentId"), text("contentUri"))
        else {
            tracing::info!(tenant = %tenant.tenant_id, "notification without its fields ignored");
            continue;
        };
        if !tenant_id.eq_ignore_ascii_case(&tenant.tenant_id)
            || !state.retrieval.api.is_tenant_url(&tenant.tenant_id, content_uri)
        {
            tracing::warn!(tenant = %tenant.tenant_id, %tenant_id, %content_uri, "notification for another tenant or origin ignored");
            continue;
        }
        let content = PendingContent {
            tenant_id: tenant.tenant_id.clone(),
            content_id: content_id.to_owned(),
            content_type: content_type.to_owned(),
            content_uri: content_uri.to_owned(),
        };
        match state.retrieval.store.note_content(&content, "webhook", now).await {
            Ok(_) => noted += 1,
            Err(error) => {
                tracing::error!(%error, "tenant store");
                return refusal(StatusCode::SERVICE_UNAVAILABLE, "StoreUnavailable", "Try again later.");
            }
        }
    }
    tracing::debug!(tenant = %tenant.tenant_id, noted, "notifications noted");
    state.retrieval.kick.notify_one();
    StatusCode::OK.into_response()
}
