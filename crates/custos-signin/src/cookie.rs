//! The two cookies of sign-in, both 32 random bytes as 43 base64url characters, `Secure;
//! HttpOnly; SameSite=Lax; Path=/` and `__Host-` prefixed (no `Domain`, so only this host):
//! - the browser cookie `__Host-custos-browser`, set on the first page, which anti-CSRF tokens
//!   are bound to ([`crate::csrf`]);
//! - the session cookie `__Host-custos-session`, issued anew at every successful sign-in
//!   (no session fixation); the server keeps only its SHA-256 ([`session_key`]).
//!
//! When the public URL is plain `http` (local development without TLS) browsers refuse
//! `Secure` and `__Host-` cookies, so the names lose the prefix and the flag.

use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::Secret;
use custos_jose::random::{self, RandomError};

/// Length of a cookie value: 32 bytes in unpadded base64url.
const VALUE_LEN: usize = 43;

/// Which cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cookie {
    /// The browser binding of anti-CSRF tokens.
    Browser,
    /// The sign-in session.
    Session,
}

/// Cookie naming and flags for one server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cookies {
    /// `Secure` and the `__Host-` prefix (the public URL is `https`).
    pub secure: bool,
}

impl Cookies {
    /// Cookies for a server reached at `public_url`.
    pub fn for_public_url(public_url: &str) -> Self {
        Self { secure: !public_url.starts_with("http://") }
    }

    /// The cookie's name.
    pub fn name(self, cookie: Cookie) -> &'static str {
        match (cookie, self.secure) {
            (Cookie::Browser, true) => "__Host-custos-browser",
            (Cookie::Session, true) => "__Host-custos-session",
            (Cookie::Browser, false) => "custos-browser",
            (Cookie::Session, false) => "custos-session",
        }
    }

    /// The cookie's value in the request, if present and well formed.
    pub fn read(self, headers: &HeaderMap, cookie: Cookie) -> Option<Secret<String>> {
        value(headers, self.name(cookie))
            .filter(|value| is_value(value))
            .map(|value| Secret::new(value.to_owned()))
    }

    /// `Set-Cookie` for `value` (a session cookie: no `Max-Age`, gone when the browser closes).
    pub fn set(self, cookie: Cookie, value: &Secret<String>) -> HeaderValue {
        self.set_named(self.name(cookie), value.expose())
    }

    /// `Set-Cookie` that deletes the cookie.
    pub fn clear(self, cookie: Cookie) -> HeaderValue {
        self.clear_named(self.name(cookie))
    }

    /// `Set-Cookie` for a cookie of another component (the portal's), with these flags.
    pub fn set_named(self, name: &str, value: &str) -> HeaderValue {
        let flags = if self.secure { "; Secure" } else { "" };
        let line = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{flags}");
        HeaderValue::from_str(&line).unwrap_or(HeaderValue::from_static(""))
    }

    /// `Set-Cookie` that deletes the cookie `name`.
    pub fn clear_named(self, name: &str) -> HeaderValue {
        let flags = if self.secure { "; Secure" } else { "" };
        let line = format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{flags}");
        HeaderValue::from_str(&line).unwrap_or(HeaderValue::from_static(""))
    }
}

/// The value of the cookie `name` in the request's `Cookie` headers, if sent.
pub fn value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

/// Whether `value` looks like a value custos issued (43 base64url characters).
fn is_value(value: &str) -> bool {
    value.len() == VALUE_LEN && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A fresh cookie value: 32 random bytes, base64url.
pub fn new_value() -> Result<Secret<String>, RandomError> {
    let mut bytes = random::array::<32>()?;
    let value = URL_SAFE_NO_PAD.encode(bytes);
    bytes.fill(0);
    Ok(Secret::new(value))
}

/// What the server stores for a session cookie: its SHA-256.
pub fn session_key(value: &Secret<String>) -> [u8; 32] {
    custos_jose::hash::sha256(value.expose().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_host_prefixed_secure_http_only_and_lax() {
        let cookies = Cookies::for_public_url("https://id.example");
        let value = new_value().unwrap();
        assert_eq!(value.expose().len(), 43);
        let line = cookies.set(Cookie::Session, &value);
        assert_eq!(
            line.to_str().unwrap(),
            format!("__Host-custos-session={}; Path=/; HttpOnly; SameSite=Lax; Secure", value.expose())
        );
        assert_eq!(
            cookies.clear(Cookie::Browser).to_str().unwrap(),
            "__Host-custos-browser=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0; Secure"
        );
        let plain = Cookies::for_public_url("http://localhost:8080");
        assert_eq!(
            plain.set(Cookie::Browser, &value).to_str().unwrap().split(';').next(),
            Some(format!("custos-browser={}", value.expose()).as_str())
        );
        assert!(!plain.set(Cookie::Browser, &value).to_str().unwrap().contains("Secure"));
    }

    #[test]
    fn only_well_formed_values_of_the_named_cookie_are_read() {
        let cookies = Cookies { secure: true };
        let good = "A".repeat(43);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("x=1; __Host-custos-session={good}")).unwrap(),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("__Host-custos-browser=short"));
        assert_eq!(cookies.read(&headers, Cookie::Session).map(|s| s.expose().clone()), Some(good));
        assert!(cookies.read(&headers, Cookie::Browser).is_none(), "malformed");
        let mut plain = HeaderMap::new();
        plain.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("custos-session={}", "B".repeat(43))).unwrap(),
        );
        assert!(cookies.read(&plain, Cookie::Session).is_none(), "unprefixed name on a secure server");
    }

    #[test]
    fn values_are_fresh_and_stored_only_as_hashes() {
        let (a, b) = (new_value().unwrap(), new_value().unwrap());
        assert_ne!(a.expose(), b.expose());
        assert_eq!(session_key(&a), custos_jose::hash::sha256(a.expose().as_bytes()));
        assert_ne!(session_key(&a), session_key(&b));
    }
}
