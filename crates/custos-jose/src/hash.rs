//! Digests: SHA-256, and SHA-1 for certificate thumbprints only (`x5t`, Entra's thumbprint
//! columns), plus the upper-case hex Entra prints thumbprints in.

use aws_lc_rs::digest;

/// SHA-1 of `bytes`. For certificate thumbprints only, never as a security boundary.
pub fn sha1(bytes: &[u8]) -> [u8; 20] {
    let mut out = [0; 20];
    out.copy_from_slice(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref());
    out
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, bytes).as_ref());
    out
}

/// Upper-case hex of `bytes` (`000AFF`), as Entra shows thumbprints.
pub fn upper_hex(bytes: &[u8]) -> String {
    hex(bytes, b"0123456789ABCDEF")
}

/// Lower-case hex of `bytes` (`000aff`).
pub fn lower_hex(bytes: &[u8]) -> String {
    hex(bytes, b"0123456789abcdef")
}

fn hex(bytes: &[u8], digits: &[u8; 16]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(digits[usize::from(b >> 4)]));
        out.push(char::from(digits[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_pads_each_byte() {
        assert_eq!(upper_hex(&[0x00, 0x0a, 0xff]), "000AFF");
        assert_eq!(lower_hex(&[0x00, 0x0a, 0xff]), "000aff");
    }

    #[test]
    fn digests_match_known_answers() {
        assert_eq!(upper_hex(&sha1(b"abc")), "A9993E364706816ABA3E25717850C26C9CD0D89D");
        assert_eq!(
            lower_hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
