//! What a collection lets `$filter` name: its [`Property`]s, each with a [`Kind`] (how values
//! compare) and the [`Ops`] it accepts by default, plus the operators it accepts only in Graph's
//! advanced query mode (`ConsistencyLevel: eventual` with `$count=true`), and how `not` is
//! allowed ([`Logic`]). Everything a schema does not list is Graph's 400.

/// The operators a property accepts, as a small set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ops(u8);

impl Ops {
    /// No operator.
    pub(crate) const NONE: Self = Self(0);
    /// `eq`.
    pub(crate) const EQ: Self = Self(1);
    /// `ne`.
    pub(crate) const NE: Self = Self(2);
    /// `ge`, `gt`, `le`, `lt`.
    pub(crate) const ORDER: Self = Self(4);
    /// `startswith(prop,'…')`.
    pub(crate) const STARTS_WITH: Self = Self(8);
    /// `prop in ('a','b')`.
    pub(crate) const IN: Self = Self(16);
    /// `endswith(prop,'…')`.
    pub(crate) const ENDS_WITH: Self = Self(32);
    /// `prop eq null`, `prop ne null`.
    pub(crate) const NULL: Self = Self(64);
    /// `eq`, `ne` and the orderings.
    pub(crate) const COMPARE: Self = Self::EQ.and(Self::NE).and(Self::ORDER);

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
pub(crate) enum Kind {
    /// A string, compared case-insensitively (as Graph compares directory strings and enums).
    Text(Ops),
    /// An integer (`status/errorCode eq 0`).
    Int(Ops),
    /// `true` or `false`.
    Bool(Ops),
    /// An instant, written as an unquoted ISO-8601 date-time or date.
    Time(Ops),
    /// An array of strings: `prop/any(t: t eq '…')`, the element compared as `Text(ops)`.
    TextArray(Ops),
    /// An array of objects: `prop/any(t: t/id eq '…')`, over the element's own properties.
    ObjectArray(&'static [Property]),
}

impl Kind {
    /// The operators it accepts by default (a lambda's are its element's; `Int` and `Bool` need
    /// no `startswith`).
    pub(crate) const fn ops(self) -> Ops {
        match self {
            Self::Text(ops) | Self::Int(ops) | Self::Bool(ops) | Self::Time(ops) | Self::TextArray(ops) => {
                ops
            }
            Self::ObjectArray(_) => Ops::NONE,
        }
    }
}

/// A property `$filter` may name: a path below the rendered object (`status/errorCode`) and
/// how it compares.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Property {
    /// Segments joined by `/`, as written in the filter.
    pub(crate) path: &'static str,
    /// How its values compare, and the operators it accepts by default.
    pub(crate) kind: Kind,
    /// The operators it accepts only in advanced query mode.
    pub(crate) advanced: Ops,
}

impl Property {
    /// A property of `kind`, with no advanced-only operators.
    pub(crate) const fn new(path: &'static str, kind: Kind) -> Self {
        Self { path, kind, advanced: Ops::NONE }
    }

    /// A directory string property: `eq` and `startswith`, nothing else.
    pub(crate) const fn text(path: &'static str) -> Self {
        Self::new(path, Kind::Text(Ops::EQ.and(Ops::STARTS_WITH)))
    }

    /// A string property with exactly `ops`.
    pub(crate) const fn text_with(path: &'static str, ops: Ops) -> Self {
        Self::new(path, Kind::Text(ops))
    }

    /// An instant property (every comparison).
    pub(crate) const fn time(path: &'static str) -> Self {
        Self::new(path, Kind::Time(Ops::COMPARE))
    }

    /// The same property, also accepting `ops` in advanced query mode.
    pub(crate) const fn advanced(self, ops: Ops) -> Self {
        Self { advanced: ops, ..self }
    }
}

/// How a collection accepts `not` (`and`, `or` and parentheses are always accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Logic {
    /// Directory collections: `not` only in advanced query mode.
    Directory,
    /// `not` always (the log collections).
    Full,
}

/// Everything [`super::Filter::parse`] checks a filter against.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schema<'a> {
    /// The entity type's name in error messages, e.g. `Application`.
    pub(crate) resource: &'a str,
    /// The properties `$filter` may name.
    pub(crate) properties: &'a [Property],
    /// How `not` is accepted.
    pub(crate) logic: Logic,
    /// Whether the request is an advanced query (`ConsistencyLevel: eventual` and `$count=true`).
    pub(crate) advanced: bool,
}

impl Schema<'_> {
    /// The property at `path`, if the collection lets `$filter` name it.
    pub(crate) fn property(&self, path: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.path == path)
    }
}
