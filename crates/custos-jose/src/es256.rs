//! ES256 (ECDSA on P-256 with SHA-256, RFC 7518 §3.4): the opt-in access-token signer and its
//! verification key.
//!
//! [`EcSigningKey`] is the P-256 twin of [`crate::SigningKey`]: parsed once, wrapped in a
//! self-signed certificate (published as `x5c`, thumbprint = `kid` = `x5t`), signing into one
//! pre-sized `String`. The JWS signature is the fixed 64-byte `r || s` form RFC 7518 requires,
//! never DER. [`Es256Key`] verifies such signatures with a public point parsed once.

use crate::JoseError;
use crate::b64::{self, Engine as _, URL};
use crate::signing::{self_signed_certificate, thumbprint_sha1};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, ParsedPublicKey,
};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256};
use serde::Serialize;
use std::fmt;
use time::OffsetDateTime;

/// Length of one P-256 coordinate, in bytes.
pub const COORDINATE_LEN: usize = 32;
/// Length of an ES256 JWS signature (`r || s`), in bytes.
pub const SIGNATURE_LEN: usize = 2 * COORDINATE_LEN;
/// The JOSE `crv` of the keys.
pub const CURVE: &str = "P-256";

/// A P-256 token-signing key with its certificate. Signing takes `&self`.
pub struct EcSigningKey {
    key_pair: EcdsaKeyPair,
    rng: SystemRandom,
    certificate_der: Vec<u8>,
    kid: String,
}

impl fmt::Debug for EcSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EcSigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl EcSigningKey {
    /// Generates a P-256 key and a self-signed certificate for it, valid from `now` for
    /// [`crate::signing::CERTIFICATE_VALIDITY`]. Returns the key and its PKCS#8 DER (to be
    /// sealed and stored).
    pub fn generate(now: OffsetDateTime) -> Result<(Self, Vec<u8>), JoseError> {
        let key_pair =
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(|e| JoseError::Generate(e.to_string()))?;
        let certificate = self_signed_certificate(&key_pair, now)?;
        let pkcs8 = key_pair.serialize_der();
        Ok((Self::from_parts(&pkcs8, &certificate)?, pkcs8))
    }

    /// Rebuilds a key from its PKCS#8 DER private key and DER certificate, checking that the
    /// certificate wraps the key's public point.
    pub fn from_parts(pkcs8_der: &[u8], certificate_der: &[u8]) -> Result<Self, JoseError> {
        let key_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8_der)
            .map_err(|e| JoseError::InvalidPrivateKey(e.to_string()))?;
        let point = ec_point_of_certificate(certificate_der)?;
        if point != key_pair.public_key().as_ref() {
            return Err(JoseError::KeyMismatch);
        }
        Ok(Self {
            key_pair,
            rng: SystemRandom::new(),
            certificate_der: certificate_der.to_vec(),
            kid: thumbprint_sha1(certificate_der),
        })
    }

    /// The key id: unpadded base64url SHA-1 thumbprint of the certificate (also its `x5t`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The certificate (DER) published as `x5c`.
    pub fn certificate_der(&self) -> &[u8] {
        &self.certificate_der
    }

    /// The public point as `(x, y)`, each 32 bytes big-endian.
    pub fn coordinates(&self) -> (&[u8], &[u8]) {
        split_point(self.key_pair.public_key().as_ref()).unwrap_or((&[], &[]))
    }

    /// Signs `header` and `claims` as an ES256 compact JWS (the header's `alg` is the caller's
    /// to set to `ES256`).
    pub fn sign_compact(
        &self,
        header: &impl Serialize,
        claims: &impl Serialize,
    ) -> Result<String, JoseError> {
        let mut json = serde_json::to_vec(header)?;
        let header_len = json.len();
        serde_json::to_writer(&mut json, claims)?;
        let (header_json, claims_json) = json.split_at(header_len);
        let mut token = String::with_capacity(
            b64::url_len(header_json.len())
                + b64::url_len(claims_json.len())
                + b64::url_len(SIGNATURE_LEN)
                + 2,
        );
        URL.encode_string(header_json, &mut token);
        token.push('.');
        URL.encode_string(claims_json, &mut token);
        let signature = self.key_pair.sign(&self.rng, token.as_bytes()).map_err(|_| JoseError::Sign)?;
        token.push('.');
        URL.encode_string(signature.as_ref(), &mut token);
        Ok(token)
    }
}

/// Why `x`/`y` do not make an acceptable ES256 key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EcKeyError {
    /// `x` or `y` is not unpadded base64url.
    #[error("the key's 'x' or 'y' is not base64url")]
    Encoding,
    /// A coordinate is not exactly 32 bytes (RFC 7518 §6.2.1.2 fixes the length).
    #[error("a P-256 coordinate is exactly 32 bytes")]
    CoordinateSize,
    /// The point is not on P-256.
    #[error("the point is not on the P-256 curve")]
    Rejected,
}

/// A P-256 public key parsed for ES256 verification. Cheap to clone.
#[derive(Clone)]
pub struct Es256Key {
    key: ParsedPublicKey,
}

impl fmt::Debug for Es256Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Es256Key { crv: \"P-256\" }")
    }
}

impl Es256Key {
    /// The key with big-endian coordinates `x` and `y` (32 bytes each).
    pub fn from_coordinates(x: &[u8], y: &[u8]) -> Result<Self, EcKeyError> {
        if x.len() != COORDINATE_LEN || y.len() != COORDINATE_LEN {
            return Err(EcKeyError::CoordinateSize);
        }
        let mut point = [0u8; 1 + 2 * COORDINATE_LEN];
        point[0] = 4;
        point[1..=COORDINATE_LEN].copy_from_slice(x);
        point[1 + COORDINATE_LEN..].copy_from_slice(y);
        Self::from_point(&point)
    }

