//! The guard's verification keys by `kid`, from the tenant's v2 and v1 key sets (parsed by
//! [`custos_jose::key_set`], with `kid` required: the guard looks keys up by the token's `kid`
//! or `x5t` only). Each key remembers which issuers it may sign for (RFC 8725 §3.8), and the
//! ring holds at most [`MAX_KEYS`] keys from all key sets together.

use std::collections::HashMap;

use custos_jose::VerifyingKey;
use custos_jose::key_set::PublishedKey;
pub use custos_jose::key_set::{MAX_KEYS, MAX_KID_LEN};

/// Verification keys by `kid`, each with the issuers it may sign for.
#[derive(Default)]
pub(crate) struct KeyRing {
    keys: HashMap<String, RingEntry>,
}

struct RingEntry {
    key: VerifyingKey,
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
        keys: Vec<PublishedKey>,
        default_issuer: &str,
        resolve: impl Fn(&str) -> String,
    ) -> usize {
        let mut dropped = 0;
        for parsed in keys {
            // Parsed with `KidRule::Required`: every key has a kid.
            let Some(kid) = parsed.kid else { continue };
            let issuer = parsed.issuer.as_deref().map_or_else(|| default_issuer.to_owned(), &resolve);
            if let Some(entry) = self.keys.get_mut(&kid) {
                if !entry.issuers.contains(&issuer) {
                    entry.issuers.push(issuer);
                }
            } else if self.keys.len() < MAX_KEYS {
                self.keys.insert(kid, RingEntry { key: parsed.key, issuers: vec![issuer] });
            } else {
                dropped += 1;
            }
        }
        dropped
    }

    /// The key with `kid`, with the issuers it may sign for.
    pub(crate) fn get(&self, kid: &str) -> Option<(&VerifyingKey, &[String])> {
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
    use custos_jose::key_set::{KidRule, parse_rs256_keys};
    use serde_json::{Value, json};

    fn n() -> String {
        custos_jose::testing::TestSigner::generate().n()
    }

    fn parse(doc: &Value) -> Vec<PublishedKey> {
        parse_rs256_keys(doc.to_string().as_bytes(), KidRule::Required).unwrap()
    }

    #[test]
    fn ring_binds_issuers_and_caps() {
        let n = n();
        let mut ring = KeyRing::default();
        let doc = json!({"keys": [
            {"kty":"RSA","kid":"k","n":n,"e":"AQAB","issuer":"https://x/{tenantid}/v2.0"}
        ]});
        ring.add(parse(&doc), "https://x/T/v2.0", |s| s.replace("{tenantid}", "T"));
        let doc_v1 = json!({"keys": [{"kty":"RSA","kid":"k","n":n,"e":"AQAB"}]});
        ring.add(parse(&doc_v1), "https://sts/T/", str::to_owned);
        let (_, issuers) = ring.get("k").unwrap();
        assert_eq!(issuers, ["https://x/T/v2.0".to_owned(), "https://sts/T/".to_owned()]);

        // The cap holds across key sets: 60 + 50 distinct kids keep 100.
        let set = |prefix: &str, count: usize| {
            let keys: Vec<Value> = (0..count)
                .map(|i| json!({"kty":"RSA","kid":format!("{prefix}{i}"),"n":n,"e":"AQAB"}))
                .collect();
            parse(&json!({ "keys": keys }))
        };
        let mut big = KeyRing::default();
        assert_eq!(big.add(set("v2-", 60), "i", str::to_owned), 0);
        assert_eq!(big.add(set("v1-", 50), "i", str::to_owned), 10);
        assert_eq!(big.len(), MAX_KEYS);
    }
}
