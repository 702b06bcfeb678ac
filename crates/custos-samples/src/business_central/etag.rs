//! Weak ETags as BC sends them: `W/"<base64>"` (resource-apis.md §1.3), here the base64 of
//! `'<version>;<id>;'`, so a new version of a record gets a new tag; and the `If-Match` check of
//! §1.4 (`*` matches anything, a list matches when any entry does, weak and strong forms of one
//! tag compare equal, as BC compares only the opaque part).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;
use http::header::IF_MATCH;

use super::error::BcError;

/// The ETag of version `version` of the record `id`.
pub(crate) fn etag(id: &str, version: i64) -> String {
    format!("W/\"{}\"", STANDARD.encode(format!("'{version};{id};'")))
}

/// What the request's `If-Match` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IfMatch {
    /// No `If-Match` header.
    Absent,
    /// `If-Match: *`.
    Any,
    /// One or more entity tags.
    Tags(Vec<String>),
}

impl IfMatch {
    /// Reads every `If-Match` header of `headers`; values that are not text count as no match.
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut tags = Vec::new();
        let mut seen = false;
        for value in headers.get_all(IF_MATCH) {
            seen = true;
            let Ok(text) = value.to_str() else { continue };
            for tag in split_tags(text) {
                if tag == "*" {
                    return Self::Any;
                }
                tags.push(opaque(tag).to_owned());
            }
        }
        if seen { Self::Tags(tags) } else { Self::Absent }
    }

    /// Whether the header allows a write to a record whose current tag is `current`.
    /// [`IfMatch::Absent`] matches: callers that require the header check that first.
    pub(crate) fn matches(&self, current: &str) -> bool {
        match self {
            Self::Absent | Self::Any => true,
            Self::Tags(tags) => tags.iter().any(|t| t == opaque(current)),
        }
    }

    /// The header of a write that requires one (PATCH); absent → [`BcError::MissingConcurrencyToken`].
    pub(crate) fn required(headers: &HeaderMap) -> Result<Self, BcError> {
        match Self::from_headers(headers) {
            Self::Absent => Err(BcError::MissingConcurrencyToken),
            if_match => Ok(if_match),
        }
    }

    /// [`BcError::EntityChanged`] unless the header [matches](Self::matches) `current`.
    pub(crate) fn check(&self, current: &str) -> Result<(), BcError> {
        if self.matches(current) { Ok(()) } else { Err(BcError::EntityChanged) }
    }
}

/// The comma-separated entries of an `If-Match` value; commas inside quotes do not split.
fn split_tags(text: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                tags.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    tags.push(text[start..].trim());
    tags.retain(|t| !t.is_empty());
    tags
}

/// The quoted part of a tag without `W/` and the quotes.
fn opaque(tag: &str) -> &str {
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn if_match(values: &[&str]) -> IfMatch {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(IF_MATCH, HeaderValue::from_str(v).unwrap());
        }
        IfMatch::from_headers(&headers)
    }

    #[test]
    fn tags_are_weak_base64_and_change_with_the_version() {
        let id = "5d115c9c-44e3-ea11-bb43-000d3a2feca1";
        let one = etag(id, 1);
        assert!(one.starts_with("W/\"") && one.ends_with('"'));
        assert_eq!(STANDARD.decode(&one[3..one.len() - 1]).unwrap(), format!("'1;{id};'").into_bytes());
        assert_ne!(one, etag(id, 2));
    }

    #[test]
    fn if_match_forms() {
        let current = etag("a", 3);
        assert_eq!(if_match(&[]), IfMatch::Absent);
        assert!(if_match(&["*"]).matches(&current));
        assert!(if_match(&[&current]).matches(&current));
        assert!(if_match(&[&current[2..]]).matches(&current), "strong form of the same tag");
        assert!(if_match(&[&format!("{}, {current}", etag("a", 2))]).matches(&current));
        assert!(!if_match(&[&etag("a", 2)]).matches(&current));
        assert!(!if_match(&["garbage"]).matches(&current));
        assert!(!if_match(&[""]).matches(&current), "an empty If-Match matches nothing");
    }
}
