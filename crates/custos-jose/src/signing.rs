//! The token-signing key: an RSA key pair parsed once, the self-signed certificate published
//! for it (`x5c`), its `kid` (= `x5t`, the certificate's SHA-1 thumbprint), and the RS256
//! compact-JWS signer used on the token hot path.
//!
//! A JWT library's `encode` re-parses the private key on every call (performance.md §2.1); this
//! signer keeps the parsed `RsaKeyPair` and one `SystemRandom` and writes the token into a
//! single pre-sized `String`.

use crate::JoseError;
use crate::b64::{self, Engine as _, URL};
use crate::rs256::strip_leading_zeros;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaEncoding, RsaKeyPair};
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, KeyUsagePurpose, PKCS_RSA_SHA256};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// Common name of the certificate wrapping every signing key.
pub const CERTIFICATE_COMMON_NAME: &str = "custos token signing";

/// Validity of a signing certificate (5 years, like Entra's).
pub const CERTIFICATE_VALIDITY: Duration = Duration::days(5 * 365);

/// Largest RSA modulus accepted, in bytes (4096 bits); the signature buffer lives on the stack.
const MAX_MODULUS_LEN: usize = 512;

/// Smallest RSA modulus accepted, in bytes (2048 bits).
const MIN_MODULUS_LEN: usize = 256;

/// An RSA token-signing key with its certificate. Cheap to share behind an `Arc`; signing
/// takes `&self`.
pub struct SigningKey {
    key_pair: RsaKeyPair,
    rng: SystemRandom,
    certificate_der: Vec<u8>,
    kid: String,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a new RSA-2048 key and a self-signed certificate for it, valid from `now` for
    /// [`CERTIFICATE_VALIDITY`]. Returns the key and its PKCS#8 DER (to be sealed and stored).
    pub fn generate(now: OffsetDateTime) -> Result<(Self, Vec<u8>), JoseError> {
        let key_pair =
            KeyPair::generate_for(&PKCS_RSA_SHA256).map_err(|e| JoseError::Generate(e.to_string()))?;
        let certificate = self_signed_certificate(&key_pair, now)?;
        let pkcs8 = key_pair.serialize_der();
        let key = Self::from_parts(&pkcs8, &certificate)?;
        Ok((key, pkcs8))
    }

    /// Rebuilds a key from its PKCS#8 DER private key and its DER certificate, checking that the
    /// certificate wraps the key's public half.
    pub fn from_parts(pkcs8_der: &[u8], certificate_der: &[u8]) -> Result<Self, JoseError> {
        let key_pair =
            RsaKeyPair::from_pkcs8(pkcs8_der).map_err(|e| JoseError::InvalidPrivateKey(e.to_string()))?;
        let modulus_len = key_pair.public_modulus_len();
        if !(MIN_MODULUS_LEN..=MAX_MODULUS_LEN).contains(&modulus_len) {
            return Err(JoseError::InvalidPrivateKey(format!("{} bits is not supported", modulus_len * 8)));
        }
        let public = RsaPublicParts::from_certificate(certificate_der)?;
        if public.rsa_public_key_der != key_pair.public_key().as_ref() {
            return Err(JoseError::KeyMismatch);
        }
        Ok(Self {
            key_pair,
            rng: SystemRandom::new(),
            certificate_der: certificate_der.to_vec(),
            kid: thumbprint_sha1(certificate_der),
            modulus: public.modulus,
            exponent: public.exponent,
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

    /// The public modulus `n`, big-endian without leading zeros.
    pub fn modulus(&self) -> &[u8] {
        &self.modulus
    }

    /// The public exponent `e`, big-endian without leading zeros.
    pub fn exponent(&self) -> &[u8] {
        &self.exponent
    }

    /// Signs `header` and `claims` as an RS256 compact JWS (`header.claims.signature`).
    pub fn sign_compact(
        &self,
        header: &impl Serialize,
        claims: &impl Serialize,
    ) -> Result<String, JoseError> {
        self.sign_compact_as(RsaAlgorithm::Rs256, header, claims)
    }

    /// Signs `header` and `claims` as a compact JWS with `algorithm` (the header's `alg` is the
    /// caller's to set to match).
    pub fn sign_compact_as(
        &self,
        algorithm: RsaAlgorithm,
        header: &impl Serialize,
        claims: &impl Serialize,
    ) -> Result<String, JoseError> {
        let mut json = serde_json::to_vec(header)?;
        let header_len = json.len();
        serde_json::to_writer(&mut json, claims)?;
        let (header_json, claims_json) = json.split_at(header_len);
        let modulus_len = self.key_pair.public_modulus_len();
        let mut token = String::with_capacity(
            b64::url_len(header_json.len()) + b64::url_len(claims_json.len()) + b64::url_len(modulus_len) + 2,
        );
        URL.encode_string(header_json, &mut token);
        token.push('.');
        URL.encode_string(claims_json, &mut token);
        let mut signature = [0u8; MAX_MODULUS_LEN];
        let signature = &mut signature[..modulus_len];
        self.key_pair
            .sign(algorithm.encoding(), &self.rng, token.as_bytes(), signature)
            .map_err(|_| JoseError::Sign)?;
        token.push('.');
        URL.encode_string(&*signature, &mut token);
        Ok(token)
    }
}

/// The RSA signature algorithms a [`SigningKey`] signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaAlgorithm {
    /// `RS256`: RSASSA-PKCS1-v1_5 with SHA-256 (custos' tokens; MSAL's assertions with `x5t`).
    Rs256,
    /// `PS256`: RSASSA-PSS with SHA-256, MGF1 and a 32-byte salt (MSAL's assertions with `x5t#S256`).
    Ps256,
}

impl RsaAlgorithm {
    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Ps256 => "PS256",
        }
    }

