//! What the Azure CLI needs of Azure Resource Manager to use custos as a cloud
//! (`graph-fidelity.md` §7): the cloud metadata document `az cloud register` reads
//! (`GET /metadata/endpoints`), and the two lists `az login` reads with an ARM token
//! (`GET /subscriptions`: none; `GET /tenants`: the caller's). custos serves no other ARM API.
//!
//! The token must be one this server issued for the built-in Azure Resource Manager resource
//! (`custos_directory::builtins::RESOURCE_MANAGER_URIS`); errors have ARM's shape.

use axum::Json;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use custos_authority::Authority;
use custos_core::origins::Origins;
use custos_directory::builtins::{RESOURCE_MANAGER_APP_ID, RESOURCE_MANAGER_URIS};
use custos_store::Store;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Clone)]
struct ArmState {
    authority: Arc<Authority>,
    store: Arc<dyn Store>,
}

/// The routes, for the server's router.
pub fn router(authority: Arc<Authority>, store: Arc<dyn Store>) -> Router {
    Router::new()
        .route("/metadata/endpoints", get(endpoints))
        // `az cloud register --endpoint-resource-manager https://host/` asks for `//metadata/…`.
        .route("//metadata/endpoints", get(endpoints))
        .route("/subscriptions", get(subscriptions))
        .route("/tenants", get(tenants))
        .with_state(ArmState { authority, store })
}

/// The cloud's endpoints as `az cloud register --endpoint-resource-manager {publicUrl}` reads
/// them: login and ARM at the public URL, Graph at its origin (all the public URL unless Entra
/// host names are served); ARM tokens for Azure's audiences.
pub fn cloud_metadata(origins: &Origins) -> Value {
    let public_url = origins.public();
    let graph = format!("{}/", origins.graph());
    json!({
        "name": "custos",
        "portal": format!("{public_url}/portal/"),
        "authentication": {
            "loginEndpoint": public_url,
            "audiences": RESOURCE_MANAGER_URIS,
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "resourceManager": format!("{public_url}/"),
        "microsoftGraphResourceId": graph,
        "graph": graph,
        "graphAudience": graph,
        "suffixes": {},
    })
}

async fn endpoints(State(state): State<ArmState>) -> Json<Value> {
    Json(cloud_metadata(&state.authority.config().origins))
}

#[derive(Deserialize)]
struct ApiVersion {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

fn arm_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut response =
        (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// Why an ARM call was refused, answered in ARM's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    MissingApiVersion,
    MissingToken,
    InvalidToken,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::MissingApiVersion => arm_error(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ),
            Self::MissingToken => arm_error(
                StatusCode::UNAUTHORIZED,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
            ),
            Self::InvalidToken => arm_error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                "The access token is invalid.",
            ),
        }
    }
}

/// The caller's tenant, from an ARM token in `Authorization`.
fn caller_tenant(
    state: &ArmState,
    headers: &HeaderMap,
    query: &ApiVersion,
) -> Result<custos_core::TenantId, Refusal> {
    if query.api_version.as_deref().is_none_or(str::is_empty) {
        return Err(Refusal::MissingApiVersion);
    }
    let values = headers.get_all(header::AUTHORIZATION).iter().map(HeaderValue::as_bytes);
    let token = custos_core::bearer::bearer_token(values).map_err(|e| match e {
        custos_core::bearer::BearerError::Missing => Refusal::MissingToken,
        _ => Refusal::InvalidToken,
    })?;
    let verified = state.authority.verify_access_token(token, None).map_err(|_| Refusal::InvalidToken)?;
    let for_arm = verified.aud == RESOURCE_MANAGER_APP_ID.to_string()
        || RESOURCE_MANAGER_URIS.contains(&verified.aud.as_str());
    if !for_arm {
        tracing::info!(aud = %verified.aud, "ARM call refused: the token is not for Azure Resource Manager");
        return Err(Refusal::InvalidToken);
    }
    Ok(verified.tenant_id)
}

/// `GET /subscriptions?api-version=…`: custos has none.
async fn subscriptions(
    State(state): State<ArmState>,
    headers: HeaderMap,
    Query(query): Query<ApiVersion>,
) -> Response {
    match caller_tenant(&state, &headers, &query) {
        Ok(_) => Json(json!({ "value": [] })).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// `GET /tenants?api-version=…`: the caller's tenant.
async fn tenants(
    State(state): State<ArmState>,
    headers: HeaderMap,
    Query(query): Query<ApiVersion>,
) -> Response {
    let tenant = match caller_tenant(&state, &headers, &query) {
        Ok(tenant) => tenant,
        Err(refusal) => return refusal.into_response(),
    };
    match state.store.tenant(tenant).await {
        Ok(Some(t)) => Json(json!({ "value": [{
            "id": format!("/tenants/{}", t.id),
            "tenantId": t.id,
            "countryCode": null,
            "displayName": t.display_name,
            "domains": [t.domain],
            "tenantCategory": "Home",
            "defaultDomain": t.domain,
            "tenantType": "AAD",
        }] }))
        .into_response(),
        Ok(None) => Json(json!({ "value": [] })).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "ARM tenants list failed: storage unavailable");
            let mut response = arm_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "The service is temporarily unavailable.",
            );
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cloud_metadata;
    use custos_core::origins::Origins;

    #[test]
    fn the_cloud_names_the_public_url_or_graphs_own_origin() {
        let own = cloud_metadata(&Origins::single("https://localhost:8443"));
        assert_eq!(own["authentication"]["loginEndpoint"], "https://localhost:8443");
        assert_eq!(own["microsoftGraphResourceId"], "https://localhost:8443/");
        assert_eq!(own["resourceManager"], "https://localhost:8443/");
        let entra = cloud_metadata(&Origins::entra());
        assert_eq!(entra["authentication"]["loginEndpoint"], "https://login.microsoftonline.com");
        assert_eq!(entra["microsoftGraphResourceId"], "https://graph.microsoft.com/");
        assert_eq!(entra["graphAudience"], "https://graph.microsoft.com/");
    }
}
