//! Signing in and out. Sign-in is custos' own authorization-code flow with PKCE, as any public
//! client runs it: `/portal/sign-in` sends the browser to `/organizations/oauth2/v2.0/authorize`
//! for the directory API's delegated permissions; `/portal/callback` checks `state`, redeems the
//! code at the token endpoint (in process) and keeps the token in the session cookie. Only a
//! Global Administrator gets a session; anyone else sees why, not an error.

use crate::api::{Api, encode};
use crate::form::Posted;
use crate::layout;
use crate::session::{Claims, FLOW_LIFETIME_SECS, Flow, PortalCookie};
use crate::state::Portal;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::ids::{GRAPH_IDENTIFIER_URI, PORTAL_APP_ID, PORTAL_SCOPES};
use custos_core::users::GLOBAL_ADMINISTRATOR;
use custos_listener::ConnectionInfo;
use maud::html;
use serde::Deserialize;
use std::sync::Arc;

/// The authorization endpoint's tenant: any organization's user may sign in.
const AUTHORITY: &str = "organizations";

/// `GET /portal`: to the overview.
pub(crate) async fn to_home() -> Redirect {
    Redirect::permanent("/portal/")
}

/// Where to go after signing in: a portal path, never another origin.
fn safe_return(raw: Option<&str>) -> String {
    match raw {
        Some(path)
            if path.starts_with("/portal/")
                && !path.contains("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/portal/".to_owned(),
    }
}

fn scopes() -> String {
    PORTAL_SCOPES.iter().map(|s| format!("{GRAPH_IDENTIFIER_URI}/{s}")).collect::<Vec<_>>().join(" ")
}

fn redirect_uri(portal: &Portal) -> String {
    format!("{}/portal/callback", portal.public_url)
}

fn random_value() -> Option<String> {
    custos_jose::random::array::<32>().ok().map(|bytes| URL_SAFE_NO_PAD.encode(bytes))
}

fn unavailable() -> Response {
    layout::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        "The portal cannot start a sign-in right now.",
    )
}

#[derive(Deserialize)]
pub(crate) struct SignInQuery {
    #[serde(rename = "return")]
    return_to: Option<String>,
}

/// `GET /portal/sign-in?return=…`: starts the authorization-code flow.
pub(crate) async fn sign_in(State(portal): State<Arc<Portal>>, Query(query): Query<SignInQuery>) -> Response {
    let (Some(state), Some(verifier)) = (random_value(), random_value()) else { return unavailable() };
    let flow = Flow {
        state: state.clone(),
        verifier: verifier.clone(),
        return_to: safe_return(query.return_to.as_deref()),
        expires: portal.clock.unix() + FLOW_LIFETIME_SECS,
    };
    let Some(cookie) = portal.set_cookie(PortalCookie::Flow, &flow) else { return unavailable() };
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &PORTAL_APP_ID.to_string())
        .append_pair("response_type", "code")
        .append_pair("redirect_uri", &redirect_uri(&portal))
        .append_pair("response_mode", "query")
        .append_pair("scope", &scopes())
        .append_pair("state", &state)
        .append_pair("code_challenge", &custos_jose::pkce::challenge_s256(&verifier))
        .append_pair("code_challenge_method", "S256")
        .finish();
    let url = format!("{}/{AUTHORITY}/oauth2/v2.0/authorize?{query}", portal.public_url);
    let mut response = Redirect::to(&url).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

#[derive(Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /portal/callback`: the authorization response.
pub(crate) async fn callback(
    State(portal): State<Arc<Portal>>,
    headers: HeaderMap,
    peer: Option<axum::Extension<ConnectionInfo>>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let clear_flow = portal.clear_cookie(PortalCookie::Flow);
    let mut response = finish(&portal, &headers, peer.map(|p| p.0), query).await;
    response.headers_mut().append(header::SET_COOKIE, clear_flow);
    response
}

fn try_again(title: &str, text: &str) -> Response {
    layout::message_with(
        StatusCode::BAD_REQUEST,
        title,
        html! { p { (text) } p { a.button href="/portal/sign-in" { "Sign in again" } } },
    )
}

