//! The portal session: the signed-in administrator's delegated access token for the directory
//! API, sealed (AES-256-GCM, `custos_jose::seal`) under the portal's key into one cookie,
//! `__Host-custos-portal` (`HttpOnly; SameSite=Lax; Secure; Path=/`). The server keeps nothing,
//! so every node holding the key serves the session and a restart keeps it. It ends when the
//! token expires (custos' access token lifetime), at sign-out, or when the browser closes.
//!
//! The sign-in flow's own state (PKCE verifier, `state`, where to return) travels the same way
//! in `__Host-custos-portal-flow` for the few minutes the sign-in takes.

use crate::state::Portal;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::Secret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Browsers keep cookies up to 4096 bytes, name and attributes included.
const MAX_COOKIE_VALUE: usize = 3900;
/// How long a sign-in may take between leaving for the sign-in page and coming back.
pub(crate) const FLOW_LIFETIME_SECS: i64 = 600;

/// The portal's two cookies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortalCookie {
    /// The session.
    Session,
    /// An unfinished sign-in.
    Flow,
}

impl PortalCookie {
    fn name(self, secure: bool) -> &'static str {
        match (self, secure) {
            (Self::Session, true) => "__Host-custos-portal",
            (Self::Flow, true) => "__Host-custos-portal-flow",
            (Self::Session, false) => "custos-portal",
            (Self::Flow, false) => "custos-portal-flow",
        }
    }

    /// The additional data the seal is bound to: a flow cookie never opens as a session.
    fn aad(self) -> &'static [u8] {
        match self {
            Self::Session => b"custos-portal-session",
            Self::Flow => b"custos-portal-flow",
        }
    }
}

/// What the session cookie holds.
#[derive(Serialize, Deserialize)]
struct Sealed {
    token: String,
    installation: bool,
}

/// What the flow cookie holds.
#[derive(Serialize, Deserialize)]
pub(crate) struct Flow {
    pub(crate) state: String,
    pub(crate) verifier: String,
    pub(crate) return_to: String,
    pub(crate) expires: i64,
}

/// The claims of the session's token the portal reads (the API checks the token itself).
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    /// Tenant.
    pub tid: String,
    /// The user's object id.
    pub oid: String,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Sign-in name (v2 tokens).
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// Sign-in name (v1 tokens).
    #[serde(default)]
    pub upn: Option<String>,
    /// Directory role template ids.
    #[serde(default)]
    pub wids: Vec<String>,
    /// Expiry, in Unix seconds.
    pub exp: i64,
}

impl Claims {
    /// The user's sign-in name.
    pub fn user_name(&self) -> &str {
        self.preferred_username.as_deref().or(self.upn.as_deref()).unwrap_or(&self.name)
    }

    /// The claims of a JWT's payload (not verified: the token came from the token endpoint and
    /// travels sealed; the API verifies it on every call).
    pub fn of(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }
}

/// A signed-in administrator.
#[derive(Clone)]
pub struct Session {
    /// The delegated access token for the directory API.
    pub token: Secret<String>,
    /// Its claims.
    pub claims: Claims,
    /// Whether the user administers the installation (every tenant, the signing keys).
    pub installation_admin: bool,
    /// The cookie's value, which anti-CSRF tokens are bound to.
    pub(crate) cookie: Secret<String>,
}

impl Portal {
    fn read_cookie(&self, headers: &HeaderMap, which: PortalCookie) -> Option<String> {
        custos_signin::cookie::value(headers, which.name(self.cookies.secure)).map(str::to_owned)
    }

    fn open<T: DeserializeOwned>(&self, which: PortalCookie, value: &str) -> Option<T> {
        let sealed = URL_SAFE_NO_PAD.decode(value).ok()?;
        let plain = custos_jose::seal::open(self.session_key.expose(), &sealed, which.aad()).ok()?;
        serde_json::from_slice(&plain).ok()
    }

    fn seal<T: Serialize>(&self, which: PortalCookie, value: &T) -> Option<String> {
        let plain = serde_json::to_vec(value).ok()?;
        let sealed = custos_jose::seal::seal(self.session_key.expose(), &plain, which.aad()).ok()?;
        Some(URL_SAFE_NO_PAD.encode(sealed)).filter(|v| v.len() <= MAX_COOKIE_VALUE)
    }

    /// `Set-Cookie` for `value` sealed, or `None` when it is too large for a cookie.
    pub(crate) fn set_cookie<T: Serialize>(&self, which: PortalCookie, value: &T) -> Option<HeaderValue> {
        let sealed = self.seal(which, value)?;
        Some(self.cookies.set_named(which.name(self.cookies.secure), &sealed))
    }

    /// `Set-Cookie` that deletes the cookie.
    pub(crate) fn clear_cookie(&self, which: PortalCookie) -> HeaderValue {
        self.cookies.clear_named(which.name(self.cookies.secure))
    }

    /// `Set-Cookie` for a session holding `token`.
    pub(crate) fn session_cookie(&self, token: &str, installation: bool) -> Option<HeaderValue> {
        self.set_cookie(PortalCookie::Session, &Sealed { token: token.to_owned(), installation })
    }

