//! OData `$filter`: a tiny typed AST and its parser. Only what this API supports is
//! representable: `prop eq 'x'`, `startswith(prop,'x')`, `and` and parentheses. Filters are
//! evaluated in memory over rendered JSON objects; they are never turned into query strings.

use crate::error::GraphError;
use serde_json::Value;

/// Longest `$filter` accepted.
const MAX_FILTER_LEN: usize = 2048;
/// Deepest parenthesis nesting accepted.
const MAX_DEPTH: usize = 8;
/// Most comparisons in one filter.
const MAX_TERMS: usize = 16;

/// A parsed filter. Property names are checked against the collection's filterable ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `prop eq 'value'` (case-insensitive, as Graph compares directory strings).
    Eq(String, String),
    /// `startswith(prop,'prefix')` (case-insensitive).
    StartsWith(String, String),
    /// Both hold.
    And(Box<Self>, Box<Self>),
}

impl Filter {
    /// Whether the rendered object `item` satisfies the filter.
    pub(crate) fn matches(&self, item: &Value) -> bool {
        let text = |prop: &str| item.get(prop).and_then(Value::as_str).map(str::to_lowercase);
        match self {
            Self::Eq(prop, value) => text(prop).is_some_and(|t| t == value.to_lowercase()),
            Self::StartsWith(prop, prefix) => {
                text(prop).is_some_and(|t| t.starts_with(&prefix.to_lowercase()))
            }
            Self::And(a, b) => a.matches(item) && b.matches(item),
        }
    }

    /// Parses `input`, accepting only properties in `filterable`; `resource` names the entity
    /// type in error messages.
    pub(crate) fn parse(input: &str, filterable: &[&str], resource: &str) -> Result<Self, GraphError> {
        if input.len() > MAX_FILTER_LEN {
            return Err(syntax(input, "the filter is too long"));
        }
        let tokens = tokenize(input)?;
        let mut parser = Parser { input, tokens, pos: 0, terms: 0, filterable, resource };
        let filter = parser.expression(0)?;
        if parser.pos != parser.tokens.len() {
            return Err(syntax(input, "unexpected input after the end of the expression"));
        }
        Ok(filter)
    }
}

fn syntax(input: &str, why: &str) -> GraphError {
    GraphError::Malformed(format!("Invalid filter clause: {why} in '{input}'."))
}

fn unsupported() -> GraphError {
    GraphError::UnsupportedQuery("Unsupported query.".to_owned())
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Str(String),
    Open,
    Close,
    Comma,
}

fn tokenize(input: &str) -> Result<Vec<Token>, GraphError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            ',' => tokens.push(Token::Comma),
            '\'' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some((_, '\'')) if chars.peek().is_some_and(|(_, c)| *c == '\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        Some((_, '\'')) => break,
                        Some((_, c)) => text.push(c),
                        None => return Err(syntax(input, "unterminated string literal")),
                    }
                }
                tokens.push(Token::Str(text));
            }
            c if c.is_ascii_alphabetic() => {
                let mut end = start + c.len_utf8();
                while let Some((i, c)) =
                    chars.next_if(|(_, c)| c.is_ascii_alphanumeric() || *c == '_' || *c == '/')
                {
                    end = i + c.len_utf8();
                }
                tokens.push(Token::Ident(input[start..end].to_owned()));
            }
            _ => {
                return Err(syntax(input, &format!("unexpected character at position {start}")));
            }
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    terms: usize,
    filterable: &'a [&'a str],
    resource: &'a str,
}

