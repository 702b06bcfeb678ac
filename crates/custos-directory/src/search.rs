//! `$search` on directory collections (`graph-fidelity.md` §2.3): `"property:text"` clauses, each
//! in double quotes (`\"` and `\\` escape inside), combined with upper-case `AND`/`OR` outside
//! the quotes and grouped with parentheses. `displayName` and `description` match by tokens
//! (split on spaces, symbols, digit runs and lower-to-upper case changes; every searched token
//! starts some token of the value, case-insensitively, in any order); any other property matches
//! as a case-insensitive prefix. Like `$filter`, evaluated in memory over rendered objects.

use crate::error::GraphError;
use serde_json::Value;

/// Longest `$search` accepted.
const MAX_SEARCH_LEN: usize = 1024;
/// Most clauses in one `$search`.
const MAX_CLAUSES: usize = 16;

/// Properties matched by tokens rather than by prefix.
const TOKENISED: &[&str] = &["displayName", "description"];

/// A parsed `$search`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Search {
    /// `"property:text"`.
    Clause(&'static str, String),
    /// Both hold.
    And(Box<Self>, Box<Self>),
    /// Either holds.
    Or(Box<Self>, Box<Self>),
}

fn invalid(input: &str) -> GraphError {
    GraphError::Malformed(format!("Syntax error: invalid $search query '{input}'."))
}

#[derive(Debug, PartialEq, Eq)]
enum Token {
    Clause(String),
    And,
    Or,
    Open,
    Close,
}

fn tokenize(input: &str) -> Result<Vec<Token>, GraphError> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ' ' => {}
            '(' => tokens.push(Token::Open),
            ')' => tokens.push(Token::Close),
            '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('\\') => text.push(chars.next().ok_or_else(|| invalid(input))?),
                        Some('"') => break,
                        Some(c) => text.push(c),
                        None => return Err(invalid(input)),
                    }
                }
                tokens.push(Token::Clause(text));
            }
            'A' | 'O' => {
                let word: String = std::iter::once(c)
                    .chain(std::iter::from_fn(|| chars.next_if(|c| c.is_ascii_uppercase())))
                    .collect();
                match word.as_str() {
                    "AND" => tokens.push(Token::And),
                    "OR" => tokens.push(Token::Or),
                    _ => return Err(invalid(input)),
                }
            }
            _ => return Err(invalid(input)),
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    input: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    clauses: usize,
    searchable: &'a [&'static str],
    resource: &'a str,
}

impl Parser<'_> {
    fn or(&mut self) -> Result<Search, GraphError> {
        let mut search = self.and()?;
        while self.tokens.get(self.pos) == Some(&Token::Or) {
            self.pos += 1;
            search = Search::Or(Box::new(search), Box::new(self.and()?));
        }
        Ok(search)
    }

    fn and(&mut self) -> Result<Search, GraphError> {
        let mut search = self.primary()?;
        while self.tokens.get(self.pos) == Some(&Token::And) {
            self.pos += 1;
            search = Search::And(Box::new(search), Box::new(self.primary()?));
        }
        Ok(search)
    }

    fn primary(&mut self) -> Result<Search, GraphError> {
        self.clauses += 1;
        if self.clauses > MAX_CLAUSES {
            return Err(invalid(self.input));
        }
        self.pos += 1;
        match self.tokens.get(self.pos - 1) {
            Some(Token::Open) => {
                let inner = self.or()?;
                if self.tokens.get(self.pos) != Some(&Token::Close) {
                    return Err(invalid(self.input));
                }
                self.pos += 1;
                Ok(inner)
            }
            Some(Token::Clause(clause)) => {
                let (property, text) = clause.split_once(':').ok_or_else(|| invalid(self.input))?;
                let property = self
                    .searchable
                    .iter()
                    .copied()
                    .find(|p| p.eq_ignore_ascii_case(property.trim()))
                    .ok_or_else(|| {
                        GraphError::UnsupportedQuery(format!(
                            "Unsupported or invalid query filter clause specified for property '{}' of resource '{}'.",
                            property.trim(),
                            self.resource
                        ))
                    })?;
                Ok(Search::Clause(property, text.trim().to_owned()))
            }
            _ => Err(invalid(self.input)),
        }
    }
}

