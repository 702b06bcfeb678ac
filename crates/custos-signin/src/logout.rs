//! `GET /{tenant}/oauth2/logout` and `/oauth2/v2.0/logout`: ends the browser's sign-in session
//! (deleted server-side, cookie cleared), then redirects to `post_logout_redirect_uri` only when
//! `client_id` names an application that registers that URI exactly (no open redirect);
//! otherwise shows a "signed out" page.

use crate::cookie::{self, Cookie};
use crate::html;
use crate::pages;
use crate::redirect;
use crate::routes::Incoming;
use crate::state::SignIn;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use custos_core::AppId;
use custos_store::Store;

/// Handles both logout endpoints.
pub(crate) async fn handle(state: &SignIn, req: &Incoming) -> Response {
    let store: &dyn Store = state.directory.as_ref();
    if let Some(session) = state.cookies.read(&req.headers, Cookie::Session)
        && let Err(e) = store.delete_session(&cookie::session_key(&session)).await
    {
        tracing::warn!(error = %e, "logout failed: storage error");
        return pages::error(&custos_core::aadsts::TokenError::TemporarilyUnavailable, &req.trace);
    }
    let mut response = match target(state, &req.query).await {
        Some(uri) => match HeaderValue::from_str(&uri) {
            Ok(location) => {
                let mut response = (StatusCode::FOUND, [(header::LOCATION, location)]).into_response();
                html::secure_headers(&mut response, None);
                response
            }
            Err(_) => signed_out(),
        },
        None => signed_out(),
    };
    response.headers_mut().append(header::SET_COOKIE, state.cookies.clear(Cookie::Session));
    response
}

fn signed_out() -> Response {
    pages::message(
        StatusCode::OK,
        "You signed out of your account",
        "It's a good idea to close all browser windows.",
    )
}

/// The registered `post_logout_redirect_uri` to go to, with `state` appended when sent.
async fn target(state: &SignIn, query: &str) -> Option<String> {
    let mut uri = None;
    let mut client = None;
    let mut echo = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "post_logout_redirect_uri" => uri = Some(value.into_owned()),
            "client_id" => client = Some(value.into_owned()),
            "state" => echo = Some(value.into_owned()),
            _ => {}
        }
    }
    let (uri, client) = (uri?, client?.parse::<AppId>().ok()?);
    let store: &dyn Store = state.directory.as_ref();
    let registrations = store.applications_by_app_id(client).await.ok()?;
    registrations.iter().find(|app| redirect::match_uri(&app.redirect_uris, &uri).is_some())?;
    Some(match echo {
        Some(echo) => {
            let separator = if uri.contains('?') { '&' } else { '?' };
            let encoded: String =
                form_urlencoded::Serializer::new(String::new()).append_pair("state", &echo).finish();
            format!("{uri}{separator}{encoded}")
        }
        None => uri,
    })
}
