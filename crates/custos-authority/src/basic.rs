//! HTTP Basic client authentication (RFC 6749 §2.3.1): `Authorization: Basic
//! base64(urlencode(client_id) ":" urlencode(secret))`. The scheme is matched
//! case-insensitively; any other scheme is ignored (it authenticates nothing here).

use crate::form::decode;
use base64::Engine as _;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use custos_core::Secret;
use custos_core::aadsts::TokenError;

/// Standard base64, with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Longest `Authorization` value considered (the body cap is far larger than any real secret).
const MAX_HEADER_LEN: usize = 4096;

/// Client id and secret from a Basic header.
#[derive(Debug)]
pub(crate) struct BasicCredentials {
    pub(crate) user: String,
    pub(crate) password: Secret<String>,
}

/// Whether an `Authorization` value uses the Basic scheme.
pub(crate) fn is_basic(value: &[u8]) -> bool {
    value.len() >= 6 && value[..6].eq_ignore_ascii_case(b"basic ")
}

/// Parses an `Authorization` value: `Ok(None)` for another scheme, an `invalid_request`
/// error for a malformed Basic value.
pub(crate) fn parse(value: &[u8]) -> Result<Option<BasicCredentials>, TokenError> {
    const BAD: TokenError = TokenError::InvalidParameter("Authorization");
    if !is_basic(value) {
        return Ok(None);
    }
    if value.len() > MAX_HEADER_LEN {
        return Err(BAD);
    }
    let encoded = value[6..].trim_ascii();
    let decoded = BASE64.decode(encoded).map_err(|_| BAD)?;
    let at = decoded.iter().position(|&b| b == b':').ok_or(BAD)?;
    let user = decode(&decoded[..at]).ok_or(BAD)?;
    let password = decode(&decoded[at + 1..]).ok_or(BAD)?;
    if user.is_empty() || user.chars().chain(password.chars()).any(char::is_control) {
        return Err(BAD);
    }
    Ok(Some(BasicCredentials { user, password: Secret::new(password) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD as B64;

    fn header(raw: &str) -> Vec<u8> {
        format!("Basic {}", B64.encode(raw)).into_bytes()
    }

    #[test]
    fn user_and_password_are_form_decoded() {
        let creds = parse(&header("my%20app:p%2Bw+d%3A")).unwrap().unwrap();
        assert_eq!(creds.user, "my app");
        assert_eq!(creds.password.expose(), "p+w d:");
        // A raw ':' in the password is fine: only the first one splits.
        assert_eq!(parse(&header("a:b:c")).unwrap().unwrap().password.expose(), "b:c");
    }

    #[test]
    fn scheme_is_case_insensitive_and_other_schemes_are_ignored() {
        let lower = format!("bAsIc {}", B64.encode("a:b"));
        assert_eq!(parse(lower.as_bytes()).unwrap().unwrap().user, "a");
        assert!(parse(b"Bearer abc").unwrap().is_none());
        assert!(parse(b"Basic YTpi").unwrap().is_some()); // unpadded is fine too
        assert!(is_basic(b"BASIC x"));
        assert!(!is_basic(b"Basicx"));
    }

    #[test]
    fn malformed_values_are_invalid_requests() {
        let bad = Err(TokenError::InvalidParameter("Authorization"));
        assert_eq!(parse(b"Basic !!!").map(|c| c.map(|c| c.user)), bad);
        assert_eq!(parse(&header("no-colon")).map(|c| c.map(|c| c.user)), bad);
        assert_eq!(parse(&header(":secret")).map(|c| c.map(|c| c.user)), bad);
        assert_eq!(parse(&header("a:%zz")).map(|c| c.map(|c| c.user)), bad);
        assert_eq!(parse(&header("a:b%0Ac")).map(|c| c.map(|c| c.user)), bad);
    }
}
