//! [`Secret`]: a value that must never be logged or outlive its use, such as a client secret, an
//! endpoint secret, a key-encryption key or an identity header. Its memory is zeroized on drop,
//! its `Debug` is redacted, it has no `Display`, and the value is reached only through
//! [`Secret::expose`], so every read is visible at the call site. Comparing secrets is the
//! caller's business (in constant time, with `custos_jose::constant_time`).

use std::fmt;
use zeroize::Zeroize;

/// A secret value, zeroized on drop and redacted in `Debug`.
pub struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    /// Wraps `value`.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Name the reason at the call site when it is not obvious.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T: Zeroize + Clone> Clone for Secret<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_expose_gives_the_value() {
        let secret = Secret::new("hunter2".to_owned());
        assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some(Secret(<redacted>))");
        assert_eq!(secret.expose(), "hunter2");
        let key: Secret<[u8; 32]> = [7; 32].into();
        assert_eq!(key.expose(), &[7; 32]);
    }

    #[test]
    fn drop_zeroizes_the_value() {
        let mut secret = Secret::new(vec![1u8, 2, 3]);
        // What Drop does, observed before the memory is released.
        secret.0.zeroize();
        assert!(secret.expose().is_empty(), "zeroize clears a Vec");
        let mut key = Secret::new([9u8; 4]);
        key.0.zeroize();
        assert_eq!(key.expose(), &[0; 4]);
    }
}
