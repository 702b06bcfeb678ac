//! The sign-in HTTP surface under `/{tenant}/`, matched as the authority matches its paths:
//! case-insensitively, with an optional trailing slash (MSAL Node lower-cases the authority).
//! [`owns`] tells a server which requests to hand to [`router`]; handlers read the request,
//! call one flow function and return its response.

use crate::error::Trace;
use crate::request::Version;
use crate::state::SignIn;
use crate::{admin_consent, authorize, logout, pages};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use custos_listener::ConnectionInfo;
use http_body_util::{BodyExt, Limited};
use std::net::IpAddr;
use std::sync::Arc;

/// Largest form body the pages post.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The endpoints under `/{tenant}/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Authorize(Version),
    AdminConsent(Version),
    Logout,
}

impl Endpoint {
    /// Splits a request path into its tenant segment and endpoint.
    pub(crate) fn parse(path: &str) -> Option<(&str, Self)> {
        let path = path.strip_prefix('/')?;
        let path = path.strip_suffix('/').unwrap_or(path);
        let (tenant, rest) = path.split_once('/')?;
        if tenant.is_empty() {
            return None;
        }
        let endpoint = match rest.to_ascii_lowercase().as_str() {
            "oauth2/authorize" => Self::Authorize(Version::V1),
            "oauth2/v2.0/authorize" => Self::Authorize(Version::V2),
            "adminconsent" => Self::AdminConsent(Version::V1),
            "v2.0/adminconsent" => Self::AdminConsent(Version::V2),
            "oauth2/logout" | "oauth2/v2.0/logout" => Self::Logout,
            _ => return None,
        };
        Some((tenant, endpoint))
    }
}

/// Whether a request for `path` belongs to [`router`].
pub fn owns(path: &str) -> bool {
    Endpoint::parse(path).is_some()
}

/// The router serving the sign-in endpoints.
pub fn router(state: Arc<SignIn>) -> Router {
    Router::new().route("/{tenant}/{*rest}", any(dispatch)).with_state(state)
}

/// What a flow needs from the HTTP request.
#[derive(Debug)]
pub(crate) struct Incoming {
    /// The tenant segment of the path, as sent.
    pub(crate) tenant: String,
    /// The path without query (where forms post back to).
    pub(crate) path: String,
    /// The query string.
    pub(crate) query: String,
    /// The form fields of a POST.
    pub(crate) form: Option<Vec<(String, String)>>,
    /// The request headers.
    pub(crate) headers: HeaderMap,
    /// The peer's address, when the server provides it.
    pub(crate) source: Option<IpAddr>,
    /// Trace ids and time of this request.
    pub(crate) trace: Trace,
}

impl Incoming {
    /// The one value of a form field; `None` when absent or repeated.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        let form = self.form.as_ref()?;
        let mut values = form.iter().filter(|(n, _)| n == name);
        let first = values.next()?;
        values.next().is_none().then_some(first.1.as_str())
    }
}

async fn dispatch(State(state): State<Arc<SignIn>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((tenant, endpoint)) = Endpoint::parse(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let method = request.method().clone();
    let allowed = match endpoint {
        Endpoint::Logout => method == Method::GET,
        _ => method == Method::GET || method == Method::POST,
    };
    if !allowed {
        let allow = if endpoint == Endpoint::Logout { "GET" } else { "GET, POST" };
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, allow)]).into_response();
    }
    // MSAL sends `client-request-id` as a header to the token endpoint and as a query parameter
    // to authorize.
    let from_query = request.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(n, _)| n == "client-request-id")
            .map(|(_, v)| v.into_owned())
    });
    let from_header = request.headers().get("client-request-id").and_then(|v| v.to_str().ok());
    let trace = Trace::new(state.clock.now(), from_header.or(from_query.as_deref()));
    let source = request.extensions().get::<ConnectionInfo>().map(|c| c.peer.ip());
    let query = request.uri().query().unwrap_or_default().to_owned();
    let tenant = tenant.to_owned();
    let (parts, body) = request.into_parts();
    let form = if method == Method::POST {
        match read_form(&parts.headers, body).await {
            Ok(form) => Some(form),
            Err(status) => return pages::message(status, "Sign in", "The form could not be read."),
        }
    } else {
        None
    };
    let incoming = Incoming { tenant, path, query, form, headers: parts.headers, source, trace };
    match endpoint {
        Endpoint::Authorize(version) => authorize::handle(&state, version, &incoming).await,
        Endpoint::AdminConsent(version) => admin_consent::handle(&state, version, &incoming).await,
        Endpoint::Logout => logout::handle(&state, &incoming).await,
    }
}

/// Reads an `application/x-www-form-urlencoded` body of at most [`MAX_FORM_BYTES`].
async fn read_form(headers: &HeaderMap, body: Body) -> Result<Vec<(String, String)>, StatusCode> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let essence = content_type.split(';').next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
    let bytes = Limited::new(body, MAX_FORM_BYTES)
        .collect()
        .await
        .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE)?
        .to_bytes();
    Ok(form_urlencoded::parse(&bytes).into_owned().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_case_insensitive_with_an_optional_trailing_slash() {
        assert_eq!(
            Endpoint::parse("/common/oauth2/authorize"),
            Some(("common", Endpoint::Authorize(Version::V1)))
        );
        assert_eq!(
            Endpoint::parse("/T/OAuth2/V2.0/Authorize/"),
            Some(("T", Endpoint::Authorize(Version::V2)))
        );
        assert_eq!(Endpoint::parse("/t/adminconsent"), Some(("t", Endpoint::AdminConsent(Version::V1))));
        assert_eq!(Endpoint::parse("/t/v2.0/AdminConsent"), Some(("t", Endpoint::AdminConsent(Version::V2))));
        assert_eq!(Endpoint::parse("/t/oauth2/logout"), Some(("t", Endpoint::Logout)));
        assert_eq!(Endpoint::parse("/t/oauth2/v2.0/logout"), Some(("t", Endpoint::Logout)));
        for other in
            ["/t/oauth2/token", "/t/oauth2/v2.0/token", "//oauth2/authorize", "/t/oauth2/authorize//", "/t"]
        {
            assert_eq!(Endpoint::parse(other), None, "{other}");
            assert!(!owns(other));
        }
        assert!(owns("/organizations/oauth2/v2.0/authorize"));
    }
}