    fn encoding(self) -> &'static dyn RsaEncoding {
        match self {
            Self::Rs256 => &RSA_PKCS1_SHA256,
            Self::Ps256 => &RSA_PSS_SHA256,
        }
    }
}

/// The DER certificate published for a token-signing key (RSA or P-256): self-signed,
/// [`CERTIFICATE_COMMON_NAME`], valid from `now` for [`CERTIFICATE_VALIDITY`].
pub(crate) fn self_signed_certificate(key_pair: &KeyPair, now: OffsetDateTime) -> Result<Vec<u8>, JoseError> {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CERTIFICATE_COMMON_NAME);
    params.distinguished_name = name;
    params.not_before = now;
    params.not_after = now + CERTIFICATE_VALIDITY;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let certificate = params.self_signed(key_pair).map_err(|e| JoseError::Generate(e.to_string()))?;
    Ok(certificate.der().to_vec())
}

/// Unpadded base64url SHA-1 thumbprint of a DER certificate: the `x5t` (and custos `kid`).
pub fn thumbprint_sha1(certificate_der: &[u8]) -> String {
    URL.encode(crate::hash::sha1(certificate_der))
}

/// The RSA public key inside a certificate.
pub(crate) struct RsaPublicParts {
    /// The `RSAPublicKey` DER (RFC 8017) carried in the SubjectPublicKeyInfo.
    pub(crate) rsa_public_key_der: Vec<u8>,
    /// `n`, big-endian without leading zeros.
    pub(crate) modulus: Vec<u8>,
    /// `e`, big-endian without leading zeros.
    pub(crate) exponent: Vec<u8>,
}

