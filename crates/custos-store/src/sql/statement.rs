//! Statements as the shared implementation writes them: SQL text with `$N` placeholders (read
//! as the N-th argument by both drivers) and typed parameters ([`Param`]) that each dialect binds
//! in its own encoding.
//!
//! A statement also knows whether it binds text containing U+0000. PostgreSQL cannot keep that
//! character in `text` or `jsonb`, so neither backend stores it: such a statement is never sent
//! (a write is refused with [`StoreError::InvalidInput`], a lookup finds nothing).

use crate::{StoreError, StoreResult};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;
use time::OffsetDateTime;
use uuid::Uuid;

/// The text of [`StoreError::InvalidInput`] for text containing U+0000.
pub(crate) const NUL_REFUSED: &str = "text must not contain U+0000 (NUL)";

/// One SQL statement and its parameters, in placeholder order.
pub(crate) struct Statement<'q> {
    sql: Cow<'static, str>,
    params: Vec<Param<'q>>,
    binds_nul: bool,
}

/// A parameter, by what it means; the dialect chooses the column encoding.
pub(crate) enum Param<'q> {
    /// A GUID.
    Id(Uuid),
    /// A GUID or NULL.
    OptId(Option<Uuid>),
    /// Text.
    Text(Cow<'q, str>),
    /// Text or NULL.
    OptText(Option<&'q str>),
    /// An integer.
    Int(i64),
    /// An integer or NULL.
    OptInt(Option<i64>),
    /// A boolean.
    Bool(bool),
    /// A point in time (kept to the microsecond).
    Time(OffsetDateTime),
    /// A point in time or NULL.
    OptTime(Option<OffsetDateTime>),
    /// A JSON document.
    Json(Value),
    /// A JSON document serialised straight from its type (no [`Value`] tree in between: the
    /// sign-in writer's records, thousands a second).
    RawJson(Box<RawValue>),
    /// Bytes.
    Bytes(&'q [u8]),
}

impl<'q> Statement<'q> {
    pub(crate) fn new(sql: impl Into<Cow<'static, str>>) -> Self {
        Self { sql: sql.into(), params: Vec::new(), binds_nul: false }
    }

    pub(crate) fn sql(&self) -> &str {
        &self.sql
    }

    pub(crate) fn params(&self) -> &[Param<'q>] {
        &self.params
    }

    /// Whether a parameter holds text containing U+0000.
    pub(crate) fn binds_nul(&self) -> bool {
        self.binds_nul
    }

    /// Refuses a statement that binds text containing U+0000; to be called before the statement
    /// (or the transaction it belongs to) reaches the database.
    pub(crate) fn check(&self) -> StoreResult<()> {
        if self.binds_nul { Err(StoreError::InvalidInput(NUL_REFUSED)) } else { Ok(()) }
    }

    fn push(mut self, param: Param<'q>, nul: bool) -> Self {
        self.params.push(param);
        self.binds_nul |= nul;
        self
    }

    pub(crate) fn id(self, id: Uuid) -> Self {
        self.push(Param::Id(id), false)
    }

    pub(crate) fn opt_id(self, id: Option<Uuid>) -> Self {
        self.push(Param::OptId(id), false)
    }

    pub(crate) fn text(self, text: impl Into<Cow<'q, str>>) -> Self {
        let text = text.into();
        let nul = has_nul(&text);
        self.push(Param::Text(text), nul)
    }

    pub(crate) fn opt_text(self, text: Option<&'q str>) -> Self {
        self.push(Param::OptText(text), text.is_some_and(has_nul))
    }

    pub(crate) fn int(self, value: i64) -> Self {
        self.push(Param::Int(value), false)
    }

    pub(crate) fn opt_int(self, value: Option<i64>) -> Self {
        self.push(Param::OptInt(value), false)
    }

    pub(crate) fn boolean(self, value: bool) -> Self {
        self.push(Param::Bool(value), false)
    }

    pub(crate) fn time(self, time: OffsetDateTime) -> Self {
        self.push(Param::Time(time), false)
    }

    pub(crate) fn opt_time(self, time: Option<OffsetDateTime>) -> Self {
        self.push(Param::OptTime(time), false)
    }

    pub(crate) fn json(self, document: Value) -> Self {
        let nul = json_has_nul(&document);
        self.push(Param::Json(document), nul)
    }

    pub(crate) fn raw_json(self, document: Box<RawValue>) -> Self {
        let nul = escapes_nul(document.get());
        self.push(Param::RawJson(document), nul)
    }

    pub(crate) fn bytes(self, bytes: &'q [u8]) -> Self {
        self.push(Param::Bytes(bytes), false)
    }
}

/// Refuses the first of `statements` that binds text containing U+0000 ([`Statement::check`]).
pub(crate) fn check_all<'a, 'q: 'a>(
    statements: impl IntoIterator<Item = &'a Statement<'q>>,
) -> StoreResult<()> {
    statements.into_iter().try_for_each(Statement::check)
}

fn has_nul(text: &str) -> bool {
    text.contains('\0')
}

/// Whether serialised JSON `text` holds U+0000 in a string or member name: serde_json writes it
/// as the escape `\u0000` (a backslash the text itself contains is written `\\`, so an escape
/// starts at a backslash only when the backslashes before it are escapes too).
fn escapes_nul(text: &str) -> bool {
    let mut rest = text;
    // Backslashes are rare in a record: jump from one to the next (`find` searches a word at a
    // time); the character after a backslash belongs to its escape, whatever it is.
    while let Some(at) = rest.find('\\') {
        let escape = &rest[at + 1..];
        if escape.starts_with("u0000") {
            return true;
        }
        rest = escape.get(1..).unwrap_or_default();
    }
    false
}

/// Whether a string or member name anywhere in `value` contains U+0000.
fn json_has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => has_nul(text),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(members) => members.iter().any(|(name, item)| has_nul(name) || json_has_nul(item)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_anywhere_in_text_or_json_is_refused() {
        assert!(
            Statement::new("")
                .text("a")
                .opt_text(Some("b"))
                .json(serde_json::json!({"c": ["d"]}))
                .check()
                .is_ok()
        );
        for statement in [
            Statement::new("").text("a\0"),
            Statement::new("").opt_text(Some("\0")),
            Statement::new("").json(serde_json::json!([{"x": "y\u{0}"}])),
            Statement::new("").json(serde_json::json!({"\u{0}": 1})),
        ] {
            assert!(statement.binds_nul());
            assert!(matches!(statement.check(), Err(StoreError::InvalidInput(NUL_REFUSED))));
        }
        assert!(!Statement::new("").bytes(&[0, 0]).int(0).binds_nul());
    }

    #[test]
    fn nul_in_a_serialised_document_is_found_exactly() {
        let raw = |value: serde_json::Value| serde_json::value::to_raw_value(&value).unwrap();
        for value in [json!({"a": "x\u{0}y"}), json!({"\u{0}": 1}), json!(["\\", "\u{0}"])] {
            assert!(Statement::new("").raw_json(raw(value)).binds_nul());
        }
        // The text `\u0000` (backslash, u, four zeros) is not U+0000, nor is U+0001.
        for value in [json!({"a": "\\u0000"}), json!({"a": "\\\\u0000"}), json!(["\u{1}"]), json!({})] {
            assert!(!Statement::new("").raw_json(raw(value.clone())).binds_nul(), "{value}");
        }
    }
}
