//! The one reader of `Authorization: Bearer <token>` (RFC 6750 §2.1), for the directory API and
//! the resource-side guard alike: the header only (never the query or the body), exactly one
//! such header, the scheme in any case, one space, then a `b64token` of at most
//! [`MAX_TOKEN_LEN`] bytes. Anything ambiguous is refused rather than guessed at. It takes the
//! raw header values, so this crate stays free of HTTP types.

/// The largest token looked at (Entra tokens are a few KiB).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Why no bearer token could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BearerError {
    /// No `Authorization` header.
    #[error("no Authorization header")]
    Missing,
    /// More than one `Authorization` header.
    #[error("more than one Authorization header")]
    Multiple,
    /// The token is longer than [`MAX_TOKEN_LEN`].
    #[error("the bearer token is too large")]
    TooLarge,
    /// Not `Bearer <b64token>`.
    #[error("the Authorization header is not of the form `Bearer <token>`")]
    Malformed,
}

/// The token of the single `Authorization: Bearer <token>` header among `values` (every value
/// of the request's `Authorization` header, in order).
pub fn bearer_token<'a>(mut values: impl Iterator<Item = &'a [u8]>) -> Result<&'a str, BearerError> {
    let value = values.next().ok_or(BearerError::Missing)?;
    if values.next().is_some() {
        return Err(BearerError::Multiple);
    }
    if value.len() > MAX_TOKEN_LEN + "Bearer ".len() {
        return Err(BearerError::TooLarge);
    }
    let value = std::str::from_utf8(value).map_err(|_| BearerError::Malformed)?;
    let (scheme, token) = value.split_once(' ').ok_or(BearerError::Malformed)?;
    if !scheme.eq_ignore_ascii_case("Bearer") || !is_b64token(token) {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    // A table lookup per byte (this runs on every request, over a token of 1-2 KiB).
    !body.is_empty() && body.bytes().fold(true, |ok, b| ok & B64TOKEN[usize::from(b)])
}

/// Which bytes a `b64token` may hold before its `=` padding.
const B64TOKEN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~' | b'+' | b'/');
        b += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    fn read(values: &[&str]) -> Result<&'static str, BearerError> {
        let values: Vec<&'static [u8]> =
            values.iter().map(|v| &*Box::leak(v.as_bytes().to_vec().into_boxed_slice())).collect();
        bearer_token(values.into_iter())
    }

    #[test]
    fn accepts_any_scheme_case() {
        for v in ["Bearer a.b.c", "bearer a.b.c", "BEARER a.b.c"] {
            assert_eq!(read(&[v]), Ok("a.b.c"));
        }
    }

    #[test]
    fn refuses_ambiguous_forms() {
        assert_eq!(read(&[]), Err(BearerError::Missing));
        assert_eq!(read(&["Bearer a.b.c", "Bearer a.b.c"]), Err(BearerError::Multiple));
        for v in [
            "Bearer  a.b.c",
            "Bearer a.b.c ",
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwdw==",
            "Bearer a b",
            "Bearer ==",
        ] {
            assert_eq!(read(&[v]), Err(BearerError::Malformed), "{v:?}");
        }
        let big = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert_eq!(read(&[&big]), Err(BearerError::TooLarge));
    }
}
