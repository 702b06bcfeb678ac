//! The recursive-descent parser: `or` over `and` over `not` over primaries (parentheses,
//! `startswith`, lambdas, comparisons), each name resolved against the [`Schema`] (or, inside a
//! lambda, against the element type) and each operator and literal checked against its
//! property's [`Kind`].

use super::lex::Token;
use super::schema::{Kind, Logic, Ops, Property, Schema};
use super::{Filter, Literal, MAX_DEPTH, MAX_TERMS, Op, syntax, unsupported};
use crate::error::GraphError;

/// OData functions Graph knows but these collections do not support (a 400 "Unsupported
/// query."); any other name followed by `(` is a syntax error.
const UNSUPPORTED_FUNCTIONS: &[&str] =
    &["contains", "endswith", "substringof", "tolower", "toupper", "length", "indexof", "trim", "concat"];

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
            if self.schema.logic == Logic::AndOnly {
                return Err(unsupported());
            }
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

    /// `'not' unary | primary` (`not` only where the collection accepts it, like `or`).
    fn unary(&mut self, depth: usize, scope: Scope<'_>) -> Result<Filter, GraphError> {
        if self.peek_keyword("not") {
            if self.schema.logic == Logic::AndOnly {
                return Err(unsupported());
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
        let (path, kind) = self.resolve(&name, scope)?;
        let op = match self.next() {
            Some(Token::Ident(op)) => match Op::named(&op) {
                Some(op) => op,
                None if op.eq_ignore_ascii_case("in") || op.eq_ignore_ascii_case("has") => {
                    return Err(unsupported());
                }
                None => return Err(syntax(self.input, "expected an operator")),
            },
            _ => return Err(syntax(self.input, "expected an operator")),
        };
        let literal = match kind {
            Kind::Text(ops) => {
                allowed(ops, op)?;
                Literal::Text(self.string()?)
            }
            Kind::Int(ops) => {
                allowed(ops, op)?;
                match self.next() {
                    Some(Token::Int(n)) => Literal::Int(n),
                    _ => return Err(syntax(self.input, "expected an integer")),
                }
            }
            Kind::Bool => {
                allowed(Ops::EQ.and(Ops::NE), op)?;
                match self.next() {
                    Some(Token::Ident(b)) if b.eq_ignore_ascii_case("true") => Literal::Bool(true),
                    Some(Token::Ident(b)) if b.eq_ignore_ascii_case("false") => Literal::Bool(false),
                    _ => return Err(syntax(self.input, "expected true or false")),
                }
            }
            Kind::Time => match self.next() {
                Some(Token::Time(t)) => Literal::Time(t),
                _ => return Err(syntax(self.input, "expected an unquoted date-time")),
            },
            Kind::TextArray(_) | Kind::ObjectArray(_) => return Err(unsupported()),
        };
        Ok(Filter::Compare(path, op, literal))
    }

    /// `name(` …: `startswith`, a lambda `prop/any(v: …)`, or an unknown function.
    fn call(&mut self, name: &str, depth: usize, scope: Scope<'_>) -> Result<Filter, GraphError> {
        self.pos += 1;
        if name.eq_ignore_ascii_case("startswith") {
            let (path, kind) = match self.next() {
                Some(Token::Ident(prop)) => self.resolve(&prop, scope)?,
                _ => return Err(syntax(self.input, "expected a property name")),
            };
            match kind {
                Kind::Text(ops) if ops.has(Ops::STARTS_WITH) => {}
                _ => return Err(unsupported()),
            }
            self.expect(&Token::Comma, "','")?;
            let prefix = self.string()?;
            self.expect(&Token::Close, "')'")?;
            return Ok(Filter::StartsWith(path, prefix));
        }
        if let Some(base) = name.strip_suffix("/any").or_else(|| name.strip_suffix("/all")) {
            let (path, kind) = self.resolve(base, scope)?;
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

    /// The path and kind `name` denotes in `scope`.
    fn resolve(&self, name: &str, scope: Scope<'_>) -> Result<(&'static str, Kind), GraphError> {
        let found = match scope {
            Scope::Root => self.schema.property(name).map(|p| (p.path, p.kind)),
            Scope::Lambda { var, element } => match (name.strip_prefix(var), element) {
                (Some(""), Element::Text(ops)) => Some(("", Kind::Text(ops))),
                (Some(rest), Element::Object(properties)) => rest
                    .strip_prefix('/')
                    .and_then(|rest| properties.iter().find(|p| p.path == rest))
                    .map(|p| (p.path, p.kind)),
                _ => None,
            },
        };
        found.ok_or_else(|| {
            GraphError::UnsupportedQuery(format!(
                "Unsupported or invalid query filter clause specified for property '{name}' of resource '{}'.",
                self.schema.resource
            ))
        })
    }

    fn string(&mut self) -> Result<String, GraphError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(s),
            _ => Err(syntax(self.input, "expected a quoted string")),
        }
    }
}

/// Refuses `op` on a property that does not accept it.
fn allowed(ops: Ops, op: Op) -> Result<(), GraphError> {
    let needed = match op {
        Op::Eq => Ops::EQ,
        Op::Ne => Ops::NE,
        Op::Ge | Op::Gt | Op::Le | Op::Lt => Ops::ORDER,
    };
    if ops.has(needed) { Ok(()) } else { Err(unsupported()) }
}
