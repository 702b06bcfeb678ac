//! OData `$filter`: one typed AST and its parser for every collection. Each collection declares
//! in a [`Schema`] which properties a filter may name and which operators each accepts, by
//! default and in Graph's advanced query mode (`graph-fidelity.md` §2.1-2.2): `eq`, `in`,
//! `startswith`, `and`/`or` and lambdas `prop/any(t: …)` over string and object arrays by default
//! on directory collections; `ne`, `not`, `endswith` and `eq null` only in advanced mode, each
//! refused otherwise with Graph's code and text; the log collections also `ge`/`gt`/`le`/`lt` on
//! instants, int and bool literals and nested paths such as `status/errorCode`. Anything else is
//! Graph's 400. Input is bounded in length, nesting and clauses.
//!
//! Filters are evaluated in memory over rendered JSON objects; they are never turned into query
//! strings. Three methods lift what a store can read by out of a filter, and the whole filter
//! is still evaluated on what the store returns: [`Filter::pinned_values`] (the values a key
//! must have), [`Filter::required_prefix`] (a `startswith` every match passes) and
//! [`Filter::time_window`] (the bounds on one instant property).

mod lex;
mod parse;
mod print;
mod schema;
#[cfg(test)]
mod tests;

pub(crate) use schema::{Kind, Logic, Ops, Property, Schema};

use crate::error::GraphError;
use serde_json::Value;
use std::cmp::Ordering;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Longest `$filter` accepted.
const MAX_FILTER_LEN: usize = 2048;
/// Deepest nesting (parentheses, lambdas, `not`) accepted.
const MAX_DEPTH: usize = 8;
/// Most clauses (comparisons, functions, lambdas, parenthesised groups) in one filter.
const MAX_TERMS: usize = 16;
/// Most values of one `in` outside advanced mode (Graph's bound on `OR` children).
const MAX_IN_VALUES: usize = 15;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Ge,
    Gt,
    Le,
    Lt,
}

impl Op {
    fn named(name: &str) -> Option<Self> {
        [
            ("eq", Self::Eq),
            ("ne", Self::Ne),
            ("ge", Self::Ge),
            ("gt", Self::Gt),
            ("le", Self::Le),
            ("lt", Self::Lt),
        ]
        .into_iter()
        .find_map(|(n, op)| n.eq_ignore_ascii_case(name).then_some(op))
    }

    /// Whether `ordering` (property value against literal) satisfies the operator; `None` (the
    /// property is missing, null or of another type) satisfies only `ne`.
    fn holds(self, ordering: Option<Ordering>) -> bool {
        match (self, ordering) {
            (Self::Ne, o) => o != Some(Ordering::Equal),
            (_, None) => false,
            (Self::Eq, Some(o)) => o.is_eq(),
            (Self::Ge, Some(o)) => o.is_ge(),
            (Self::Gt, Some(o)) => o.is_gt(),
            (Self::Le, Some(o)) => o.is_le(),
            (Self::Lt, Some(o)) => o.is_lt(),
        }
    }
}

/// A literal of the type its property compares as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Literal {
    /// Compared case-insensitively.
    Text(String),
    Int(i64),
    Bool(bool),
    /// Compared as an instant with the property's RFC 3339 text.
    Time(OffsetDateTime),
    /// `null`: equal to a missing or null value only.
    Null,
}

