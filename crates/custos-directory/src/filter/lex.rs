//! `$filter` text to tokens: names (with `/` paths), single-quoted strings (`''` escapes a
//! quote), integers, unquoted ISO-8601 date-times and dates, and punctuation. Anything else is a
//! syntax error naming its position.

use super::syntax;
use crate::error::GraphError;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime};

/// One token of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Token {
    /// A name, keyword or path: `displayName`, `and`, `status/errorCode`, `t/id`.
    Ident(String),
    /// A quoted string, unescaped.
    Str(String),
    /// An integer.
    Int(i64),
    /// An unquoted date-time or date (midnight UTC).
    Time(OffsetDateTime),
    /// `(`
    Open,
    /// `)`
    Close,
    /// `,`
    Comma,
    /// `:` (after a lambda's variable)
    Colon,
}

pub(super) fn tokenize(input: &str) -> Result<Vec<Token>, GraphError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            ' ' | '\t' => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            ',' => tokens.push(Token::Comma),
            ':' => tokens.push(Token::Colon),
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
                let end = scan(&mut chars, start + 1, |c| c.is_ascii_alphanumeric() || c == '_' || c == '/');
                tokens.push(Token::Ident(input[start..end].to_owned()));
            }
            c if c.is_ascii_digit()
                || (c == '-' && chars.peek().is_some_and(|(_, d)| d.is_ascii_digit())) =>
            {
                let end = scan(&mut chars, start + 1, |c| c.is_ascii_alphanumeric() || "-:.+".contains(c));
                tokens.push(literal(input, &input[start..end])?);
            }
            _ => {
                return Err(syntax(input, &format!("unexpected character at position {start}")));
            }
        }
    }
    Ok(tokens)
}

/// Consumes the characters `more` accepts; returns the end of the token.
fn scan(
    chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>,
    mut end: usize,
    more: impl Fn(char) -> bool,
) -> usize {
    while let Some((i, c)) = chars.next_if(|(_, c)| more(*c)) {
        end = i + c.len_utf8();
    }
    end
}

/// An unquoted literal: an integer, an RFC 3339 date-time (a missing offset is UTC) or a date.
fn literal(input: &str, text: &str) -> Result<Token, GraphError> {
    if text.bytes().skip(usize::from(text.starts_with('-'))).all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(Token::Int)
            .map_err(|_| syntax(input, &format!("integer out of range '{text}'")));
    }
    let time = OffsetDateTime::parse(text, &Rfc3339)
        .or_else(|_| {
            let local =
                format_description!("[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]");
            PrimitiveDateTime::parse(text, local).map(PrimitiveDateTime::assume_utc)
        })
        .or_else(|_| {
            Date::parse(text, format_description!("[year]-[month]-[day]")).map(|d| d.midnight().assume_utc())
        });
    time.map(Token::Time).map_err(|_| syntax(input, &format!("invalid literal '{text}'")))
}
