//! Compact JWS serialization (RFC 7515 §7.1), the one splitter every JWS custos reads goes
//! through: client assertions, federated tokens, access tokens at the guard, custos' own tokens
//! and proofs of possession. A token is split into exactly three segments (the signing input
//! stays the bytes exactly as received) and segments are decoded as strict base64url: foreign
//! characters, whitespace and non-canonical trailing bits are refused.
//!
//! `=` padding is the one rule that differs by caller ([`Padding`]): azure-identity pads client
//! assertions (`security.md` §6), so assertions accept the exact padding at the end of a
//! segment; every issuer of access tokens, federated tokens and proofs follows RFC 7515 §2
//! (no padding), so those refuse it, as jsonwebtoken did before custos parsed them itself.

use crate::b64::{Engine as _, URL};
use std::fmt;

/// A structural defect of the compact JWS or its JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformation {
    /// Not exactly three `.`-separated segments (JWE, JSON serialization, extra dots).
    SegmentCount,
    /// A segment is empty (e.g. the `alg: none` form `header.payload.`).
    EmptySegment,
    /// A segment is not base64url: foreign characters, whitespace, misplaced or wrong `=`
    /// padding, or non-canonical trailing bits.
    Base64,
    /// The header is not a UTF-8 JSON object.
    Header,
    /// The claim set is not a UTF-8 JSON object.
    Claims,
    /// A member name appears twice in the same JSON object.
    DuplicateMember,
}

impl fmt::Display for Malformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SegmentCount => "a compact JWS has exactly three segments separated by '.'",
            Self::EmptySegment => "a segment is empty",
            Self::Base64 => "a segment is not valid base64url",
            Self::Header => "the header is not a UTF-8 JSON object",
            Self::Claims => "the claim set is not a UTF-8 JSON object",
            Self::DuplicateMember => "a JSON member name is repeated",
        })
    }
}

/// Whether `=` padding is accepted at the end of a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// RFC 7515 §2: segments are unpadded; any `=` is malformed.
    Refused,
    /// The exact padding the unpadded length requires is accepted (client assertions).
    Tolerated,
}

/// The three segments of a compact JWS, borrowed from the input.
#[derive(Debug, Clone, Copy)]
pub struct Jws<'a> {
    /// `header.payload` exactly as received (padding included): what was signed.
    pub signing_input: &'a str,
    /// The protected header segment, still encoded.
    pub header: &'a str,
    /// The payload segment, still encoded.
    pub payload: &'a str,
    /// The signature segment, still encoded.
    pub signature: &'a str,
}

impl<'a> Jws<'a> {
    /// Splits `raw` into exactly three `.`-separated segments (any of them may be empty).
    pub fn split(raw: &'a str) -> Result<Self, Malformation> {
        let first = raw.find('.').ok_or(Malformation::SegmentCount)?;
        let second = raw[first + 1..].find('.').map(|i| first + 1 + i).ok_or(Malformation::SegmentCount)?;
        let signature = &raw[second + 1..];
        if signature.contains('.') {
            return Err(Malformation::SegmentCount);
        }
        Ok(Self {
            signing_input: &raw[..second],
            header: &raw[..first],
            payload: &raw[first + 1..second],
            signature,
        })
    }

    /// The same segments, or [`Malformation::EmptySegment`] when one is empty (the unsigned
    /// `header.payload.` form among others).
    pub fn non_empty(self) -> Result<Self, Malformation> {
        if self.header.is_empty() || self.payload.is_empty() || self.signature.is_empty() {
            return Err(Malformation::EmptySegment);
        }
        Ok(self)
    }

    /// The signature decoded into `buffer` (no allocation); [`Malformation::Base64`] when it is
    /// not base64url or does not fit.
    pub fn signature_into<'b>(
        &self,
        padding: Padding,
        buffer: &'b mut [u8],
    ) -> Result<&'b [u8], Malformation> {
        let len = decode_into(self.signature, padding, buffer).ok_or(Malformation::Base64)?;
        Ok(&buffer[..len])
    }
}

/// Decodes one base64url segment.
pub fn decode(segment: &str, padding: Padding) -> Result<Vec<u8>, Malformation> {
    URL.decode(unpadded(segment, padding).ok_or(Malformation::Base64)?).map_err(|_| Malformation::Base64)
}

