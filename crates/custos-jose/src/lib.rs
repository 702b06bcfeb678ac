//! Cryptographic primitives of custos: JOSE (compact JWS parsing, the cached-key RS256 signer,
//! JWKS documents published and read, RS256 verification, thumbprints), client-secret
//! generation and hashing, user-password hashing, HMAC, randomness, constant-time comparison and sealing of private
//! keys at rest. The only workspace crate that depends on aws-lc-rs directly (rustls reaches it
//! through its own provider); no other JOSE library is used. Depends on `custos-core` only.
//!
//! - [`compact`]: the one compact-JWS splitter and strict base64url segment decoder.
//! - [`signing`]: [`SigningKey`], an RSA-2048 key parsed once plus the self-signed certificate
//!   that is published for it; signs compact JWS on the token hot path.
//! - [`es256`]: [`EcSigningKey`] and [`Es256Key`], the opt-in P-256 (ES256) signer and verifier.
//! - [`verifying`]: [`VerifyingKey`], a published key with the one algorithm it verifies.
//! - [`jwks`]: [`Jwk`] / [`Jwks`] documents built from a signing key or a certificate.
//! - [`key_set`]: the one parser of key sets issuers publish, into [`VerifyingKey`]s.
//! - [`rs256`]: [`Rs256Key`], an RSA public key parsed once for RS256 verification.
//! - [`verify`]: [`TokenVerifier`], RS256/ES256 verification of tokens this server issued.
//! - [`cert`]: [`cert::ClientCertificate`], client certificates parsed once (thumbprints, key).
//! - [`assertion`]: validation of client assertions (private_key_jwt) as Entra checks them.
//! - [`secret`]: client-secret generation and the keyed hash secrets are stored as.
//! - [`password`]: Argon2id hashing and verification of user passwords.
//! - [`pkce`]: PKCE S256 challenges and verifiers.
//! - [`hash`], [`hmac`], [`random`], [`constant_time`]: SHA-1/SHA-256 thumbprints, HMAC-SHA-256,
//!   secure random bytes, comparison of secrets.
//! - [`seal`]: AES-256-GCM sealing of private keys with the key-encryption key.
//! - `testing` (feature `testing`, dev-dependencies only): signing arbitrary and forged tokens.

pub mod assertion;
pub mod cert;
pub mod compact;
pub mod constant_time;
pub mod es256;
pub mod hash;
pub mod hmac;
pub mod jwks;
pub mod key_set;
pub mod password;
pub mod pkce;
pub mod random;
pub mod rs256;
pub mod seal;
pub mod secret;
pub mod signing;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod verify;
pub mod verifying;

mod b64;

pub use es256::{EcSigningKey, Es256Key};
pub use jwks::{Jwk, Jwks};
pub use rs256::Rs256Key;
pub use signing::{RsaAlgorithm, SigningKey};
pub use verify::{AccessClaims, Expected, IssuerRule, TokenVerifier, VerifyError};
pub use verifying::{JwsAlgorithm, VerifyingKey};

/// Why a key could not be created, parsed, sealed or used for signing.
#[derive(Debug, thiserror::Error)]
pub enum JoseError {
    /// Generating a key pair or its certificate failed.
    #[error("key generation failed: {0}")]
    Generate(String),
    /// The private key is not a usable PKCS#8 RSA key (2048 to 4096 bits).
    #[error("the private key is not a usable RSA PKCS#8 key: {0}")]
    InvalidPrivateKey(String),
    /// The certificate is not a DER X.509 certificate with an RSA public key.
    #[error("the certificate is not a DER X.509 certificate with an RSA key: {0}")]
    InvalidCertificate(String),
    /// The certificate does not wrap the public half of the private key.
    #[error("the certificate does not belong to the private key")]
    KeyMismatch,
    /// A header or claim set could not be serialized.
    #[error("JSON serialization failed: {0}")]
    Serialize(#[from] serde_json::Error),
    /// The RSA signing operation failed.
    #[error("signing failed")]
    Sign,
    /// Sealing failed (the random number generator failed).
    #[error("sealing failed")]
    Seal,
    /// A sealed blob could not be opened: wrong key-encryption key, wrong kid, or tampered data.
    #[error("the sealed key cannot be opened: wrong key-encryption key or tampered data")]
    Open,
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A signing key shared by the unit tests (RSA generation takes a while).

    use crate::SigningKey;
    use std::sync::OnceLock;
    use time::OffsetDateTime;

    /// The time the shared key was created at.
    pub(crate) const NOW: i64 = 1_800_000_000;

    pub(crate) fn test_key() -> &'static (SigningKey, Vec<u8>) {
        static KEY: OnceLock<(SigningKey, Vec<u8>)> = OnceLock::new();
        KEY.get_or_init(|| SigningKey::generate(OffsetDateTime::from_unix_timestamp(NOW).unwrap()).unwrap())
    }
}
