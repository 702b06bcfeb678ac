//! What a collection lets `$filter` name: its [`Property`]s, each with a [`Kind`] (how values
//! compare) and the [`Ops`] it accepts, plus whether `or` and `not` are allowed ([`Logic`]).
//! Everything a schema does not list is Graph's 400.

/// The operators a property accepts, as a small set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ops(u8);

impl Ops {
    /// `eq`.
    pub(crate) const EQ: Self = Self(1);
    /// `ne`.
    pub(crate) const NE: Self = Self(2);
    /// `ge`, `gt`, `le`, `lt`.
    pub(crate) const ORDER: Self = Self(4);
    /// `startswith(prop,'…')`.
    pub(crate) const STARTS_WITH: Self = Self(8);

    /// Both sets.
    pub(crate) const fn and(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether every operator of `other` is in the set.
    pub(crate) const fn has(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

/// How a property's values compare, and what a lambda ranges over.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "Bool is for boolean properties no collection filters on yet")
)]
pub(crate) enum Kind {
    /// A string, compared case-insensitively (as Graph compares directory strings and enums).
    Text(Ops),
    /// An integer (`status/errorCode eq 0`).
    Int(Ops),
    /// `true` or `false` (`eq`, `ne`).
    Bool,
    /// An instant, written as an unquoted ISO-8601 date-time or date; every comparison.
    Time,
    /// An array of strings: `prop/any(t: t eq '…')`, the element compared as `Text(ops)`.
    TextArray(Ops),
    /// An array of objects: `prop/any(t: t/id eq '…')`, over the element's own properties.
    ObjectArray(&'static [Property]),
}

/// A property `$filter` may name: a path below the rendered object (`status/errorCode`) and
/// how it compares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Property {
    /// Segments joined by `/`, as written in the filter.
    pub(crate) path: &'static str,
    /// Its values.
    pub(crate) kind: Kind,
}

impl Property {
    /// A directory string property: `eq` and `startswith`, nothing else.
    pub(crate) const fn text(path: &'static str) -> Self {
        Self { path, kind: Kind::Text(Ops::EQ.and(Ops::STARTS_WITH)) }
    }

    /// A string property with exactly `ops`.
    pub(crate) const fn text_with(path: &'static str, ops: Ops) -> Self {
        Self { path, kind: Kind::Text(ops) }
    }

    /// An instant property (every comparison).
    pub(crate) const fn time(path: &'static str) -> Self {
        Self { path, kind: Kind::Time }
    }
}

/// The connectives a collection accepts besides `and` and parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logic {
    /// Only `and` (directory collections answer `or` with "Unsupported query.").
    AndOnly,
    /// `and`, `or` and `not` (the log collections).
    Full,
}

/// Everything [`super::Filter::parse`] checks a filter against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema<'a> {
    /// The entity type's name in error messages, e.g. `Application`.
    pub(crate) resource: &'a str,
    /// The properties `$filter` may name.
    pub(crate) properties: &'a [Property],
    /// Whether `or` and `not` are accepted.
    pub(crate) logic: Logic,
}

impl Schema<'_> {
    /// The property at `path`, if the collection lets `$filter` name it.
    pub(crate) fn property(&self, path: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.path == path)
    }
}
