//! Tokens of a `$filter` expression. Literals follow OData's ABNF in the subset BC supports:
//! strings in single quotes with `''` for a quote, numbers, `true`/`false`, `null`, unquoted
//! GUIDs and `DateTimeOffset` values. Every token keeps its character position for messages
//! ("Syntax error at position N in '...'.", the OData library's wording).

use super::ast::Literal;
use crate::business_central::error::BcError;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// A token and where it starts (0-based character index).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    /// The token.
    pub(crate) kind: TokenKind,
    /// Character position in the filter text.
    pub(crate) position: usize,
}

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenKind {
    /// `(`
    Open,
    /// `)`
    Close,
    /// `,`
    Comma,
    /// A property or function name, or a keyword (`and`, `eq`, ...): the parser decides.
    Word(String),
    /// A literal: a quoted string (`''` unescaped), a number, `true`/`false`, `null`, an unquoted
    /// GUID or `DateTimeOffset`.
    Literal(Literal),
}

/// Characters of an unquoted word: names, keywords, numbers, GUIDs and instants.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '+' | '-')
}

/// The syntax error at `position` of `text`.
pub(crate) fn syntax_error(position: usize, text: &str) -> BcError {
    BcError::QuerySyntax(format!("Syntax error at position {position} in '{text}'."))
}

/// Splits `text` into tokens.
pub(crate) fn tokenize(text: &str) -> Result<Vec<Token>, BcError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        let kind = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => {
                i += 1;
                TokenKind::Open
            }
            ')' => {
                i += 1;
                TokenKind::Close
            }
            ',' => {
                i += 1;
                TokenKind::Comma
            }
            '\'' => {
                let (value, next) = string_literal(&chars, i).ok_or_else(|| {
                    BcError::QuerySyntax(format!(
                        "There is an unterminated string literal at position {start} in '{text}'."
                    ))
                })?;
                i = next;
                TokenKind::Literal(Literal::String(value))
            }
            c if is_word_char(c) => {
                while i < chars.len() && is_word_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                classify(word).ok_or_else(|| syntax_error(start, text))?
            }
            _ => return Err(syntax_error(start, text)),
        };
        tokens.push(Token { kind, position: start });
    }
    Ok(tokens)
}

/// The string literal opening at `chars[open]`: its value and the index after its closing quote.
fn string_literal(chars: &[char], open: usize) -> Option<(String, usize)> {
    let mut value = String::new();
    let mut i = open + 1;
    loop {
        match chars.get(i)? {
            '\'' if chars.get(i + 1) == Some(&'\'') => {
                value.push('\'');
                i += 2;
            }
            '\'' => return Some((value, i + 1)),
            c => {
                value.push(*c);
                i += 1;
            }
        }
    }
}

/// What an unquoted word is; `None` when it is nothing OData knows.
fn classify(word: String) -> Option<TokenKind> {
    match word.as_str() {
        "true" => return Some(TokenKind::Literal(Literal::Boolean(true))),
        "false" => return Some(TokenKind::Literal(Literal::Boolean(false))),
        "null" => return Some(TokenKind::Literal(Literal::Null)),
        _ => {}
    }
    if word.len() == 36
        && let Ok(id) = Uuid::try_parse(&word)
    {
        return Some(TokenKind::Literal(Literal::Guid(id)));
    }
    let first = word.chars().next()?;
    if first.is_ascii_alphabetic() || first == '_' {
        return word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then_some(TokenKind::Word(word));
    }
    if let Ok(at) = OffsetDateTime::parse(&word, &Rfc3339) {
        return Some(TokenKind::Literal(Literal::DateTime(at)));
    }
    let digits = word.strip_prefix('-').unwrap_or(&word);
    if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        return word.parse().ok().map(|n| TokenKind::Literal(Literal::Integer(n)));
    }
    let numeric = digits.chars().next().is_some_and(|c| c.is_ascii_digit())
        && digits.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'));
    if numeric {
        return word
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| TokenKind::Literal(Literal::Decimal(n)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text).unwrap().into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn words_strings_and_numbers() {
        assert_eq!(
            kinds("displayName eq 'O''Brien' and creditLimit ge -1.5e2"),
            vec![
                TokenKind::Word("displayName".to_owned()),
                TokenKind::Word("eq".to_owned()),
                TokenKind::Literal(Literal::String("O'Brien".to_owned())),
                TokenKind::Word("and".to_owned()),
                TokenKind::Word("creditLimit".to_owned()),
                TokenKind::Word("ge".to_owned()),
                TokenKind::Literal(Literal::Decimal(-150.0)),
            ]
        );
        assert_eq!(kinds("contains(city,'x')")[1], TokenKind::Open);
        assert_eq!(kinds("n eq 42")[2], TokenKind::Literal(Literal::Integer(42)));
    }

    #[test]
    fn guids_instants_booleans_null() {
        let id = "5d115c9c-44e3-ea11-bb43-000d3a2feca1";
        assert_eq!(
            kinds(&format!("id eq {id}"))[2],
            TokenKind::Literal(Literal::Guid(Uuid::try_parse(id).unwrap()))
        );
        assert!(matches!(kinds("t gt 2026-01-02T03:04:05Z")[2], TokenKind::Literal(Literal::DateTime(_))));
        assert_eq!(kinds("b eq true")[2], TokenKind::Literal(Literal::Boolean(true)));
        assert_eq!(kinds("b eq null")[2], TokenKind::Literal(Literal::Null));
    }

    #[test]
    fn unbalanced_quotes_and_stray_characters_are_syntax_errors() {
        let message = |text: &str| tokenize(text).unwrap_err().to_string();
        assert_eq!(
            message("displayName eq 'x"),
            "There is an unterminated string literal at position 15 in 'displayName eq 'x'."
        );
        assert_eq!(
            message("a eq 1; DROP TABLE customers"),
            "Syntax error at position 6 in 'a eq 1; DROP TABLE customers'."
        );
        assert_eq!(message("a eq 1-2-3"), "Syntax error at position 5 in 'a eq 1-2-3'.");
        assert_eq!(message("a eq \"x\""), "Syntax error at position 5 in 'a eq \"x\"'.");
    }
}
