//! The agent's HTTP surface: the App Service and IMDS managed-identity protocols, whose shapes
//! live in [`custos_authority::managed_identity::protocol`], answered with tokens from the
//! agent's [`TokenProvider`].
//!
//! App Service requests must carry `X-IDENTITY-HEADER` equal to the agent's `IDENTITY_HEADER`
//! (compared in constant time); IMDS requests `Metadata: true`. An identity selector
//! (`client_id`, `object_id`/`principal_id`, `mi_res_id`/`msi_res_id`) must name the agent's
//! own identity; custos identities have no Azure resource id, so `mi_res_id`/`msi_res_id`
//! never match.

use super::tokens::{FetchError, TokenProvider};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use custos_authority::managed_identity::protocol::{
    Answer, IDENTITY_HEADER, Protocol, ProtocolError, Selector, TokenQuery, require_metadata,
};
use custos_core::{Clock, Secret};
use std::sync::Arc;

pub(crate) use custos_authority::managed_identity::protocol::{APP_SERVICE_PATH, IMDS_PATH};

/// The per-host secret App Service clients send as `X-IDENTITY-HEADER`.
pub(crate) type IdentityHeader = Secret<String>;

/// Whether `presented` is the identity header, compared in constant time (for equal lengths).
fn header_matches(header: &IdentityHeader, presented: &[u8]) -> bool {
    custos_jose::constant_time::eq(header.expose().as_bytes(), presented)
}

/// What the handlers share.
#[derive(Debug)]
pub(crate) struct AgentState {
    /// Source of tokens.
    pub(crate) tokens: Arc<dyn TokenProvider>,
    /// `IDENTITY_HEADER`.
    pub(crate) identity_header: IdentityHeader,
    /// The identity's client id (appId).
    pub(crate) client_id: String,
    /// The time.
    pub(crate) clock: Arc<dyn Clock>,
}

/// The agent's routes: both protocols, everything else 404.
pub(crate) fn router(state: Arc<AgentState>) -> Router {
    Router::new().fallback(dispatch).with_state(state)
}

impl From<FetchError> for ProtocolError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Refused { error, description } => Self::refused(&error, &description),
            FetchError::Unavailable(detail) => {
                tracing::warn!(%detail, "no token: the authority is unavailable");
                Self::unavailable()
            }
        }
    }
}

async fn dispatch(
    State(state): State<Arc<AgentState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some(protocol) = Protocol::from_path(uri.path()) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    if method != Method::GET {
        return ProtocolError::method_not_allowed().render(protocol);
    }
    match serve(&state, protocol, uri.query(), &headers).await {
        Ok(response) => response,
        Err(failure) => {
            tracing::info!(status = failure.status().as_u16(), error = %failure.error(), message = %failure.message(), "token request refused");
            failure.render(protocol)
        }
    }
}

fn check_caller(state: &AgentState, protocol: Protocol, headers: &HeaderMap) -> Result<(), ProtocolError> {
    match protocol {
        Protocol::Imds => require_metadata(headers),
        Protocol::AppService => {
            let presented = headers.get(IDENTITY_HEADER).map(|v| v.as_bytes());
            if presented.is_some_and(|p| header_matches(&state.identity_header, p)) {
                Ok(())
            } else {
                Err(ProtocolError::unauthorized(
                    "The X-IDENTITY-HEADER header is missing or does not match IDENTITY_HEADER.",
                ))
            }
        }
    }
}

/// Runs one token request.
async fn serve(
    state: &AgentState,
    protocol: Protocol,
    query: Option<&str>,
    headers: &HeaderMap,
) -> Result<Response, ProtocolError> {
    check_caller(state, protocol, headers)?;
    let query = TokenQuery::parse(protocol, query)?;
    // The object id is known once a token names it; a client id or resource id is checked now.
    let wanted_object = match &query.selector {
        None => None,
        Some(Selector::ClientId(id)) if id.eq_ignore_ascii_case(&state.client_id) => None,
        Some(Selector::ObjectId(id)) => Some(id.as_str()),
        Some(_) => return Err(ProtocolError::identity_not_found()),
    };
    let token = state.tokens.token(&query.resource).await?;
    if let Some(wanted) = wanted_object
        && !token.object_id.as_deref().is_some_and(|oid| oid.eq_ignore_ascii_case(wanted))
    {
        return Err(ProtocolError::identity_not_found());
    }
    let answer = Answer {
        access_token: token.access_token.expose(),
        expires_on: token.expires_on,
        not_before: token.not_before,
        resource: &token.resource,
        client_id: &state.client_id,
    };
    Ok(answer.respond(protocol, state.clock.unix()))
}

#[cfg(test)]
#[path = "protocol_tests.rs"]
mod tests;
