//! [`VerifyingKey`]: a published signing key parsed once, with the one JWS algorithm it may
//! verify (`security.md`: the accepted `alg` is always in the key's allowed set). RSA keys verify
//! `RS256` only, P-256 keys `ES256` only, so a header naming the other algorithm is refused before
//! any signature check.

use crate::es256::{EcKeyError, Es256Key};
use crate::rs256::{BadSignature, PublicKeyError, Rs256Key};

/// The JWS algorithms custos verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
}

impl JwsAlgorithm {
    /// The algorithm a header's `alg` names, if custos verifies it.
    pub fn from_name(alg: &str) -> Option<Self> {
        match alg {
            "RS256" => Some(Self::Rs256),
            "ES256" => Some(Self::Es256),
            _ => None,
        }
    }

    /// The JOSE `alg` name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Es256 => "ES256",
        }
    }
}

/// A verification key and the algorithm it is for.
#[derive(Debug, Clone)]
pub enum VerifyingKey {
    /// An RSA key: RS256.
    Rs256(Rs256Key),
    /// A P-256 key: ES256.
    Es256(Es256Key),
}

/// Why a JWK is not a usable verification key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkKeyError {
    /// An unusable RSA key.
    #[error(transparent)]
    Rsa(#[from] PublicKeyError),
    /// An unusable P-256 key.
    #[error(transparent)]
    Ec(#[from] EcKeyError),
    /// Neither an RSA key with `n`/`e` nor an EC P-256 key with `x`/`y`.
    #[error("the key is neither RSA nor EC P-256")]
    Unsupported,
}

impl VerifyingKey {
    /// The key of a JWK's members: `kty: RSA` with `n`/`e`, or `kty: EC`, `crv: P-256` with
    /// `x`/`y`.
    pub fn from_members(
        kty: &str,
        crv: Option<&str>,
        rsa: (Option<&str>, Option<&str>),
        ec: (Option<&str>, Option<&str>),
    ) -> Result<Self, JwkKeyError> {
        match (kty, crv, rsa, ec) {
            ("RSA", _, (Some(n), Some(e)), _) => Ok(Self::Rs256(Rs256Key::from_jwk(n, e)?)),
            ("EC", Some("P-256"), _, (Some(x), Some(y))) => Ok(Self::Es256(Es256Key::from_jwk(x, y)?)),
            _ => Err(JwkKeyError::Unsupported),
        }
    }

    /// The key of a published [`crate::Jwk`].
    pub fn from_jwk(jwk: &crate::Jwk) -> Result<Self, JwkKeyError> {
        Self::from_members(
            &jwk.kty,
            jwk.crv.as_deref(),
            (jwk.n.as_deref(), jwk.e.as_deref()),
            (jwk.x.as_deref(), jwk.y.as_deref()),
        )
    }

    /// The one algorithm this key verifies.
    pub fn algorithm(&self) -> JwsAlgorithm {
        match self {
            Self::Rs256(_) => JwsAlgorithm::Rs256,
            Self::Es256(_) => JwsAlgorithm::Es256,
        }
    }

    /// Verifies `signature` over `signing_input` with this key's algorithm.
    pub fn verify(&self, signing_input: &[u8], signature: &[u8]) -> Result<(), BadSignature> {
        match self {
            Self::Rs256(key) => key.verify(signing_input, signature),
            Self::Es256(key) => key.verify(signing_input, signature),
        }
    }

    /// The RSA key, when this is one.
    pub fn as_rs256(&self) -> Option<&Rs256Key> {
        match self {
            Self::Rs256(key) => Some(key),
            Self::Es256(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::{Engine as _, URL};
    use crate::es256::EcSigningKey;
    use crate::test_support::test_key;
    use serde_json::json;

    #[test]
    fn each_key_verifies_only_its_own_algorithm() {
        let (rsa_signer, _) = test_key();
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let (ec_signer, _) = EcSigningKey::generate(now).unwrap();
        let rsa = VerifyingKey::from_jwk(&crate::Jwk::from_signing_key(rsa_signer)).unwrap();
        let ec = VerifyingKey::from_jwk(&crate::Jwk::from_ec_signing_key(&ec_signer)).unwrap();
        assert_eq!(rsa.algorithm(), JwsAlgorithm::Rs256);
        assert_eq!(ec.algorithm(), JwsAlgorithm::Es256);
        let claims = json!({"a": 1});
        let rs = rsa_signer.sign_compact(&json!({"alg": "RS256"}), &claims).unwrap();
        let es = ec_signer.sign_compact(&json!({"alg": "ES256"}), &claims).unwrap();
        for (token, good, other) in [(&rs, &rsa, &ec), (&es, &ec, &rsa)] {
            let (input, s) = token.rsplit_once('.').unwrap();
            let signature = URL.decode(s).unwrap();
            assert_eq!(good.verify(input.as_bytes(), &signature), Ok(()));
            assert_eq!(other.verify(input.as_bytes(), &signature), Err(BadSignature));
        }
        assert_eq!(JwsAlgorithm::from_name("ES256"), Some(JwsAlgorithm::Es256));
        assert_eq!(JwsAlgorithm::from_name("ES384"), None);
        assert_eq!(JwsAlgorithm::from_name("none"), None);
        assert_eq!(
            VerifyingKey::from_members("EC", Some("P-384"), (None, None), (Some("AA"), Some("AA")))
                .unwrap_err(),
            JwkKeyError::Unsupported
        );
        assert_eq!(
            VerifyingKey::from_members("oct", None, (None, None), (None, None)).unwrap_err(),
            JwkKeyError::Unsupported
        );
    }
}
