//! The handlers of the user path: `/ExternalAuthentication/Login`, `/ExternalAuthentication/Callback`
//! and `POST /api/v1/ExternalAuthToken/RefreshToken/{identityProvider}` (see the module above for the
//! decisions they follow).

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::UserAuth;
use super::authority::{AuthorityError, id_token_nonce};
use super::cookie::SignIn;
use super::page::{no_store, page};
use crate::community_training::error::ApiError;
use crate::community_training::extract::JsonBody;

/// Longest refresh token the route forwards (custos' are 43 characters; Entra's a few hundred).
pub const MAX_REFRESH_TOKEN: usize = 8 * 1024;

/// `GET /ExternalAuthentication/Login`: a fresh sign-in, sealed into the cookie, and a 302 to the
/// authority's v2 authorize endpoint.
pub async fn login(State(auth): State<Arc<UserAuth>>) -> Response {
    let sign_in = SignIn::start(auth.clock.unix()).ok();
    let cookie = sign_in.as_ref().and_then(|sign_in| auth.cookies.set_cookie(sign_in).ok());
    let (Some(sign_in), Some(cookie)) = (sign_in, cookie) else {
        tracing::error!("the system random generator failed");
        return page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sign-in failed",
            "The sign-in could not be started.",
        );
    };
    let mut location = auth.authorize_url.clone();
    location
        .query_pairs_mut()
        .append_pair("client_id", &auth.client.client_id.to_string())
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", auth.client.redirect_uri.as_str())
        .append_pair("response_mode", "query")
        .append_pair("scope", &auth.client.scope)
        .append_pair("state", &sign_in.state)
        .append_pair("nonce", &sign_in.nonce)
        .append_pair("code_challenge", &sign_in.challenge())
        .append_pair("code_challenge_method", "S256");
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    no_store(headers);
    set(headers, header::LOCATION, location.as_str());
    set(headers, header::SET_COOKIE, &cookie);
    response
}

/// Why a callback gives no tokens. Each is an HTML page (the callback is a browser's page).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// A parameter appears twice.
    #[error("The parameter '{0}' appears more than once.")]
    Duplicate(&'static str),
    /// No sign-in of this browser is in progress (no cookie, a forged one, or an expired one).
    #[error(
        "No sign-in is in progress in this browser (the sign-in cookie is missing or has expired). Start again at /ExternalAuthentication/Login."
    )]
    NoSignIn,
    /// `state` is missing or is not the one this browser's sign-in sent.
    #[error(
        "The response's state does not match this browser's sign-in. Start again at /ExternalAuthentication/Login."
    )]
    StateMismatch,
    /// The authority answered with an error instead of a code.
    #[error("The sign-in did not complete: {error}: {description}")]
    FromAuthority {
        /// `error` (`access_denied`, `consent_required`, ...).
        error: String,
        /// `error_description`.
        description: String,
    },
    /// Neither `code` nor `error`.
    #[error("The response carries no code.")]
    MissingCode,
    /// The token endpoint refused the code.
    #[error("The authority refused the code: {error}: {description}")]
    CodeRefused {
        /// `error`.
        error: String,
        /// `error_description` (names the AADSTS code).
        description: String,
    },
    /// The ID token's `nonce` is not this sign-in's.
    #[error("The ID token does not belong to this browser's sign-in (nonce).")]
    NonceMismatch,
    /// The authority could not be used (unreachable, malformed answer, or it refused the sample's own
    /// credentials).
    #[error("The authority could not complete the sign-in: {0}")]
    Authority(String),
}