async fn finish(
    portal: &Portal,
    headers: &HeaderMap,
    peer: Option<ConnectionInfo>,
    query: CallbackQuery,
) -> Response {
    let Some(flow) = portal.flow(headers) else {
        return try_again("Sign-in expired", "This sign-in was started too long ago or in another browser.");
    };
    let state_matches = query
        .state
        .as_deref()
        .is_some_and(|s| custos_jose::constant_time::eq(s.as_bytes(), flow.state.as_bytes()));
    if !state_matches {
        tracing::info!("portal sign-in refused: state mismatch");
        return try_again(
            "Sign-in refused",
            "The sign-in response does not belong to this browser's sign-in.",
        );
    }
    if let Some(error) = query.error {
        let text = query.error_description.unwrap_or(error);
        return try_again("Sign-in did not complete", &text);
    }
    let Some(code) = query.code else {
        return try_again("Sign-in did not complete", "The sign-in response carries no authorization code.");
    };
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &PORTAL_APP_ID.to_string())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &code)
        .append_pair("redirect_uri", &redirect_uri(portal))
        .append_pair("code_verifier", &flow.verifier)
        .append_pair("scope", &scopes())
        .finish();
    let api = Api::anonymous(portal, peer);
    let answer = match api.post_form(&format!("/{AUTHORITY}/oauth2/v2.0/token"), &form).await {
        Ok(answer) => answer,
        Err(e) => return try_again("Sign-in did not complete", &e.message),
    };
    let Some(token) = answer.get("access_token").and_then(|t| t.as_str()) else {
        return try_again("Sign-in did not complete", "The token endpoint answered without an access token.");
    };
    let Some(claims) = Claims::of(token) else {
        return try_again("Sign-in did not complete", "The access token could not be read.");
    };
    if !claims.wids.iter().any(|w| w.parse() == Ok(GLOBAL_ADMINISTRATOR)) {
        tracing::info!(tenant = %claims.tid, "portal sign-in refused: not a Global Administrator");
        return not_an_admin(&claims);
    }
    let installation = is_installation_admin(portal, token, peer).await;
    let Some(cookie) = portal.session_cookie(token, installation) else {
        return try_again("Sign-in did not complete", "The access token is too large to keep in a cookie.");
    };
    tracing::info!(tenant = %claims.tid, installation, "portal session started");
    let mut response = Redirect::to(&flow.return_to).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// Whether the installation's admin API answers this token (its home tenant's administrators).
async fn is_installation_admin(portal: &Portal, token: &str, peer: Option<ConnectionInfo>) -> bool {
    Api::bearer(portal, token, peer).get("/admin/v1/tenants").await.is_ok()
}

/// The page of a signed-in user who may not use the portal.
fn not_an_admin(claims: &Claims) -> Response {
    let mut response = layout::message_with(
        StatusCode::FORBIDDEN,
        "You need an administrator role",
        html! {
            p { "You signed in as " strong { (claims.user_name()) } ", which is not a Global Administrator of tenant " code { (claims.tid) } "." }
            p { "The custos portal is for a tenant's Global Administrators. Ask one of them to give you the role on the portal's Users page, or sign in with another account." }
            p { a.button href="/common/oauth2/v2.0/logout" { "Sign out" } }
        },
    );
    response.headers_mut().insert(header::VARY, HeaderValue::from_static("Cookie"));
    response
}

/// `POST /portal/sign-out`: ends the portal session and the browser's sign-in session.
pub(crate) async fn sign_out(State(portal): State<Arc<Portal>>, posted: Posted) -> Response {
    tracing::info!(tenant = %posted.ctx.tenant(), "portal session ended");
    let tenant = encode(posted.ctx.tenant());
    let mut response = Redirect::to(&format!("/{tenant}/oauth2/v2.0/logout")).into_response();
    response.headers_mut().append(header::SET_COOKIE, portal.clear_cookie(PortalCookie::Session));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_portal_paths_are_returned_to() {
        assert_eq!(safe_return(Some("/portal/apps?search=x")), "/portal/apps?search=x");
        for bad in [
            None,
            Some("https://evil.example/"),
            Some("//evil.example/portal/"),
            Some("/portal/\\evil"),
            Some("/other"),
        ] {
            assert_eq!(safe_return(bad), "/portal/", "{bad:?}");
        }
    }
}
