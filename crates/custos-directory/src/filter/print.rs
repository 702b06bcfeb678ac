//! The OData text of a parsed [`Filter`]: the inverse of the parser, for the print/parse round
//! trip the fuzz target and the property tests check (`Filter::parse(&f.to_string(), schema) ==
//! Ok(f)` for every `f` the parser produced).
//!
//! Parentheses are written only where the tree needs them (`or` binds loosest, then `and`, then
//! `not`; both binary operators associate to the left), so the text never nests deeper or holds
//! more clauses than any input that parsed to the same tree. Lambda variables are `v0`, `v1`, …
//! by depth; strings double their quotes; instants are RFC 3339.

use super::{Filter, Literal, Op};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// Binding strength: a child weaker than its position allows is parenthesised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Or,
    And,
    Unary,
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write(self, f, Level::Or, None)
    }
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Self::Eq => "eq",
            Self::Ne => "ne",
            Self::Ge => "ge",
            Self::Gt => "gt",
            Self::Le => "le",
            Self::Lt => "lt",
        }
    }
}

/// Writes `filter` where a child of at least `level` is expected; `lambda` is the enclosing
/// lambda's depth (its variable is `v{depth}`), `None` at the root.
fn write(filter: &Filter, f: &mut fmt::Formatter<'_>, level: Level, lambda: Option<usize>) -> fmt::Result {
    let own = match filter {
        Filter::Or(..) => Level::Or,
        Filter::And(..) => Level::And,
        _ => Level::Unary,
    };
    if own < level {
        f.write_str("(")?;
        write(filter, f, Level::Or, lambda)?;
        return f.write_str(")");
    }
    match filter {
        Filter::Or(a, b) => {
            write(a, f, Level::Or, lambda)?;
            f.write_str(" or ")?;
            write(b, f, Level::And, lambda)
        }
        Filter::And(a, b) => {
            write(a, f, Level::And, lambda)?;
            f.write_str(" and ")?;
            write(b, f, Level::Unary, lambda)
        }
        Filter::Not(a) => {
            f.write_str("not ")?;
            write(a, f, Level::Unary, lambda)
        }
        Filter::Compare(path, op, literal) => {
            path_in(path, f, lambda)?;
            write!(f, " {} ", op.name())?;
            literal_text(literal, f)
        }
        Filter::StartsWith(path, prefix) => {
            f.write_str("startswith(")?;
            path_in(path, f, lambda)?;
            f.write_str(",")?;
            quoted(prefix, f)?;
            f.write_str(")")
        }
        Filter::EndsWith(path, suffix) => {
            f.write_str("endswith(")?;
            path_in(path, f, lambda)?;
            f.write_str(",")?;
            quoted(suffix, f)?;
            f.write_str(")")
        }
        Filter::Any(path, body) => {
            let depth = lambda.map_or(0, |d| d + 1);
            path_in(path, f, lambda)?;
            write!(f, "/any(v{depth}: ")?;
            write(body, f, Level::Or, Some(depth))?;
            f.write_str(")")
        }
    }
}

/// A property path, prefixed with the lambda variable inside a lambda (`""` is the variable).
fn path_in(path: &str, f: &mut fmt::Formatter<'_>, lambda: Option<usize>) -> fmt::Result {
    match (lambda, path) {
        (None, path) => f.write_str(path),
        (Some(depth), "") => write!(f, "v{depth}"),
        (Some(depth), path) => write!(f, "v{depth}/{path}"),
    }
}

fn literal_text(literal: &Literal, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match literal {
        Literal::Text(text) => quoted(text, f),
        Literal::Int(n) => write!(f, "{n}"),
        Literal::Bool(b) => write!(f, "{b}"),
        Literal::Time(t) => f.write_str(&instant(*t)?),
        Literal::Null => f.write_str("null"),
    }
}

/// RFC 3339 where it can say the instant (years 0000 to 9999); otherwise (a negative year, which
/// the lexer reads from an offset-less date-time or date, so it is UTC) the offset-less form the
/// lexer reads as UTC.
fn instant(t: OffsetDateTime) -> Result<String, fmt::Error> {
    let local = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]");
    match t.format(&Rfc3339) {
        Ok(text) => Ok(text),
        Err(_) if t.offset().is_utc() => t.format(local).map_err(|_| fmt::Error),
        Err(_) => Err(fmt::Error),
    }
}

fn quoted(text: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    write!(f, "'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
#[path = "print_tests.rs"]
mod tests;
