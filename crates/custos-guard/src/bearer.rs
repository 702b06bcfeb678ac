//! Reads the bearer token from the `Authorization` header only (RFC 6750 §2.1): never from the query
//! (`?access_token=`) or the body. Anything ambiguous is refused rather than guessed at.

use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::{GuardError, InvalidToken};

/// The largest token the guard looks at (Entra tokens are a few KiB).
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Returns the token of the single `Authorization: Bearer <token>` header.
///
/// The scheme is matched case-insensitively (RFC 7235 §2.1); exactly one space separates it from the
/// token, which must be a `b64token` (RFC 6750 §2.1) of at most [`MAX_TOKEN_LEN`] bytes.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, GuardError> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(GuardError::MissingToken)?;
    if values.next().is_some() {
        return Err(InvalidToken::MultipleAuthorizationHeaders.into());
    }
    if value.len() > MAX_TOKEN_LEN + "Bearer ".len() {
        return Err(InvalidToken::TooLarge.into());
    }
    let value = value.to_str().map_err(|_| InvalidToken::MalformedAuthorization)?;
    let (scheme, token) = value.split_once(' ').ok_or(InvalidToken::MalformedAuthorization)?;
    if !scheme.eq_ignore_ascii_case("Bearer") || !is_b64token(token) {
        return Err(InvalidToken::MalformedAuthorization.into());
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
    use http::HeaderValue;

    fn with(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        headers
    }

    fn reason(values: &[&str]) -> Option<InvalidToken> {
        match bearer_token(&with(values)) {
            Err(GuardError::InvalidToken(r)) => Some(r),
            _ => None,
        }
    }

    #[test]
    fn accepts_any_scheme_case() {
        for v in ["Bearer a.b.c", "bearer a.b.c", "BEARER a.b.c"] {
            assert_eq!(bearer_token(&with(&[v])).unwrap(), "a.b.c");
        }
    }

    #[test]
    fn refuses_ambiguous_forms() {
        assert!(matches!(bearer_token(&HeaderMap::new()), Err(GuardError::MissingToken)));
        assert_eq!(
            reason(&["Bearer a.b.c", "Bearer a.b.c"]),
            Some(InvalidToken::MultipleAuthorizationHeaders)
        );
        for v in [
            "Bearer  a.b.c",
            "Bearer a.b.c ",
            "Bearer",
            "Bearer ",
            "Basic dXNlcjpwdw==",
            "Bearer a b",
            "Bearer ==",
        ] {
            assert_eq!(reason(&[v]), Some(InvalidToken::MalformedAuthorization), "{v:?}");
        }
        let big = format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1));
        assert_eq!(reason(&[&big]), Some(InvalidToken::TooLarge));
    }
}