/// A parsed filter. Paths are ones the collection's [`Schema`] declares (`""` is a lambda's
/// string element itself); inside [`Filter::Any`] they are relative to the element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `path op literal`.
    Compare(&'static str, Op, Literal),
    /// `startswith(path,'prefix')` (case-insensitive).
    StartsWith(&'static str, String),
    /// `endswith(path,'suffix')` (case-insensitive).
    EndsWith(&'static str, String),
    /// `path/any(v: body)`: some element of the array satisfies the body.
    Any(&'static str, Box<Self>),
    /// Both hold.
    And(Box<Self>, Box<Self>),
    /// Either holds.
    Or(Box<Self>, Box<Self>),
    /// Does not hold.
    Not(Box<Self>),
}

/// The bounds a filter puts on one instant property through its top-level `and` chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimeWindow {
    /// No matching record is earlier.
    pub(crate) since: Option<OffsetDateTime>,
    /// No matching record is later.
    pub(crate) until: Option<OffsetDateTime>,
}

impl Filter {
    /// Parses `input` against `schema`.
    pub(crate) fn parse(input: &str, schema: &Schema<'_>) -> Result<Self, GraphError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(syntax(input, "the filter is too long"));
        }
        let tokens = lex::tokenize(input)?;
        parse::Parser { input, tokens, pos: 0, terms: 0, schema }.filter()
    }

    /// Whether the rendered object `item` satisfies the filter.
    pub(crate) fn matches(&self, item: &Value) -> bool {
        match self {
            Self::Compare(path, op, literal) => op.holds(compare(at(item, path), literal)),
            Self::StartsWith(path, prefix) => at(item, path)
                .and_then(Value::as_str)
                .is_some_and(|t| t.to_lowercase().starts_with(&prefix.to_lowercase())),
            Self::EndsWith(path, suffix) => at(item, path)
                .and_then(Value::as_str)
                .is_some_and(|t| t.to_lowercase().ends_with(&suffix.to_lowercase())),
            Self::Any(path, body) => {
                at(item, path).and_then(Value::as_array).is_some_and(|a| a.iter().any(|e| body.matches(e)))
            }
            Self::And(a, b) => a.matches(item) && b.matches(item),
            Self::Or(a, b) => a.matches(item) || b.matches(item),
            Self::Not(a) => !a.matches(item),
        }
    }

    /// The values the filter pins the text property at `path` to, when every matching object
    /// must have one of them (compared case-insensitively): `path eq 'v'`, an `or` (or `in`) of
    /// such clauses, an `and` with one on either side, or, for a string array, a lambda whose
    /// body pins its element (`path/any(c: c eq 'v')`: some element is one of them). `None` when
    /// the filter does not pin it. A reader may fetch only the objects with these values and
    /// still evaluate the whole filter on them.
    pub(crate) fn pinned_values(&self, path: &str) -> Option<Vec<&str>> {
        match self {
            Self::Compare(p, Op::Eq, Literal::Text(value)) if *p == path => Some(vec![value.as_str()]),
            Self::Any(p, body) if *p == path => body.pinned_values(""),
            Self::Or(a, b) => {
                let mut values = a.pinned_values(path)?;
                values.extend(b.pinned_values(path)?);
                Some(values)
            }
            Self::And(a, b) => a.pinned_values(path).or_else(|| b.pinned_values(path)),
            _ => None,
        }
    }

    /// A prefix the text property at `path` must start with (case-insensitively) in every
    /// matching object: the longest `startswith(path,'p')` of the top-level `and` chain. A
    /// reader may fetch only the objects with that prefix and still evaluate the whole filter.
    pub(crate) fn required_prefix(&self, path: &str) -> Option<&str> {
        match self {
            Self::StartsWith(p, prefix) if *p == path => Some(prefix.as_str()),
            Self::And(a, b) => match (a.required_prefix(path), b.required_prefix(path)) {
                (Some(a), Some(b)) => Some(if b.len() > a.len() { b } else { a }),
                (a, b) => a.or(b),
            },
            _ => None,
        }
    }

    /// The window the top-level `and` chain puts on the instant property at `path`: `ge`/`gt`
    /// bound it below, `le`/`lt` above, `eq` both; the tightest bound wins. Clauses under `or`,
    /// `not` or a lambda do not narrow it. Inclusive, so a store read of the window returns every
    /// record the filter can match (and perhaps a few more, which [`Filter::matches`] drops).
    pub(crate) fn time_window(&self, path: &str) -> TimeWindow {
        let mut window = TimeWindow::default();
        self.narrow(path, &mut window);
        window
    }

    fn narrow(&self, path: &str, window: &mut TimeWindow) {
        match self {
            Self::And(a, b) => {
                a.narrow(path, window);
                b.narrow(path, window);
            }
            Self::Compare(p, op, Literal::Time(t)) if *p == path => {
                if matches!(op, Op::Eq | Op::Ge | Op::Gt) {
                    window.since = Some(window.since.map_or(*t, |s| s.max(*t)));
                }
                if matches!(op, Op::Eq | Op::Le | Op::Lt) {
                    window.until = Some(window.until.map_or(*t, |u| u.min(*t)));
                }
            }
            _ => {}
        }
    }
}

/// The value at a `/`-separated path below `item` (`""` is `item` itself).
fn at<'v>(item: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        return Some(item);
    }
    path.split('/').try_fold(item, |value, segment| value.get(segment))
}

/// How `value` orders against `literal`, when both are of the literal's type.
fn compare(value: Option<&Value>, literal: &Literal) -> Option<Ordering> {
    if matches!(literal, Literal::Null) {
        return Some(if value.is_none_or(Value::is_null) { Ordering::Equal } else { Ordering::Greater });
    }
    let value = value?;
    match literal {
        Literal::Text(text) => value.as_str().map(|v| v.to_lowercase().cmp(&text.to_lowercase())),
        Literal::Int(n) => value.as_i64().map(|v| v.cmp(n)),
        Literal::Bool(b) => value.as_bool().map(|v| v.cmp(b)),
        Literal::Time(t) => {
            value.as_str().and_then(|v| OffsetDateTime::parse(v, &Rfc3339).ok()).map(|v| v.cmp(t))
        }
        Literal::Null => None,
    }
}

fn syntax(input: &str, why: &str) -> GraphError {
    GraphError::Malformed(format!("Invalid filter clause: {why} in '{input}'."))
}

fn unsupported() -> GraphError {
    GraphError::UnsupportedQuery("Unsupported query.".to_owned())
}

/// An advanced-only construct outside advanced mode.
fn needs_advanced() -> GraphError {
    GraphError::UnsupportedQuery("Unsupported Query.".to_owned())
}

/// `ne` outside advanced mode.
fn not_equals_needs_advanced() -> GraphError {
    GraphError::UnsupportedQuery("Unsupported property filter clause operator 'NotEqualsMatch'.".to_owned())
}
