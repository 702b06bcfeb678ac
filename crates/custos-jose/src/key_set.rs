//! Reading a key set an issuer publishes (RFC 7517 JWKS) into verification keys: the one
//! parser behind the guard's key cache and workload identity federation.
//!
//! Only RSA keys usable for RS256 signatures and, with [`parse_signing_keys`], EC P-256 keys
//! usable for ES256 (custos' opt-in access-token lane) survive; symmetric (`oct`), other curves,
//! encryption and malformed entries are skipped, so a symmetric key can never be selected
//! (CVE-2026-44699). Each kept key carries the one algorithm it verifies
//! ([`VerifyingKey::algorithm`]). Federation reads RSA keys only ([`parse_rs256_keys`]), as
//! Entra does for federated credentials. The rules, and why each caller gets the same one or not:
//!
//! - `use` absent or `sig`; `alg` absent or the key type's algorithm (`RS256` for RSA, `ES256`
//!   for P-256); `key_ops`, when present, lists `verify`
//!   (RFC 7517 §4.3: a key whose operations exclude verification must not verify). Entra
//!   publishes neither `alg` nor `key_ops`, so honouring them costs its callers nothing; before
//!   this parser was shared only the guard honoured `key_ops`, now federation does too.
//! - A modulus of 2048 to 8192 bits and an exponent of at most 64 bits (see
//!   [`crate::Rs256Key`]); EC points on P-256 with 32-byte coordinates ([`crate::Es256Key`]).
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

use crate::verifying::{JwsAlgorithm, VerifyingKey};
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

/// A usable key from a key set.
#[derive(Debug, Clone)]
pub struct PublishedKey {
    /// `kid`; always present under [`KidRule::Required`].
    pub kid: Option<String>,
    /// The key's own `issuer` member, still possibly templated.
    pub issuer: Option<String>,
    /// The verification key, parsed once, with its one algorithm.
    pub key: VerifyingKey,
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
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
}

/// The usable RS256 keys of a JWKS document; `Err` only when it is not `{"keys":[...]}`.
pub fn parse_rs256_keys(body: &[u8], kid_rule: KidRule) -> Result<Vec<PublishedKey>, KeySetError> {
    parse(body, kid_rule, &[JwsAlgorithm::Rs256])
}

/// The usable RS256 and ES256 keys of a JWKS document; `Err` only when it is not
/// `{"keys":[...]}`.
pub fn parse_signing_keys(body: &[u8], kid_rule: KidRule) -> Result<Vec<PublishedKey>, KeySetError> {
    parse(body, kid_rule, &[JwsAlgorithm::Rs256, JwsAlgorithm::Es256])
}

fn parse(
    body: &[u8],
    kid_rule: KidRule,
    algorithms: &[JwsAlgorithm],
) -> Result<Vec<PublishedKey>, KeySetError> {
    let document: KeySetDocument = serde_json::from_slice(body).map_err(KeySetError)?;
    Ok(document
        .keys
        .into_iter()
        .filter_map(|v| serde_json::from_value::<RawJwk>(v).ok())
        .filter_map(|jwk| usable(jwk, kid_rule))
        .filter(|k| algorithms.contains(&k.key.algorithm()))
        .take(MAX_KEYS)
        .collect())
}

fn usable(jwk: RawJwk, kid_rule: KidRule) -> Option<PublishedKey> {
    let signing = jwk.use_.as_deref().is_none_or(|u| u == "sig")
        && jwk.key_ops.as_ref().is_none_or(|ops| ops.iter().any(|o| o == "verify"));
    if !signing {
        return None;
    }
    let kid = match (jwk.kid, kid_rule) {
        (Some(kid), _) if kid.is_empty() || kid.len() > MAX_KID_LEN => return None,
        (None, KidRule::Required) => return None,
        (kid, _) => kid,
    };
    let key = VerifyingKey::from_members(
        &jwk.kty,
        jwk.crv.as_deref(),
        (jwk.n.as_deref(), jwk.e.as_deref()),
        (jwk.x.as_deref(), jwk.y.as_deref()),
    )
    .ok()?;
    // A declared `alg` must be the key type's own algorithm (an RSA key marked ES256 is unusable).
    if jwk.alg.as_deref().is_some_and(|a| a != key.algorithm().name()) {
        return None;
    }
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
    fn ec_p256_keys_are_kept_for_es256_only_by_the_signing_key_reader() {
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let (ec, _) = crate::EcSigningKey::generate(now).unwrap();
        let (x, y) = ec.coordinates();
        let (x, y) = (URL.encode(x), URL.encode(y));
        let doc = json!({"keys": [
            {"kty":"RSA","kid":"rsa","n":n(256),"e":"AQAB"},
            {"kty":"EC","use":"sig","kid":"ec","crv":"P-256","x":x,"y":y,"alg":"ES256"},
            {"kty":"EC","kid":"ec-no-alg","crv":"P-256","x":x,"y":y},
            {"kty":"EC","kid":"ec-as-rs","crv":"P-256","x":x,"y":y,"alg":"RS256"},
            {"kty":"RSA","kid":"rs-as-es","n":n(256),"e":"AQAB","alg":"ES256"},
            {"kty":"EC","kid":"p384","crv":"P-384","x":x,"y":y},
            {"kty":"EC","kid":"off-curve","crv":"P-256","x":x,"y":x},
            {"kty":"EC","kid":"short","crv":"P-256","x":"AAAA","y":y},
        ]});
        let text = doc.to_string();
        let all = parse_signing_keys(text.as_bytes(), KidRule::Required).unwrap();
        let named: Vec<_> =
            all.iter().map(|k| (k.kid.as_deref().unwrap(), k.key.algorithm().name())).collect();
        assert_eq!(named, [("rsa", "RS256"), ("ec", "ES256"), ("ec-no-alg", "ES256")]);
        let rsa_only = parse_rs256_keys(text.as_bytes(), KidRule::Required).unwrap();
        assert_eq!(rsa_only.len(), 1);
        assert!(rsa_only[0].key.as_rs256().is_some());
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
