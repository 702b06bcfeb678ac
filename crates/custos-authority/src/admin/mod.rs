//! The signing-key admin API: `GET /admin/v1/signing-keys` and
//! `POST /admin/v1/signing-keys/rotate` (`{"activateIn":"24h"}`, optional).
//!
//! Like the rest of the admin API it requires a bearer token this server issued for the
//! directory API (`https://graph.microsoft.com` or its appId) carrying the app role
//! `Custos.Admin`, from a principal of the installation's home tenant (the oldest tenant): an
//! admin of another tenant never manages the installation's keys, whatever roles it holds.

pub(crate) mod body;
pub(crate) mod error;

use crate::Authority;
use crate::keys::{KeyInfo, format_duration, parse_duration};
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use body::single_property;
use custos_core::ids::{GRAPH_APP_ID, GRAPH_IDENTIFIER_URI};
use error::{AdminError, RequestIds};
use serde_json::{Value, json};
use std::sync::Arc;
use time::OffsetDateTime;

/// The app role the admin API requires.
const CUSTOS_ADMIN: &str = "Custos.Admin";

/// Largest rotation request body.
const MAX_BODY_BYTES: usize = 4096;

/// The admin routes of the authority.
pub(crate) fn router(auth: Arc<Authority>) -> Router {
    Router::new()
        .route("/admin/v1/signing-keys", get(list))
        .route("/admin/v1/signing-keys/rotate", post(rotate))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(auth)
}

/// `GET /admin/v1/signing-keys`
async fn list(State(auth): State<Arc<Authority>>, headers: HeaderMap) -> Response {
    let ids = RequestIds::new(&headers);
    let result = async {
        installation_admin(&auth, &headers).await?;
        let keys = auth.keys.list().await?;
        Ok((StatusCode::OK, json!({ "value": keys.iter().map(shape).collect::<Vec<_>>() })))
    }
    .await;
    ids.respond(result, auth.clock.now())
}

/// `POST /admin/v1/signing-keys/rotate`: 201 with the new key.
async fn rotate(
    State(auth): State<Arc<Authority>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let ids = RequestIds::new(&headers);
    let result = async {
        let caller = installation_admin(&auth, &headers).await?;
        let body = body.map_err(|_| AdminError::PayloadTooLarge(MAX_BODY_BYTES))?;
        let activate_in = match activate_in(&body)? {
            Some(text) => parse_duration(&text).map_err(|e| AdminError::BadRequest(e.to_string()))?,
            None => auth.keys.policy().publish_ahead,
        };
        let key = auth.keys.rotate(activate_in).await?;
        tracing::info!(
            by = %caller.app_id,
            kid = %key.kid,
            activate_in = %format_duration(activate_in),
            "signing key rotated through the admin API"
        );
        Ok((StatusCode::CREATED, shape(&key)))
    }
    .await;
    ids.respond(result, auth.clock.now())
}

/// The caller, when it holds `Custos.Admin` on the directory API in the home tenant.
pub(crate) async fn installation_admin(
    auth: &Authority,
    headers: &HeaderMap,
) -> Result<crate::VerifiedCaller, AdminError> {
    let token = bearer_token(headers).ok_or(AdminError::MissingToken)?;
    let caller = auth.verify_access_token(token, None).map_err(|e| {
        tracing::info!(reason = %e, "admin call refused: bearer token rejected");
        AdminError::InvalidToken
    })?;
    let aud = caller.aud.trim_end_matches('/');
    if aud != GRAPH_IDENTIFIER_URI && aud != GRAPH_APP_ID.to_string() {
        tracing::info!(aud = %caller.aud, "admin call refused: the token is not for the directory API");
        return Err(AdminError::InvalidToken);
    }
    if !caller.roles.iter().any(|r| r == CUSTOS_ADMIN) {
        tracing::info!(app_id = %caller.app_id, "admin call refused: missing app role Custos.Admin");
        return Err(AdminError::Forbidden);
    }
    let home = auth.directory.store().tenants().await?.first().map(|t| t.id);
    if home != Some(caller.tenant_id) {
        tracing::info!(app_id = %caller.app_id, tenant = %caller.tenant_id, "admin call refused: not the home tenant");
        return Err(AdminError::Forbidden);
    }
    Ok(caller)
}

/// The token of an `Authorization: Bearer <token>` header (scheme compared case-insensitively).
fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// `activateIn` of a rotation body: absent for an empty body or `{}`.
fn activate_in(body: &[u8]) -> Result<Option<String>, AdminError> {
    match single_property(body, "activateIn", "a signing-key rotation")? {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(AdminError::BadRequest(
            "'activateIn' must be a duration string such as \"0s\", \"90m\", \"24h\" or \"7d\".".to_owned(),
        )),
    }
}

/// A key as the admin API shows it.
fn shape(key: &KeyInfo) -> Value {
    json!({
        "kid": key.kid,
        "state": key.state.as_str(),
        "created": date(key.created),
        "activates": date(key.activates),
        "retires": key.retires.map(date),
    })
}

/// `2030-01-01T00:00:00Z`, like Graph's dates.
fn date(at: OffsetDateTime) -> String {
    at.format(&time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_bodies_are_read_strictly() {
        // Blank, malformed and non-object bodies: see `body`'s tests.
        assert_eq!(activate_in(b"{}"), Ok(None));
        assert_eq!(activate_in(br#"{"activateIn":"0s"}"#), Ok(Some("0s".to_owned())));
        assert_eq!(
            activate_in(br#"{"activateIn":"0s","force":true}"#),
            Err(AdminError::BadRequest(
                "Property 'force' does not exist on a signing-key rotation; only 'activateIn' does."
                    .to_owned()
            ))
        );
        assert!(matches!(activate_in(br#"{"activateIn":0}"#), Err(AdminError::BadRequest(_))));
    }

    #[test]
    fn dates_are_graph_style() {
        let at = OffsetDateTime::from_unix_timestamp(1_893_456_000).unwrap();
        assert_eq!(date(at), "2030-01-01T00:00:00Z");
    }
}
