//! Client certificates: the X.509 certificates an application registers as credentials
//! (Graph `keyCredentials`, the manifest's `keyCredentials`), parsed once into what client-assertion
//! validation needs: the exact DER, its SHA-1 and SHA-256 thumbprints, the public key already
//! parsed by aws-lc-rs, the key kind, validity and subject.
//!
//! Only RSA keys of 2048 to 8192 bits and EC P-256 keys are accepted ("Shorter key lengths are not
//! accepted", seed 004). Validity is reported, not enforced: whether an expired certificate may be
//! stored or used is the caller's decision.

use crate::b64::{Engine as _, STANDARD, URL};
use crate::hash::{sha1, sha256, upper_hex};
use crate::rs256::BadSignature;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256,
};
use std::fmt;
use time::OffsetDateTime;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer as _, X509Certificate};

/// Smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: u16 = 2048;

/// Largest RSA modulus accepted, in bits (the limit of the aws-lc-rs verification algorithms).
pub const MAX_RSA_BITS: u16 = 8192;

/// Why a value is not an acceptable client certificate. The messages name the problem and are
/// meant for Graph `400` bodies; they never echo the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// Not an X.509 certificate in DER, PEM or base64 form, or one that cannot be parsed.
    #[error("The key credential is not a valid X.509 certificate: {0}.")]
    NotACertificate(&'static str),
    /// The certificate's public key is neither RSA nor EC P-256.
    #[error(
        "The certificate's key type is not supported. Use an RSA key of at least 2048 bits or an EC P-256 key."
    )]
    UnsupportedKeyType,
    /// The RSA key is shorter than [`MIN_RSA_BITS`].
    #[error(
        "The certificate's RSA key is {bits} bits long. The key length must be at least 2048 bits. Shorter key lengths are not accepted."
    )]
    RsaKeyTooShort {
        /// Modulus length of the rejected key.
        bits: u16,
    },
    /// The RSA key is longer than [`MAX_RSA_BITS`].
    #[error("The certificate's RSA key is longer than 8192 bits, which is not supported.")]
    RsaKeyTooLong,
}

/// The kind of public key a certificate carries, which decides the JWS algorithms it verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA (RS256 and PS256).
    Rsa {
        /// Modulus length in bits.
        bits: u16,
    },
    /// ECDSA on P-256 (ES256).
    EcP256,
}

/// The public key of a certificate, parsed once for each algorithm it may verify.
#[derive(Clone)]
pub(crate) enum VerifyingKey {
    /// One RSA key, parsed for PKCS#1 v1.5 and for PSS.
    Rsa { pkcs1: ParsedPublicKey, pss: ParsedPublicKey },
    /// A P-256 key for fixed-length (R‖S) ECDSA signatures.
    EcP256(ParsedPublicKey),
}

