//! The signing-key admin API: `GET /admin/v1/signing-keys` and
//! `POST /admin/v1/signing-keys/rotate` (`{"activateIn":"24h"}`, optional; `0s` = now), for the
//! installation admin only. The keys themselves belong to the authority: the server plugs its
//! key manager in through the [`SigningKeys`] seam, so this crate never sees key material.

use crate::DirectoryState;
use crate::admin::installation_admin;
use crate::auth::Authed;
use crate::body::JsonBody;
use crate::error::GraphError;
use async_trait::async_trait;
use axum::Json;
use axum::extract::State;
use custos_core::audit::AuditContext;
use http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;

const RESOURCE: &str = "SigningKeyRotation";

/// A signing key as the admin API shows it (no key material).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKey {
    /// `kid` (= `x5t`).
    pub kid: String,
    /// `next`, `current` or `retired`, as in effect now.
    pub state: &'static str,
    /// Creation time.
    pub created: OffsetDateTime,
    /// When it starts (or started) signing.
    pub activates: OffsetDateTime,
    /// When it leaves the key sets, once retired.
    pub retires: Option<OffsetDateTime>,
}

/// Why the key manager refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningKeyError {
    /// The request is refused (a malformed or out-of-range `activateIn`); the text says why and
    /// is shown to the caller.
    #[error("{0}")]
    Refused(String),
    /// Storage or key generation failed (already logged); the caller may retry.
    #[error("the signing keys are unavailable")]
    Unavailable,
}

impl From<SigningKeyError> for GraphError {
    fn from(err: SigningKeyError) -> Self {
        match err {
            SigningKeyError::Refused(text) => Self::BadRequest(text),
            SigningKeyError::Unavailable => Self::Unavailable,
        }
    }
}

/// The authority's signing keys, as the admin API needs them. The server implements it over
/// the authority's key manager.
#[async_trait]
pub trait SigningKeys: Send + Sync + 'static {
    /// Every key, oldest first.
    async fn list(&self) -> Result<Vec<SigningKey>, SigningKeyError>;
    /// Publishes a new key at once that starts signing after `activate_in` (the operator's
    /// duration text, such as `0s` or `24h`; `None` for the policy's publish-ahead time). The
    /// running server applies it before this returns, recording the change as `audit`'s.
    async fn rotate(
        &self,
        activate_in: Option<&str>,
        audit: &AuditContext,
    ) -> Result<SigningKey, SigningKeyError>;
}

/// `2030-01-01T00:00:00Z`: whole seconds, as the admin API has always shown key dates.
fn date(at: OffsetDateTime) -> String {
    at.format(&time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .unwrap_or_default()
}

/// A key as the admin API shows it.
fn shape(key: &SigningKey) -> Value {
    json!({
        "kid": key.kid,
        "state": key.state,
        "created": date(key.created),
        "activates": date(key.activates),
        "retires": key.retires.map(date),
    })
}

/// `GET /admin/v1/signing-keys`
pub(crate) async fn list(
    State(state): State<DirectoryState>,
    auth: Authed,
) -> Result<Json<Value>, GraphError> {
    installation_admin(&state, &auth).await?;
    let keys = state.signing_keys.list().await?;
    Ok(Json(json!({ "value": keys.iter().map(shape).collect::<Vec<_>>() })))
}

/// `POST /admin/v1/signing-keys/rotate`: 201 with the new key.
pub(crate) async fn rotate(
    State(state): State<DirectoryState>,
    auth: Authed,
    body: Result<JsonBody, GraphError>,
) -> Result<(StatusCode, Json<Value>), GraphError> {
    let caller = installation_admin(&state, &auth).await?;
    let activate_in: Option<String> = match body?.0 {
        Some(body) => body.only(&["activateIn"])?.take::<Option<String>>("activateIn", RESOURCE)?.flatten(),
        None => None,
    };
    let audit = crate::audit::context(&state, &caller).await;
    let key = state.signing_keys.rotate(activate_in.as_deref(), &audit).await?;
    tracing::info!(by = %caller.app_id, kid = %key.kid, activate_in = ?activate_in, "signing key rotated through the admin API");
    Ok((StatusCode::CREATED, Json(shape(&key))))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_are_whole_seconds() {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(1_893_456_000_500_000_000).unwrap();
        assert_eq!(super::date(at), "2030-01-01T00:00:00Z");
    }
}