    /// The key of a JWK's `x` and `y` members (unpadded base64url).
    pub fn from_jwk(x: &str, y: &str) -> Result<Self, EcKeyError> {
        let x = URL.decode(x).map_err(|_| EcKeyError::Encoding)?;
        let y = URL.decode(y).map_err(|_| EcKeyError::Encoding)?;
        Self::from_coordinates(&x, &y)
    }

    fn from_point(uncompressed: &[u8]) -> Result<Self, EcKeyError> {
        let key =
            ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, uncompressed).map_err(|_| EcKeyError::Rejected)?;
        Ok(Self { key })
    }

    /// Verifies an ES256 `signature` (64 bytes, `r || s`) over `signing_input`.
    pub fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), crate::rs256::BadSignature> {
        if signature.len() != SIGNATURE_LEN {
            return Err(crate::rs256::BadSignature);
        }
        self.key.verify_sig(signing_input, signature).map_err(|_| crate::rs256::BadSignature)
    }
}

/// The uncompressed P-256 point (`04 || x || y`) of a DER certificate.
pub(crate) fn ec_point_of_certificate(der: &[u8]) -> Result<Vec<u8>, JoseError> {
    let (rest, certificate) =
        x509_parser::parse_x509_certificate(der).map_err(|e| JoseError::InvalidCertificate(e.to_string()))?;
    if !rest.is_empty() {
        return Err(JoseError::InvalidCertificate("trailing data after the certificate".into()));
    }
    let point = certificate.public_key().subject_public_key.data.to_vec();
    // Parsing with the P-256 verification algorithm checks that the point is on the curve.
    Es256Key::from_point(&point).map_err(|e| JoseError::InvalidCertificate(e.to_string()))?;
    Ok(point)
}

/// `(x, y)` of an uncompressed P-256 point.
pub(crate) fn split_point(point: &[u8]) -> Option<(&[u8], &[u8])> {
    match point {
        [4, rest @ ..] if rest.len() == 2 * COORDINATE_LEN => Some(rest.split_at(COORDINATE_LEN)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwks::Jwk;
    use serde_json::{Value, json};

    fn key() -> (EcSigningKey, Vec<u8>) {
        EcSigningKey::generate(OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()).unwrap()
    }

    #[test]
    fn signs_raw_r_s_that_the_published_jwk_verifies() {
        let (key, _) = key();
        let header = json!({"typ": "JWT", "alg": "ES256", "kid": key.kid()});
        let claims = json!({"aud": "api://x", "sub": "s"});
        let token = key.sign_compact(&header, &claims).unwrap();
        let (input, s) = token.rsplit_once('.').unwrap();
        let (h, p) = input.split_once('.').unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&URL.decode(h).unwrap()).unwrap(), header);
        assert_eq!(serde_json::from_slice::<Value>(&URL.decode(p).unwrap()).unwrap(), claims);
        let signature = URL.decode(s).unwrap();
        assert_eq!(signature.len(), 64, "raw r||s, not DER");

        let jwk = Jwk::from_ec_signing_key(&key);
        let public = Es256Key::from_jwk(jwk.x.as_deref().unwrap(), jwk.y.as_deref().unwrap()).unwrap();
        assert_eq!(public.verify(input.as_bytes(), &signature), Ok(()));
        let mut tampered = signature.clone();
        tampered[3] ^= 1;
        assert!(public.verify(input.as_bytes(), &tampered).is_err());
        assert!(public.verify(format!("{input}x").as_bytes(), &signature).is_err());
        // A DER-encoded signature of the same input is refused: only the fixed form is ES256.
        assert!(public.verify(input.as_bytes(), &signature[..63]).is_err());
    }

    #[test]
    fn from_parts_round_trips_and_refuses_a_foreign_or_rsa_certificate() {
        let (key, pkcs8) = key();
        let again = EcSigningKey::from_parts(&pkcs8, key.certificate_der()).unwrap();
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.coordinates(), key.coordinates());
        let (other, other_pkcs8) = self::key();
        assert!(matches!(
            EcSigningKey::from_parts(&pkcs8, other.certificate_der()),
            Err(JoseError::KeyMismatch)
        ));
        let (rsa, rsa_pkcs8) = crate::test_support::test_key();
        assert!(matches!(
            EcSigningKey::from_parts(&pkcs8, rsa.certificate_der()),
            Err(JoseError::InvalidCertificate(_))
        ));
        assert!(matches!(
            EcSigningKey::from_parts(rsa_pkcs8, other.certificate_der()),
            Err(JoseError::InvalidPrivateKey(_))
        ));
        assert!(EcSigningKey::from_parts(&other_pkcs8, other.certificate_der()).is_ok());
        assert!(format!("{key:?}").contains(key.kid()));
    }

    #[test]
    fn verification_keys_need_two_32_byte_coordinates_on_the_curve() {
        let (key, _) = key();
        let (x, y) = key.coordinates();
        assert!(Es256Key::from_coordinates(x, y).is_ok());
        assert_eq!(Es256Key::from_coordinates(&x[1..], y).unwrap_err(), EcKeyError::CoordinateSize);
        assert_eq!(Es256Key::from_coordinates(x, x).unwrap_err(), EcKeyError::Rejected);
        assert_eq!(Es256Key::from_jwk("!!", "AA").unwrap_err(), EcKeyError::Encoding);
    }
}
