//! Server-driven paging (BCDOCS `webservices/Server-Driven-Paging-in-OData-Web-Services.md`):
//! the `Prefer` header (`odata.maxpagesize=N`, and `return=minimal`/`return-no-content` for POST),
//! the page size actually used, and `$skiptoken`, which carries the offset of the next page in
//! an opaque but stateless form and is validated when it comes back.

use crate::business_central::error::BcError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use http::HeaderMap;
use http::header::HeaderName;

/// The `Prefer` request header.
pub(crate) const PREFER: HeaderName = HeaderName::from_static("prefer");
/// The `Preference-Applied` response header.
pub(crate) const PREFERENCE_APPLIED: HeaderName = HeaderName::from_static("preference-applied");

/// BC online's page size when the client states none (doc).
pub(crate) const DEFAULT_PAGE_SIZE: u32 = 20_000;

const TOKEN_PREFIX: &str = "custos-page:";

/// What the client prefers.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Preferences {
    /// `odata.maxpagesize=N` (N ≥ 1; larger than [`DEFAULT_PAGE_SIZE`] counts as that).
    pub(crate) max_page_size: Option<u32>,
    /// `return=minimal` or `return-no-content`.
    pub(crate) no_content: bool,
}

impl Preferences {
    /// Reads every `Prefer` header; unknown or malformed preferences are ignored (RFC 7240 §2).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut preferences = Self::default();
        for value in headers.get_all(PREFER) {
            let Ok(text) = value.to_str() else { continue };
            for preference in text.split(',') {
                let preference = preference.split(';').next().unwrap_or("").trim();
                let (name, value) = match preference.split_once('=') {
                    Some((n, v)) => (n.trim(), Some(v.trim().trim_matches('"'))),
                    None => (preference, None),
                };
                if name.eq_ignore_ascii_case("odata.maxpagesize") || name.eq_ignore_ascii_case("maxpagesize")
                {
                    if let Some(size) = value.and_then(|v| v.parse::<u32>().ok()).filter(|n| *n > 0) {
                        preferences.max_page_size = Some(size.min(DEFAULT_PAGE_SIZE));
                    }
                } else if name.eq_ignore_ascii_case("return-no-content")
                    || (name.eq_ignore_ascii_case("return") && value == Some("minimal"))
                {
                    preferences.no_content = true;
                }
            }
        }
        preferences
    }

    /// The page size to use.
    pub(crate) fn page_size(self) -> u32 {
        self.max_page_size.unwrap_or(DEFAULT_PAGE_SIZE)
    }
}

/// The `$skiptoken` for a page starting `offset` entities into the result.
pub(crate) fn encode_skip_token(offset: u32) -> String {
    URL_SAFE_NO_PAD.encode(format!("{TOKEN_PREFIX}{offset}"))
}

/// The offset a `$skiptoken` carries; anything this server did not issue is a 400.
pub(crate) fn decode_skip_token(token: &str) -> Result<u32, BcError> {
    let invalid = || BcError::QueryOption("The $skiptoken query option value is not valid.".to_owned());
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid())?;
    let digits = text.strip_prefix(TOKEN_PREFIX).ok_or_else(invalid)?;
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid());
    }
    digits.parse().map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn prefer(value: &str) -> Preferences {
        let mut headers = HeaderMap::new();
        headers.insert(PREFER, HeaderValue::from_str(value).unwrap());
        Preferences::from_headers(&headers)
    }

    #[test]
    fn prefer_header() {
        assert_eq!(prefer("odata.maxpagesize=2").max_page_size, Some(2));
        assert_eq!(prefer("return=minimal, odata.maxpagesize=5").max_page_size, Some(5));
        assert!(prefer("return=minimal").no_content);
        assert!(prefer("return-no-content").no_content);
        assert_eq!(prefer("odata.maxpagesize=0").max_page_size, None);
        assert_eq!(prefer("odata.maxpagesize=abc").max_page_size, None);
        assert_eq!(prefer("odata.maxpagesize=999999").page_size(), DEFAULT_PAGE_SIZE);
        assert_eq!(Preferences::default().page_size(), DEFAULT_PAGE_SIZE);
    }

    #[test]
    fn skip_tokens_round_trip_and_forgeries_are_refused() {
        assert_eq!(decode_skip_token(&encode_skip_token(40)).unwrap(), 40);
        for bad in
            ["", "40", "!!", &URL_SAFE_NO_PAD.encode("custos-page:-1"), &URL_SAFE_NO_PAD.encode("other:4")]
        {
            assert_eq!(decode_skip_token(bad).unwrap_err().code(), "BadRequest_InvalidRequestUrl", "{bad}");
        }
        let huge = URL_SAFE_NO_PAD.encode("custos-page:99999999999999");
        assert!(decode_skip_token(&huge).is_err());
    }
}
