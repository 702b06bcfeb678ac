//! JSON Web Key Set documents in Entra's shape (`entra-wire.md` §3): RSA signing keys with
//! `kid == x5t`, the certificate in `x5c` (standard base64) and, on v2 key sets, `issuer`; and
//! custos' opt-in ES256 keys in the same shape with `crv`/`x`/`y` and `alg: ES256` in place of
//! `n`/`e`.

use crate::JoseError;
use crate::b64::{Engine as _, STANDARD, URL};
use crate::es256::{self, EcSigningKey};
use crate::signing::{RsaPublicParts, SigningKey, thumbprint_sha1};
use serde::{Deserialize, Serialize};

/// One published signing key (RSA, or P-256 for ES256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `RSA` or `EC`.
    pub kty: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// Key id: the certificate's SHA-1 thumbprint, unpadded base64url.
    pub kid: String,
    /// Same as `kid`.
    pub x5t: String,
    /// RSA modulus, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve: `P-256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate, unpadded base64url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// `ES256` on EC keys; absent on RSA keys, as Entra publishes them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// The certificate, standard base64 DER.
    pub x5c: Vec<String>,
    /// The issuer the key signs for (v2 key sets only; may be templated with `{tenantid}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

impl Jwk {
    /// The JWK of a signing key (no `issuer`).
    pub fn from_signing_key(key: &SigningKey) -> Self {
        Self::rsa(key.kid().to_owned(), key.modulus(), key.exponent(), key.certificate_der())
    }

    /// The JWK of an ES256 signing key (no `issuer`).
    pub fn from_ec_signing_key(key: &EcSigningKey) -> Self {
        let (x, y) = key.coordinates();
        Self::ec(key.kid().to_owned(), x, y, key.certificate_der())
    }

    /// The JWK of a DER certificate holding an RSA or P-256 public key (no `issuer`).
    pub fn from_certificate(certificate_der: &[u8]) -> Result<Self, JoseError> {
        let kid = thumbprint_sha1(certificate_der);
        match RsaPublicParts::from_certificate(certificate_der) {
            Ok(public) => Ok(Self::rsa(kid, &public.modulus, &public.exponent, certificate_der)),
            Err(rsa_error) => {
                let point = es256::ec_point_of_certificate(certificate_der).map_err(|_| rsa_error)?;
                let (x, y) = es256::split_point(&point).ok_or_else(|| {
                    JoseError::InvalidCertificate("the EC point is not uncompressed".into())
                })?;
                Ok(Self::ec(kid, x, y, certificate_der))
            }
        }
    }

    /// The same key, published for `issuer`.
    pub fn with_issuer(mut self, issuer: Option<&str>) -> Self {
        self.issuer = issuer.map(str::to_owned);
        self
    }

    fn rsa(kid: String, modulus: &[u8], exponent: &[u8], certificate_der: &[u8]) -> Self {
        Self {
            n: Some(URL.encode(modulus)),
            e: Some(URL.encode(exponent)),
            ..Self::common("RSA", kid, certificate_der)
        }
    }

    fn ec(kid: String, x: &[u8], y: &[u8], certificate_der: &[u8]) -> Self {
        Self {
            crv: Some(es256::CURVE.to_owned()),
            x: Some(URL.encode(x)),
            y: Some(URL.encode(y)),
            alg: Some("ES256".to_owned()),
            ..Self::common("EC", kid, certificate_der)
        }
    }

    fn common(kty: &str, kid: String, certificate_der: &[u8]) -> Self {
        Self {
            kty: kty.to_owned(),
            key_use: "sig".to_owned(),
            x5t: kid.clone(),
            kid,
            n: None,
            e: None,
            crv: None,
            x: None,
            y: None,
            alg: None,
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

    #[test]
    fn ec_jwk_has_curve_coordinates_and_alg_in_order() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let (key, _) = EcSigningKey::generate(now).unwrap();
        let jwk = Jwk::from_ec_signing_key(&key);
        assert_eq!(Jwk::from_certificate(key.certificate_der()).unwrap(), jwk);
        let text = serde_json::to_string(&jwk.with_issuer(Some("https://h/{tenantid}/v2.0"))).unwrap();
        let mut last = 0;
        for name in ["kty", "use", "kid", "x5t", "crv", "x", "y", "alg", "x5c", "issuer"] {
            let at = text.find(&format!("\"{name}\":")).unwrap();
            assert!(at >= last, "{name} out of order in {text}");
            last = at;
        }
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["kty"], "EC");
        assert_eq!(value["crv"], "P-256");
        assert_eq!(value["alg"], "ES256");
        assert_eq!(value["kid"], key.kid());
        assert_eq!(URL.decode(value["x"].as_str().unwrap()).unwrap().len(), 32);
        assert!(value.get("n").is_none() && value.get("e").is_none());
        // RSA keys stay exactly as Entra publishes them: no alg, no EC members.
        let rsa = serde_json::to_value(Jwk::from_signing_key(&test_key().0)).unwrap();
        for absent in ["alg", "crv", "x", "y"] {
            assert!(rsa.get(absent).is_none(), "{absent}");
        }
    }
}
