//! Client secrets: generation and the keyed hash they are stored as.
//!
//! Secrets are 256-bit random values printed in Entra's URL-safe alphabet, so a secret pasted
//! raw into a form body works. They are stored only as `HMAC-SHA-256(server key, secret)` and
//! compared in constant time. A slow KDF is pointless for 256-bit random secrets and would cap
//! the token endpoint (performance.md §5).

use crate::hmac::HmacKey;
use crate::random;

/// Characters a generated secret is made of (letters, digits, `-._~`): all unreserved in URLs.
const ALPHABET: &[u8; 66] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/// Length of a generated secret: 44 characters of a 66-letter alphabet = 265 bits.
pub const SECRET_LEN: usize = 44;

/// Longest presented secret that is hashed at all; longer ones are rejected as wrong.
pub const MAX_PRESENTED_SECRET_LEN: usize = 512;

/// Generates a new client secret. Rejection sampling keeps every character uniform.
pub fn generate_client_secret() -> String {
    let mut out = String::with_capacity(SECRET_LEN);
    let mut buf = [0u8; 64];
    while out.len() < SECRET_LEN {
        random::fill(&mut buf).expect("the system random number generator failed");
        for b in buf {
            // 264 = 4 * 66: bytes below it map uniformly onto the alphabet.
            if usize::from(b) < 4 * ALPHABET.len() && out.len() < SECRET_LEN {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    out
}

/// The server-wide key of the keyed secret hash.
#[derive(Debug, Clone)]
pub struct SecretHasher {
    key: HmacKey,
}

impl SecretHasher {
    /// A hasher keyed with `key` (32 random bytes kept in the data directory).
    pub fn new(key: &[u8]) -> Self {
        Self { key: HmacKey::new(key) }
    }

    /// 32 fresh random bytes for a new server key.
    pub fn generate_key() -> [u8; 32] {
        random::array().expect("the system random number generator failed")
    }

    /// The stored form of a secret.
    pub fn hash(&self, secret: &str) -> Vec<u8> {
        self.key.sign(secret.as_bytes()).to_vec()
    }

    /// Whether `presented` hashes to `stored`, in time independent of where they differ.
    pub fn verify(&self, presented: &str, stored: &[u8]) -> bool {
        self.key.verify_parts(&[presented.as_bytes()], stored)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_url_safe_and_distinct() {
        let a = generate_client_secret();
        let b = generate_client_secret();
        assert_eq!(a.len(), SECRET_LEN);
        assert_ne!(a, b);
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
    }

    #[test]
    fn keyed_hash_verifies_only_the_same_secret_and_key() {
        let h = SecretHasher::new(&[7u8; 32]);
        let stored = h.hash("s3cret");
        assert!(h.verify("s3cret", &stored));
        assert!(!h.verify("s3creT", &stored));
        assert!(!SecretHasher::new(&[8u8; 32]).verify("s3cret", &stored));
    }
}
