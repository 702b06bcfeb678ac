//! PKCE (RFC 7636) as custos enforces it: `S256` only (`security.md` AS-5: a `plain` challenge,
//! or a challenge without a method, is refused), challenges of 43 to 128 base64url characters,
//! verifiers of 43 to 128 characters of `[A-Za-z0-9-._~]` (AS-6), compared in constant time.
//! [`check_challenge`] runs at the authorize endpoint, [`verify`] at the token endpoint.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use custos_core::aadsts::{SignInError, TokenError};
use custos_jose::{constant_time, hash};

/// Shortest challenge or verifier.
pub const MIN_LEN: usize = 43;
/// Longest challenge or verifier.
pub const MAX_LEN: usize = 128;

/// Why a PKCE challenge or verifier was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PkceError {
    /// `code_challenge_method` is absent (Entra would assume `plain`), `plain` or unknown.
    #[error("code_challenge_method must be S256")]
    UnsupportedMethod,
    /// `code_challenge_method` was sent without `code_challenge`.
    #[error("code_challenge_method was sent without code_challenge")]
    MissingChallenge,
    /// The challenge is not 43 to 128 base64url characters.
    #[error("code_challenge must be 43 to 128 base64url characters")]
    ChallengeSize,
    /// The verifier is not 43 to 128 characters of `[A-Za-z0-9-._~]`.
    #[error("code_verifier must be 43 to 128 characters of [A-Za-z0-9-._~]")]
    MalformedVerifier,
    /// `BASE64URL(SHA-256(verifier))` is not the challenge.
    #[error("code_verifier does not match code_challenge")]
    Mismatch,
}

impl From<PkceError> for TokenError {
    /// Entra's numbers: 50149 for the method (`invalid_request`), 501491 for the challenge size
    /// (`invalid_request`), 501481 for a verifier that is malformed or does not match
    /// (`invalid_grant`), 900144 for a method without its challenge.
    fn from(error: PkceError) -> Self {
        match error {
            PkceError::UnsupportedMethod => SignInError::InvalidCodeChallengeMethod.into(),
            PkceError::MissingChallenge => Self::MissingParameter("code_challenge"),
            PkceError::ChallengeSize => SignInError::InvalidCodeChallengeSize.into(),
            PkceError::MalformedVerifier | PkceError::Mismatch => SignInError::CodeVerifierMismatch.into(),
        }
    }
}

/// Checks the PKCE parameters of an authorize request and returns the challenge to bind to the
/// code, if any. No challenge and no method: no PKCE (allowed for `web` and `publicClient`
/// clients, `entra-user-flows.md` §1.7).
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<Option<String>, PkceError> {
    match (challenge, method) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(PkceError::MissingChallenge),
        (Some(_), None) => Err(PkceError::UnsupportedMethod),
        (Some(challenge), Some(method)) => {
            if method != "S256" {
                return Err(PkceError::UnsupportedMethod);
            }
            let base64url = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            if !(MIN_LEN..=MAX_LEN).contains(&challenge.len()) || !challenge.bytes().all(base64url) {
                return Err(PkceError::ChallengeSize);
            }
            Ok(Some(challenge.to_owned()))
        }
    }
}

/// Whether `verifier` is 43 to 128 characters of `[A-Za-z0-9-._~]`.
fn is_well_formed_verifier(verifier: &str) -> bool {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    (MIN_LEN..=MAX_LEN).contains(&verifier.len()) && verifier.bytes().all(unreserved)
}

/// Checks a token request's `code_verifier` against the S256 `challenge` bound to the code:
/// `BASE64URL(SHA-256(ASCII(verifier))) == challenge`, compared in constant time.
pub fn verify(challenge: &str, verifier: &str) -> Result<(), PkceError> {
    if !is_well_formed_verifier(verifier) {
        return Err(PkceError::MalformedVerifier);
    }
    let computed = URL_SAFE_NO_PAD.encode(hash::sha256(verifier.as_bytes()));
    if constant_time::eq(computed.as_bytes(), challenge.as_bytes()) {
        Ok(())
    } else {
        Err(PkceError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_example_verifies() {
        assert_eq!(check_challenge(Some(CHALLENGE), Some("S256")), Ok(Some(CHALLENGE.to_owned())));
        assert_eq!(verify(CHALLENGE, VERIFIER), Ok(()));
    }

    #[test]
    fn only_s256_is_accepted() {
        assert_eq!(check_challenge(None, None), Ok(None));
        for method in [Some("plain"), None, Some("s256"), Some("S512"), Some("")] {
            assert_eq!(
                check_challenge(Some(CHALLENGE), method),
                Err(PkceError::UnsupportedMethod),
                "{method:?}"
            );
        }
        assert_eq!(check_challenge(None, Some("S256")), Err(PkceError::MissingChallenge));
        let plain = TokenError::from(PkceError::UnsupportedMethod);
        assert_eq!((plain.code(), plain.oauth_error().as_str()), (50149, "invalid_request"));
    }

    #[test]
    fn challenges_must_be_43_to_128_base64url_characters() {
        for ok in ["a".repeat(43), "b".repeat(128), format!("{}-_", "c".repeat(41))] {
            assert!(check_challenge(Some(&ok), Some("S256")).is_ok(), "{ok}");
        }
        for bad in
            ["a".repeat(42), "a".repeat(129), format!("{}+", "a".repeat(42)), format!("{}=", "a".repeat(42))]
        {
            assert_eq!(check_challenge(Some(&bad), Some("S256")), Err(PkceError::ChallengeSize), "{bad}");
        }
        let size = TokenError::from(PkceError::ChallengeSize);
        assert_eq!((size.code(), size.oauth_error().as_str()), (501491, "invalid_request"));
    }

    #[test]
    fn verifiers_are_checked_for_form_then_hash() {
        assert_eq!(verify(CHALLENGE, &VERIFIER[1..]), Err(PkceError::MalformedVerifier), "42 characters");
        assert_eq!(verify(CHALLENGE, &"a".repeat(129)), Err(PkceError::MalformedVerifier));
        assert_eq!(verify(CHALLENGE, &format!("{}+", &VERIFIER[1..])), Err(PkceError::MalformedVerifier));
        assert_eq!(verify(CHALLENGE, &format!("{}/", &VERIFIER[1..])), Err(PkceError::MalformedVerifier));
        let other = format!("{}x", &VERIFIER[..42]);
        assert_eq!(verify(CHALLENGE, &other), Err(PkceError::Mismatch));
        assert_eq!(verify(&CHALLENGE.to_ascii_lowercase(), VERIFIER), Err(PkceError::Mismatch));
        assert!(
            verify(&"~".repeat(43), &"~".repeat(43)).is_err(),
            "the verifier is never compared to itself"
        );
        for e in [PkceError::MalformedVerifier, PkceError::Mismatch] {
            let e = TokenError::from(e);
            assert_eq!((e.code(), e.oauth_error().as_str()), (501481, "invalid_grant"));
        }
    }

    #[test]
    fn every_unreserved_character_is_allowed_in_verifiers() {
        let verifier = "ABCXYZabcxyz0123456789-._~ABCXYZabcxyz0123456789-._~";
        let challenge = URL_SAFE_NO_PAD.encode(hash::sha256(verifier.as_bytes()));
        assert_eq!(check_challenge(Some(&challenge), Some("S256")), Ok(Some(challenge.clone())));
        assert_eq!(verify(&challenge, verifier), Ok(()));
    }
}
