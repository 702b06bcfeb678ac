//! The security headers every response leaves with: `X-Content-Type-Options: nosniff` always,
//! `Strict-Transport-Security` on TLS connections only (RFC 6797 §7.2: never over plain HTTP).
//! A value the handler set itself (or an upstream the gateway proxies) is kept.

use http::HeaderMap;
use http::header::{HeaderValue, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS};

/// One year, without `includeSubDomains`: the listener cannot know what else its domain serves.
const HSTS: &str = "max-age=31536000";

/// Adds the headers a response lacks; `tls` says whether it leaves over TLS.
pub(crate) fn add_security_headers(headers: &mut HeaderMap, tls: bool) {
    headers.entry(X_CONTENT_TYPE_OPTIONS).or_insert(HeaderValue::from_static("nosniff"));
    if tls {
        headers.entry(STRICT_TRANSPORT_SECURITY).or_insert(HeaderValue::from_static(HSTS));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_only_over_tls_and_existing_values_are_kept() {
        let mut plain = HeaderMap::new();
        add_security_headers(&mut plain, false);
        assert_eq!(plain[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(!plain.contains_key(STRICT_TRANSPORT_SECURITY));

        let mut secure = HeaderMap::new();
        secure.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=60; includeSubDomains"));
        add_security_headers(&mut secure, true);
        assert_eq!(secure[STRICT_TRANSPORT_SECURITY], "max-age=60; includeSubDomains");
        assert_eq!(secure.get_all(X_CONTENT_TYPE_OPTIONS).iter().count(), 1);
    }
}
