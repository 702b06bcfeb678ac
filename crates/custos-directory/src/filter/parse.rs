//! The recursive-descent parser: `or` over `and` over `not` over primaries (parentheses,
//! `startswith`/`endswith`, lambdas, comparisons, `in` lists), each name resolved against the
//! [`Schema`] (or, inside a lambda, against the element type) and each operator and literal
//! checked against its property's [`Kind`] and advanced-only operators. `in` becomes an `or` of
//! `eq`s.

use super::lex::Token;
use super::schema::{Kind, Logic, Ops, Property, Schema};
use super::{
    Filter, Literal, MAX_DEPTH, MAX_IN_VALUES, MAX_TERMS, Op, needs_advanced, not_equals_needs_advanced,
    syntax, unsupported,
};
use crate::error::GraphError;

/// OData functions Graph knows but these collections do not support (a 400 "Unsupported
/// query."); any other name followed by `(` is a syntax error.
const UNSUPPORTED_FUNCTIONS: &[&str] =
    &["contains", "substringof", "tolower", "toupper", "length", "indexof", "trim", "concat"];

/// What names resolve against: the collection, or a lambda's variable and element type.
#[derive(Clone, Copy)]
enum Scope<'v> {
    Root,
    Lambda { var: &'v str, element: Element },
}

/// What a lambda ranges over.
#[derive(Clone, Copy)]
enum Element {
    Text(Ops),
    Object(&'static [Property]),
}

pub(super) struct Parser<'a> {
    pub(super) input: &'a str,
    pub(super) tokens: Vec<Token>,
    pub(super) pos: usize,
    pub(super) terms: usize,
    pub(super) schema: &'a Schema<'a>,
}

