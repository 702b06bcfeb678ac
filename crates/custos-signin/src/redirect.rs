//! Redirect-URI matching (`entra-user-flows.md` §1.3, `security.md` AS-1, AS-2, F39): the
//! requested URI must equal a registered one byte for byte (no case folding, no normalisation,
//! no prefix or sub-path matches). The one exception is RFC 8252's loopback rule, for
//! `publicClient` registrations only: a registered `http://localhost/...` or
//! `http://127.0.0.1/...` matches the same URI with any port; the path (and query) must still be
//! equal, and `localhost` and `127.0.0.1` are different hosts.
//!
//! Every failure here is shown on the error page, never redirected: AADSTS50011 (not
//! registered), 90102 (not an absolute URI), 500113 (the application registers none), 900971
//! (omitted while several are registered).

use custos_core::aadsts::SignInError;
use custos_core::consent::{Platform, RedirectUris};

/// The URI a response goes to and the platform it is registered under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Where the response goes: the requested URI (with its loopback port), or the sole
    /// registered URI when the request named none.
    pub uri: String,
    /// The `redirect_uri` parameter as sent, if any (the token request must repeat it).
    pub requested: Option<String>,
    /// The platform of the registration that matched.
    pub platform: Platform,
}

/// Every registered URI with its platform, exact-match precedence first.
fn registrations(registered: &RedirectUris) -> impl Iterator<Item = (Platform, &str)> {
    fn tag(platform: Platform, uris: &[String]) -> impl Iterator<Item = (Platform, &str)> {
        uris.iter().map(move |u| (platform, u.as_str()))
    }
    tag(Platform::Web, &registered.web)
        .chain(tag(Platform::Spa, &registered.spa))
        .chain(tag(Platform::PublicClient, &registered.public_client))
}

/// The platform a requested URI is registered under, if it is.
pub fn match_uri(registered: &RedirectUris, requested: &str) -> Option<Platform> {
    if !is_absolute_uri(requested) || requested.contains('#') {
        return None;
    }
    if let Some((platform, _)) = registrations(registered).find(|(_, uri)| *uri == requested) {
        return Some(platform);
    }
    let (host, rest) = loopback(requested)?;
    registered
        .public_client
        .iter()
        .filter_map(|uri| loopback(uri))
        .any(|(h, r)| h == host && r == rest)
        .then_some(Platform::PublicClient)
}

/// Resolves the request's `redirect_uri` (or its absence) against the application's URIs.
pub fn resolve(
    registered: &RedirectUris,
    requested: Option<&str>,
    app_id: &str,
) -> Result<Matched, SignInError> {
    if registered.is_empty() {
        return Err(SignInError::NoReplyAddressRegistered);
    }
    let Some(requested) = requested else {
        let mut all = registrations(registered);
        return match (all.next(), all.next()) {
            (Some((platform, uri)), None) => Ok(Matched { uri: uri.to_owned(), requested: None, platform }),
            _ => Err(SignInError::NoReplyAddressProvided),
        };
    };
    if !is_absolute_uri(requested) {
        return Err(SignInError::MalformedRedirectUri);
    }
    match match_uri(registered, requested) {
        Some(platform) => {
            Ok(Matched { uri: requested.to_owned(), requested: Some(requested.to_owned()), platform })
        }
        None => Err(SignInError::RedirectUriMismatch {
            redirect_uri: requested.to_owned(),
            app_id: app_id.to_owned(),
        }),
    }
}

/// `scheme://rest` with a valid scheme, a non-empty rest and only visible ASCII (so it is a valid
/// `Location` header and cannot hide look-alike characters).
fn is_absolute_uri(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else { return false };
    let mut scheme_bytes = scheme.bytes();
    scheme_bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && scheme_bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        && !rest.is_empty()
        && uri.bytes().all(|b| b.is_ascii_graphic())
}

/// `(host, path and query)` of an `http` loopback URI: host `localhost` or `127.0.0.1`, an
/// optional port of 1 to 5 digits, then nothing or something starting with `/` or `?`.
fn loopback(uri: &str) -> Option<(&str, &str)> {
    let after = uri.strip_prefix("http://")?;
    let host = ["localhost", "127.0.0.1"].into_iter().find(|h| after.starts_with(h))?;
    let after_host = &after[host.len()..];
    let rest = match after_host.strip_prefix(':') {
        Some(port_and_rest) => {
            let end = port_and_rest.find(['/', '?']).unwrap_or(port_and_rest.len());
            let port = &port_and_rest[..end];
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            port.parse::<u16>().ok().filter(|p| *p != 0)?;
            &port_and_rest[end..]
        }
        None => after_host,
    };
    (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')).then_some((host, rest))
}

#[cfg(test)]
#[path = "redirect_tests.rs"]
mod tests;
