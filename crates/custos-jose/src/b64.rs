//! The two base64 alphabets JOSE uses: unpadded base64url for JWS segments, thumbprints and
//! JWK numbers, and standard padded base64 for `x5c` certificates.

pub(crate) use base64::Engine;
pub(crate) use base64::engine::general_purpose::STANDARD;
/// Padded base64url: only test tokens built the way azure-identity pads them.
#[cfg(any(test, feature = "testing"))]
pub(crate) use base64::engine::general_purpose::URL_SAFE as URL_PADDED;
pub(crate) use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL;

/// Length of the unpadded base64url encoding of `n` bytes.
pub(crate) const fn url_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_len_matches_the_encoder() {
        for n in 0..70 {
            assert_eq!(url_len(n), URL.encode(vec![0u8; n]).len(), "{n}");
        }
    }
}