impl Parser<'_> {
    /// The whole filter; every token must be used.
    pub(super) fn filter(&mut self) -> Result<Filter, GraphError> {
        let filter = self.expression(0, Scope::Root)?;
        if self.pos != self.tokens.len() {
            return Err(syntax(self.input, "unexpected input after the end of the expression"));
        }
        Ok(filter)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        token
    }

    fn peek_keyword(&self, keyword: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Ident(k)) if k.eq_ignore_ascii_case(keyword))
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), GraphError> {
        if self.next().as_ref() == Some(token) {
            Ok(())
        } else {
            Err(syntax(self.input, &format!("expected {what}")))
        }
    }

    /// `conjunction ('or' conjunction)*`.
    fn expression(&mut self, depth: usize, scope: Scope<'_>) -> Result<Filter, GraphError> {
        if depth > MAX_DEPTH {
            return Err(syntax(self.input, "the filter is nested too deeply"));
        }
        let mut filter = self.conjunction(depth, scope)?;
        while self.peek_keyword("or") {
            self.pos += 1;
            let right = self.conjunction(depth, scope)?;
            filter = Filter::Or(Box::new(filter), Box::new(right));
        }
        Ok(filter)
    }

    /// `unary ('and' unary)*`.
    fn conjunction(&mut self, depth: usize, scope: Scope<'_>) -> Result<Filter, GraphError> {
        let mut filter = self.unary(depth, scope)?;
        while self.peek_keyword("and") {
            self.pos += 1;
            let right = self.unary(depth, scope)?;
            filter = Filter::And(Box::new(filter), Box::new(right));
        }
        Ok(filter)
    }

    /// `'not' unary | primary` (`not` on directory collections only in advanced mode).
    fn unary(&mut self, depth: usize, scope: Scope<'_>) -> Result<Filter, GraphError> {
        if self.peek_keyword("not") {
            if self.schema.logic == Logic::Directory && !self.schema.advanced {
                return Err(needs_advanced());
            }
            self.pos += 1;
            if depth + 1 > MAX_DEPTH {
                return Err(syntax(self.input, "the filter is nested too deeply"));
            }
            return Ok(Filter::Not(Box::new(self.unary(depth + 1, scope)?)));
        }
        self.primary(depth, scope)
    }

    fn primary(&mut self, depth: usize, scope: Scope<'_>) -> Result<Filter, GraphError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(syntax(self.input, "the filter has too many clauses"));
        }
        let name = match self.next() {
            Some(Token::Open) => {
                let inner = self.expression(depth + 1, scope)?;
                self.expect(&Token::Close, "')'")?;
                return Ok(inner);
            }
            Some(Token::Ident(name)) => name,
            _ => return Err(syntax(self.input, "expected a comparison")),
        };
        if self.tokens.get(self.pos) == Some(&Token::Open) {
            return self.call(&name, depth, scope);
        }
        let property = self.resolve(&name, scope)?;
        let op = match self.next() {
            Some(Token::Ident(op)) => match Op::named(&op) {
                Some(op) => op,
                None if op.eq_ignore_ascii_case("in") => return self.in_list(&name, property),
                None if op.eq_ignore_ascii_case("has") => return Err(unsupported()),
                None => return Err(syntax(self.input, "expected an operator")),
            },
            _ => return Err(syntax(self.input, "expected an operator")),
        };
        let needed = match op {
            Op::Eq => Ops::EQ,
            Op::Ne => Ops::NE,
            Op::Ge | Op::Gt | Op::Le | Op::Lt => Ops::ORDER,
        };
        if matches!(self.tokens.get(self.pos), Some(Token::Ident(n)) if n.eq_ignore_ascii_case("null")) {
            if !matches!(op, Op::Eq | Op::Ne)
                || matches!(property.kind, Kind::TextArray(_) | Kind::ObjectArray(_))
            {
                return Err(unsupported());
            }
            self.permit(&name, &property, needed.and(Ops::NULL))?;
            self.pos += 1;
            return Ok(Filter::Compare(property.path, op, Literal::Null));
        }
        self.permit(&name, &property, needed)?;
        let literal = self.literal(property.kind)?;
        Ok(Filter::Compare(property.path, op, literal))
    }

    /// A literal of `kind`'s type.
    fn literal(&mut self, kind: Kind) -> Result<Literal, GraphError> {
        Ok(match kind {
            Kind::Text(_) => Literal::Text(self.string()?),
            Kind::Int(_) => match self.next() {
                Some(Token::Int(n)) => Literal::Int(n),
                _ => return Err(syntax(self.input, "expected an integer")),
            },
            Kind::Bool(_) => match self.next() {
                Some(Token::Ident(b)) if b.eq_ignore_ascii_case("true") => Literal::Bool(true),
                Some(Token::Ident(b)) if b.eq_ignore_ascii_case("false") => Literal::Bool(false),
                _ => return Err(syntax(self.input, "expected true or false")),
            },
            Kind::Time(_) => match self.next() {
                Some(Token::Time(t)) => Literal::Time(t),
                _ => return Err(syntax(self.input, "expected an unquoted date-time")),
            },
            Kind::TextArray(_) | Kind::ObjectArray(_) => return Err(unsupported()),
        })
    }

    /// `prop in (v1, v2, …)`: an `or` of `eq`s; at most 15 values outside advanced mode.
    fn in_list(&mut self, name: &str, property: Property) -> Result<Filter, GraphError> {
        self.permit(name, &property, Ops::IN)?;
        self.expect(&Token::Open, "'(' after 'in'")?;
        let mut values = vec![self.literal(property.kind)?];
        while self.tokens.get(self.pos) == Some(&Token::Comma) {
            self.pos += 1;
            values.push(self.literal(property.kind)?);
        }
        self.expect(&Token::Close, "')'")?;
        if values.len() > MAX_IN_VALUES && !self.schema.advanced {
            return Err(GraphError::UnsupportedQuery(format!(
                "Too many child clauses specified in search filter expression containing 'OR' operators: {}. Max allowed: {MAX_IN_VALUES}.",
                values.len()
            )));
        }
        let mut clauses = values.into_iter().map(|v| Filter::Compare(property.path, Op::Eq, v));
        let first = clauses.next().ok_or_else(|| syntax(self.input, "expected a value"))?;
        Ok(clauses.fold(first, |all, one| Filter::Or(Box::new(all), Box::new(one))))
    }

    /// Refuses `needed` on `property` unless it accepts it in this mode, with Graph's answer:
    /// on a directory collection an advanced-only operator by default is "NotEqualsMatch" for `ne`, the property's error for
    /// a property filterable only in advanced mode, else "Unsupported Query."; an operator the
    /// property never accepts is "Unsupported query.".
    fn permit(&self, name: &str, property: &Property, needed: Ops) -> Result<(), GraphError> {
        let default = property.kind.ops();
        if default.has(needed) || (self.schema.advanced && default.and(property.advanced).has(needed)) {
            return Ok(());
        }
        if self.schema.advanced || self.schema.logic == Logic::Full {
            return Err(unsupported());
        }
        if needed.has(Ops::NE) {
            return Err(not_equals_needs_advanced());
        }
        if !default.and(property.advanced).has(needed) {
            return Err(unsupported());
        }
        if default == Ops::NONE { Err(self.property_error(name)) } else { Err(needs_advanced()) }
    }

    /// `name(` …: `startswith`, a lambda `prop/any(v: …)`, or an unknown function.
    fn call(&mut self, name: &str, depth: usize, scope: Scope<'_>) -> Result<Filter, GraphError> {
        self.pos += 1;
        let text_function = [("startswith", Ops::STARTS_WITH), ("endswith", Ops::ENDS_WITH)]
            .into_iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(name));
        if let Some((function, needed)) = text_function {
            let (prop, property) = match self.next() {
                Some(Token::Ident(prop)) => {
                    let property = self.resolve(&prop, scope)?;
                    (prop, property)
                }
                _ => return Err(syntax(self.input, "expected a property name")),
            };
            if !matches!(property.kind, Kind::Text(_)) {
                return Err(unsupported());
            }
            self.permit(&prop, &property, needed)?;
            self.expect(&Token::Comma, "','")?;
            let text = self.string()?;
            self.expect(&Token::Close, "')'")?;
            return Ok(if function == "startswith" {
                Filter::StartsWith(property.path, text)
            } else {
                Filter::EndsWith(property.path, text)
            });
        }
        if let Some(base) = name.strip_suffix("/any").or_else(|| name.strip_suffix("/all")) {
            let Property { path, kind, .. } = self.resolve(base, scope)?;
            let element = match kind {
                Kind::TextArray(ops) => Element::Text(ops),
                Kind::ObjectArray(properties) => Element::Object(properties),
                _ => return Err(unsupported()),
            };
            if name.ends_with("/all") {
                return Err(unsupported());
            }
            let var = match self.next() {
                Some(Token::Ident(var)) if !var.contains('/') => var,
                _ => return Err(syntax(self.input, "expected a lambda variable")),
            };
            self.expect(&Token::Colon, "':' after the lambda variable")?;
            let body = self.expression(depth + 1, Scope::Lambda { var: &var, element })?;
            self.expect(&Token::Close, "')'")?;
            return Ok(Filter::Any(path, Box::new(body)));
        }
        if UNSUPPORTED_FUNCTIONS.iter().any(|f| f.eq_ignore_ascii_case(name)) {
            return Err(unsupported());
        }
        Err(syntax(self.input, &format!("unknown function '{name}'")))
    }

    /// The property `name` denotes in `scope` (a lambda's string element is the property `""`).
    fn resolve(&self, name: &str, scope: Scope<'_>) -> Result<Property, GraphError> {
        let found = match scope {
            Scope::Root => self.schema.property(name).copied(),
            Scope::Lambda { var, element } => match (name.strip_prefix(var), element) {
                (Some(""), Element::Text(ops)) => Some(Property::new("", Kind::Text(ops))),
                (Some(rest), Element::Object(properties)) => rest
                    .strip_prefix('/')
                    .and_then(|rest| properties.iter().find(|p| p.path == rest))
                    .copied(),
                _ => None,
            },
        };
        found.ok_or_else(|| self.property_error(name))
    }

    fn property_error(&self, name: &str) -> GraphError {
        GraphError::UnsupportedQuery(format!(
            "Unsupported or invalid query filter clause specified for property '{name}' of resource '{}'.",
            self.schema.resource
        ))
    }

    fn string(&mut self) -> Result<String, GraphError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(s),
            _ => Err(syntax(self.input, "expected a quoted string")),
        }
    }
}
