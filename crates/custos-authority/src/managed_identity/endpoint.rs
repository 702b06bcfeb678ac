//! The server's development managed-identity endpoints: the App Service and IMDS protocols
//! served by the authority itself, for the identity an endpoint secret names.
//!
//! - `GET /msi/token` (App Service): the secret is the `X-IDENTITY-HEADER`
//!   (`IDENTITY_HEADER`).
//! - `GET /msi/{secret}/metadata/identity/oauth2/token` (IMDS): the secret is a path segment,
//!   so that `AZURE_POD_IDENTITY_AUTHORITY_HOST={publicUrl}/msi/{secret}` works with clients
//!   that can only be given a host. `Metadata: true` is required as on a real IMDS.
//! - `GET /metadata/identity/oauth2/token` (IMDS at the root): for hand-written clients, with
//!   `Metadata: true` and the secret as `X-IDENTITY-HEADER`.
//!
//! The paths are the lower-case ones `custos mi endpoint-secret create` prints (each also with a
//! trailing slash, as MSAL Node sends them); other spellings fall through to the authority's
//! routes and get 404.
//!
//! Tokens are issued exactly as the token endpoint issues them to the identity (same checks,
//! roles, format, managed-identity lifetime, `appidacr` 2). Every refusal has the protocol's
//! error shape; a missing, malformed, unknown, expired or wrong secret gets the same 401. When
//! the server runs without `--dev-managed-identity-endpoints`, every request gets 403.
//! The secret is never logged; nothing here logs the request path.

use super::protocol::{
    APP_SERVICE_PATH, Answer, IDENTITY_HEADER, IMDS_PATH, Protocol, ProtocolError, TokenQuery,
    require_metadata,
};
use super::secret;
use crate::Authority;
use crate::issue::Trail;
use crate::issue::{authorize, mint};
use crate::response::correlation_id;
use crate::sign_ins::{self, RequestFacts};
use axum::Router;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use axum::routing::any;
use custos_core::aadsts::TokenError;
use custos_core::model::ServicePrincipalType;
use custos_core::scope::MAX_SCOPE_LEN;
use custos_core::sign_in_log::{ClientCredentialType, SignInCredential};
use custos_listener::ConnectionInfo;
use std::sync::Arc;

/// The IMDS path under an endpoint-secret prefix.
const PREFIXED_IMDS_PATH: &str = "/msi/{secret}/metadata/identity/oauth2/token";
/// `appidacr` of managed-identity tokens (Entra: a certificate-backed credential).
const MI_ACR: &str = "2";

/// The protocol routes (each also with a trailing slash, as MSAL Node sends them).
pub(super) fn routes() -> Router<Arc<Authority>> {
    Router::new()
        .route(APP_SERVICE_PATH, any(app_service))
        .route(&format!("{APP_SERVICE_PATH}/"), any(app_service))
        .route(IMDS_PATH, any(imds))
        .route(&format!("{IMDS_PATH}/"), any(imds))
        .route(PREFIXED_IMDS_PATH, any(imds_prefixed))
        .route(&format!("{PREFIXED_IMDS_PATH}/"), any(imds_prefixed))
}

/// The secret a request presents in `X-IDENTITY-HEADER`.
fn header_secret(headers: &HeaderMap) -> Option<&str> {
    headers.get(IDENTITY_HEADER).and_then(|v| v.to_str().ok())
}

async fn app_service(State(auth): State<Arc<Authority>>, request: Parts) -> Response {
    let secret = header_secret(&request.headers);
    answer(&auth, Protocol::AppService, secret, &request).await
}

async fn imds(State(auth): State<Arc<Authority>>, request: Parts) -> Response {
    let secret = header_secret(&request.headers);
    answer(&auth, Protocol::Imds, secret, &request).await
}

async fn imds_prefixed(
    State(auth): State<Arc<Authority>>,
    secret: Result<Path<String>, PathRejection>,
    request: Parts,
) -> Response {
    let secret = secret.ok().map(|Path(secret)| secret);
    answer(&auth, Protocol::Imds, secret.as_deref(), &request).await
}

/// Serves one token request, logging and rendering a refusal in the protocol's shape.
async fn answer(auth: &Authority, protocol: Protocol, secret: Option<&str>, request: &Parts) -> Response {
    match serve(auth, protocol, secret, request).await {
        Ok(response) => response,
        Err(failure) => {
            tracing::info!(
                status = failure.status().as_u16(),
                error = %failure.error(),
                message = %failure.message(),
                "managed identity token request refused"
            );
            failure.render(protocol)
        }
    }
}

