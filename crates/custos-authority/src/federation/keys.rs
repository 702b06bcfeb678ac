//! An external issuer's signing keys, from its JWKS document, parsed by
//! [`custos_jose::key_set`] (its module documentation gives every rule) with `kid` optional: an
//! issuer with a single key may leave it unnamed, and a token without `kid` is then verified
//! with that only key.

use custos_jose::key_set::{KeySetError, KidRule, PublishedKey, parse_rs256_keys};

/// The usable keys of one issuer.
#[derive(Debug, Clone, Default)]
pub(crate) struct IssuerKeys {
    keys: Vec<PublishedKey>,
}

/// Why a signature was not verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyLookup {
    /// No key has the token's `kid` (or, without `kid`, the issuer publishes several keys).
    NotFound,
    /// The key was found and the signature does not verify.
    BadSignature,
}

impl IssuerKeys {
    /// Parses a JWKS document; `Err` when it is not `{"keys":[...]}`.
    pub(crate) fn parse(body: &[u8]) -> Result<Self, KeySetError> {
        Ok(Self { keys: parse_rs256_keys(body, KidRule::Optional)? })
    }

    /// Number of usable keys.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether a key with `kid` is held; without a `kid`, whether exactly one key is.
    pub(crate) fn has(&self, kid: Option<&str>) -> bool {
        self.find(kid).is_some()
    }

    fn find(&self, kid: Option<&str>) -> Option<&PublishedKey> {
        match kid {
            Some(kid) => self.keys.iter().find(|k| k.kid.as_deref() == Some(kid)),
            None => match self.keys.as_slice() {
                [only] => Some(only),
                _ => None,
            },
        }
    }

    /// Verifies an RS256 `signature` over `signing_input` with the key named by `kid`.
    pub(crate) fn verify(
        &self,
        kid: Option<&str>,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<(), KeyLookup> {
        let key = self.find(kid).ok_or(KeyLookup::NotFound)?;
        key.key.verify(signing_input, signature).map_err(|_| KeyLookup::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use custos_jose::key_set::MAX_KEYS;
    use custos_jose::{Jwk, SigningKey};
    use time::OffsetDateTime;

    fn n(bytes: usize) -> String {
        URL_SAFE_NO_PAD.encode(vec![0xC5; bytes])
    }

    #[test]
    fn keeps_only_rsa_signing_keys_and_at_most_one_hundred() {
        let doc = serde_json::json!({"keys": [
            {"kty":"RSA","use":"sig","kid":"good","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"no-use","n":n(512),"e":"AQAB","alg":"RS256"},
            {"kty":"RSA","use":"enc","kid":"enc","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"encrypt-only","n":n(256),"e":"AQAB","key_ops":["encrypt"]},
            {"kty":"oct","kid":"oct","k":"c2VjcmV0"},
            {"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"},
            {"kty":"RSA","kid":"small","n":n(128),"e":"AQAB"},
            {"kty":"RSA","kid":"ps","alg":"PS256","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"bad-n","n":"!!","e":"AQAB"},
            {"kty":7}
        ]});
        let keys = IssuerKeys::parse(doc.to_string().as_bytes()).unwrap();
        assert_eq!(keys.len(), 2);
        assert!(keys.has(Some("good")) && keys.has(Some("no-use")) && !keys.has(Some("enc")));
        assert!(!keys.has(Some("encrypt-only")), "key_ops without verify");
        assert!(!keys.has(None), "two keys and no kid: ambiguous");
        assert!(IssuerKeys::parse(b"{\"nokeys\":[]}").is_err());

        let many: Vec<serde_json::Value> = (0..MAX_KEYS + 5)
            .map(|i| serde_json::json!({"kty":"RSA","kid":format!("k{i}"),"n":n(256),"e":"AQAB"}))
            .collect();
        let keys = IssuerKeys::parse(serde_json::json!({ "keys": many }).to_string().as_bytes()).unwrap();
        assert_eq!(keys.len(), MAX_KEYS);
        assert!(keys.has(Some("k99")) && !keys.has(Some("k100")));
    }

    #[test]
    fn an_issuers_only_key_may_be_unnamed() {
        let doc = serde_json::json!({"keys": [{"kty":"RSA","n":n(256),"e":"AQAB"}]});
        let keys = IssuerKeys::parse(doc.to_string().as_bytes()).unwrap();
        assert!(keys.has(None) && !keys.has(Some("any")));
    }

    #[test]
    fn verifies_rs256_with_the_named_key_only() {
        let now = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
        let (key, _) = SigningKey::generate(now).unwrap();
        let jwk = serde_json::to_value(Jwk::from_signing_key(&key)).unwrap();
        let keys = IssuerKeys::parse(serde_json::json!({ "keys": [jwk] }).to_string().as_bytes()).unwrap();
        let token =
            key.sign_compact(&serde_json::json!({"alg":"RS256"}), &serde_json::json!({"a":1})).unwrap();
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
        assert_eq!(keys.verify(Some(key.kid()), input.as_bytes(), &signature), Ok(()));
        assert_eq!(keys.verify(None, input.as_bytes(), &signature), Ok(()), "the only key");
        assert_eq!(keys.verify(Some("other"), input.as_bytes(), &signature), Err(KeyLookup::NotFound));
        let tampered = format!("{input}x");
        assert_eq!(
            keys.verify(Some(key.kid()), tampered.as_bytes(), &signature),
            Err(KeyLookup::BadSignature)
        );
    }
}