/// A registered client certificate, parsed and checked. Immutable; clone or share it freely.
#[derive(Clone)]
pub struct ClientCertificate {
    der: Vec<u8>,
    thumbprint_sha1: [u8; 20],
    thumbprint_sha256: [u8; 32],
    key: VerifyingKey,
    key_kind: KeyKind,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    subject: String,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("subject", &self.subject)
            .field("thumbprint", &self.thumbprint_hex())
            .field("key_kind", &self.key_kind)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl ClientCertificate {
    /// Parses one DER certificate. Trailing bytes after it are refused, so the thumbprints
    /// always cover exactly the certificate.
    pub fn from_der(der: &[u8]) -> Result<Self, CertificateError> {
        let (rest, certificate) = X509Certificate::from_der(der)
            .map_err(|_| CertificateError::NotACertificate("the DER structure cannot be parsed"))?;
        if !rest.is_empty() {
            return Err(CertificateError::NotACertificate("there is data after the certificate"));
        }
        let spki = certificate.public_key();
        let (key, key_kind) = if spki.algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
            rsa_key(spki)?
        } else if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
            ec_key(spki)?
        } else {
            return Err(CertificateError::UnsupportedKeyType);
        };
        let validity = certificate.validity();
        Ok(Self {
            der: der.to_vec(),
            thumbprint_sha1: sha1(der),
            thumbprint_sha256: sha256(der),
            key,
            key_kind,
            not_before: validity.not_before.to_datetime(),
            not_after: validity.not_after.to_datetime(),
            subject: certificate.subject().to_string(),
        })
    }

    /// Parses the first `CERTIFICATE` block of a PEM document (other blocks are skipped).
    pub fn from_pem(pem: &str) -> Result<Self, CertificateError> {
        for block in Pem::iter_from_buffer(pem.as_bytes()) {
            let block =
                block.map_err(|_| CertificateError::NotACertificate("the PEM text cannot be decoded"))?;
            if block.label == "CERTIFICATE" {
                return Self::from_der(&block.contents);
            }
        }
        Err(CertificateError::NotACertificate("no CERTIFICATE block was found"))
    }

    /// Parses a certificate given as DER, as PEM, or as standard base64 of the DER (the Graph
    /// `key` property, the manifest's `value`); ASCII whitespace in base64 is ignored.
    pub fn from_any(input: &[u8]) -> Result<Self, CertificateError> {
        // A DER certificate is a SEQUENCE (0x30); PEM starts with '-' and base64 of DER with 'M'.
        if input.first() == Some(&0x30) {
            return Self::from_der(input);
        }
        let text = std::str::from_utf8(input)
            .map_err(|_| CertificateError::NotACertificate("the value is neither DER, PEM nor base64"))?
            .trim_ascii();
        if text.starts_with("-----BEGIN") {
            return Self::from_pem(text);
        }
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = STANDARD
            .decode(compact)
            .map_err(|_| CertificateError::NotACertificate("the value is neither DER, PEM nor base64"))?;
        Self::from_der(&der)
    }

    /// The certificate exactly as registered (DER).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-1 thumbprint of the DER.
    pub fn thumbprint_sha1(&self) -> &[u8; 20] {
        &self.thumbprint_sha1
    }

    /// SHA-256 thumbprint of the DER.
    pub fn thumbprint_sha256(&self) -> &[u8; 32] {
        &self.thumbprint_sha256
    }

    /// SubjectPublicKeyInfo DER of the certificate's key.
    pub fn public_key_spki(&self) -> &[u8] {
        match &self.key {
            VerifyingKey::Rsa { pkcs1, .. } => pkcs1.as_ref(),
            VerifyingKey::EcP256(key) => key.as_ref(),
        }
    }

    /// The kind of key (and the algorithms it verifies).
    pub fn key_kind(&self) -> KeyKind {
        self.key_kind
    }

    /// Start of the certificate's validity.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of the certificate's validity.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// Subject distinguished name (RFC 4514 style, e.g. `CN=contoso daemon`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// `x5t`: unpadded base64url of the SHA-1 thumbprint.
    pub fn x5t(&self) -> String {
        URL.encode(self.thumbprint_sha1)
    }

    /// `x5t#S256`: unpadded base64url of the SHA-256 thumbprint.
    pub fn x5t_s256(&self) -> String {
        URL.encode(self.thumbprint_sha256)
    }

    /// The manifest's `customKeyIdentifier`: padded standard base64 of the SHA-1 thumbprint.
    pub fn custom_key_identifier(&self) -> String {
        STANDARD.encode(self.thumbprint_sha1)
    }

    /// Upper-case hex of the SHA-1 thumbprint, as Entra prints thumbprints in error messages.
    pub fn thumbprint_hex(&self) -> String {
        upper_hex(&self.thumbprint_sha1)
    }

    /// Verifies an RS256 signature over `signing_input` with the certificate's key (an EC key
    /// never verifies RS256).
    pub fn verify_rs256(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        match &self.key {
            VerifyingKey::Rsa { pkcs1, .. } => {
                pkcs1.verify_sig(signing_input, signature).map_err(|_| BadSignature)
            }
            VerifyingKey::EcP256(_) => Err(BadSignature),
        }
    }

    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        &self.key
    }
}

const NOT_PARSABLE: CertificateError = CertificateError::NotACertificate("the public key cannot be parsed");

fn rsa_key(
    spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>,
) -> Result<(VerifyingKey, KeyKind), CertificateError> {
    let Ok(x509_parser::public_key::PublicKey::RSA(rsa)) = spki.parsed() else {
        return Err(NOT_PARSABLE);
    };
    let bits = modulus_bits(rsa.modulus);
    let bits =
        u16::try_from(bits).ok().filter(|b| *b <= MAX_RSA_BITS).ok_or(CertificateError::RsaKeyTooLong)?;
    if bits < MIN_RSA_BITS {
        return Err(CertificateError::RsaKeyTooShort { bits });
    }
    let pkcs1 = ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki.raw).map_err(|_| NOT_PARSABLE)?;
    let pss = ParsedPublicKey::new(&RSA_PSS_2048_8192_SHA256, spki.raw).map_err(|_| NOT_PARSABLE)?;
    Ok((VerifyingKey::Rsa { pkcs1, pss }, KeyKind::Rsa { bits }))
}

fn ec_key(
    spki: &x509_parser::x509::SubjectPublicKeyInfo<'_>,
) -> Result<(VerifyingKey, KeyKind), CertificateError> {
    let curve = spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok());
    if curve != Some(OID_EC_P256) {
        return Err(CertificateError::UnsupportedKeyType);
    }
    let key = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, spki.raw).map_err(|_| NOT_PARSABLE)?;
    Ok((VerifyingKey::EcP256(key), KeyKind::EcP256))
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
fn modulus_bits(modulus: &[u8]) -> usize {
    let start = modulus.iter().position(|b| *b != 0).unwrap_or(modulus.len());
    let significant = &modulus[start..];
    match significant.first() {
        Some(first) => (significant.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modulus_bits_ignores_leading_zero_bytes() {
        assert_eq!(modulus_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(modulus_bits(&[0x00, 0x00]), 0);
        assert_eq!(modulus_bits(&[]), 0);
    }
}
