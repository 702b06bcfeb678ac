//! The compact JWS layer: splitting into exactly three non-empty segments and strict base64url
//! decoding. `=` padding is accepted only as the correct padding at the end of a segment
//! (azure-identity pads, `security.md` §6); any other character, whitespace or non-canonical
//! trailing bits are refused. The signing input stays the bytes exactly as received.

use super::error::Malformation;
use crate::b64::{Engine as _, URL};

/// The three segments of a compact JWS, borrowed from the input.
#[derive(Debug, Clone, Copy)]
pub(super) struct Segments<'a> {
    /// `header.payload` exactly as received (padding included): what was signed.
    pub(super) signing_input: &'a str,
    pub(super) header: &'a str,
    pub(super) payload: &'a str,
    pub(super) signature: &'a str,
}

/// Splits a compact JWS into its three segments.
pub(super) fn split(raw: &str) -> Result<Segments<'_>, Malformation> {
    let first = raw.find('.').ok_or(Malformation::SegmentCount)?;
    let second = raw[first + 1..].find('.').map(|i| first + 1 + i).ok_or(Malformation::SegmentCount)?;
    let signature = &raw[second + 1..];
    if signature.contains('.') {
        return Err(Malformation::SegmentCount);
    }
    let segments = Segments {
        signing_input: &raw[..second],
        header: &raw[..first],
        payload: &raw[first + 1..second],
        signature,
    };
    if segments.header.is_empty() || segments.payload.is_empty() || segments.signature.is_empty() {
        return Err(Malformation::EmptySegment);
    }
    Ok(segments)
}

/// Decodes one base64url segment, padded or not.
pub(super) fn decode(segment: &str) -> Result<Vec<u8>, Malformation> {
    URL.decode(unpadded(segment).ok_or(Malformation::Base64)?).map_err(|_| Malformation::Base64)
}

/// Decodes a short base64url value (padded or not) into `out`; `None` if it is not base64url or
/// does not fit. Returns the decoded length.
pub(super) fn decode_into(value: &str, out: &mut [u8]) -> Option<usize> {
    URL.decode_slice(unpadded(value)?, out).ok()
}

/// `segment` without its `=` padding, or `None` when padding is present but not exactly what
/// the unpadded length requires (the alphabet itself is checked by the decoder).
fn unpadded(segment: &str) -> Option<&str> {
    let body = segment.trim_end_matches('=');
    let padding = segment.len() - body.len();
    let needed = match body.len() % 4 {
        0 => 0,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    (padding == 0 || padding == needed).then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_requires_three_non_empty_segments() {
        let s = split("aGVhZA.cGF5.c2ln").unwrap();
        assert_eq!((s.header, s.payload, s.signature), ("aGVhZA", "cGF5", "c2ln"));
        assert_eq!(s.signing_input, "aGVhZA.cGF5");
        assert_eq!(split("a.b").unwrap_err(), Malformation::SegmentCount);
        assert_eq!(split("a.b.c.d").unwrap_err(), Malformation::SegmentCount);
        assert_eq!(split("a.b.c.d.e").unwrap_err(), Malformation::SegmentCount);
        assert_eq!(split(&".".repeat(5000)).unwrap_err(), Malformation::SegmentCount);
        assert_eq!(split("a.b.").unwrap_err(), Malformation::EmptySegment);
        assert_eq!(split(".b.c").unwrap_err(), Malformation::EmptySegment);
        assert_eq!(split("a..c").unwrap_err(), Malformation::EmptySegment);
    }

    #[test]
    fn padding_is_accepted_only_when_exact_and_at_the_end() {
        assert_eq!(decode("YQ").unwrap(), b"a");
        assert_eq!(decode("YQ==").unwrap(), b"a");
        assert_eq!(decode("YWI=").unwrap(), b"ab");
        assert_eq!(decode("YWJj").unwrap(), b"abc");
        for bad in ["YQ=", "YQ===", "YWJj=", "Y=Q", "YW=I", "Y", "Y===="] {
            assert_eq!(decode(bad), Err(Malformation::Base64), "{bad}");
        }
    }

    #[test]
    fn foreign_characters_whitespace_and_trailing_bits_are_refused() {
        for bad in ["YW+i", "YW/i", "YW i", "YWi\n", " YWI", "YR", "YWJ", "YWK"] {
            // "YR" and "YWK" have non-zero trailing bits; "YWJ" → "ab" needs "YWI".
            assert_eq!(decode(bad), Err(Malformation::Base64), "{bad}");
        }
        assert_eq!(decode("YWI").unwrap(), b"ab");
        assert_eq!(decode("_-8").unwrap(), [0xff, 0xef]);
    }

    #[test]
    fn decode_into_reports_length_and_refuses_overflow() {
        let mut out = [0u8; 4];
        assert_eq!(decode_into("YWJj", &mut out), Some(3));
        assert_eq!(&out[..3], b"abc");
        assert_eq!(decode_into("YWJjZGVmZ2g", &mut out), None);
        assert_eq!(decode_into("YW?j", &mut out), None);
    }
}
