//! The print/parse round trip: examples, and a property over generated filter trees.

use super::super::schema::{Kind, Logic, Ops, Property, Schema};
use super::super::{Filter, Literal, Op};
use crate::error::GraphError;
use proptest::prelude::*;
use time::OffsetDateTime;

const TARGET: &[Property] = &[Property::text_with("id", Ops::EQ), Property::text("displayName")];

const LOG: &[Property] = &[
    Property::time("when"),
    Property::text_with("category", Ops::EQ.and(Ops::NE)),
    Property::text("activity"),
    Property::new("status/errorCode", Kind::Int(Ops::EQ.and(Ops::NE).and(Ops::ORDER))),
    Property::new("interactive", Kind::Bool(Ops::EQ.and(Ops::NE))),
    Property::new("types", Kind::TextArray(Ops::EQ.and(Ops::NE))),
    Property::new("targets", Kind::ObjectArray(TARGET)),
];

const SCHEMA: Schema<'static> =
    Schema { resource: "Record", properties: LOG, logic: Logic::Full, advanced: true };

fn round_trip(filter: &Filter) -> Result<Filter, GraphError> {
    Filter::parse(&filter.to_string(), &SCHEMA)
}

#[test]
fn parentheses_are_written_only_where_the_tree_needs_them() {
    for (input, printed) in [
        (
            "category eq 'x' or category eq 'y' and interactive eq true",
            "category eq 'x' or category eq 'y' and interactive eq true",
        ),
        (
            "(category eq 'x' or category eq 'y') and interactive eq true",
            "(category eq 'x' or category eq 'y') and interactive eq true",
        ),
        (
            "category eq 'x' and (category eq 'y' and category eq 'z')",
            "category eq 'x' and (category eq 'y' and category eq 'z')",
        ),
        ("((category eq 'x')) and category eq 'y'", "category eq 'x' and category eq 'y'"),
        ("NOT not (category EQ 'a''b')", "not not category eq 'a''b'"),
        ("not (category eq 'x' or interactive eq false)", "not (category eq 'x' or interactive eq false)"),
        (
            "targets/any(t: t/id eq 'T1' or startswith(t/displayName,'W'))",
            "targets/any(v0: v0/id eq 'T1' or startswith(v0/displayName,'W'))",
        ),
        ("types/any(x: x ne 'servicePrincipal')", "types/any(v0: v0 ne 'servicePrincipal')"),
        ("status/errorCode ge -9223372036854775808", "status/errorCode ge -9223372036854775808"),
        ("when gt 2026-05-11", "when gt 2026-05-11T00:00:00Z"),
        ("when le 2026-05-11T09:14:39.5+02:00", "when le 2026-05-11T09:14:39.5+02:00"),
        ("when lt -0001-01-01", "when lt -0001-01-01T00:00:00.0"),
    ] {
        let filter = Filter::parse(input, &SCHEMA).unwrap_or_else(|e| panic!("{input}: {e:?}"));
        assert_eq!(filter.to_string(), printed, "{input}");
        assert_eq!(round_trip(&filter), Ok(filter), "{input}");
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a' ]{0,4}"]
}

fn op(ops: &'static [Op]) -> impl Strategy<Value = Op> {
    prop::sample::select(ops)
}

const EQ_NE: &[Op] = &[Op::Eq, Op::Ne];
const ALL: &[Op] = &[Op::Eq, Op::Ne, Op::Ge, Op::Gt, Op::Le, Op::Lt];

/// Instants the lexer can read back: years 0000 to 9999, any nanosecond, whole-minute offsets.
fn instant() -> impl Strategy<Value = OffsetDateTime> {
    (-62_167_219_200_i64..253_402_300_799, 0u32..1_000_000_000, -1439i32..1440).prop_map(|(s, ns, m)| {
        let utc = OffsetDateTime::from_unix_timestamp(s).unwrap().replace_nanosecond(ns).unwrap();
        let offset = time::UtcOffset::from_whole_seconds(m * 60).unwrap();
        utc.checked_to_offset(offset).filter(|t| (0..=9999).contains(&t.year())).unwrap_or(utc)
    })
}

fn leaf() -> impl Strategy<Value = Filter> {
    let target = prop_oneof![
        text().prop_map(|t| Filter::Compare("id", Op::Eq, Literal::Text(t))),
        text().prop_map(|t| Filter::StartsWith("displayName", t)),
    ];
    prop_oneof![
        (op(EQ_NE), text()).prop_map(|(o, t)| Filter::Compare("category", o, Literal::Text(t))),
        text().prop_map(|t| Filter::Compare("activity", Op::Eq, Literal::Text(t))),
        text().prop_map(|t| Filter::StartsWith("activity", t)),
        (op(ALL), any::<i64>()).prop_map(|(o, n)| Filter::Compare("status/errorCode", o, Literal::Int(n))),
        (op(EQ_NE), any::<bool>()).prop_map(|(o, b)| Filter::Compare("interactive", o, Literal::Bool(b))),
        (op(ALL), instant()).prop_map(|(o, t)| Filter::Compare("when", o, Literal::Time(t))),
        (op(EQ_NE), text())
            .prop_map(|(o, t)| Filter::Any("types", Box::new(Filter::Compare("", o, Literal::Text(t))))),
        target.prop_map(|body| Filter::Any("targets", Box::new(body))),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(3, 8, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Filter::Not(Box::new(a))),
        ]
    })
}

proptest! {
    /// `parse(print(f)) == f` for every tree within the parser's caps.
    #[test]
    fn a_printed_filter_parses_back_to_the_same_tree(f in filter()) {
        match round_trip(&f) {
            Ok(again) => prop_assert_eq!(again, f),
            Err(GraphError::Malformed(why)) if why.contains("too many clauses") || why.contains("too deeply") => {
                prop_assume!(false);
            }
            Err(e) => prop_assert!(false, "{} does not parse: {:?}", f, e),
        }
    }
}
