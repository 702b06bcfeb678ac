//! Comparison of secrets in time independent of where they differ.

/// Whether `a` and `b` are equal; for equal lengths the time does not depend on the contents
/// (a length difference is not hidden).
pub fn eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn equal_only_when_identical() {
        assert!(super::eq(b"secret", b"secret"));
        assert!(!super::eq(b"secret", b"secreT"));
        assert!(!super::eq(b"secret", b"secret-longer"));
        assert!(super::eq(b"", b""));
    }
}
