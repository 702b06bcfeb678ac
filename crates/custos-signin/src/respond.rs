//! The authorization response (`entra-user-flows.md` §1.5, §1.8, §1.9): success (`code`,
//! `client_info`, `state`, `session_state`, `admin_consent`) or error (`error`,
//! `error_description`, `error_uri`, `error_subcode`, `state`) delivered to a validated redirect
//! URI in the request's `response_mode`:
//! - `query`: 302 with the fields in the `Location` query (never 307: AS-15);
//! - `fragment`: 302 with the fields after `#`;
//! - `form_post`: 200 with a page whose form posts the fields to the redirect URI; a visible
//!   Continue button makes it work without JavaScript, and one inline script, allowed by its
//!   hash in the page's CSP, submits it at once.
//!
//! A registered URI without a path gets a `/` for `query` and `fragment` (`http://localhost:7071`
//! → `http://localhost:7071/?code=…`), not for `form_post`.

use crate::error::Trace;
use crate::html::{self, document, escape, hidden};
use crate::request::ResponseMode;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use custos_core::aadsts::{SignInError, TokenError};
use custos_core::{ObjectId, TenantId};
use std::fmt::Write as _;
use std::sync::LazyLock;
use uuid::Uuid;

/// The form_post page's one script.
const AUTO_SUBMIT: &str = "document.forms[0].submit();";

/// Base64 SHA-256 of [`AUTO_SUBMIT`], as CSP `script-src 'sha256-…'` names it.
static AUTO_SUBMIT_HASH: LazyLock<String> =
    LazyLock::new(|| STANDARD.encode(custos_jose::hash::sha256(AUTO_SUBMIT.as_bytes())));

/// A validated redirect URI and how to answer to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destination<'a> {
    /// The redirect URI: as requested (with the loopback port), or the sole registered one.
    pub uri: &'a str,
    /// The response mode.
    pub mode: ResponseMode,
}

/// What a successful authorization returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success<'a> {
    /// The authorization code.
    pub code: &'a str,
    /// The request's `state`.
    pub state: Option<&'a str>,
    /// The sign-in session's public id (`session_state`).
    pub session_state: Uuid,
    /// `(user oid, tenant id)` when the request sent `client_info=1`.
    pub client_info: Option<(ObjectId, TenantId)>,
    /// v1 `prompt=admin_consent`: `admin_consent=True`.
    pub admin_consent: bool,
}

/// `client_info`: base64url without padding of `{"uid":oid,"utid":tid}`.
pub fn client_info(user: ObjectId, tenant: TenantId) -> String {
    URL_SAFE_NO_PAD.encode(format!(r#"{{"uid":"{user}","utid":"{tenant}"}}"#))
}

/// The success response.
pub fn success(to: Destination<'_>, ok: &Success<'_>) -> Response {
    let mut fields: Vec<(&str, String)> = vec![("code", ok.code.to_owned())];
    if let Some((user, tenant)) = ok.client_info {
        fields.push(("client_info", client_info(user, tenant)));
    }
    if let Some(state) = ok.state {
        fields.push(("state", state.to_owned()));
    }
    fields.push(("session_state", ok.session_state.hyphenated().to_string()));
    if ok.admin_consent {
        fields.push(("admin_consent", "True".to_owned()));
    }
    send(to, &fields)
}

/// The fields of a redirected error: `error`, `error_description` (Entra's layout with trace
/// ids), `error_uri` (`{public_url}/error?code=N`), `error_subcode=cancel` when the user
/// declined, `state`.
pub fn error_fields(
    error: &TokenError,
    trace: &Trace,
    public_url: &str,
    state: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("error", error.oauth_error().as_str().to_owned()),
        ("error_description", trace.describe(error)),
        ("error_uri", format!("{}/error?code={}", public_url.trim_end_matches('/'), error.code())),
    ];
    if matches!(error, TokenError::SignIn(SignInError::ConsentDeclined)) {
        fields.push(("error_subcode", "cancel".to_owned()));
    }
    if let Some(state) = state {
        fields.push(("state", state.to_owned()));
    }
    fields
}

/// The redirected error response.
pub fn error(
    to: Destination<'_>,
    error: &TokenError,
    trace: &Trace,
    public_url: &str,
    state: Option<&str>,
) -> Response {
    send(to, &error_fields(error, trace, public_url, state))
}

/// Delivers `fields` to the destination in its response mode.
pub fn send<S: AsRef<str>>(to: Destination<'_>, fields: &[(&str, S)]) -> Response {
    let mut encoded = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields {
        encoded.append_pair(name, value.as_ref());
    }
    let encoded = encoded.finish();
    match to.mode {
        ResponseMode::Query => {
            let uri = with_root_path(to.uri);
            let separator = if uri.contains('?') { '&' } else { '?' };
            found(&format!("{uri}{separator}{encoded}"))
        }
        ResponseMode::Fragment => found(&format!("{}#{encoded}", with_root_path(to.uri))),
        ResponseMode::FormPost => form_post(to.uri, fields),
    }
}

/// `uri` with `/` added when it has no path (`https://a` → `https://a/`, `https://a?x` →
/// `https://a/?x`).
fn with_root_path(uri: &str) -> String {
    let Some(scheme_end) = uri.find("://") else { return uri.to_owned() };
    let authority_start = scheme_end + 3;
    let authority_end =
        uri[authority_start..].find(['/', '?', '#']).map_or(uri.len(), |i| authority_start + i);
    if uri[authority_end..].starts_with('/') {
        uri.to_owned()
    } else {
        format!("{}/{}", &uri[..authority_end], &uri[authority_end..])
    }
}

/// 302 Found to `location` (redirect URIs are visible ASCII: `redirect` refuses anything else).
fn found(location: &str) -> Response {
    let Ok(value) = HeaderValue::from_str(location) else {
        return html::page(
            StatusCode::BAD_REQUEST,
            document("Sign in", "<p>Invalid redirect URI.</p>"),
            None,
        );
    };
    let mut response = (StatusCode::FOUND, [(header::LOCATION, value)]).into_response();
    html::secure_headers(&mut response, None);
    response
}

/// The auto-submitting form of `response_mode=form_post`.
fn form_post<S: AsRef<str>>(uri: &str, fields: &[(&str, S)]) -> Response {
    let mut body = String::with_capacity(1024);
    let _ = write!(body, r#"<form method="post" action="{}">"#, escape(uri));
    for (name, value) in fields {
        hidden(&mut body, name, value.as_ref());
    }
    body.push_str(
        "<noscript><p>Script is disabled. Select Continue to go on.</p></noscript>\
         <p><button type=\"submit\">Continue</button></p></form>",
    );
    let _ = write!(body, "<script>{AUTO_SUBMIT}</script>");
    html::page(StatusCode::OK, document("Working...", &body), Some(&AUTO_SUBMIT_HASH))
}

#[cfg(test)]
#[path = "respond_tests.rs"]
mod tests;
