//! Recursive descent from tokens to an [`Expr`], with OData's precedence (`not` binds tightest,
//! then the comparisons, then `and`, then `or`) and hard caps on the text's length, the nesting
//! depth and the number of comparisons, so a hostile filter costs little to refuse.
//!
//! ```text
//! or_expr   = and_expr *( "or" and_expr )
//! and_expr  = unary *( "and" unary )
//! unary     = "not" unary / primary
//! primary   = "(" or_expr ")" / function / comparison
//! function  = ("contains" / "startswith" / "endswith") "(" name "," literal ")"
//! comparison= operand op operand        ; one side a property name, the other a literal
//! ```

use super::ast::{CompareOp, Expr, Literal, StringFunction};
use super::lexer::{Token, TokenKind, syntax_error, tokenize};
use crate::business_central::error::BcError;

/// Longest `$filter` accepted, in characters.
pub(crate) const MAX_FILTER_LENGTH: usize = 2048;
/// Deepest nesting of parentheses and `not` accepted.
pub(crate) const MAX_DEPTH: usize = 16;
/// Most comparisons and function calls in one filter.
pub(crate) const MAX_TERMS: usize = 64;

/// Parses a `$filter` value.
pub(crate) fn parse_filter(text: &str) -> Result<Expr, BcError> {
    if text.chars().count() > MAX_FILTER_LENGTH {
        return Err(BcError::QueryOption(format!(
            "The $filter query option is longer than {MAX_FILTER_LENGTH} characters."
        )));
    }
    let tokens = tokenize(text)?;
    let mut parser = Parser { text, tokens, next: 0, depth: 0, terms: 0 };
    if parser.tokens.is_empty() {
        return Err(BcError::QuerySyntax(format!("Expression expected at position 0 in '{text}'.")));
    }
    let expr = parser.or_expr()?;
    match parser.peek() {
        None => Ok(expr),
        Some(token) => Err(syntax_error(token.position, text)),
    }
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
    terms: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token { kind: TokenKind::Word(w), .. }) if w == word)
    }

    fn bump(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    /// The position for an error at the current token (end of text when none is left).
    fn here(&self) -> usize {
        self.peek().map_or_else(|| self.text.chars().count(), |t| t.position)
    }

    fn error_here(&self) -> BcError {
        match self.peek() {
            Some(token) => syntax_error(token.position, self.text),
            None => BcError::QuerySyntax(format!(
                "Expression expected at position {} in '{}'.",
                self.here(),
                self.text
            )),
        }
    }

    fn expect(&mut self, kind: &TokenKind) -> Result<(), BcError> {
        match self.peek() {
            Some(token) if token.kind == *kind => {
                self.next += 1;
                Ok(())
            }
            _ => Err(self.error_here()),
        }
    }

    fn enter(&mut self) -> Result<(), BcError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(BcError::QueryOption(format!(
                "The $filter query option is nested deeper than {MAX_DEPTH} levels."
            )));
        }
        Ok(())
    }

    fn count_term(&mut self) -> Result<(), BcError> {
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(BcError::QueryOption(format!(
                "The $filter query option has more than {MAX_TERMS} conditions."
            )));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Result<Expr, BcError> {
        let mut left = self.and_expr()?;
        while self.peek_word("or") {
            self.next += 1;
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, BcError> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.next += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, BcError> {
        if self.peek_word("not") {
            self.next += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, BcError> {
        let Some(token) = self.peek().cloned() else { return Err(self.error_here()) };
        match &token.kind {
            TokenKind::Open => {
                self.next += 1;
                self.enter()?;
                let inner = self.or_expr()?;
                self.expect(&TokenKind::Close)?;
                self.depth -= 1;
                Ok(inner)
            }
            TokenKind::Word(word) => {
                if let Some(function) = StringFunction::from_word(word)
                    && matches!(self.tokens.get(self.next + 1), Some(Token { kind: TokenKind::Open, .. }))
                {
                    return self.function(function, token.position);
                }
                self.comparison()
            }
            _ => self.comparison(),
        }
    }

    fn function(&mut self, function: StringFunction, position: usize) -> Result<Expr, BcError> {
        self.count_term()?;
        self.next += 2; // name and "("
        let property = self.property()?;
        self.expect(&TokenKind::Comma)?;
        let value = self.literal()?;
        self.expect(&TokenKind::Close)?;
        Ok(Expr::Function { function, property, value, position })
    }

    fn comparison(&mut self) -> Result<Expr, BcError> {
        self.count_term()?;
        let position = self.here();
        let left = self.operand()?;
        let op = match self.peek() {
            Some(Token { kind: TokenKind::Word(w), .. }) => CompareOp::from_word(w),
            _ => None,
        }
        .ok_or_else(|| self.error_here())?;
        self.next += 1;
        let right = self.operand()?;
        match (left, right) {
            (Operand::Property(property), Operand::Literal(value)) => {
                Ok(Expr::Compare { property, op, value, position })
            }
            (Operand::Literal(value), Operand::Property(property)) => {
                Ok(Expr::Compare { property, op: op.flipped(), value, position })
            }
            _ => Err(BcError::QuerySyntax(format!(
                "A comparison at position {position} in '{}' must compare a property with a literal value.",
                self.text
            ))),
        }
    }

    fn operand(&mut self) -> Result<Operand, BcError> {
        match self.peek().map(|t| &t.kind) {
            Some(TokenKind::Word(w)) if !is_keyword(w) => self.property().map(Operand::Property),
            _ => self.literal().map(Operand::Literal),
        }
    }

    fn property(&mut self) -> Result<String, BcError> {
        match self.peek() {
            Some(Token { kind: TokenKind::Word(w), .. }) if !is_keyword(w) => {
                let name = w.clone();
                self.next += 1;
                Ok(name)
            }
            _ => Err(self.error_here()),
        }
    }

    fn literal(&mut self) -> Result<Literal, BcError> {
        let Some(TokenKind::Literal(literal)) = self.peek().map(|t| &t.kind) else {
            return Err(self.error_here());
        };
        let literal = literal.clone();
        self.bump();
        Ok(literal)
    }
}

enum Operand {
    Property(String),
    Literal(Literal),
}

/// Words that cannot be property names.
fn is_keyword(word: &str) -> bool {
    matches!(word, "and" | "or" | "not") || CompareOp::from_word(word).is_some()
}
