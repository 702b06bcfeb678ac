//! PKCE (RFC 7636) with the S256 method, the only one custos accepts (RFC 9700 §2.1.1): the
//! shape of a challenge and a verifier, and whether a verifier answers a challenge.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Whether `value` has the shape of a verifier (and of an S256 challenge): 43–128 characters of
/// `[A-Za-z0-9-._~]`.
pub fn is_well_formed(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The S256 challenge of `verifier`: `BASE64URL(SHA-256(verifier))` (for clients).
pub fn challenge_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(crate::hash::sha256(verifier.as_bytes()))
}

/// Whether `verifier` is well formed and `BASE64URL(SHA-256(verifier)) == challenge`, compared
/// in constant time.
pub fn verify_s256(challenge: &str, verifier: &str) -> bool {
    if !is_well_formed(verifier) {
        return false;
    }
    crate::constant_time::eq(challenge_s256(verifier).as_bytes(), challenge.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifies() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(verify_s256(challenge, verifier));
        assert!(!verify_s256(challenge, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl"));
        assert!(!verify_s256(verifier, verifier), "plain is not S256");
    }

    #[test]
    fn verifiers_are_43_to_128_unreserved_characters() {
        assert!(is_well_formed(&"a".repeat(43)));
        assert!(is_well_formed(&"~._-".repeat(32)));
        assert!(!is_well_formed(&"a".repeat(42)));
        assert!(!is_well_formed(&"a".repeat(129)));
        assert!(!is_well_formed(&format!("{}+", "a".repeat(42))));
        assert!(!is_well_formed(&format!("{}/", "a".repeat(42))));
    }
}