impl RsaPublicParts {
    /// Parses a DER certificate and extracts its RSA public key.
    pub(crate) fn from_certificate(der: &[u8]) -> Result<Self, JoseError> {
        let (rest, certificate) = x509_parser::parse_x509_certificate(der)
            .map_err(|e| JoseError::InvalidCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(JoseError::InvalidCertificate("trailing data after the certificate".into()));
        }
        let spki = certificate.public_key();
        let parsed = spki.parsed().map_err(|e| JoseError::InvalidCertificate(e.to_string()))?;
        let x509_parser::public_key::PublicKey::RSA(rsa) = parsed else {
            return Err(JoseError::InvalidCertificate("the public key is not RSA".into()));
        };
        Ok(Self {
            rsa_public_key_der: spki.subject_public_key.data.to_vec(),
            modulus: strip_leading_zeros(rsa.modulus).to_vec(),
            exponent: strip_leading_zeros(rsa.exponent).to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwks::Jwk;
    use crate::test_support::{NOW, test_key};
    use aws_lc_rs::signature::{
        RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256, RsaPublicKeyComponents,
    };
    use serde_json::{Value, json};

    #[test]
    fn kid_is_the_sha1_thumbprint_of_the_certificate() {
        let (key, _) = test_key();
        let expected = crate::hash::sha1(key.certificate_der());
        assert_eq!(key.kid().len(), 27);
        assert_eq!(URL.decode(key.kid()).unwrap(), expected);
        let jwk = Jwk::from_signing_key(key);
        assert_eq!(jwk.kid, jwk.x5t);
        assert_eq!(jwk.kid, key.kid());
    }

    #[test]
    fn certificate_is_self_signed_for_five_years_with_the_custos_name() {
        let (key, _) = test_key();
        let (_, cert) = x509_parser::parse_x509_certificate(key.certificate_der()).unwrap();
        assert_eq!(cert.subject().to_string(), "CN=custos token signing");
        assert_eq!(cert.issuer(), cert.subject());
        assert_eq!(cert.validity().not_before.timestamp(), NOW);
        assert_eq!(cert.validity().not_after.timestamp(), NOW + 5 * 365 * 86_400);
        assert_eq!(key.modulus().len(), 256);
        assert_eq!(key.exponent(), [1, 0, 1]);
    }

    #[test]
    fn signed_token_verifies_against_the_jwk() {
        let (key, _) = test_key();
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": key.kid()});
        let claims = json!({"aud": "api://x", "exp": 4_000_000_000_i64, "sub": "s"});
        let token = key.sign_compact(&header, &claims).unwrap();
        let [h, p, s]: [&str; 3] = token.split('.').collect::<Vec<_>>().try_into().unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&URL.decode(h).unwrap()).unwrap(), header);
        assert_eq!(serde_json::from_slice::<Value>(&URL.decode(p).unwrap()).unwrap(), claims);

        // Checked with the public key rebuilt from the published JWK, independently of Rs256Key.
        let jwk = Jwk::from_signing_key(key);
        let public = RsaPublicKeyComponents {
            n: URL.decode(jwk.n.as_ref().unwrap()).unwrap(),
            e: URL.decode(jwk.e.as_ref().unwrap()).unwrap(),
        };
        let signature = URL.decode(s).unwrap();
        let input = format!("{h}.{p}");
        assert!(public.verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &signature).is_ok());
        // A flipped signature bit fails.
        let mut tampered = signature;
        tampered[10] ^= 1;
        assert!(public.verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &tampered).is_err());
    }

    #[test]
    fn ps256_signs_with_pss_and_only_pss_verifies_it() {
        let (key, _) = test_key();
        let header = json!({"typ": "JWT", "alg": RsaAlgorithm::Ps256.name()});
        let token = key.sign_compact_as(RsaAlgorithm::Ps256, &header, &json!({"sub": "s"})).unwrap();
        let (input, s) = token.rsplit_once('.').unwrap();
        let signature = URL.decode(s).unwrap();
        let jwk = Jwk::from_signing_key(key);
        let public = RsaPublicKeyComponents {
            n: URL.decode(jwk.n.as_ref().unwrap()).unwrap(),
            e: URL.decode(jwk.e.as_ref().unwrap()).unwrap(),
        };
        assert!(public.verify(&RSA_PSS_2048_8192_SHA256, input.as_bytes(), &signature).is_ok());
        assert!(public.verify(&RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &signature).is_err());
        // PSS is randomised: two signatures of the same input differ.
        let again = key.sign_compact_as(RsaAlgorithm::Ps256, &header, &json!({"sub": "s"})).unwrap();
        assert_ne!(again, token);
    }

    #[test]
    fn from_parts_round_trips_and_refuses_a_foreign_certificate() {
        let (key, pkcs8) = test_key();
        let again = SigningKey::from_parts(pkcs8, key.certificate_der()).unwrap();
        assert_eq!(again.kid(), key.kid());

        let other = KeyPair::generate_for(&PKCS_RSA_SHA256).unwrap();
        let foreign = CertificateParams::default().self_signed(&other).unwrap();
        assert!(matches!(SigningKey::from_parts(pkcs8, foreign.der()), Err(JoseError::KeyMismatch)));
        assert!(matches!(
            SigningKey::from_parts(b"not a key", key.certificate_der()),
            Err(JoseError::InvalidPrivateKey(_))
        ));
        assert!(matches!(SigningKey::from_parts(pkcs8, b"junk"), Err(JoseError::InvalidCertificate(_))));
    }

    #[test]
    fn debug_shows_only_the_kid() {
        let (key, _) = test_key();
        let shown = format!("{key:?}");
        assert!(shown.contains(key.kid()));
        assert!(!shown.contains("key_pair"));
    }
}
