//! The sign-in cookie: what the callback needs to finish the sign-in this browser started, carried by
//! the browser itself so that the sample keeps no per-sign-in state.
//!
//! `CtSignIn=base64url(AES-256-GCM({state}.{nonce}.{verifier}.{expires}))`: 32 random bytes each for
//! `state`, `nonce` and the PKCE verifier (base64url) and the expiry in Unix seconds, sealed
//! (`custos_jose::seal`, the cookie's name as associated data) under a key drawn when the sample
//! starts, so the browser can neither read the verifier nor change anything, and a restart ends the
//! sign-ins in progress. The cookie is
//! `HttpOnly`, `SameSite=Lax` (sent on the authority's top-level redirect to the callback, never on
//! cross-site subrequests), `Secure` when the public URL is https, scoped to `/ExternalAuthentication`
//! and lives [`SIGN_IN_LIFETIME_SECS`]. A newer sign-in in the same browser replaces it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_jose::random::{self, RandomError};
use custos_jose::{JoseError, constant_time, seal};
use http::HeaderMap;
use http::header::COOKIE;

/// The cookie's name.
pub const COOKIE_NAME: &str = "CtSignIn";
/// How long a sign-in may take, from `/Login` to `/Callback` (the authority's codes live as long).
pub const SIGN_IN_LIFETIME_SECS: i64 = 600;
const COOKIE_PATH: &str = "/ExternalAuthentication";

/// One sign-in in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignIn {
    /// Sent as `state`; the callback's `state` must equal it.
    pub state: String,
    /// Sent as `nonce`; the ID token's `nonce` must equal it.
    pub nonce: String,
    /// The PKCE verifier of the S256 challenge sent.
    pub verifier: String,
    /// Unix time after which the cookie is refused.
    pub expires: i64,
}

impl SignIn {
    /// A fresh sign-in starting at `now`.
    pub fn start(now: i64) -> Result<Self, RandomError> {
        let value = || random::array::<32>().map(|bytes| URL_SAFE_NO_PAD.encode(bytes));
        Ok(Self {
            state: value()?,
            nonce: value()?,
            verifier: value()?,
            expires: now + SIGN_IN_LIFETIME_SECS,
        })
    }

    /// The S256 challenge of the verifier (RFC 7636 §4.2).
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(custos_jose::hash::sha256(self.verifier.as_bytes()))
    }

    /// Whether `state` (from the callback) is this sign-in's, compared in constant time.
    pub fn matches_state(&self, state: &str) -> bool {
        constant_time::eq(self.state.as_bytes(), state.as_bytes())
    }

    /// Whether `nonce` (from the ID token) is this sign-in's.
    pub fn matches_nonce(&self, nonce: &str) -> bool {
        constant_time::eq(self.nonce.as_bytes(), nonce.as_bytes())
    }
}

/// Seals sign-ins into cookie values and reads them back.
#[derive(Clone)]
pub struct CookieSealer {
    key: [u8; 32],
    secure: bool,
}

impl std::fmt::Debug for CookieSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CookieSealer").field("secure", &self.secure).finish_non_exhaustive()
    }
}

impl CookieSealer {
    /// A sealer with a fresh random key; `secure` adds the `Secure` attribute.
    pub fn new(secure: bool) -> Result<Self, RandomError> {
        Ok(Self { key: random::array::<32>()?, secure })
    }

    /// The `Set-Cookie` value that stores `sign_in` (fails only when the system's random generator
    /// does).
    pub fn set_cookie(&self, sign_in: &SignIn) -> Result<String, JoseError> {
        let body = format!("{}.{}.{}.{}", sign_in.state, sign_in.nonce, sign_in.verifier, sign_in.expires);
        let sealed = URL_SAFE_NO_PAD.encode(seal::seal(&self.key, body.as_bytes(), COOKIE_NAME.as_bytes())?);
        Ok(self.attributes(&format!("{COOKIE_NAME}={sealed}"), SIGN_IN_LIFETIME_SECS))
    }

    /// The `Set-Cookie` value that removes the cookie.
    pub fn clear_cookie(&self) -> String {
        self.attributes(&format!("{COOKIE_NAME}="), 0)
    }

    fn attributes(&self, pair: &str, max_age: i64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{pair}; Path={COOKIE_PATH}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
    }

    /// Every sign-in cookie of the request that opens under this key and has not expired at `now`.
    pub fn read(&self, headers: &HeaderMap, now: i64) -> Vec<SignIn> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|line| line.split(';'))
            .filter_map(|pair| pair.trim().strip_prefix(COOKIE_NAME)?.strip_prefix('='))
            .filter_map(|value| self.open(value))
            .filter(|sign_in| now < sign_in.expires)
            .collect()
    }

    fn open(&self, value: &str) -> Option<SignIn> {
        let sealed = URL_SAFE_NO_PAD.decode(value).ok()?;
        let body = String::from_utf8(seal::open(&self.key, &sealed, COOKIE_NAME.as_bytes()).ok()?).ok()?;
        let mut parts = body.split('.');
        let (state, nonce, verifier, expires) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        Some(SignIn {
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            verifier: verifier.to_owned(),
            expires: expires.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const NOW: i64 = 1_800_000_000;

    fn cookie_header(set_cookie: &str) -> HeaderMap {
        let pair = set_cookie.split(';').next().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_str(&format!("other=1; {pair}")).unwrap());
        headers
    }

    #[test]
    fn a_sealed_sign_in_reads_back_until_it_expires() {
        let sealer = CookieSealer::new(true).unwrap();
        let sign_in = SignIn::start(NOW).unwrap();
        assert_eq!(sign_in.state.len(), 43);
        assert!(custos_jose::pkce::verify_s256(&sign_in.challenge(), &sign_in.verifier));
        let set = sealer.set_cookie(&sign_in).unwrap();
        for secret in [&sign_in.state, &sign_in.nonce, &sign_in.verifier] {
            assert!(!set.contains(secret.as_str()), "nothing readable in the cookie");
        }
        assert!(
            set.ends_with("; Path=/ExternalAuthentication; Max-Age=600; HttpOnly; SameSite=Lax; Secure"),
            "{set}"
        );
        let headers = cookie_header(&set);
        assert_eq!(sealer.read(&headers, NOW + 599), vec![sign_in.clone()]);
        assert!(sealer.read(&headers, NOW + 600).is_empty(), "expired");
        assert!(sign_in.matches_state(&sign_in.state) && !sign_in.matches_state("x"));
        assert_eq!(
            CookieSealer::new(false).unwrap().clear_cookie(),
            "CtSignIn=; Path=/ExternalAuthentication; Max-Age=0; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn forged_or_foreign_cookies_are_ignored() {
        let sealer = CookieSealer::new(false).unwrap();
        let set = sealer.set_cookie(&SignIn::start(NOW).unwrap()).unwrap();
        let value = set.split(';').next().unwrap().strip_prefix("CtSignIn=").unwrap().to_owned();
        let mut flipped = URL_SAFE_NO_PAD.decode(&value).unwrap();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let plain = "s.n.v.9999999999".to_owned();
        let truncated = value[..value.len() - 4].to_owned();
        for forged in [URL_SAFE_NO_PAD.encode(flipped), plain, truncated, "!".to_owned(), String::new()] {
            assert!(sealer.read(&cookie_header(&format!("CtSignIn={forged}")), NOW).is_empty(), "{forged}");
        }
        let other_process = CookieSealer::new(false).unwrap();
        assert!(other_process.read(&cookie_header(&set), NOW).is_empty(), "another key");
    }
}
