//! HMAC-SHA-256 under a server key: the keyed hash of client secrets ([`crate::secret`]) and the
//! MAC of Graph paging tokens. Tags are compared in constant time.

use aws_lc_rs::{constant_time, hmac};
use std::fmt;

/// Length of a tag.
pub const TAG_LEN: usize = 32;

/// An HMAC-SHA-256 key. `Debug` never shows it.
#[derive(Clone)]
pub struct HmacKey(hmac::Key);

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

impl HmacKey {
    /// A key of any length (32 random bytes in practice).
    pub fn new(key: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, key))
    }

    /// The tag of `message`.
    pub fn sign(&self, message: &[u8]) -> [u8; TAG_LEN] {
        self.sign_parts(&[message])
    }

    /// The tag of the concatenation of `parts` (callers separate variable-length parts).
    pub fn sign_parts(&self, parts: &[&[u8]]) -> [u8; TAG_LEN] {
        let mut context = hmac::Context::with_key(&self.0);
        for part in parts {
            context.update(part);
        }
        let mut tag = [0; TAG_LEN];
        tag.copy_from_slice(context.sign().as_ref());
        tag
    }

    /// Whether `tag` is the tag of the concatenation of `parts`, in constant time.
    pub fn verify_parts(&self, parts: &[&[u8]], tag: &[u8]) -> bool {
        constant_time::verify_slices_are_equal(&self.sign_parts(parts), tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::lower_hex;

    #[test]
    fn rfc_4231_case_2_and_parts() {
        let key = HmacKey::new(b"Jefe");
        let tag = key.sign(b"what do ya want for nothing?");
        assert_eq!(lower_hex(&tag), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assert_eq!(key.sign_parts(&[b"what do ya ", b"want for nothing?"]), tag);
        assert!(key.verify_parts(&[b"what do ya want for nothing?"], &tag));
        assert!(!key.verify_parts(&[b"what do ya want for nothing!"], &tag));
        assert!(!key.verify_parts(&[b"what do ya want for nothing?"], &tag[..31]));
        assert_eq!(format!("{key:?}"), "HmacKey(<redacted>)");
    }
}
