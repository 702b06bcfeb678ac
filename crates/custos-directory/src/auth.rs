//! Who is calling and what they may do: the [`BearerAuthenticator`] seam (the server plugs in the
//! authority's token verifier), the [`Authed`] extractor that turns `Authorization: Bearer` into
//! a [`Caller`] or a 401 (or a 429 when the caller is over its request rate,
//! [`crate::rate_limit`]), checked against a route's [`Permission`].

use crate::DirectoryState;
pub use crate::audit::RequestOrigin;
use crate::error::GraphError;
use axum::extract::FromRequestParts;
use custos_core::bearer::BearerError;
use custos_core::{AppId, ObjectId, TenantId};
use http::header;
use http::request::Parts;
use uuid::Uuid;

pub(crate) use crate::permissions::{Permission, roles};

/// The verified identity behind a directory request. Every route operates in `tenant_id` only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's `tid`.
    pub tenant_id: TenantId,
    /// The calling application's client id (`appid`/`azp`).
    pub app_id: AppId,
    /// The calling service principal's object id (`oid`), or the signed-in user's for a
    /// delegated token.
    pub object_id: ObjectId,
    /// The token's `roles`.
    pub roles: Vec<String>,
    /// The token's `scp`, split, when it was issued for a signed-in user (the user is
    /// `object_id`); `None` for an app-only token.
    pub scopes: Option<Vec<String>>,
    /// Where the request came from (set by the directory's extractor; an authenticator leaves
    /// the default).
    pub origin: RequestOrigin,
}

/// Verifies a bearer token for the directory API. The server implements it with the authority's
/// verifier (signature, issuer, expiry, and `aud` = the Graph resource).
pub trait BearerAuthenticator: Send + Sync + 'static {
    /// The caller the token names, or why it was refused (for logs only, never sent).
    fn authenticate(&self, bearer_token: &str) -> Result<Caller, String>;
}

/// An authenticated caller, extracted from `Authorization: Bearer ...`. For a delegated token
/// the signed-in user's directory roles are read with it (the user must exist and be enabled).
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    caller: Caller,
    directory_roles: Vec<Uuid>,
}

impl Authed {
    /// The caller, when it may use a route needing `permission` ([`crate::permissions`]); 403
    /// otherwise.
    pub(crate) fn require(&self, permission: Permission) -> Result<&Caller, GraphError> {
        let allowed = match &self.caller.scopes {
            None => permission.allows_app(&self.caller.roles),
            Some(scopes) => permission.allows_user(scopes, &self.directory_roles),
        };
        if allowed {
            Ok(&self.caller)
        } else {
            tracing::debug!(app_id = %self.caller.app_id, delegated = self.caller.scopes.is_some(), ?permission, "directory call refused: missing permission");
            Err(permission.refusal())
        }
    }

    /// The caller without any permission check (for `/me`, which answers app tokens itself).
    pub(crate) fn caller(&self) -> &Caller {
        &self.caller
    }

    /// The same caller holding the directory API permissions `roles` (app-only) and `scopes`
    /// (delegated: `Some`, possibly empty) instead of its token's: for a route whose token is
    /// for another API ([`crate::portal_consent`]). The user's directory roles are kept.
    pub(crate) fn with_permissions(mut self, roles: Vec<String>, scopes: Option<Vec<String>>) -> Self {
        self.caller.roles = roles;
        self.caller.scopes = scopes;
        self
    }

    /// The signed-in user's directory role template ids (empty for an app-only token).
    pub(crate) fn directory_roles(&self) -> &[Uuid] {
        &self.directory_roles
    }
}

/// The directory roles of the signed-in user of a delegated token; 401 when the user is gone
/// or disabled.
async fn user_roles(state: &DirectoryState, caller: &Caller) -> Result<Vec<Uuid>, GraphError> {
    match state.store.user(caller.tenant_id, caller.object_id).await? {
        Some(user) if user.account_enabled => {}
        _ => {
            tracing::info!(tenant = %caller.tenant_id, "directory call refused: the token's user is absent or disabled");
            return Err(GraphError::InvalidToken);
        }
    }
    Ok(state
        .store
        .directory_role_assignments(caller.tenant_id)
        .await?
        .into_iter()
        .filter(|a| a.principal_id == caller.object_id)
        .map(|a| a.role_definition_id)
        .collect())
}

/// The client's address (the connection's peer) and `client-request-id` of a request.
fn origin(parts: &Parts) -> RequestOrigin {
    let ip = parts.extensions.get::<custos_listener::ConnectionInfo>().map(|c| c.peer.ip());
    let client_request_id = parts.headers.get("client-request-id").and_then(|v| v.to_str().ok());
    RequestOrigin::new(ip, client_request_id)
}

impl FromRequestParts<DirectoryState> for Authed {
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, state: &DirectoryState) -> Result<Self, Self::Rejection> {
        let values = parts.headers.get_all(header::AUTHORIZATION).iter().map(http::HeaderValue::as_bytes);
        let token = match custos_core::bearer::bearer_token(values) {
            Ok(token) => token,
            Err(BearerError::Missing) => return Err(GraphError::MissingToken),
            Err(reason) => {
                tracing::info!(%reason, "directory call refused: unreadable Authorization header");
                return Err(GraphError::InvalidToken);
            }
        };
        match state.authenticator.authenticate(token) {
            Ok(mut caller) => {
                let api = crate::rate_limit::Api::of(parts.uri.path());
                let key = (caller.tenant_id, caller.app_id, caller.object_id);
                if let Err(throttled) = state.rate_limits.admit(api, key, state.clock.instant()) {
                    tracing::info!(tenant = %caller.tenant_id, app_id = %caller.app_id, ?api, "directory call refused: request rate over the limit");
                    return Err(GraphError::TooManyRequests {
                        app_id: caller.app_id.to_string(),
                        tenant: caller.tenant_id.to_string(),
                        retry_after_secs: throttled.retry_after_secs(),
                    });
                }
                caller.origin = origin(parts);
                let directory_roles =
                    if caller.scopes.is_some() { user_roles(state, &caller).await? } else { Vec::new() };
                Ok(Self { caller, directory_roles })
            }
            Err(reason) => {
                tracing::info!(%reason, "directory call refused: bearer token rejected");
                Err(GraphError::InvalidToken)
            }
        }
    }
}