impl Parser<'_> {
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

    /// `term ('and' term)*`; `or` and other operators are unsupported.
    fn expression(&mut self, depth: usize) -> Result<Filter, GraphError> {
        if depth > MAX_DEPTH {
            return Err(syntax(self.input, "the filter is nested too deeply"));
        }
        let mut filter = self.term(depth)?;
        while self.pos < self.tokens.len() {
            if self.peek_keyword("and") {
                self.pos += 1;
                let right = self.term(depth)?;
                filter = Filter::And(Box::new(filter), Box::new(right));
            } else if self.peek_keyword("or") {
                return Err(unsupported());
            } else {
                break;
            }
        }
        Ok(filter)
    }

    fn term(&mut self, depth: usize) -> Result<Filter, GraphError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(syntax(self.input, "the filter has too many clauses"));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.expression(depth + 1)?;
                self.expect(&Token::Close, "')'")?;
                Ok(inner)
            }
            Some(Token::Ident(name)) if name.eq_ignore_ascii_case("startswith") => {
                self.expect(&Token::Open, "'(' after startswith")?;
                let prop = self.property()?;
                self.expect(&Token::Comma, "','")?;
                let value = self.string()?;
                self.expect(&Token::Close, "')'")?;
                Ok(Filter::StartsWith(prop, value))
            }
            Some(Token::Ident(name)) => {
                let prop = self.checked_property(name)?;
                match self.next() {
                    Some(Token::Ident(op)) if op.eq_ignore_ascii_case("eq") => {
                        Ok(Filter::Eq(prop, self.string()?))
                    }
                    Some(Token::Ident(op))
                        if ["ne", "gt", "ge", "lt", "le", "in", "has"]
                            .iter()
                            .any(|o| o.eq_ignore_ascii_case(&op)) =>
                    {
                        Err(unsupported())
                    }
                    _ => Err(syntax(self.input, "expected an operator")),
                }
            }
            _ => Err(syntax(self.input, "expected a comparison")),
        }
    }

    fn property(&mut self) -> Result<String, GraphError> {
        match self.next() {
            Some(Token::Ident(name)) => self.checked_property(name),
            _ => Err(syntax(self.input, "expected a property name")),
        }
    }

    fn checked_property(&self, name: String) -> Result<String, GraphError> {
        if self.filterable.contains(&name.as_str()) {
            Ok(name)
        } else {
            Err(GraphError::UnsupportedQuery(format!(
                "Unsupported or invalid query filter clause specified for property '{name}' of resource '{}'.",
                self.resource
            )))
        }
    }

    fn string(&mut self) -> Result<String, GraphError> {
        match self.next() {
            Some(Token::Str(s)) => Ok(s),
            _ => Err(syntax(self.input, "expected a quoted string")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PROPS: &[&str] = &["displayName", "appId", "id"];

    fn parse(s: &str) -> Result<Filter, GraphError> {
        Filter::parse(s, PROPS, "Application")
    }

    #[test]
    fn parses_supported_forms() {
        assert_eq!(parse("displayName eq 'a''b'").unwrap(), Filter::Eq("displayName".into(), "a'b".into()));
        assert_eq!(
            parse("startswith(displayName,'we') and (appId eq 'x')").unwrap(),
            Filter::And(
                Box::new(Filter::StartsWith("displayName".into(), "we".into())),
                Box::new(Filter::Eq("appId".into(), "x".into()))
            )
        );
    }

    #[test]
    fn evaluates_case_insensitively() {
        let item = json!({"displayName": "Web API", "appId": "A"});
        assert!(parse("startswith(displayName,'web')").unwrap().matches(&item));
        assert!(parse("displayName eq 'WEB api' and appId eq 'a'").unwrap().matches(&item));
        assert!(!parse("displayName eq 'Web'").unwrap().matches(&item));
    }

    #[test]
    fn injection_and_garbage_are_refused() {
        for bad in [
            "displayName eq 'a') or 1 eq 1",
            "displayName eq 'unterminated",
            "displayName eq",
            "displayName eq 5",
            "startswith(displayName 'x')",
            "(((((((((((displayName eq 'a')))))))))))",
            "",
            "displayName eq 'a'; drop",
        ] {
            let err = parse(bad).unwrap_err();
            assert!(
                matches!(err, GraphError::Malformed(_) | GraphError::UnsupportedQuery(_)),
                "{bad}: {err:?}"
            );
        }
        assert_eq!(parse("displayName eq 'a' or id eq 'b'"), Err(unsupported()));
        assert_eq!(
            parse("description eq 'x'"),
            Err(GraphError::UnsupportedQuery(
                "Unsupported or invalid query filter clause specified for property 'description' of resource 'Application'.".into()
            ))
        );
    }
}
