//! The claim set of a client assertion (RFC 7523 §3, `security.md` §2 and §6): `iss` = `sub` =
//! the client, `aud` exactly one accepted audience, `exp` required, `nbf`/`iat` optional, all
//! three JSON numbers (floats allowed: MSAL Python sends `time.time() + 600`), the validity
//! window with clock skew, a lifetime cap, and an optional string `jti`.

use super::AssertionContext;
use super::error::{AssertionError, Malformation};
use super::json::{self, Key, Problem, Read, Seen, Tracker, Value};
use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use std::fmt;

/// Latest accepted time claim: 9999-12-31T23:59:59Z.
const MAX_TIME: i64 = 253_402_300_799;

/// Longest accepted `jti`, in bytes (it becomes a replay-store key).
pub const MAX_JTI_LEN: usize = 256;

/// The claims that passed every check.
#[derive(Debug)]
pub(super) struct Checked {
    pub(super) jti: Option<String>,
    pub(super) exp: i64,
    pub(super) iat: Option<i64>,
}

/// Reads the decoded claim set and checks it against `ctx`.
pub(super) fn check(bytes: &[u8], ctx: &AssertionContext<'_>) -> Result<Checked, AssertionError> {
    let tracker = Tracker::default();
    let raw = json::parse(bytes, RawClaimsSeed(&tracker)).map_err(|_| match tracker.problem() {
        Some(Problem::DuplicateMember) => AssertionError::Malformed(Malformation::DuplicateMember),
        Some(Problem::TimeClaim(claim)) => AssertionError::InvalidTimeClaim { claim },
        None => AssertionError::Malformed(Malformation::Claims),
    })?;

    let iss = required_string(raw.iss.as_ref(), "iss")?;
    let sub = required_string(raw.sub.as_ref(), "sub")?;
    if iss != sub {
        return Err(AssertionError::SubjectMismatch);
    }
    if iss != ctx.client_id {
        return Err(AssertionError::IssuerMismatch);
    }

    let aud = match raw.aud.as_ref() {
        None => return Err(AssertionError::MissingClaim { claim: "aud" }),
        Some(Value::Str(aud)) => aud.as_ref(),
        Some(Value::Array(items)) => match items.as_slice() {
            [Value::Str(aud)] => aud.as_ref(),
            _ => return Err(AssertionError::WrongAudience),
        },
        Some(_) => return Err(AssertionError::WrongAudience),
    };
    if !ctx.accepted_audiences.iter().any(|accepted| accepted == aud) {
        return Err(AssertionError::WrongAudience);
    }

    let exp = time_claim(raw.exp.as_ref(), "exp")?.ok_or(AssertionError::MissingClaim { claim: "exp" })?;
    let nbf = time_claim(raw.nbf.as_ref(), "nbf")?;
    let iat = time_claim(raw.iat.as_ref(), "iat")?;
    let now = ctx.now;
    let skew = ctx.clock_skew_secs;
    let expired = exp.saturating_add(skew) < now;
    let early = |t: Option<i64>| t.is_some_and(|t| t.saturating_sub(skew) > now);
    if expired || early(nbf) || early(iat) {
        return Err(AssertionError::OutsideValidity { now, nbf: nbf.or(iat), exp });
    }
    let start = [nbf, iat].into_iter().flatten().fold(now, i64::min);
    let lifetime = exp.saturating_sub(start);
    if lifetime > ctx.max_lifetime_secs {
        return Err(AssertionError::LifetimeTooLong { lifetime, max: ctx.max_lifetime_secs });
    }

    let jti = match raw.jti {
        None => None,
        // U+0000 can be no replay-store key (the store refuses it): such a jti is invalid.
        Some(Value::Str(jti)) if jti.len() <= MAX_JTI_LEN && !jti.contains('\0') => Some(jti.into_owned()),
        Some(_) => return Err(AssertionError::InvalidClaim { claim: "jti" }),
    };
    Ok(Checked { jti, exp, iat })
}

fn required_string<'v>(value: Option<&'v Value<'_>>, claim: &'static str) -> Result<&'v str, AssertionError> {
    match value {
        None => Err(AssertionError::MissingClaim { claim }),
        Some(Value::Str(s)) => Ok(s.as_ref()),
        Some(_) => Err(AssertionError::InvalidClaim { claim }),
    }
}

/// A NumericDate: a finite, non-negative JSON number no later than year 9999; fractions are
/// truncated.
fn time_claim(value: Option<&Value<'_>>, claim: &'static str) -> Result<Option<i64>, AssertionError> {
    let seconds = match value {
        None => return Ok(None),
        Some(Value::Int(n)) => Some(*n).filter(|n| (0..=MAX_TIME).contains(n)),
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)] // range-checked first
        Some(Value::Float(f)) => {
            (f.is_finite() && (0.0..=MAX_TIME as f64).contains(f)).then(|| f.trunc() as i64)
        }
        Some(_) => None,
    };
    seconds.map(Some).ok_or(AssertionError::InvalidTimeClaim { claim })
}

/// The claim members as read, before interpretation.
#[derive(Default)]
struct RawClaims<'c> {
    iss: Option<Value<'c>>,
    sub: Option<Value<'c>>,
    aud: Option<Value<'c>>,
    exp: Option<Value<'c>>,
    nbf: Option<Value<'c>>,
    iat: Option<Value<'c>>,
    jti: Option<Value<'c>>,
}

struct RawClaimsSeed<'t>(&'t Tracker);

impl<'de> DeserializeSeed<'de> for RawClaimsSeed<'_> {
    type Value = RawClaims<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<RawClaims<'de>, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RawClaimsSeed<'_> {
    type Value = RawClaims<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claim set object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawClaims<'de>, A::Error> {
        let tracker = self.0;
        let mut claims = RawClaims::default();
        let mut seen = Seen::default();
        while let Some(Key(name)) = map.next_key()? {
            seen.insert(name.clone(), tracker)?;
            match name.as_ref() {
                "exp" => claims.exp = Some(tracker.read_time_claim(&mut map, "exp")?),
                "nbf" => claims.nbf = Some(tracker.read_time_claim(&mut map, "nbf")?),
                "iat" => claims.iat = Some(tracker.read_time_claim(&mut map, "iat")?),
                "iss" => claims.iss = Some(map.next_value_seed(Read::kept(tracker))?),
                "sub" => claims.sub = Some(map.next_value_seed(Read::kept(tracker))?),
                "aud" => claims.aud = Some(map.next_value_seed(Read::kept(tracker))?),
                "jti" => claims.jti = Some(map.next_value_seed(Read::kept(tracker))?),
                _ => {
                    map.next_value_seed(Read::skipped(tracker))?;
                }
            }
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_claims_accept_integers_and_floats_only_in_range() {
        assert_eq!(time_claim(Some(&Value::Int(10)), "exp"), Ok(Some(10)));
        assert_eq!(time_claim(Some(&Value::Float(1_700_000_600.75)), "exp"), Ok(Some(1_700_000_600)));
        assert_eq!(time_claim(None, "exp"), Ok(None));
        let invalid = Err(AssertionError::InvalidTimeClaim { claim: "nbf" });
        for value in [
            Value::Int(-1),
            Value::Int(MAX_TIME + 1),
            Value::Float(-0.5),
            Value::Float(f64::INFINITY),
            Value::Float(f64::NAN),
            Value::Float(1e19),
            Value::Str("99999999999".into()),
            Value::Array(vec![Value::Int(1)]),
            Value::Other,
        ] {
            assert_eq!(time_claim(Some(&value), "nbf"), invalid, "{value:?}");
        }
    }
}
