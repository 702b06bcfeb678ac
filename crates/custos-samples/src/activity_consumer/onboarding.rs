//! The consent experience (seed 004 "Building an app", 1 and 2): `GET /connect` sends the admin's
//! browser to the seed's consent URL,
//! `{authority}/common/oauth2/authorize?response_type=code&resource=https%3A%2F%2Fmanage.office.com&client_id=…&redirect_uri=…&state=…`,
//! with a `state` bound to the browser by the `AcState` cookie (`HttpOnly`, `SameSite=Lax`, 10
//! minutes, `Secure` on https); `GET /callback` checks that `state` (constant time), redeems the code
//! at `{authority}/common/oauth2/token` (v1, `resource=https://manage.office.com`, with the app's
//! secret or a client assertion signed with its certificate), reads `tid` from the ID token (or the
//! access token) received over TLS from the token endpoint, stores the tenant with a fresh webhook
//! `authId`, and starts its subscriptions.
//!
//! Refusals are pages: a callback without this browser's cookie or with another `state` → 400 and no
//! token request; `error=access_denied` → 403, other errors → 400, each showing the code; a code the
//! token endpoint refuses → 400 naming the AADSTS code; an unreachable authority → 502.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_jose::compact::{self, Jws, Padding};
use serde::Deserialize;

use super::activity::RESOURCE;
use super::routes::ConsumerState;
use super::settings::AppCredential;
use super::store::Tenant;
use crate::community_training::user_auth::page::{escape, no_store, page};
use crate::office365_management::store::millis;

/// The state cookie's name.
pub const STATE_COOKIE: &str = "AcState";
/// How long a consent may take.
pub const STATE_LIFETIME_SECS: i64 = 600;

/// The consent URL of seed 004 for `state`.
pub fn consent_url(authority: &str, client_id: &str, redirect_uri: &str, state: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "{authority}/common/oauth2/authorize?response_type=code&resource={}&client_id={}&redirect_uri={}&state={}",
        encode(RESOURCE),
        encode(client_id),
        encode(redirect_uri),
        encode(state)
    )
}

/// The `state` cookie of the request, if any.
pub fn cookie_state(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(STATE_COOKIE)?.strip_prefix('='))
        .find(|value| !value.is_empty())
        .map(str::to_owned)
}

fn state_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{STATE_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

/// `GET /connect`: a fresh `state` in the cookie, and a 302 to the consent URL.
pub async fn connect(State(state): State<Arc<ConsumerState>>) -> Response {
    let Ok(bytes) = custos_jose::random::array::<32>() else {
        return page(StatusCode::SERVICE_UNAVAILABLE, "Try again", "No randomness available.");
    };
    let value = URL_SAFE_NO_PAD.encode(bytes);
    let location = consent_url(&state.authority, &state.client_id, &state.redirect_uri(), &value);
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    let cookie = state_cookie(&value, STATE_LIFETIME_SECS, state.secure_cookie);
    if let (Ok(location), Ok(cookie)) = (HeaderValue::from_str(&location), HeaderValue::from_str(&cookie)) {
        headers.insert(header::LOCATION, location);
        headers.insert(header::SET_COOKIE, cookie);
    }
    no_store(headers);
    response
}

/// The callback's query.
#[derive(Debug, Default, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /callback`.
pub async fn callback(
    State(state): State<Arc<ConsumerState>>,
    headers: HeaderMap,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let mut response = finish(&state, &headers, query).await;
    let clear = state_cookie("", 0, state.secure_cookie);
    if let Ok(clear) = HeaderValue::from_str(&clear) {
        response.headers_mut().insert(header::SET_COOKIE, clear);
    }
    response
}

async fn finish(state: &ConsumerState, headers: &HeaderMap, query: CallbackQuery) -> Response {
    let matches = match (cookie_state(headers), query.state.as_deref()) {
        (Some(expected), Some(got)) => custos_jose::constant_time::eq(expected.as_bytes(), got.as_bytes()),
        _ => false,
    };
    if !matches {
        return page(
            StatusCode::BAD_REQUEST,
            "Consent not recognised",
            "This answer does not belong to a consent started in this browser (missing or different state). Start again from 'Connect your organisation'.",
        );
    }
    if let Some(error) = query.error {
        let status = if error == "access_denied" { StatusCode::FORBIDDEN } else { StatusCode::BAD_REQUEST };
        let description = query.error_description.unwrap_or_default();
        return page(status, "Consent not granted", &format!("{error}: {description}"));
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return page(StatusCode::BAD_REQUEST, "Consent not granted", "The answer carries no code.");
    };
    let redeemed = match redeem(state, &code).await {
        Ok(redeemed) => redeemed,
        Err(RedeemError::Refused(message)) => {
            return page(StatusCode::BAD_REQUEST, "Consent not completed", &message);
        }
        Err(RedeemError::Unreachable(message)) => {
            return page(StatusCode::BAD_GATEWAY, "The authority could not be reached", &message);
        }
    };
    onboard(state, redeemed).await
}

/// What the code redemption told about the tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    /// `tid`.
    pub tenant_id: String,
    /// The admin (`upn`, `unique_name` or `preferred_username`), when present.
    pub admin: Option<String>,
}