    /// The unexpired sign-in flow of the request, if any.
    pub(crate) fn flow(&self, headers: &HeaderMap) -> Option<Flow> {
        let value = self.read_cookie(headers, PortalCookie::Flow)?;
        let flow: Flow = self.open(PortalCookie::Flow, &value)?;
        (flow.expires > self.clock.unix()).then_some(flow)
    }

    /// The request's session, if it has a valid, unexpired one.
    pub(crate) fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let value = self.read_cookie(headers, PortalCookie::Session)?;
        let sealed: Sealed = self.open(PortalCookie::Session, &value)?;
        let claims = Claims::of(&sealed.token)?;
        if claims.exp <= self.clock.unix() {
            return None;
        }
        Some(Session {
            token: Secret::new(sealed.token),
            claims,
            installation_admin: sealed.installation,
            cookie: Secret::new(value),
        })
    }
}

/// Where a request without a session is sent: sign-in, then back to the page it asked for
/// (a form post returns to the page it came from, its action path without the last segment).
fn to_sign_in(parts: &Parts) -> Response {
    let path = parts.uri.path();
    let back = if parts.method == axum::http::Method::GET {
        parts.uri.path_and_query().map_or(path, |p| p.as_str()).to_owned()
    } else {
        "/portal/".to_owned()
    };
    let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("return", &back).finish();
    Redirect::to(&format!("/portal/sign-in?{query}")).into_response()
}

impl FromRequestParts<Arc<Portal>> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, portal: &Arc<Portal>) -> Result<Self, Self::Rejection> {
        portal.session(&parts.headers).ok_or_else(|| to_sign_in(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;
    use custos_core::clock::FixedClock;
    use time::OffsetDateTime;

    fn portal(clock: Arc<FixedClock>) -> Portal {
        let config = crate::PortalConfig {
            public_url: "https://id.example.com".into(),
            session_key: Secret::new([7; 32]),
            csrf_key: Secret::new([8; 32]),
            clock,
        };
        Portal::new(config, axum::Router::new())
    }

    fn token(exp: i64) -> String {
        let claims = serde_json::json!({"tid": "t", "oid": "o", "name": "Ada", "preferred_username": "ada@contoso.com", "wids": ["w"], "exp": exp});
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims.to_string()))
    }

    fn with_cookie(set: &HeaderValue) -> HeaderMap {
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&format!("other=1; {pair}")).unwrap());
        headers
    }

    #[test]
    fn a_sealed_session_opens_until_its_token_expires() {
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(1_000).unwrap()));
        let portal = portal(clock.clone());
        let set = portal.session_cookie(&token(2_000), true).unwrap();
        let line = set.to_str().unwrap();
        assert!(line.starts_with("__Host-custos-portal="), "{line}");
        assert!(line.ends_with("; Path=/; HttpOnly; SameSite=Lax; Secure"), "{line}");
        let session = portal.session(&with_cookie(&set)).unwrap();
        assert_eq!(session.claims.user_name(), "ada@contoso.com");
        assert!(session.installation_admin);
        clock.set(OffsetDateTime::from_unix_timestamp(2_000).unwrap());
        assert!(portal.session(&with_cookie(&set)).is_none(), "expired with its token");
    }

    #[test]
    fn tampered_foreign_or_flow_cookies_do_not_open_as_sessions() {
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(1_000).unwrap()));
        let portal = portal(clock.clone());
        let set = portal.session_cookie(&token(2_000), false).unwrap();
        let mut line = set.to_str().unwrap().to_owned();
        let at = line.find('=').unwrap() + 5;
        let flipped = if &line[at..=at] == "A" { "B" } else { "A" };
        line.replace_range(at..=at, flipped);
        assert!(portal.session(&with_cookie(&HeaderValue::from_str(&line).unwrap())).is_none());
        let other = self::portal(clock.clone());
        let mut other = other;
        other.session_key = Secret::new([9; 32]);
        assert!(other.session(&with_cookie(&set)).is_none(), "another key");
        let flow =
            Flow { state: "s".into(), verifier: "v".into(), return_to: "/portal/".into(), expires: 1_500 };
        let flow_cookie = portal.set_cookie(PortalCookie::Flow, &flow).unwrap();
        let renamed =
            flow_cookie.to_str().unwrap().replacen("__Host-custos-portal-flow", "__Host-custos-portal", 1);
        assert!(portal.session(&with_cookie(&HeaderValue::from_str(&renamed).unwrap())).is_none());
        assert_eq!(portal.flow(&with_cookie(&flow_cookie)).unwrap().state, "s");
        clock.set(OffsetDateTime::from_unix_timestamp(1_500).unwrap());
        assert!(portal.flow(&with_cookie(&flow_cookie)).is_none(), "an old flow is gone");
    }

    #[test]
    fn a_token_too_large_for_a_cookie_is_refused() {
        let clock = Arc::new(FixedClock::new(OffsetDateTime::UNIX_EPOCH));
        let portal = portal(clock);
        assert!(portal.session_cookie(&"x".repeat(4000), false).is_none());
    }
}