/// Decodes a short base64url value into `out`; `None` if it is not base64url or does not fit.
/// Returns the decoded length.
pub fn decode_into(value: &str, padding: Padding, out: &mut [u8]) -> Option<usize> {
    URL.decode_slice(unpadded(value, padding)?, out).ok()
}

/// `segment` without its `=` padding, or `None` when padding is present but refused or not
/// exactly what the unpadded length requires (the alphabet itself is checked by the decoder).
fn unpadded(segment: &str, padding: Padding) -> Option<&str> {
    let body = segment.trim_end_matches('=');
    let present = segment.len() - body.len();
    let needed = match body.len() % 4 {
        0 => 0,
        2 => 2,
        3 => 1,
        _ => return None,
    };
    let accepted = present == 0 || (padding == Padding::Tolerated && present == needed);
    accepted.then_some(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Padding::{Refused, Tolerated};

    #[test]
    fn split_requires_three_segments_and_non_empty_refuses_empty_ones() {
        let s = Jws::split("aGVhZA.cGF5.c2ln").unwrap().non_empty().unwrap();
        assert_eq!((s.header, s.payload, s.signature), ("aGVhZA", "cGF5", "c2ln"));
        assert_eq!(s.signing_input, "aGVhZA.cGF5");
        for bad in ["a.b", "a.b.c.d", "a.b.c.d.e", "abc", ""] {
            assert_eq!(Jws::split(bad).unwrap_err(), Malformation::SegmentCount, "{bad}");
        }
        assert_eq!(Jws::split(&".".repeat(5000)).unwrap_err(), Malformation::SegmentCount);
        for empty in ["a.b.", ".b.c", "a..c", ".."] {
            let jws = Jws::split(empty).unwrap();
            assert_eq!(jws.non_empty().unwrap_err(), Malformation::EmptySegment, "{empty}");
        }
        assert_eq!(Jws::split("a.b.").unwrap().signature, "");
    }

    #[test]
    fn padding_is_accepted_only_when_tolerated_exact_and_at_the_end() {
        assert_eq!(decode("YQ", Refused).unwrap(), b"a");
        assert_eq!(decode("YQ==", Tolerated).unwrap(), b"a");
        assert_eq!(decode("YWI=", Tolerated).unwrap(), b"ab");
        assert_eq!(decode("YWJj", Tolerated).unwrap(), b"abc");
        for bad in ["YQ=", "YQ===", "YWJj=", "Y=Q", "YW=I", "Y", "Y===="] {
            assert_eq!(decode(bad, Tolerated), Err(Malformation::Base64), "{bad}");
        }
        for padded in ["YQ==", "YWI=", "c2ln="] {
            assert_eq!(decode(padded, Refused), Err(Malformation::Base64), "{padded}");
        }
    }

    #[test]
    fn foreign_characters_whitespace_and_trailing_bits_are_refused() {
        for bad in ["YW+i", "YW/i", "YW i", "YWi\n", " YWI", "YR", "YWJ", "YWK"] {
            // "YR" and "YWK" have non-zero trailing bits; "YWJ" → "ab" needs "YWI".
            assert_eq!(decode(bad, Tolerated), Err(Malformation::Base64), "{bad}");
        }
        assert_eq!(decode("YWI", Refused).unwrap(), b"ab");
        assert_eq!(decode("_-8", Refused).unwrap(), [0xff, 0xef]);
    }

    #[test]
    fn decode_into_reports_length_and_refuses_overflow() {
        let mut out = [0u8; 4];
        assert_eq!(decode_into("YWJj", Refused, &mut out), Some(3));
        assert_eq!(&out[..3], b"abc");
        assert_eq!(decode_into("YWJjZGVmZ2g", Refused, &mut out), None);
        assert_eq!(decode_into("YW?j", Refused, &mut out), None);
        let jws = Jws::split("a.b.YWJj").unwrap();
        assert_eq!(jws.signature_into(Refused, &mut out), Ok(&b"abc"[..]));
        assert_eq!(
            Jws::split("a.b.YW?j").unwrap().signature_into(Refused, &mut out),
            Err(Malformation::Base64)
        );
    }
}