/// Why the code gave no tenant.
#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    /// The token endpoint refused, or answered something without a tenant.
    #[error("{0}")]
    Refused(String),
    /// No answer.
    #[error("{0}")]
    Unreachable(String),
}

async fn redeem(state: &ConsumerState, code: &str) -> Result<Redeemed, RedeemError> {
    let token_url = format!("{}/common/oauth2/token", state.authority);
    let redirect_uri = state.redirect_uri();
    let mut form: Vec<(&str, String)> = vec![
        ("grant_type", "authorization_code".to_owned()),
        ("client_id", state.client_id.clone()),
        ("code", code.to_owned()),
        ("redirect_uri", redirect_uri),
        ("resource", RESOURCE.to_owned()),
    ];
    match &state.credential {
        AppCredential::Secret(secret) => form.push(("client_secret", secret.expose().clone())),
        AppCredential::Certificate(key, _) => {
            let assertion = key
                .assertion(&state.client_id, &token_url, state.retrieval.clock.unix())
                .map_err(|e| RedeemError::Refused(format!("cannot sign the client assertion: {e}")))?;
            form.push((
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ));
            form.push(("client_assertion", assertion));
        }
    }
    let http = state.retrieval.api.tokens().http_client();
    let unreachable = |e: reqwest::Error| RedeemError::Unreachable(e.without_url().to_string());
    let response = http.post(&token_url).form(&form).send().await.map_err(unreachable)?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.map_err(|e| {
        RedeemError::Refused(format!("HTTP {status}: the answer is not JSON ({})", e.without_url()))
    })?;
    let text = |name: &str| body.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
    if !status.is_success() {
        let error = text("error").unwrap_or_else(|| format!("HTTP {status}"));
        let description = text("error_description").unwrap_or_default();
        let description = description.split(" Trace ID:").next().unwrap_or_default();
        return Err(RedeemError::Refused(format!("{error}: {description}")));
    }
    let claims = ["id_token", "access_token"].iter().filter_map(|name| text(name)).find_map(|t| payload(&t));
    let Some(claims) = claims else {
        return Err(RedeemError::Refused("the token answer carries no readable token".to_owned()));
    };
    let claim = |name: &str| claims.get(name).and_then(serde_json::Value::as_str).map(str::to_owned);
    let tenant_id = claim("tid")
        .filter(|tid| tid.parse::<uuid::Uuid>().is_ok())
        .ok_or_else(|| RedeemError::Refused("the token carries no tenant id (tid)".to_owned()))?;
    let admin = claim("upn").or_else(|| claim("unique_name")).or_else(|| claim("preferred_username"));
    Ok(Redeemed { tenant_id: tenant_id.to_ascii_lowercase(), admin })
}

/// The payload of a token received directly from the token endpoint over TLS (its signature is not
/// checked: the TLS server authentication of the token endpoint stands for it, OpenID Connect Core
/// §3.1.3.7; the app only needs `tid`).
pub fn payload(token: &str) -> Option<serde_json::Value> {
    let jws = Jws::split(token).ok()?;
    let bytes = compact::decode(jws.payload, Padding::Refused).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Stores the tenant (keeping an existing `authId`) and starts its subscriptions.
async fn onboard(state: &ConsumerState, redeemed: Redeemed) -> Response {
    let Ok(auth_id) = custos_jose::random::array::<32>().map(|b| URL_SAFE_NO_PAD.encode(b)) else {
        return page(StatusCode::SERVICE_UNAVAILABLE, "Try again", "No randomness available.");
    };
    let tenant = Tenant {
        tenant_id: redeemed.tenant_id.clone(),
        auth_id,
        admin: redeemed.admin,
        onboarded_ms: millis(state.retrieval.clock.now()),
    };
    let stored = match state.retrieval.store.upsert_tenant(&tenant).await {
        Ok(stored) => stored,
        Err(error) => {
            tracing::error!(%error, "tenant store");
            return page(StatusCode::SERVICE_UNAVAILABLE, "Try again", "The tenant store is unavailable.");
        }
    };
    tracing::info!(tenant = %stored.tenant_id, "tenant onboarded");
    let answers = match state
        .retrieval
        .start_subscriptions(&stored.tenant_id, &stored.auth_id, &state.content_types)
        .await
    {
        Ok(answers) => answers,
        Err(error) => {
            tracing::error!(%error, "tenant store");
            return page(StatusCode::SERVICE_UNAVAILABLE, "Try again", "The tenant store is unavailable.");
        }
    };
    let items: String = answers
        .iter()
        .map(|(content_type, result)| {
            let status = match result {
                Ok(()) => "subscribed".to_owned(),
                Err(error) => format!("not yet subscribed ({error}); retried on the next poll"),
            };
            format!("<li>{}: {}</li>", escape(content_type), escape(&status))
        })
        .collect();
    super::pages::html(
        StatusCode::OK,
        "Organisation connected",
        &format!(
            "<p>Tenant <code>{}</code> is connected.</p><ul>{items}</ul><p><a href=\"/tenants\">Tenants and their latest events</a></p>",
            escape(&stored.tenant_id)
        ),
    )
}
