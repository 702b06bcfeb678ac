//! RS256 (RSASSA-PKCS1-v1_5 with SHA-256) verification with an RSA public key parsed once.
//!
//! Callers build an [`Rs256Key`] when a key set is loaded (from a JWK's `n`/`e`) and keep it:
//! verifying a token then costs one signature check, with no key parsing and no allocation
//! (rebuilding the key from `n`/`e` per call, as jsonwebtoken does, costs about 10 % more,
//! `performance.md` §2).

use crate::b64::{Engine as _, URL};
use aws_lc_rs::rsa::PublicKeyComponents;
use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use std::fmt;

/// Smallest accepted modulus, in bytes (2048 bits).
pub const MIN_MODULUS_LEN: usize = 256;
/// Largest accepted modulus, in bytes (8192 bits, the limit of the verification algorithm).
pub const MAX_MODULUS_LEN: usize = 1024;
/// Largest public exponent accepted, in bytes.
const MAX_EXPONENT_LEN: usize = 8;
/// A buffer that holds any decoded signature of an accepted key (plus base64 slack).
pub const SIGNATURE_BUFFER_LEN: usize = MAX_MODULUS_LEN + 4;

/// The signature does not verify with the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the signature does not verify")]
pub struct BadSignature;

/// Why `n`/`e` do not make an acceptable RS256 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PublicKeyError {
    /// `n` or `e` is not unpadded base64url.
    #[error("the key's 'n' or 'e' is not base64url")]
    Encoding,
    /// The modulus is shorter than 2048 or longer than 8192 bits.
    #[error("the RSA modulus must be 2048 to 8192 bits long")]
    ModulusSize,
    /// The exponent is empty or longer than 64 bits.
    #[error("the RSA public exponent is empty or too long")]
    Exponent,
    /// aws-lc refused the key.
    #[error("the RSA public key is not usable")]
    Rejected,
}

/// An RSA public key (2048 to 8192 bits) parsed for RS256 verification. Cheap to clone (the
/// parsed key is reference-counted).
#[derive(Clone)]
pub struct Rs256Key {
    key: ParsedPublicKey,
    modulus_len: usize,
}

impl fmt::Debug for Rs256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rs256Key").field("bits", &(self.modulus_len * 8)).finish()
    }
}

impl Rs256Key {
    /// The key with big-endian modulus `n` and exponent `e`; leading zero bytes are ignored
    /// (RFC 7518 §6.3.1 forbids them, some publishers still send one).
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, PublicKeyError> {
        let (n, e) = (strip_leading_zeros(n), strip_leading_zeros(e));
        if !(MIN_MODULUS_LEN..=MAX_MODULUS_LEN).contains(&n.len()) {
            return Err(PublicKeyError::ModulusSize);
        }
        if e.is_empty() || e.len() > MAX_EXPONENT_LEN {
            return Err(PublicKeyError::Exponent);
        }
        let key = PublicKeyComponents { n, e }
            .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
            .map_err(|_| PublicKeyError::Rejected)?;
        Ok(Self { key, modulus_len: n.len() })
    }

    /// The key of a JWK's `n` and `e` members (unpadded base64url).
    pub fn from_jwk(n: &str, e: &str) -> Result<Self, PublicKeyError> {
        let n = URL.decode(n).map_err(|_| PublicKeyError::Encoding)?;
        let e = URL.decode(e).map_err(|_| PublicKeyError::Encoding)?;
        Self::from_components(&n, &e)
    }

    /// Verifies an RS256 `signature` over `signing_input` (for a JWS: `header.payload` exactly
    /// as received).
    pub fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        self.key.verify_sig(signing_input, signature).map_err(|_| BadSignature)
    }
}

pub(crate) fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::test_key;
    use serde_json::json;

    #[test]
    fn verifies_what_the_signing_key_signs_and_nothing_else() {
        let (signer, _) = test_key();
        let key = Rs256Key::from_components(signer.modulus(), signer.exponent()).unwrap();
        let token = signer.sign_compact(&json!({"alg": "RS256"}), &json!({"a": 1})).unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature = URL.decode(signature).unwrap();
        assert_eq!(key.verify(input.as_bytes(), &signature), Ok(()));
        assert_eq!(key.verify(format!("{input}x").as_bytes(), &signature), Err(BadSignature));
        assert_eq!(key.verify(input.as_bytes(), &signature[1..]), Err(BadSignature));
        // A leading zero byte on n is tolerated.
        let mut padded = vec![0];
        padded.extend_from_slice(signer.modulus());
        let again = Rs256Key::from_components(&padded, signer.exponent()).unwrap();
        assert_eq!(again.verify(input.as_bytes(), &signature), Ok(()));
        assert_eq!(format!("{again:?}"), "Rs256Key { bits: 2048 }");
    }

    #[test]
    fn refuses_short_long_and_malformed_components() {
        assert_eq!(
            Rs256Key::from_components(&[0xC5; 255], &[1, 0, 1]).unwrap_err(),
            PublicKeyError::ModulusSize
        );
        assert_eq!(
            Rs256Key::from_components(&[0xC5; 1025], &[1, 0, 1]).unwrap_err(),
            PublicKeyError::ModulusSize
        );
        assert_eq!(Rs256Key::from_components(&[0xC5; 256], &[]).unwrap_err(), PublicKeyError::Exponent);
        assert_eq!(Rs256Key::from_components(&[0xC5; 256], &[1; 9]).unwrap_err(), PublicKeyError::Exponent);
        assert_eq!(Rs256Key::from_jwk("!!", "AQAB").unwrap_err(), PublicKeyError::Encoding);
        assert_eq!(
            Rs256Key::from_jwk(&URL.encode([0xC5; 256]), "AQAB=").unwrap_err(),
            PublicKeyError::Encoding
        );
        assert!(Rs256Key::from_jwk(&URL.encode([0xC5; 256]), "AQAB").is_ok());
    }
}
