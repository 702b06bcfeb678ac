//! The `redirect_uri` and `signin_form` targets: redirect-URI matching
//! (`custos_signin::redirect`) and the authorize parameters the sign-in pages read and post back
//! (`custos_signin::request::Params`).

use crate::split_line;
use custos_core::consent::{Platform, RedirectUris};
use custos_signin::redirect::{match_uri, resolve};
use custos_signin::request::{Params, Version};

/// The first line of `data` is the requested URI; each further line registers a URI, on the
/// platform its first byte picks (`w` web, `s` spa, anything else public client). Asserts the
/// matching rule (AS-1, AS-2): a match is byte equality with a registered URI, or else RFC 8252's
/// loopback rule (a public-client `http://localhost` or `http://127.0.0.1` URI with the same host,
/// path and query and any port); a well-formed URI equal to a registered one always matches; and
/// [`resolve`] agrees with [`match_uri`].
///
/// # Panics
///
/// When the rule is broken: that is the finding.
pub(crate) fn redirect_uri(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (requested, registered) = split_line(text.as_bytes());
    let requested = std::str::from_utf8(requested).unwrap_or_default();
    let mut uris = RedirectUris::default();
    for line in registered.unwrap_or_default().split(|&b| b == b'\n') {
        let Some((&platform, uri)) = line.split_first() else { continue };
        let uri = String::from_utf8_lossy(uri).into_owned();
        match platform {
            b'w' => uris.web.push(uri),
            b's' => uris.spa.push(uri),
            _ => uris.public_client.push(uri),
        }
    }
    check_redirect_rule(&uris, requested);
}

/// The matching rule for one registration and request (shared with the property tests).
///
/// # Panics
///
/// When the rule is broken.
pub fn check_redirect_rule(uris: &RedirectUris, requested: &str) {
    let matched = match_uri(uris, requested);
    let equal: Vec<Platform> = [(Platform::Web, &uris.web), (Platform::Spa, &uris.spa)]
        .into_iter()
        .chain([(Platform::PublicClient, &uris.public_client)])
        .filter(|(_, list)| list.iter().any(|u| u == requested))
        .map(|(p, _)| p)
        .collect();
    match matched {
        Some(platform) if equal.contains(&platform) => {}
        Some(platform) => {
            assert!(equal.is_empty(), "{requested:?} matched {platform:?} before an equal URI");
            assert_eq!(platform, Platform::PublicClient, "{requested:?}: only public clients match loopback");
            let key = loopback_key(requested);
            assert!(
                key.is_some() && uris.public_client.iter().any(|u| loopback_key(u) == key),
                "{requested:?} matched no registered URI: {uris:?}"
            );
        }
        None => assert!(
            equal.is_empty() || !well_formed(requested),
            "{requested:?} is registered but did not match: {uris:?}"
        ),
    }
    if !uris.is_empty() && well_formed(requested) {
        let resolved = resolve(uris, Some(requested), "app");
        assert_eq!(
            resolved.map(|m| m.platform).ok(),
            matched,
            "{requested:?}: resolve and match_uri disagree"
        );
    }
}

/// An absolute URI the matcher must consider: `scheme://` with a letter-led scheme, something
/// after it, visible ASCII only and no fragment.
fn well_formed(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once("://") else { return false };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        && !rest.is_empty()
        && uri.bytes().all(|b| b.is_ascii_graphic())
        && !uri.contains('#')
}

/// RFC 8252 §7.3's view of a loopback URI: `http://`, host `localhost` or `127.0.0.1`, an optional
/// port from 1 to 65535 (at most five digits), then nothing or a path or query; the URI without
/// its port. `None` for anything else.
fn loopback_key(uri: &str) -> Option<String> {
    let after = uri.strip_prefix("http://")?;
    let host_end = after.find([':', '/', '?']).unwrap_or(after.len());
    let (host, tail) = after.split_at(host_end);
    if host != "localhost" && host != "127.0.0.1" {
        return None;
    }
    let rest = match tail.strip_prefix(':') {
        Some(port_and_rest) => {
            let end = port_and_rest.find(['/', '?']).unwrap_or(port_and_rest.len());
            let (port, rest) = port_and_rest.split_at(end);
            let digits = !port.is_empty() && port.len() <= 5 && port.bytes().all(|b| b.is_ascii_digit());
            if !digits || !(1..=65_535).contains(&port.parse::<u32>().ok()?) {
                return None;
            }
            rest
        }
        None => tail,
    };
    Some(format!("{host}{rest}"))
}

/// `data` (when UTF-8) as an authorize query or a posted sign-in form. Asserts: no panic in any
/// accessor, and the parameters the pages carry back (`Params::encode`, the hidden `ctx` field)
/// validate exactly as the request did.
///
/// # Panics
///
/// When a posted-back form validates differently: that is the finding.
pub(crate) fn signin_form(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let params = Params::parse(raw);
    let _ = (params.client_id(), params.redirect_uri(), params.response_mode(), params.state());
    let carried = Params::parse(&params.encode());
    assert_eq!(carried.encode(), params.encode(), "{raw:?}: encode is not stable");
    for version in [Version::V1, Version::V2] {
        if let Ok(request) = params.validate(version) {
            assert_eq!(carried.validate(version).ok(), Some(request), "{raw:?} carried back differs");
        }
        if let Ok(request) = params.validate_admin_consent(version) {
            let again = carried.validate_admin_consent(version).ok();
            assert_eq!(again, Some(request), "{raw:?} carried back differs (admin consent)");
        }
    }
}