impl Search {
    /// Parses `input` against the properties a collection lets `$search` name.
    pub(crate) fn parse(
        input: &str,
        searchable: &[&'static str],
        resource: &str,
    ) -> Result<Self, GraphError> {
        if input.len() > MAX_SEARCH_LEN {
            return Err(invalid(input));
        }
        let tokens = tokenize(input)?;
        let mut parser = Parser { input, tokens, pos: 0, clauses: 0, searchable, resource };
        let search = parser.or()?;
        if parser.pos != parser.tokens.len() {
            return Err(invalid(input));
        }
        Ok(search)
    }

    /// Whether the rendered object `item` matches.
    pub(crate) fn matches(&self, item: &Value) -> bool {
        match self {
            Self::And(a, b) => a.matches(item) && b.matches(item),
            Self::Or(a, b) => a.matches(item) || b.matches(item),
            Self::Clause(property, text) => {
                let values: Vec<&str> = match item.get(*property) {
                    Some(Value::String(value)) => vec![value.as_str()],
                    Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                values.into_iter().any(|value| {
                    if TOKENISED.contains(property) {
                        let have = tokens(value);
                        tokens(text).iter().all(|wanted| have.iter().any(|t| t.starts_with(wanted.as_str())))
                    } else {
                        value.to_lowercase().starts_with(&text.to_lowercase())
                    }
                })
            }
        }
    }
}

/// The lower-cased tokens of `text`: runs of letters (split where a lower-case letter meets an
/// upper-case one) and runs of digits; everything else separates.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in text.chars() {
        let boundary = match previous {
            Some(p) => {
                !c.is_alphanumeric()
                    || (p.is_lowercase() && c.is_uppercase())
                    || (p.is_ascii_digit() != c.is_ascii_digit())
            }
            None => false,
        };
        if boundary && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        }
        previous = Some(c);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SEARCHABLE: &[&str] = &["displayName", "description", "appId"];

    fn search(s: &str) -> Result<Search, GraphError> {
        Search::parse(s, SEARCHABLE, "Application")
    }

    #[test]
    fn tokens_split_on_case_digits_and_symbols() {
        assert_eq!(tokens("ContosoWeb-API v2"), ["contoso", "web", "api", "v", "2"]);
        assert_eq!(tokens("orders2Api"), ["orders", "2", "api"]);
    }

    #[test]
    fn clauses_match_tokens_or_prefixes() {
        let item = json!({"displayName": "Contoso Orders API", "description": null, "appId": "AB12"});
        assert!(search("\"displayName:orders\"").unwrap().matches(&item));
        assert!(search("\"displayName:api cont\"").unwrap().matches(&item));
        assert!(!search("\"displayName:rders\"").unwrap().matches(&item));
        assert!(search("\"appId:ab\"").unwrap().matches(&item));
        assert!(search("\"displayName:x\" OR \"appId:ab1\"").unwrap().matches(&item));
        assert!(
            !search("\"displayName:x\" OR (\"appId:ab1\" AND \"description:y\")").unwrap().matches(&item)
        );
        assert!(!search("\"description:x\"").unwrap().matches(&item));
    }

    #[test]
    fn malformed_searches_are_refused() {
        for bad in
            ["displayName:x", "\"displayName:x", "\"displayName:x\" and \"appId:y\"", "\"x\"", "(\"appId:a\""]
        {
            assert_eq!(search(bad), Err(invalid(bad)), "{bad}");
        }
        assert_eq!(
            search("\"notes:x\""),
            Err(GraphError::UnsupportedQuery(
                "Unsupported or invalid query filter clause specified for property 'notes' of resource 'Application'."
                    .into()
            ))
        );
    }
}