impl CallbackError {
    fn status(&self) -> StatusCode {
        match self {
            Self::FromAuthority { error, .. } if error == "access_denied" => StatusCode::FORBIDDEN,
            Self::Authority(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// The callback's parameters, each at most once.
#[derive(Debug, Default)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

fn parse_callback(query: Option<&str>) -> Result<CallbackQuery, CallbackError> {
    let mut out = CallbackQuery::default();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let (slot, name) = match name.as_ref() {
            "code" => (&mut out.code, "code"),
            "state" => (&mut out.state, "state"),
            "error" => (&mut out.error, "error"),
            "error_description" => (&mut out.error_description, "error_description"),
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(CallbackError::Duplicate(name));
        }
    }
    Ok(out)
}

/// `GET /ExternalAuthentication/Callback`: checks the browser's sign-in, redeems the code and sends
/// the browser to the landing page with the tokens in the fragment.
pub async fn callback(
    State(auth): State<Arc<UserAuth>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    match finish(&auth, &headers, query.as_deref()).await {
        Ok(response) => response,
        Err((error, consumed)) => {
            tracing::info!(status = error.status().as_u16(), reason = %error, "sign-in refused at the callback");
            let mut response = page(error.status(), "Sign-in failed", &error.to_string());
            if consumed {
                set(response.headers_mut(), header::SET_COOKIE, &auth.cookies.clear_cookie());
            }
            response
        }
    }
}

/// The callback's work; an error says whether this browser's sign-in was used up (its cookie is
/// then removed; a mismatched `state` leaves the sign-in in progress untouched).
async fn finish(
    auth: &UserAuth,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Response, (CallbackError, bool)> {
    let params = parse_callback(query).map_err(|e| (e, false))?;
    let sign_ins = auth.cookies.read(headers, auth.clock.unix());
    if sign_ins.is_empty() {
        return Err((CallbackError::NoSignIn, false));
    }
    let state = params.state.as_deref().unwrap_or_default();
    let sign_in =
        sign_ins.into_iter().find(|s| s.matches_state(state)).ok_or((CallbackError::StateMismatch, false))?;
    if let Some(error) = params.error {
        let description = params.error_description.unwrap_or_default();
        return Err((CallbackError::FromAuthority { error, description }, true));
    }
    let code = params.code.filter(|c| !c.is_empty()).ok_or((CallbackError::MissingCode, true))?;
    let client = &auth.client;
    let tokens = auth
        .token
        .redeem_code(&code, client.redirect_uri.as_str(), &sign_in.verifier, &client.scope)
        .await
        .map_err(|e| (callback_error(e), true))?;
    let nonce = tokens.id_token.as_deref().and_then(id_token_nonce);
    if !nonce.is_some_and(|n| sign_in.matches_nonce(&n)) {
        return Err((CallbackError::NonceMismatch, true));
    }
    let fragment = form_urlencoded::Serializer::new(String::new())
        .append_pair("AccessToken", &tokens.access_token)
        .append_pair("RefreshToken", &tokens.refresh_token)
        .append_pair("ExpiresIn", &tokens.expires_in.to_string())
        .finish();
    let mut location = client.landing_uri.clone();
    location.set_fragment(Some(&fragment));
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    no_store(headers);
    set(headers, header::LOCATION, location.as_str());
    set(headers, header::SET_COOKIE, &auth.cookies.clear_cookie());
    tracing::info!("sign-in completed");
    Ok(response)
}

fn callback_error(error: AuthorityError) -> CallbackError {
    match error {
        AuthorityError::Refused { error, description, .. } if !is_client_problem(&error) => {
            CallbackError::CodeRefused { error, description }
        }
        other => CallbackError::Authority(other.to_string()),
    }
}

/// Errors that mean the sample's own registration or credentials are wrong, not the caller's input.
fn is_client_problem(error: &str) -> bool {
    matches!(error, "invalid_client" | "unauthorized_client")
}

/// The refresh route's body (`{"RefreshToken":"…"}`, seed 003).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token.
    #[serde(rename = "RefreshToken", alias = "refreshToken")]
    pub refresh_token: Option<String>,
}

/// The refresh route's answer. *custos' own shape* (MCT documents none).
#[derive(Debug, Serialize)]
pub struct RefreshResponse {
    /// The new access token.
    #[serde(rename = "AccessToken")]
    pub access_token: String,
    /// The new refresh token (the one sent is now spent).
    #[serde(rename = "RefreshToken")]
    pub refresh_token: String,
    /// Lifetime of the access token in seconds.
    #[serde(rename = "ExpiresIn")]
    pub expires_in: u64,
}

/// `POST /api/v1/ExternalAuthToken/RefreshToken/{identityProvider}`.
pub async fn refresh(
    State(auth): State<Arc<UserAuth>>,
    provider: Result<Path<String>, PathRejection>,
    JsonBody(body): JsonBody<RefreshRequest>,
) -> Result<Response, ApiError> {
    let Path(provider) =
        provider.map_err(|_| ApiError::field("identityProvider", "The identityProvider is not valid."))?;
    match provider.to_ascii_uppercase().as_str() {
        "AZUREAD" => {}
        "PHONE" | "EMAIL" => {
            return Err(ApiError::field(
                "identityProvider",
                format!(
                    "The identity provider {} is not supported by this sample: only AZUREAD is.",
                    provider.to_ascii_uppercase()
                ),
            ));
        }
        _ => {
            return Err(ApiError::field(
                "identityProvider",
                "The identityProvider must be one of PHONE, EMAIL, AZUREAD.",
            ));
        }
    }
    let token = body
        .refresh_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::field("RefreshToken", "The RefreshToken field is required."))?;
    if token.len() > MAX_REFRESH_TOKEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::field("RefreshToken", "The RefreshToken field is not a refresh token."));
    }
    let tokens = auth.token.refresh(&token, &auth.client.scope).await.map_err(|error| match error {
        AuthorityError::Refused { error, description, codes } if !is_client_problem(&error) => {
            ApiError::TokenRefused { error, description, codes }
        }
        other => ApiError::Upstream(other.to_string()),
    })?;
    let answer = RefreshResponse {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_in: tokens.expires_in,
    };
    let mut response = Json(answer).into_response();
    no_store(response.headers_mut());
    Ok(response)
}

fn set(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_parameters_once_each() {
        let q = parse_callback(Some("code=c&state=s&session_state=x&unknown=1&unknown=2")).unwrap();
        assert_eq!((q.code.as_deref(), q.state.as_deref()), (Some("c"), Some("s")));
        assert_eq!(parse_callback(Some("state=a&state=b")).unwrap_err(), CallbackError::Duplicate("state"));
        assert_eq!(parse_callback(Some("code=a&code=a")).unwrap_err(), CallbackError::Duplicate("code"));
        assert!(parse_callback(None).unwrap().code.is_none());
        let error =
            parse_callback(Some("error=access_denied&error_description=AADSTS65004%3A+declined")).unwrap();
        assert_eq!(error.error_description.as_deref(), Some("AADSTS65004: declined"));
    }

    #[test]
    fn statuses() {
        let denied =
            CallbackError::FromAuthority { error: "access_denied".into(), description: String::new() };
        assert_eq!(denied.status(), StatusCode::FORBIDDEN);
        assert_eq!(CallbackError::StateMismatch.status(), StatusCode::BAD_REQUEST);
        assert_eq!(CallbackError::Authority("down".into()).status(), StatusCode::BAD_GATEWAY);
        let refused = AuthorityError::Refused {
            error: "invalid_client".into(),
            description: "x".into(),
            codes: vec![7000215],
        };
        assert!(matches!(callback_error(refused), CallbackError::Authority(_)));
    }
}
