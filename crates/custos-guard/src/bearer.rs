//! Reads the bearer token from the `Authorization` header only (RFC 6750 §2.1): never from the query
//! (`?access_token=`) or the body. Anything ambiguous is refused rather than guessed at.

use custos_core::bearer::BearerError;
use http::HeaderMap;
use http::header::AUTHORIZATION;

use crate::error::{GuardError, InvalidToken};

pub use custos_core::bearer::MAX_TOKEN_LEN;

/// Returns the token of the single `Authorization: Bearer <token>` header (read by
/// [`custos_core::bearer::bearer_token`]: scheme in any case, one space, a `b64token` of at most
/// [`MAX_TOKEN_LEN`] bytes).
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, GuardError> {
    let values = headers.get_all(AUTHORIZATION).iter().map(http::HeaderValue::as_bytes);
    custos_core::bearer::bearer_token(values).map_err(|e| match e {
        BearerError::Missing => GuardError::MissingToken,
        BearerError::Multiple => InvalidToken::MultipleAuthorizationHeaders.into(),
        BearerError::TooLarge => InvalidToken::TooLarge.into(),
        BearerError::Malformed => InvalidToken::MalformedAuthorization.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    /// The parsing rules are `custos_core::bearer`'s (tested there); this checks their mapping.
    #[test]
    fn refusals_map_to_the_guard_s_errors() {
        let mut headers = HeaderMap::new();
        assert!(matches!(bearer_token(&headers), Err(GuardError::MissingToken)));
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer a.b.c"));
        assert_eq!(bearer_token(&headers).unwrap(), "a.b.c");
        headers.append(AUTHORIZATION, HeaderValue::from_static("Bearer a.b.c"));
        let reason = |h: &HeaderMap| match bearer_token(h) {
            Err(GuardError::InvalidToken(r)) => Some(r),
            _ => None,
        };
        assert_eq!(reason(&headers), Some(InvalidToken::MultipleAuthorizationHeaders));
        let big = HeaderMap::from_iter([(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {}", "a".repeat(MAX_TOKEN_LEN + 1))).unwrap(),
        )]);
        assert_eq!(reason(&big), Some(InvalidToken::TooLarge));
        let basic = HeaderMap::from_iter([(AUTHORIZATION, HeaderValue::from_static("Basic dXNlcjpwdw=="))]);
        assert_eq!(reason(&basic), Some(InvalidToken::MalformedAuthorization));
    }
}
