//! Reading a key set an issuer publishes (RFC 7517 JWKS) into RS256 verification keys: the one
//! parser behind the guard's key cache and workload identity federation.
//!
//! Only RSA keys usable for RS256 signatures survive; symmetric (`oct`), EC, encryption and
//! malformed entries are skipped, so a symmetric key can never be selected (CVE-2026-44699).
//! The rules, and why each caller gets the same one or not:
//!
//! - `use` absent or `sig`; `alg` absent or `RS256`; `key_ops`, when present, lists `verify`
//!   (RFC 7517 §4.3: a key whose operations exclude verification must not verify). Entra
//!   publishes neither `alg` nor `key_ops`, so honouring them costs its callers nothing; before
//!   this parser was shared only the guard honoured `key_ops`, now federation does too.
//! - A modulus of 2048 to 8192 bits and an exponent of at most 64 bits (see [`Rs256Key`]).
//! - `kid` at most [`MAX_KID_LEN`] bytes and not empty. One bound for both callers: it only
//!   limits memory and log size. Entra's kids are 27–40 characters, Kubernetes' 43, Google's
//!   and GitHub's 40; 256 leaves room for issuers that use URLs or longer thumbprints. (The
//!   guard used to stop at 128, which no known issuer comes near.)
//! - Whether a key without `kid` is kept is the one rule that really differs ([`KidRule`]):
//!   the guard looks keys up by the token's `kid`/`x5t` only, and Entra always names its keys,
//!   so a nameless key could never be chosen there and is dropped ([`KidRule::Required`]);
//!   an external federation issuer with a single key may omit `kid` (RFC 7517 §4.5 makes it
//!   optional), and its tokens are then verified with that only key ([`KidRule::Optional`]).
//! - At most [`MAX_KEYS`] usable keys, in document order (Entra stores the first 100).
//! - A key's own `issuer` member (Entra's v2 key sets, possibly `{tenantid}`-templated) is
//!   kept for callers that bind keys to issuers (RFC 8725 §3.8).

use crate::rs256::Rs256Key;
use serde::Deserialize;

/// Most usable keys kept from one document.
pub const MAX_KEYS: usize = 100;
/// Longest `kid` kept.
pub const MAX_KID_LEN: usize = 256;

/// Whether keys without a `kid` are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KidRule {
    /// Keys are looked up by `kid` only: a key without one is dropped.
    Required,
    /// A key without `kid` is kept (the caller may use it when it is the only key).
    Optional,
}

/// A usable RS256 key from a key set.
#[derive(Debug, Clone)]
pub struct PublishedKey {
    /// `kid`; always present under [`KidRule::Required`].
    pub kid: Option<String>,
    /// The key's own `issuer` member, still possibly templated.
    pub issuer: Option<String>,
    /// The verification key, parsed once.
    pub key: Rs256Key,
}

/// The document is not a JSON object with a `keys` array.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeySetError(serde_json::Error);

#[derive(Deserialize)]
struct KeySetDocument {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default, rename = "use")]
    use_: Option<String>,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
}

/// The usable RS256 keys of a JWKS document; `Err` only when it is not `{"keys":[...]}`.
pub fn parse_rs256_keys(body: &[u8], kid_rule: KidRule) -> Result<Vec<PublishedKey>, KeySetError> {
    let document: KeySetDocument = serde_json::from_slice(body).map_err(KeySetError)?;
    Ok(document
        .keys
        .into_iter()
        .filter_map(|v| serde_json::from_value::<RawJwk>(v).ok())
        .filter_map(|jwk| usable(jwk, kid_rule))
        .take(MAX_KEYS)
        .collect())
}

fn usable(jwk: RawJwk, kid_rule: KidRule) -> Option<PublishedKey> {
    let signing = jwk.use_.as_deref().is_none_or(|u| u == "sig")
        && jwk.alg.as_deref().is_none_or(|a| a == "RS256")
        && jwk.key_ops.as_ref().is_none_or(|ops| ops.iter().any(|o| o == "verify"));
    if jwk.kty != "RSA" || !signing {
        return None;
    }
    let kid = match (jwk.kid, kid_rule) {
        (Some(kid), _) if kid.is_empty() || kid.len() > MAX_KID_LEN => return None,
        (None, KidRule::Required) => return None,
        (kid, _) => kid,
    };
    let key = Rs256Key::from_jwk(&jwk.n?, &jwk.e?).ok()?;
    Some(PublishedKey { kid, issuer: jwk.issuer, key })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64::{Engine as _, URL};
    use serde_json::{Value, json};

    fn n(bytes: usize) -> String {
        URL.encode(vec![0xC5; bytes])
    }

    fn kids(doc: &Value, rule: KidRule) -> Vec<Option<String>> {
        parse_rs256_keys(doc.to_string().as_bytes(), rule).unwrap().into_iter().map(|k| k.kid).collect()
    }

    #[test]
    fn keeps_only_rsa_signing_keys() {
        let doc = json!({"keys": [
            {"kty":"RSA","use":"sig","kid":"good","n":n(256),"e":"AQAB","issuer":"https://x/{tenantid}/v2.0"},
            {"kty":"RSA","kid":"no-use","n":n(512),"e":"AQAB","alg":"RS256"},
            {"kty":"RSA","kid":"ops","n":n(256),"e":"AQAB","key_ops":["verify"]},
            {"kty":"RSA","kid":"enc-ops","n":n(256),"e":"AQAB","key_ops":["encrypt"]},
            {"kty":"RSA","use":"enc","kid":"enc","n":n(256),"e":"AQAB"},
            {"kty":"oct","kid":"oct","k":"c2VjcmV0"},
            {"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"},
            {"kty":"RSA","kid":"small","n":n(128),"e":"AQAB"},
            {"kty":"RSA","kid":"ps","alg":"PS256","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"hs","alg":"HS256","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"k".repeat(MAX_KID_LEN + 1),"n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"bad-n","n":"!!","e":"AQAB"},
            {"kty":7}
        ]});
        let keys = parse_rs256_keys(doc.to_string().as_bytes(), KidRule::Required).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.kid.as_deref().unwrap()).collect();
        assert_eq!(kids, ["good", "no-use", "ops"]);
        assert_eq!(keys[0].issuer.as_deref(), Some("https://x/{tenantid}/v2.0"));
        assert!(parse_rs256_keys(b"{\"nokeys\":[]}", KidRule::Required).is_err());
        assert!(parse_rs256_keys(b"[]", KidRule::Optional).is_err());
    }

    #[test]
    fn nameless_keys_are_kept_only_when_optional() {
        let doc = json!({"keys": [
            {"kty":"RSA","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"k".repeat(MAX_KID_LEN),"n":n(256),"e":"AQAB"},
        ]});
        assert_eq!(kids(&doc, KidRule::Required), [Some("k".repeat(MAX_KID_LEN))]);
        assert_eq!(kids(&doc, KidRule::Optional), [None, Some("k".repeat(MAX_KID_LEN))]);
    }

    #[test]
    fn keeps_the_first_hundred_usable_keys() {
        let mut many: Vec<Value> = vec![json!({"kty":"oct","kid":"skipped","k":"c2VjcmV0"})];
        many.extend(
            (0..MAX_KEYS + 5).map(|i| json!({"kty":"RSA","kid":format!("k{i}"),"n":n(256),"e":"AQAB"})),
        );
        let kids = kids(&json!({ "keys": many }), KidRule::Required);
        assert_eq!(kids.len(), MAX_KEYS);
        assert_eq!(kids.last(), Some(&Some("k99".to_owned())));
    }
}
