//! Choosing the signing key and verifying the signature. Keys come only from the application's
//! registered certificates; the header's `x5t#S256` (preferred), `x5t` or `kid` are lookup hints
//! compared as decoded thumbprint bytes (padded or unpadded base64url; `kid` also as hex). When
//! both `x5t#S256` and `x5t` are sent they must name the same certificate; `kid` is consulted
//! only without either. The algorithm must fit the key: RS256/PS256 for RSA, ES256 for P-256.

use super::error::AssertionError;
use super::header::{Algorithm, KeyHints};
use super::json::Value;
use crate::cert::{ClientCertificate, VerifyingKey};
use crate::compact::{self, Padding};
use crate::hash::upper_hex;

/// Longest hint looked at; longer ones are unknown keys.
const MAX_HINT_LEN: usize = 128;

/// A thumbprint named by the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Thumbprint {
    Sha1([u8; 20]),
    Sha256([u8; 32]),
}

impl Thumbprint {
    fn matches(&self, certificate: &ClientCertificate) -> bool {
        match self {
            Self::Sha1(t) => t == certificate.thumbprint_sha1(),
            Self::Sha256(t) => t == certificate.thumbprint_sha256(),
        }
    }

    fn hex(&self) -> String {
        match self {
            Self::Sha1(t) => upper_hex(t),
            Self::Sha256(t) => upper_hex(t),
        }
    }
}

/// Finds the registered certificate the header names.
pub(super) fn find<'c>(
    hints: &KeyHints<'_>,
    registered: &'c [ClientCertificate],
) -> Result<&'c ClientCertificate, AssertionError> {
    let (primary, also) = match (&hints.x5t_s256, &hints.x5t) {
        (Some(s256), x5t) => (thumbprint(s256, Some(32), true)?, x5t.as_ref()),
        (None, Some(x5t)) => (thumbprint(x5t, Some(20), true)?, None),
        (None, None) => match &hints.kid {
            Some(kid) => (thumbprint(kid, None, false)?, None),
            None => return Err(AssertionError::KeyNotFound { thumbprint: String::new() }),
        },
    };
    let not_found = || AssertionError::KeyNotFound { thumbprint: primary.hex() };
    let certificate = registered.iter().find(|c| primary.matches(c)).ok_or_else(not_found)?;
    if let Some(x5t) = also
        && !thumbprint(x5t, Some(20), true)?.matches(certificate)
    {
        return Err(not_found());
    }
    Ok(certificate)
}

/// Decodes a hint into a thumbprint of the expected length (`None`: either length), as
/// base64url, or also as hex when `base64_only` is false.
fn thumbprint(
    hint: &Value<'_>,
    expected: Option<usize>,
    base64_only: bool,
) -> Result<Thumbprint, AssertionError> {
    let Value::Str(text) = hint else {
        return Err(AssertionError::KeyNotFound { thumbprint: String::new() });
    };
    let text = text.as_ref();
    let unknown = || AssertionError::KeyNotFound { thumbprint: printable(text) };
    if text.len() > MAX_HINT_LEN {
        return Err(unknown());
    }
    let mut bytes = [0u8; 48];
    let len = match (base64_only, text.len()) {
        (false, 40 | 64) if text.bytes().all(|b| b.is_ascii_hexdigit()) => decode_hex(text, &mut bytes),
        _ => compact::decode_into(text, Padding::Tolerated, &mut bytes).ok_or_else(unknown)?,
    };
    let decoded = &bytes[..len];
    match (len, expected) {
        (20, None | Some(20)) => Ok(Thumbprint::Sha1(decoded.try_into().map_err(|_| unknown())?)),
        (32, None | Some(32)) => Ok(Thumbprint::Sha256(decoded.try_into().map_err(|_| unknown())?)),
        // A thumbprint of the other kind: show it as one.
        (20 | 32, _) => Err(AssertionError::KeyNotFound { thumbprint: upper_hex(decoded) }),
        _ => Err(unknown()),
    }
}

/// Decodes an even-length string of hex digits (checked by the caller) into `out`.
fn decode_hex(text: &str, out: &mut [u8]) -> usize {
    fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => 0,
        }
    }
    let mut len = 0;
    for (pair, slot) in text.as_bytes().chunks_exact(2).zip(out.iter_mut()) {
        *slot = (nibble(pair[0]) << 4) | nibble(pair[1]);
        len += 1;
    }
    len
}

/// A hint as it may appear in an error message: only short base64url/hex text, else nothing.
fn printable(hint: &str) -> String {
    let safe = hint.len() <= MAX_HINT_LEN
        && hint.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'='));
    if safe { hint.to_owned() } else { String::new() }
}

/// Verifies `signature` over `signing_input` with the certificate's key and `alg`.
pub(super) fn verify(
    certificate: &ClientCertificate,
    alg: Algorithm,
    signing_input: &[u8],
    signature: &[u8],
) -> Result<(), AssertionError> {
    let key = match (certificate.verifying_key(), alg) {
        (VerifyingKey::Rsa { pkcs1, .. }, Algorithm::Rs256) => pkcs1,
        (VerifyingKey::Rsa { pss, .. }, Algorithm::Ps256) => pss,
        (VerifyingKey::EcP256(key), Algorithm::Es256) => {
            // Raw R‖S only; all-zero halves are refused outright (CVE-2022-21449).
            let [r, s] = [signature.get(..32), signature.get(32..)];
            let nonzero = |half: Option<&[u8]>| half.is_some_and(|h| h.iter().any(|b| *b != 0));
            if signature.len() != 64 || !nonzero(r) || !nonzero(s) {
                return Err(AssertionError::BadSignature);
            }
            key
        }
        _ => return Err(AssertionError::UnsupportedAlgorithm),
    };
    key.verify_sig(signing_input, signature).map_err(|_| AssertionError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn hint(s: &str) -> Value<'_> {
        Value::Str(Cow::Borrowed(s))
    }

    #[test]
    fn thumbprints_decode_from_padded_or_unpadded_base64url_and_hex() {
        let sha1 = [0xABu8; 20];
        let expected = Ok(Thumbprint::Sha1(sha1));
        assert_eq!(thumbprint(&hint("q6urq6urq6urq6urq6urq6urq6s"), Some(20), true), expected);
        assert_eq!(thumbprint(&hint("q6urq6urq6urq6urq6urq6urq6s="), Some(20), true), expected);
        assert_eq!(thumbprint(&hint(&"ab".repeat(20)), None, false), expected);
        assert_eq!(thumbprint(&hint(&"AB".repeat(20)), None, false), expected);
        assert_eq!(thumbprint(&hint(&"ab".repeat(32)), None, false), Ok(Thumbprint::Sha256([0xAB; 32])));
    }

    #[test]
    fn odd_hints_are_unknown_keys_without_echoing_them() {
        for (text, shown) in [
            ("../../etc/passwd", ""),
            ("' OR 1=1 --", ""),
            ("q6urq6urq6urq6urq6urq6urq6s", "AB".repeat(20).as_str()),
            ("abcde", "abcde"),
        ] {
            let err = thumbprint(&hint(text), Some(32), true).unwrap_err();
            assert_eq!(err, AssertionError::KeyNotFound { thumbprint: shown.to_owned() }, "{text}");
        }
        let long = "A".repeat(129);
        assert_eq!(
            thumbprint(&hint(&long), None, false).unwrap_err(),
            AssertionError::KeyNotFound { thumbprint: String::new() }
        );
        assert_eq!(
            thumbprint(&Value::Int(1), None, false).unwrap_err(),
            AssertionError::KeyNotFound { thumbprint: String::new() }
        );
    }
}
