//! The JOSE header of a client assertion: read strictly (see [`super::json`]), then reduced to
//! the algorithm and the key-lookup hints. `crit`, `jwk`, `jku` and `x5u` are refused; `x5c` is
//! tolerated but never read (MSAL Python may send PEM bodies with newlines); `typ` must be absent,
//! `JWT` or `client-authentication+jwt` (RFC 8725 §3.11: no access token, ID token or DPoP proof
//! doubles as a client assertion).

use super::error::{AssertionError, Malformation};
use super::json::{self, Key, Problem, Read, Seen, Tracker, Value};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use std::fmt;

/// The signature algorithms a client assertion may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PSS with SHA-256 (salt = digest length).
    Ps256,
    /// ECDSA P-256 with SHA-256, raw R‖S.
    Es256,
}

/// Where the signing key is to be found among the registered certificates; borrowed from the
/// decoded header.
#[derive(Debug, Default)]
pub(super) struct KeyHints<'h> {
    pub(super) x5t_s256: Option<Value<'h>>,
    pub(super) x5t: Option<Value<'h>>,
    pub(super) kid: Option<Value<'h>>,
}

/// A checked header.
#[derive(Debug)]
pub(super) struct Header<'h> {
    pub(super) alg: Algorithm,
    pub(super) hints: KeyHints<'h>,
}

/// Reads and checks the decoded header segment.
pub(super) fn parse(bytes: &[u8]) -> Result<Header<'_>, AssertionError> {
    let tracker = Tracker::default();
    let raw = json::parse(bytes, RawHeaderSeed(&tracker)).map_err(|_| match tracker.problem() {
        Some(Problem::DuplicateMember) => AssertionError::Malformed(Malformation::DuplicateMember),
        _ => AssertionError::Malformed(Malformation::Header),
    })?;
    if raw.crit {
        return Err(AssertionError::CriticalHeader);
    }
    if raw.embedded_key {
        return Err(AssertionError::EmbeddedKey);
    }
    if let Some(typ) = &raw.typ {
        match typ {
            Value::Str(typ) if acceptable_type(typ) => {}
            _ => return Err(AssertionError::WrongType),
        }
    }
    let alg = match raw.alg.as_ref() {
        Some(Value::Str(alg)) => match alg.as_ref() {
            "RS256" => Algorithm::Rs256,
            "PS256" => Algorithm::Ps256,
            "ES256" => Algorithm::Es256,
            _ => return Err(AssertionError::UnsupportedAlgorithm),
        },
        _ => return Err(AssertionError::UnsupportedAlgorithm),
    };
    Ok(Header { alg, hints: raw.hints })
}

/// `JWT` or `client-authentication+jwt`, case-insensitive, with or without `application/`.
fn acceptable_type(typ: &str) -> bool {
    let media = match typ.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application/") => &typ[12..],
        _ => typ,
    };
    media.eq_ignore_ascii_case("JWT") || media.eq_ignore_ascii_case("client-authentication+jwt")
}

/// The header members as read, before interpretation.
#[derive(Default)]
struct RawHeader<'h> {
    alg: Option<Value<'h>>,
    typ: Option<Value<'h>>,
    hints: KeyHints<'h>,
    embedded_key: bool,
    crit: bool,
}

struct RawHeaderSeed<'t>(&'t Tracker);

impl<'de> DeserializeSeed<'de> for RawHeaderSeed<'_> {
    type Value = RawHeader<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<RawHeader<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RawHeaderSeed<'_> {
    type Value = RawHeader<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JOSE header object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawHeader<'de>, A::Error> {
        let tracker = self.0;
        let mut header = RawHeader::default();
        let mut seen = Seen::default();
        while let Some(Key(name)) = map.next_key()? {
            seen.insert(name.clone(), tracker)?;
            let slot = match name.as_ref() {
                "alg" => &mut header.alg,
                "typ" => &mut header.typ,
                "x5t#S256" => &mut header.hints.x5t_s256,
                "x5t" => &mut header.hints.x5t,
                "kid" => &mut header.hints.kid,
                other => {
                    match other {
                        "jwk" | "jku" | "x5u" => header.embedded_key = true,
                        "crit" => header.crit = true,
                        _ => {}
                    }
                    map.next_value_seed(Read::skipped(tracker))?;
                    continue;
                }
            };
            *slot = Some(map.next_value_seed(Read::kept(tracker))?);
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn typ_accepts_jwt_and_client_authentication_in_any_case() {
        for typ in ["JWT", "jwt", "client-authentication+jwt", "Client-Authentication+JWT", "application/jwt"]
        {
            assert!(acceptable_type(typ), "{typ}");
        }
        for typ in ["at+jwt", "dpop+jwt", "id_token+jwt", "JWS", "", "application/", "application/at+jwt"] {
            assert!(!acceptable_type(typ), "{typ}");
        }
    }

    #[test]
    fn escaped_algorithm_names_are_unescaped_before_matching() {
        let header = parse(br#"{"\u0061lg":"PS\u0032\u00356","x5t":"abc"}"#).unwrap();
        assert_eq!(header.alg, Algorithm::Ps256);
        assert_eq!(header.hints.x5t, Some(Value::Str(Cow::Borrowed("abc"))));
        assert_eq!(
            parse(br#"{"alg":"RS256","\u0061lg":"none"}"#).unwrap_err(),
            AssertionError::Malformed(Malformation::DuplicateMember)
        );
    }

    #[test]
    fn non_object_headers_are_malformed() {
        for json in [
            &b"null"[..],
            b"[]",
            b"\"JWT\"",
            b"{",
            b"{}x",
            b"\xef\xbb\xbf{\"alg\":\"RS256\"}",
            b"{\"alg\":\"\xff\"}",
        ] {
            assert_eq!(parse(json).unwrap_err(), AssertionError::Malformed(Malformation::Header));
        }
    }

    #[test]
    fn non_string_members_are_refused_by_their_rule() {
        assert_eq!(parse(br#"{"alg":256}"#).unwrap_err(), AssertionError::UnsupportedAlgorithm);
        assert_eq!(parse(br#"{}"#).unwrap_err(), AssertionError::UnsupportedAlgorithm);
        assert_eq!(parse(br#"{"alg":"rs256"}"#).unwrap_err(), AssertionError::UnsupportedAlgorithm);
        assert_eq!(parse(br#"{"alg":"RS256","typ":["JWT"]}"#).unwrap_err(), AssertionError::WrongType);
        assert_eq!(parse(br#"{"alg":"RS256","crit":[]}"#).unwrap_err(), AssertionError::CriticalHeader);
    }
}
