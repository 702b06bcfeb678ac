//! The `jwks` target: JSON Web Key Sets, as custos publishes them (`custos_jose::Jwks`) and as it
//! reads other issuers' (`custos_jose::key_set::parse_rs256_keys`).

use custos_jose::Jwks;
use custos_jose::key_set::{KidRule, MAX_KEYS, parse_rs256_keys};

/// `data` as a key set. Asserts: no panic; a document that reads as [`Jwks`] writes back to JSON
/// that reads as the same keys; the issuer key-set reader keeps at most [`MAX_KEYS`] keys, each
/// with a `kid` when one is required, and never more with `kid` required than optional.
///
/// # Panics
///
/// When one of those rules does not hold: that is the finding.
pub(crate) fn jwks(data: &[u8]) {
    if let Ok(published) = serde_json::from_slice::<Jwks>(data) {
        let text = serde_json::to_vec(&published).expect("a key set serializes");
        let again: Jwks = serde_json::from_slice(&text).expect("a written key set reads back");
        assert_eq!(again, published);
    }
    let required = parse_rs256_keys(data, KidRule::Required);
    let optional = parse_rs256_keys(data, KidRule::Optional);
    assert_eq!(required.is_ok(), optional.is_ok(), "the kid rule decides nothing about the document");
    if let (Ok(required), Ok(optional)) = (required, optional) {
        assert!(required.len() <= MAX_KEYS && optional.len() <= MAX_KEYS);
        assert!(required.iter().all(|k| k.kid.is_some()));
        assert!(required.len() <= optional.len());
    }
}
