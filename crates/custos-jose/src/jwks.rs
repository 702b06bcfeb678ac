//! JSON Web Key Set documents in Entra's shape (`entra-wire.md` §3): RSA signing keys with
//! `kid == x5t`, the certificate in `x5c` (standard base64) and, on v2 key sets, `issuer`.

use crate::JoseError;
use crate::b64::{Engine as _, STANDARD, URL};
use crate::signing::{RsaPublicParts, SigningKey, thumbprint_sha1};
use serde::{Deserialize, Serialize};

/// One published RSA signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `RSA`.
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// Key id: the certificate's SHA-1 thumbprint, unpadded base64url.
    pub kid: String,
    /// Same as `kid`.
    pub x5t: String,
    /// Modulus, unpadded base64url.
    pub n: String,
    /// Public exponent, unpadded base64url.
    pub e: String,
    /// The certificate, standard base64 DER.
    pub x5c: Vec<String>,
    /// The issuer the key signs for (v2 key sets only; may be templated with `{tenantid}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl Jwk {
    /// The JWK of a signing key (no `issuer`).
    pub fn from_signing_key(key: &SigningKey) -> Self {
        Self::from_parts(key.kid().to_owned(), key.modulus(), key.exponent(), key.certificate_der())
    }

    /// The JWK of a DER certificate holding an RSA public key (no `issuer`).
    pub fn from_certificate(certificate_der: &[u8]) -> Result<Self, JoseError> {
        let public = RsaPublicParts::from_certificate(certificate_der)?;
        Ok(Self::from_parts(
            thumbprint_sha1(certificate_der),
            &public.modulus,
            &public.exponent,
            certificate_der,
        ))
    }

    /// The same key, published for `issuer`.
    pub fn with_issuer(mut self, issuer: Option<&str>) -> Self {
        self.issuer = issuer.map(str::to_owned);
        self
    }

    fn from_parts(kid: String, modulus: &[u8], exponent: &[u8], certificate_der: &[u8]) -> Self {
        Self {
            kty: "RSA".to_owned(),
            key_use: "sig".to_owned(),
            x5t: kid.clone(),
            kid,
            n: URL.encode(modulus),
            e: URL.encode(exponent),
            x5c: vec![STANDARD.encode(certificate_der)],
            issuer: None,
        }
    }
}

/// A JWKS document: `{"keys":[...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The published keys.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The key with this `kid`, if published.
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::test_key;
    use serde_json::{Value, json};

    #[test]
    fn jwk_has_entra_fields_and_order() {
        let (key, _) = test_key();
        let jwk = Jwk::from_signing_key(key).with_issuer(Some("https://h/{tenantid}/v2.0"));
        let text = serde_json::to_string(&jwk).unwrap();
        let names: Vec<&str> = ["kty", "use", "kid", "x5t", "n", "e", "x5c", "issuer"].into();
        let mut last = 0;
        for name in names {
            let at = text.find(&format!("\"{name}\":")).unwrap();
            assert!(at >= last, "{name} out of order in {text}");
            last = at;
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["kty"], "RSA");
        assert_eq!(value["use"], "sig");
        assert_eq!(value["e"], "AQAB");
        assert_eq!(value["issuer"], "https://h/{tenantid}/v2.0");
        assert_eq!(STANDARD.decode(value["x5c"][0].as_str().unwrap()).unwrap(), key.certificate_der());
    }

    #[test]
    fn jwk_from_certificate_equals_jwk_from_key_and_omits_a_missing_issuer() {
        let (key, _) = test_key();
        let from_cert = Jwk::from_certificate(key.certificate_der()).unwrap();
        assert_eq!(from_cert, Jwk::from_signing_key(key));
        let value = serde_json::to_value(Jwks { keys: vec![from_cert] }).unwrap();
        assert!(value["keys"][0].get("issuer").is_none());
        let parsed: Jwks = serde_json::from_value(value).unwrap();
        assert!(parsed.find(key.kid()).is_some());
        assert!(parsed.find("other").is_none());
        assert!(Jwk::from_certificate(&json!(1).to_string().into_bytes()).is_err());
    }
}