/// The 401 for a secret that selects no identity, worded for the protocol's variables.
fn unauthorized(auth: &Authority, protocol: Protocol) -> ProtocolError {
    ProtocolError::unauthorized(match protocol {
        Protocol::AppService => {
            "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.".to_owned()
        }
        Protocol::Imds => format!(
            "The endpoint secret is missing or wrong: set AZURE_POD_IDENTITY_AUTHORITY_HOST={}/msi/<endpoint secret> (custos mi endpoint-secret create).",
            auth.config.origins.public()
        ),
    })
}

/// A token-endpoint refusal in the protocol's terms; storage and signing failures are 500s
/// clients retry.
fn refused(error: &TokenError) -> ProtocolError {
    if error.http_status() >= 500 {
        return ProtocolError::unavailable();
    }
    ProtocolError::refused(error.oauth_error().as_str(), &format!("AADSTS{}: {error}", error.code()))
}

/// Runs one token request, `presented` being the endpoint secret it presents.
async fn serve(
    auth: &Authority,
    protocol: Protocol,
    presented: Option<&str>,
    request: &Parts,
) -> Result<Response, ProtocolError> {
    let (method, headers) = (&request.method, &request.headers);
    if !auth.config.managed_identity_endpoints {
        return Err(ProtocolError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "The managed-identity endpoints are disabled on this server; start it with --dev-managed-identity-endpoints or run `custos agent` beside the workload.",
        ));
    }
    if method != Method::GET {
        return Err(ProtocolError::method_not_allowed());
    }
    if protocol == Protocol::Imds {
        require_metadata(headers)?;
    }
    let unauthorized = || unauthorized(auth, protocol);
    let presented = presented.ok_or_else(unauthorized)?;
    let (tenant, object_id) = secret::addressee(presented).ok_or_else(unauthorized)?;
    // The query is read (and refused) below, after the secret; its resource names the slice.
    let mut needs = custos_store::Needs::principal(object_id);
    if let Ok(query) = TokenQuery::parse(protocol, request.uri.query()) {
        needs = needs.and_resource(custos_core::resource_alias::canonical(
            auth.config.origins.graph(),
            query.resource,
        ));
    }
    let snapshot = match auth.directory.snapshot_for(tenant, &needs).await {
        Ok(snapshot) => snapshot.ok_or_else(unauthorized)?,
        Err(e) => {
            tracing::warn!(error = %e, "managed identity token request failed: storage error");
            return Err(ProtocolError::unavailable());
        }
    };
    let principal = snapshot
        .service_principal_by_id(object_id)
        .filter(|sp| sp.service_principal_type == ServicePrincipalType::ManagedIdentity)
        .ok_or_else(unauthorized)?;
    let client = snapshot.application(principal.app_id).ok_or_else(unauthorized)?;
    if !secret::verify(&auth.hasher, &client.password_credentials, presented, auth.clock.now()) {
        return Err(unauthorized());
    }

    let query = TokenQuery::parse(protocol, request.uri.query())?;
    let client_id = client.app_id.to_string();
    if let Some(selector) = &query.selector
        && !selector.names(&client_id, &principal.id.to_string())
    {
        return Err(ProtocolError::identity_not_found());
    }
    if query.resource.len() > MAX_SCOPE_LEN {
        return Err(refused(&TokenError::InvalidParameter("resource")));
    }
    let resource = custos_core::resource_alias::canonical(auth.config.origins.graph(), query.resource);
    // From here on each decision is a managed-identity sign-in.
    let trail = Trail {
        tenant: Some(tenant),
        client_id: Some(client_id.clone()),
        resource: Some(resource.clone()),
        credential: Some(SignInCredential {
            kind: Some(ClientCredentialType::ManagedIdentity),
            ..SignInCredential::default()
        }),
        ..Trail::default()
    };
    let result = authorize(&snapshot, client, &client_id, &resource)
        .and_then(|authorized| mint(auth, tenant, client, &authorized, resource, MI_ACR));
    let facts = RequestFacts {
        correlation_id: correlation_id(headers),
        ip: request.extensions.get::<ConnectionInfo>().map(|c| c.peer.ip()),
        user_agent: headers.get(header::USER_AGENT).cloned(),
    };
    sign_ins::record(auth, &trail, &facts, result.as_ref().err()).await;
    let issued = result.map_err(|e| refused(&e))?;
    tracing::info!(
        tid = %tenant,
        client_id = %client_id,
        resource = %issued.resource,
        "managed identity token issued on the development endpoint"
    );
    let answer = Answer {
        access_token: &issued.access_token,
        expires_on: issued.expires_on,
        not_before: issued.not_before,
        resource: &issued.resource,
        client_id: &client_id,
    };
    Ok(answer.respond(protocol, auth.clock.unix()))
}
