//! Strict JSON reading shared by the header and the claim set. serde_json keeps the last of two
//! equal member names; here every object, at any depth, is checked for repeated names (after
//! unescaping, so `"\u0061lg"` repeats `"alg"`). Values are read leniently into [`Value`] so that
//! type errors become precise assertion errors later, not JSON errors; strings are borrowed
//! from the decoded segment when they contain no escapes. serde_json bounds nesting depth.
//!
//! A [`Tracker`] records what went wrong inside serde (a repeated name, or a lexing failure
//! while reading a time claim such as `1e309`), because serde errors are untyped.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::fmt;

/// A defect found while reading that is more specific than "invalid JSON".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Problem {
    /// A member name appeared twice in one object.
    DuplicateMember,
    /// The value of this time claim could not be read as a number (e.g. `1e309`).
    TimeClaim(&'static str),
}

/// Side channel for [`Problem`]s found during one parse.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    problem: Cell<Option<Problem>>,
    reading_time_claim: Cell<Option<&'static str>>,
}

impl Tracker {
    /// The most specific problem seen, if the parse failed for a reason other than syntax.
    pub(super) fn problem(&self) -> Option<Problem> {
        self.problem.get().or(self.reading_time_claim.get().map(Problem::TimeClaim))
    }

    fn duplicate<E: de::Error>(&self) -> E {
        self.problem.set(Some(Problem::DuplicateMember));
        E::custom("duplicate member name")
    }

    /// Reads the value of the time claim `name`, remembering the claim if reading fails.
    pub(super) fn read_time_claim<'de, A: MapAccess<'de>>(
        &self,
        map: &mut A,
        name: &'static str,
    ) -> Result<Value<'de>, A::Error> {
        self.reading_time_claim.set(Some(name));
        let value = map.next_value_seed(Read::kept(self))?;
        self.reading_time_claim.set(None);
        Ok(value)
    }
}

/// A JSON value as far as header and claim checks care.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value<'de> {
    Str(Cow<'de, str>),
    Int(i64),
    Float(f64),
    /// An array of kept scalars (only at the top level of a member).
    Array(Vec<Self>),
    /// `null`, a boolean, an object, or anything not kept.
    Other,
}

/// An object member name, unescaped.
pub(super) struct Key<'de>(pub(super) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The member names of one object, for duplicate detection.
#[derive(Default)]
pub(super) struct Seen<'de>(BTreeSet<Cow<'de, str>>);

impl<'de> Seen<'de> {
    /// Records `name`; fails if it was already present.
    pub(super) fn insert<E: de::Error>(&mut self, name: Cow<'de, str>, tracker: &Tracker) -> Result<(), E> {
        if self.0.insert(name) { Ok(()) } else { Err(tracker.duplicate()) }
    }
}

/// Reads any JSON value, checking nested objects for repeated names. `depth` is how many levels
/// are kept: 2 keeps a member's scalar or array of scalars, 1 keeps a scalar, 0 keeps nothing.
#[derive(Clone, Copy)]
pub(super) struct Read<'t> {
    tracker: &'t Tracker,
    depth: u8,
}

impl<'t> Read<'t> {
    /// Keeps the member's value (a scalar, or an array of scalars).
    pub(super) fn kept(tracker: &'t Tracker) -> Self {
        Self { tracker, depth: 2 }
    }

    /// Reads and checks the value but keeps nothing.
    pub(super) fn skipped(tracker: &'t Tracker) -> Self {
        Self { tracker, depth: 0 }
    }
}

impl<'de> DeserializeSeed<'de> for Read<'_> {
    type Value = Value<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Read<'_> {
    type Value = Value<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Value<'de>, E> {
        Ok(Value::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value<'de>, E> {
        Ok(Value::Other)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value<'de>, E> {
        Ok(if self.depth > 0 { Value::Int(v) } else { Value::Other })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value<'de>, E> {
        #[allow(clippy::cast_precision_loss)] // only compared against a range far below 2^53
        let value = i64::try_from(v).map_or(Value::Float(v as f64), Value::Int);
        Ok(if self.depth > 0 { value } else { Value::Other })
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value<'de>, E> {
        Ok(if self.depth > 0 { Value::Float(v) } else { Value::Other })
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Value<'de>, E> {
        Ok(if self.depth > 0 { Value::Str(Cow::Borrowed(v)) } else { Value::Other })
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value<'de>, E> {
        Ok(if self.depth > 0 { Value::Str(Cow::Owned(v.to_owned())) } else { Value::Other })
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value<'de>, E> {
        Ok(if self.depth > 0 { Value::Str(Cow::Owned(v)) } else { Value::Other })
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value<'de>, A::Error> {
        let inner = Read { tracker: self.tracker, depth: self.depth.saturating_sub(1) };
        if self.depth < 2 {
            while seq.next_element_seed(inner)?.is_some() {}
            return Ok(Value::Other);
        }
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(1).min(4));
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value<'de>, A::Error> {
        let mut seen = Seen::default();
        while let Some(Key(name)) = map.next_key()? {
            seen.insert(name, self.tracker)?;
            map.next_value_seed(Read::skipped(self.tracker))?;
        }
        Ok(Value::Other)
    }
}

/// Parses one JSON document with `seed`, refusing trailing data.
pub(super) fn parse<'de, S: DeserializeSeed<'de>>(
    bytes: &'de [u8],
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = seed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(json: &str) -> (Result<Value<'_>, serde_json::Error>, Option<Problem>) {
        let tracker = Tracker::default();
        let result = parse(json.as_bytes(), Read::kept(&tracker));
        (result, tracker.problem())
    }

    #[test]
    fn nested_duplicates_are_found_after_unescaping() {
        for json in [r#"{"a":1,"a":2}"#, r#"{"x":[{"b":1,"\u0062":2}]}"#, r#"{"x":{"y":{"c":1,"c":1}}}"#] {
            let (result, problem) = read(json);
            assert!(result.is_err(), "{json}");
            assert_eq!(problem, Some(Problem::DuplicateMember), "{json}");
        }
        let (result, problem) = read(r#"{"a":1,"b":{"a":2}}"#);
        assert_eq!(result.unwrap(), Value::Other);
        assert_eq!(problem, None);
    }

    #[test]
    fn values_are_kept_two_levels_deep() {
        assert_eq!(read(r#""x""#).0.unwrap(), Value::Str(Cow::Borrowed("x")));
        assert_eq!(read("12").0.unwrap(), Value::Int(12));
        assert_eq!(read("1.5").0.unwrap(), Value::Float(1.5));
        assert_eq!(
            read(r#"["a",["b"],3]"#).0.unwrap(),
            Value::Array(vec![Value::Str(Cow::Borrowed("a")), Value::Other, Value::Int(3)])
        );
        assert_eq!(read("18446744073709551615").0.unwrap(), Value::Float(18_446_744_073_709_551_615.0));
    }

    #[test]
    fn trailing_data_and_deep_nesting_fail() {
        assert!(read(r#""x" "y""#).0.is_err());
        assert!(read(&format!("{}{}", "[".repeat(200), "]".repeat(200))).0.is_err());
    }
}
