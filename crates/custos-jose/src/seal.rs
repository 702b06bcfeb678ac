//! Sealing of private keys at rest: AES-256-GCM under the 32-byte key-encryption key (KEK),
//! bound to additional authenticated data (the key's `kid`), so a sealed key copied onto
//! another record does not open.
//!
//! Format: `version (1 byte) || nonce (12 random bytes) || ciphertext || tag (16 bytes)`.

use crate::JoseError;
use crate::random;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

/// The format version written first in every sealed blob.
const VERSION: u8 = 1;

/// Length of the GCM tag.
const TAG_LEN: usize = 16;

fn cipher(kek: &[u8; 32], error: JoseError) -> Result<LessSafeKey, JoseError> {
    // AES-256 takes exactly 32 bytes, which the array type guarantees: this cannot fail.
    UnboundKey::new(&AES_256_GCM, kek).map(LessSafeKey::new).map_err(|_| error)
}

/// Encrypts `plaintext` under `kek`, authenticating `aad` (the kid) with it.
pub fn seal(kek: &[u8; 32], plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, JoseError> {
    let mut nonce = [0u8; NONCE_LEN];
    random::fill(&mut nonce).map_err(|_| JoseError::Seal)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
    out.push(VERSION);
    out.extend_from_slice(&nonce);
    let mut in_out = plaintext.to_vec();
    cipher(kek, JoseError::Seal)?
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut in_out)
        .map_err(|_| JoseError::Seal)?;
    out.extend_from_slice(&in_out);
    Ok(out)
}

/// Decrypts a blob made by [`seal`] with the same `kek` and `aad`.
pub fn open(kek: &[u8; 32], sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, JoseError> {
    let Some((&VERSION, rest)) = sealed.split_first() else {
        return Err(JoseError::Open);
    };
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(JoseError::Open);
    }
    let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| JoseError::Open)?;
    let mut in_out = ciphertext.to_vec();
    let plaintext_len = cipher(kek, JoseError::Open)?
        .open_in_place(nonce, Aad::from(aad), &mut in_out)
        .map_err(|_| JoseError::Open)?
        .len();
    in_out.truncate(plaintext_len);
    Ok(in_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEK: [u8; 32] = [9; 32];

    #[test]
    fn round_trip() {
        let sealed = seal(&KEK, b"private key", b"kid-1").unwrap();
        assert_eq!(sealed.len(), 1 + 12 + 11 + 16);
        assert_eq!(sealed[0], VERSION);
        assert_eq!(open(&KEK, &sealed, b"kid-1").unwrap(), b"private key");
        // A fresh nonce every time.
        assert_ne!(seal(&KEK, b"private key", b"kid-1").unwrap(), sealed);
    }

    #[test]
    fn tampering_wrong_key_or_wrong_kid_fail() {
        let sealed = seal(&KEK, b"private key", b"kid-1").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(matches!(open(&KEK, &bad, b"kid-1"), Err(JoseError::Open)), "byte {i}");
        }
        assert!(matches!(open(&[8; 32], &sealed, b"kid-1"), Err(JoseError::Open)));
        assert!(matches!(open(&KEK, &sealed, b"kid-2"), Err(JoseError::Open)));
        assert!(matches!(open(&KEK, &sealed[..20], b"kid-1"), Err(JoseError::Open)));
        assert!(matches!(open(&KEK, &[], b"kid-1"), Err(JoseError::Open)));
    }
}
