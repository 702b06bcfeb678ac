//! Anti-CSRF tokens (RFC 6749 §10.12, `security.md` AS-17, F40): the token of a browser is
//! `BASE64URL(HMAC-SHA-256(server key, "csrf" || browser cookie value))`, put in a hidden input
//! of every form and checked, in constant time, on every form POST. A POST without the browser
//! cookie, without the token, or with another browser's token is refused (403).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::Secret;
use custos_jose::hmac::{HmacKey, TAG_LEN};

/// Domain separation of the MAC.
const PURPOSE: &[u8] = b"csrf";

/// The key tokens are computed with.
#[derive(Debug, Clone)]
pub struct CsrfKey(HmacKey);

impl CsrfKey {
    /// A key from the server's 32-byte CSRF secret.
    pub fn new(key: &Secret<[u8; 32]>) -> Self {
        Self(HmacKey::new(key.expose()))
    }

    /// The token of the browser holding `browser_cookie`.
    pub fn token(&self, browser_cookie: &Secret<String>) -> String {
        URL_SAFE_NO_PAD.encode(self.0.sign_parts(&[PURPOSE, browser_cookie.expose().as_bytes()]))
    }

    /// Whether `token` is the token of the browser holding `browser_cookie`.
    pub fn check(&self, browser_cookie: Option<&Secret<String>>, token: Option<&str>) -> bool {
        let (Some(cookie), Some(token)) = (browser_cookie, token) else { return false };
        let Ok(tag) = URL_SAFE_NO_PAD.decode(token) else { return false };
        tag.len() == TAG_LEN && self.0.verify_parts(&[PURPOSE, cookie.expose().as_bytes()], &tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cookie(c: char) -> Secret<String> {
        Secret::new(c.to_string().repeat(43))
    }

    #[test]
    fn tokens_are_bound_to_the_browser_and_the_key() {
        let key = CsrfKey::new(&Secret::new([1; 32]));
        let token = key.token(&cookie('a'));
        assert_eq!(token.len(), 43);
        assert!(key.check(Some(&cookie('a')), Some(&token)));
        assert!(!key.check(Some(&cookie('b')), Some(&token)), "another browser's token");
        assert!(!key.check(None, Some(&token)), "no browser cookie");
        assert!(!key.check(Some(&cookie('a')), None), "no token");
        assert!(!key.check(Some(&cookie('a')), Some("")));
        assert!(!key.check(Some(&cookie('a')), Some(&token[..42])));
        assert!(!key.check(Some(&cookie('a')), Some(&format!("{token}="))));
        let other = CsrfKey::new(&Secret::new([2; 32]));
        assert!(!other.check(Some(&cookie('a')), Some(&token)), "another server key");
        assert_eq!(format!("{key:?}"), "CsrfKey(HmacKey(<redacted>))");
    }
}
