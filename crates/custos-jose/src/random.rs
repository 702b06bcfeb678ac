//! Secure random bytes from the operating system's generator, for secrets, token ids and nonces.

use aws_lc_rs::rand;

/// The system random number generator failed (the caller cannot produce a secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

/// Fills `buffer` with random bytes.
pub fn fill(buffer: &mut [u8]) -> Result<(), RandomError> {
    rand::fill(buffer).map_err(|_| RandomError)
}

/// `N` random bytes.
pub fn array<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0; N];
    fill(&mut bytes)?;
    Ok(bytes)
}

/// `len` random bytes as `2 * len` lower-case hex digits (safe in URLs, headers and shells).
pub fn hex(len: usize) -> Result<String, RandomError> {
    let mut bytes = vec![0; len];
    fill(&mut bytes)?;
    Ok(crate::hash::lower_hex(&bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_values_of_the_asked_size() {
        assert_ne!(array::<32>().unwrap(), array::<32>().unwrap());
        let text = hex(32).unwrap();
        assert_eq!(text.len(), 64);
        assert!(text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    }
}
