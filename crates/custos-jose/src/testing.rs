//! Test support (feature `testing`, for dev-dependencies only): signing arbitrary compact JWS,
//! well-formed or forged, and reading back tokens verified against a published key set. Other
//! crates' tests use it instead of a second JOSE library.

use crate::b64::{Engine as _, URL, URL_PADDED};
use crate::compact::{self, Jws, Padding};
use crate::hmac::HmacKey;
use crate::key_set::{KidRule, parse_signing_keys};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256, RSA_PSS_SHA256, RsaKeyPair};
use serde_json::{Value, json};

/// A signature algorithm a [`TestSigner`] signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256.
    Ps256,
}

/// An RSA key that signs whatever header and claims a test hands it.
#[derive(Debug)]
pub struct TestSigner {
    key: RsaKeyPair,
    components: PublicKeyComponents<Vec<u8>>,
}

impl TestSigner {
    /// A fresh RSA-2048 key.
    pub fn generate() -> Self {
        Self::from_key(RsaKeyPair::generate(KeySize::Rsa2048).expect("RSA-2048 key generation"))
    }

    /// The key of a PKCS#8 DER private key (e.g. one rcgen generated for a test certificate).
    pub fn from_pkcs8(der: &[u8]) -> Self {
        Self::from_key(RsaKeyPair::from_pkcs8(der).expect("a PKCS#8 RSA private key"))
    }

    fn from_key(key: RsaKeyPair) -> Self {
        let components = PublicKeyComponents::<Vec<u8>>::from(key.public_key());
        Self { key, components }
    }

    /// The modulus `n`, unpadded base64url.
    pub fn n(&self) -> String {
        URL.encode(&self.components.n)
    }

    /// The exponent `e`, unpadded base64url.
    pub fn e(&self) -> String {
        URL.encode(&self.components.e)
    }

    /// The public key as an RSA signing JWK named `kid`.
    pub fn jwk(&self, kid: &str) -> Value {
        json!({"kty": "RSA", "use": "sig", "kid": kid, "n": self.n(), "e": self.e()})
    }

    /// Signs `header` and `claims` (serialized as given) with the algorithm the header's `alg`
    /// names: `PS256` signs with PSS, anything else with RS256.
    pub fn sign(&self, header: &Value, claims: &Value) -> String {
        let alg = if header["alg"] == "PS256" { Alg::Ps256 } else { Alg::Rs256 };
        self.sign_text(alg, &header.to_string(), &claims.to_string(), false)
    }

    /// Builds `header.payload.signature` over the JSON texts exactly as given, with every
    /// segment padded when `padded`.
    pub fn sign_text(&self, alg: Alg, header: &str, claims: &str, padded: bool) -> String {
        let encode = |bytes: &[u8]| if padded { URL_PADDED.encode(bytes) } else { URL.encode(bytes) };
        let input = format!("{}.{}", encode(header.as_bytes()), encode(claims.as_bytes()));
        let mut signature = vec![0; self.key.public_modulus_len()];
        let padding = match alg {
            Alg::Rs256 => &RSA_PKCS1_SHA256,
            Alg::Ps256 => &RSA_PSS_SHA256,
        };
        self.key.sign(padding, &SystemRandom::new(), input.as_bytes(), &mut signature).expect("RSA signing");
        format!("{input}.{}", encode(&signature))
    }
}

/// An HS256 token keyed with `secret` (for algorithm-confusion tests).
pub fn sign_hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = format!("{}.{}", URL.encode(header.to_string()), URL.encode(claims.to_string()));
    let tag = HmacKey::new(secret).sign(input.as_bytes());
    format!("{input}.{}", URL.encode(tag))
}

/// The header and claims of `token` when its signature verifies with the key its `kid` names in
/// the JWKS document `jwks`, under that key's algorithm (RS256 for RSA, ES256 for P-256); `None`
/// otherwise.
pub fn verified_with_jwks(jwks: &Value, token: &str) -> Option<(Value, Value)> {
    let jws = Jws::split(token).ok()?;
    let decode = |segment| -> Option<Value> {
        serde_json::from_slice(&compact::decode(segment, Padding::Refused).ok()?).ok()
    };
    let header = decode(jws.header)?;
    let keys = parse_signing_keys(jwks.to_string().as_bytes(), KidRule::Required).ok()?;
    let key = keys.iter().find(|k| k.kid.as_deref() == header["kid"].as_str())?;
    if header["alg"].as_str() != Some(key.key.algorithm().name()) {
        return None;
    }
    let signature = compact::decode(jws.signature, Padding::Refused).ok()?;
    key.key.verify(jws.signing_input.as_bytes(), &signature).ok()?;
    Some((header, decode(jws.payload)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_verify_against_the_signers_jwk_only() {
        let signer = TestSigner::generate();
        let jwks = json!({"keys": [signer.jwk("k1")]});
        let header = json!({"alg": "RS256", "kid": "k1"});
        let claims = json!({"sub": "s"});
        let token = signer.sign(&header, &claims);
        assert_eq!(verified_with_jwks(&jwks, &token), Some((header, claims.clone())));
        let other = TestSigner::generate().sign(&json!({"alg": "RS256", "kid": "k1"}), &claims);
        assert_eq!(verified_with_jwks(&jwks, &other), None);
        let ps = signer.sign(&json!({"alg": "PS256", "kid": "k1"}), &claims);
        assert_eq!(verified_with_jwks(&jwks, &ps), None, "PSS is not RS256");
        let hs = sign_hs256(b"secret", &json!({"alg": "HS256", "kid": "k1"}), &claims);
        assert_eq!(verified_with_jwks(&jwks, &hs), None);
        assert!(signer.sign_text(Alg::Rs256, "{}", "{\"a\":1}", true).contains('='));
    }
}
