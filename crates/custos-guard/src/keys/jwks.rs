//! Turning a JWKS document into verification keys: only RSA signing keys (≥ 2048 bits) usable with
//! RS256 survive; `use: enc`, `oct`, EC and malformed entries are skipped, so a symmetric key can never
//! be selected (CVE-2026-44699). Each key remembers which issuers it may sign for (RFC 8725 §3.8).

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::DecodingKey;
use serde::Deserialize;

/// At most this many keys are kept from all key sets together.
pub const MAX_KEYS: usize = 100;
/// Longest `kid` the guard stores or looks up.
pub const MAX_KID_LEN: usize = 128;
const MIN_MODULUS_BYTES: usize = 256;
const MAX_MODULUS_BYTES: usize = 1024;

#[derive(Debug, Deserialize)]
struct KeySetDocument {
    keys: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
    alg: Option<String>,
    key_ops: Option<Vec<String>>,
    n: Option<String>,
    e: Option<String>,
    issuer: Option<String>,
}

/// A usable verification key from a key set.
#[derive(Clone)]
pub(crate) struct ParsedKey {
    pub(crate) kid: String,
    pub(crate) key: DecodingKey,
    /// The `issuer` member (v2 key sets), still possibly templated.
    pub(crate) issuer: Option<String>,
}

/// Parses a JWKS document; `Err` only when it is not `{"keys":[...]}`.
pub(crate) fn parse_key_set(body: &[u8]) -> Result<Vec<ParsedKey>, serde_json::Error> {
    let doc: KeySetDocument = serde_json::from_slice(body)?;
    Ok(doc
        .keys
        .into_iter()
        .filter_map(|v| serde_json::from_value::<RawJwk>(v).ok())
        .filter_map(usable)
        .collect())
}

fn usable(jwk: RawJwk) -> Option<ParsedKey> {
    let signing = jwk.use_.as_deref().is_none_or(|u| u == "sig")
        && jwk.alg.as_deref().is_none_or(|a| a == "RS256")
        && jwk.key_ops.as_ref().is_none_or(|ops| ops.iter().any(|o| o == "verify"));
    if jwk.kty != "RSA" || !signing {
        return None;
    }
    let kid = jwk.kid.filter(|k| !k.is_empty() && k.len() <= MAX_KID_LEN)?;
    let n = URL_SAFE_NO_PAD.decode(jwk.n?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(jwk.e?).ok()?;
    let n_len = n.iter().skip_while(|b| **b == 0).count();
    if !(MIN_MODULUS_BYTES..=MAX_MODULUS_BYTES).contains(&n_len) || e.is_empty() || e.len() > 8 {
        return None;
    }
    Some(ParsedKey { kid, key: DecodingKey::from_rsa_raw_components(&n, &e), issuer: jwk.issuer })
}

/// Verification keys by `kid`, each with the issuers it may sign for.
#[derive(Default)]
pub(crate) struct KeyRing {
    keys: HashMap<String, RingEntry>,
}

struct RingEntry {
    key: DecodingKey,
    issuers: Vec<String>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing").field("kids", &self.keys.keys().collect::<Vec<_>>()).finish()
    }
}

impl KeyRing {
    /// Adds the keys of one key set, published under the metadata whose issuer is `default_issuer`; a key's
    /// own `issuer` (resolved by `resolve`) takes precedence. Returns how many keys were dropped by the cap.
    pub(crate) fn add(
        &mut self,
        keys: Vec<ParsedKey>,
        default_issuer: &str,
        resolve: impl Fn(&str) -> String,
    ) -> usize {
        let mut dropped = 0;
        for parsed in keys {
            let issuer = parsed.issuer.as_deref().map_or_else(|| default_issuer.to_owned(), &resolve);
            if let Some(entry) = self.keys.get_mut(&parsed.kid) {
                if !entry.issuers.contains(&issuer) {
                    entry.issuers.push(issuer);
                }
            } else if self.keys.len() < MAX_KEYS {
                self.keys.insert(parsed.kid, RingEntry { key: parsed.key, issuers: vec![issuer] });
            } else {
                dropped += 1;
            }
        }
        dropped
    }

    /// The key with `kid`, with the issuers it may sign for.
    pub(crate) fn get(&self, kid: &str) -> Option<(&DecodingKey, &[String])> {
        self.keys.get(kid).map(|e| (&e.key, e.issuers.as_slice()))
    }

    /// Number of keys held.
    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(bytes: usize) -> String {
        URL_SAFE_NO_PAD.encode(vec![0xC5; bytes])
    }

    #[test]
    fn keeps_only_rsa_signing_keys() {
        let doc = serde_json::json!({"keys": [
            {"kty":"RSA","use":"sig","kid":"good","n":n(256),"e":"AQAB","issuer":"https://x/{tenantid}/v2.0"},
            {"kty":"RSA","kid":"no-use","n":n(256),"e":"AQAB"},
            {"kty":"RSA","use":"enc","kid":"enc","n":n(256),"e":"AQAB"},
            {"kty":"oct","kid":"oct","k":"c2VjcmV0"},
            {"kty":"EC","kid":"ec","crv":"P-256","x":"AA","y":"AA"},
            {"kty":"RSA","kid":"small","n":n(128),"e":"AQAB"},
            {"kty":"RSA","kid":"hs","alg":"HS256","n":n(256),"e":"AQAB"},
            {"kty":"RSA","n":n(256),"e":"AQAB"},
            {"kty":"RSA","kid":"bad-n","n":"!!","e":"AQAB"},
            {"kty":7}
        ]});
        let keys = parse_key_set(doc.to_string().as_bytes()).unwrap();
        let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
        assert_eq!(kids, ["good", "no-use"]);
        assert_eq!(keys[0].issuer.as_deref(), Some("https://x/{tenantid}/v2.0"));
        assert!(parse_key_set(b"{\"nokeys\":[]}").is_err());
    }

    #[test]
    fn ring_binds_issuers_and_caps() {
        let mut ring = KeyRing::default();
        let doc = serde_json::json!({"keys": [
            {"kty":"RSA","kid":"k","n":n(256),"e":"AQAB","issuer":"https://x/{tenantid}/v2.0"}
        ]});
        let parse = || parse_key_set(doc.to_string().as_bytes()).unwrap();
        ring.add(parse(), "https://x/T/v2.0", |s| s.replace("{tenantid}", "T"));
        let doc_v1 = serde_json::json!({"keys": [{"kty":"RSA","kid":"k","n":n(256),"e":"AQAB"}]});
        ring.add(parse_key_set(doc_v1.to_string().as_bytes()).unwrap(), "https://sts/T/", str::to_owned);
        let (_, issuers) = ring.get("k").unwrap();
        assert_eq!(issuers, ["https://x/T/v2.0".to_owned(), "https://sts/T/".to_owned()]);

        let many: Vec<serde_json::Value> = (0..MAX_KEYS + 5)
            .map(|i| serde_json::json!({"kty":"RSA","kid":format!("k{i}"),"n":n(256),"e":"AQAB"}))
            .collect();
        let mut big = KeyRing::default();
        let dropped = big.add(
            parse_key_set(serde_json::json!({ "keys": many }).to_string().as_bytes()).unwrap(),
            "i",
            str::to_owned,
        );
        assert_eq!((big.len(), dropped), (MAX_KEYS, 5));
    }
}
