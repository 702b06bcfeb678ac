//! Reading requests the Graph way: a JSON object body read strictly (malformed JSON, unknown
//! properties and wrongly typed values are told apart, each with Graph's code and a message that
//! names the property), and path parameters whose rejections are Graph errors too.
//!
//! [`JsonBody`] is the one parser of every Graph and admin body. Besides the JSON grammar it
//! refuses, at any depth and before any handler runs (so nothing is written): a member given
//! twice (serde_json would keep the last one silently), and a string or member name holding
//! U+0000 (PostgreSQL cannot store it; SQLite would), each with a 400 naming the property.

use crate::error::GraphError;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use bytes::Bytes;
use http::StatusCode;
use http::request::Parts;
use serde::de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::RefCell;
use std::fmt;

/// Largest request body the directory API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const MALFORMED_JSON: &str = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.";

/// Middleware of every directory route: a body announced (`Content-Length`) larger than
/// [`MAX_BODY_BYTES`] is Graph's 413 before anything else, without reading it. Bodies of
/// unannounced length are capped while [`JsonBody`] reads them (`DefaultBodyLimit`), with the
/// same answer.
pub(crate) async fn refuse_oversized(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let announced = request
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return axum::response::IntoResponse::into_response(GraphError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    next.run(request).await
}

/// A request body that is a JSON object, or empty (`None`).
#[derive(Debug)]
pub(crate) struct JsonBody(pub(crate) Option<JsonObject>);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = GraphError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                GraphError::PayloadTooLarge(MAX_BODY_BYTES)
            } else {
                GraphError::Malformed(MALFORMED_JSON.to_owned())
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(None));
        }
        match parse_strict(&bytes)? {
            Value::Object(map) => Ok(Self(Some(JsonObject { map }))),
            _ => Err(GraphError::Malformed(MALFORMED_JSON.to_owned())),
        }
    }
}

/// What [`Strict`] refused, besides the JSON grammar.
#[derive(Debug)]
enum Refusal {
    /// A member name given twice in one object.
    Duplicate(String),
    /// U+0000 in the value of (or in the name of) this property.
    Nul(String),
}

impl From<Refusal> for GraphError {
    fn from(refusal: Refusal) -> Self {
        Self::BadRequest(match refusal {
            Refusal::Duplicate(name) => format!("Property '{name}' is specified more than once."),
            Refusal::Nul(name) => {
                format!("Invalid value specified for property '{name}': the character U+0000 is not allowed.")
            }
        })
    }
}

/// Parses a JSON document, refusing duplicate members and U+0000 at any depth.
fn parse_strict(bytes: &[u8]) -> Result<Value, GraphError> {
    let refusal = RefCell::new(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict { property: "", refusal: &refusal }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match (parsed, refusal.into_inner()) {
        (_, Some(refusal)) => Err(refusal.into()),
        (Ok(value), None) => Ok(value),
        (Err(_), None) => Err(GraphError::Malformed(MALFORMED_JSON.to_owned())),
    }
}

/// Builds a [`Value`] like serde_json does, but records the first [`Refusal`] and stops there.
/// `property` is the name of the member being read (the enclosing one for array elements).
#[derive(Clone, Copy)]
struct Strict<'a> {
    property: &'a str,
    refusal: &'a RefCell<Option<Refusal>>,
}

impl Strict<'_> {
    fn refuse<E: de::Error>(self, refusal: Refusal) -> Result<Value, E> {
        *self.refusal.borrow_mut() = Some(refusal);
        Err(E::custom("refused"))
    }

    fn string<E: de::Error>(self, text: String) -> Result<Value, E> {
        if text.contains('\0') {
            return self.refuse(Refusal::Nul(self.property.to_owned()));
        }
        Ok(Value::String(text))
    }
}

impl<'de> DeserializeSeed<'de> for Strict<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.string(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.string(v)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            if name.contains('\0') {
                return self.refuse(Refusal::Nul(name));
            }
            if members.contains_key(&name) {
                return self.refuse(Refusal::Duplicate(name));
            }
            let value = map.next_value_seed(Strict { property: &name, refusal: self.refusal })?;
            members.insert(name, value);
        }
        Ok(Value::Object(members))
    }
}

impl JsonBody {
    /// The object; an empty body is malformed where a body is required.
    pub(crate) fn required(self) -> Result<JsonObject, GraphError> {
        self.0.ok_or_else(|| GraphError::Malformed(MALFORMED_JSON.to_owned()))
    }
}

/// A JSON object whose properties are taken out one by one, typed.
#[derive(Debug, Default)]
pub(crate) struct JsonObject {
    map: Map<String, Value>,
}

/// The message for a property whose value has the wrong type or is out of range.
pub(crate) fn invalid_value(property: &str, resource: &str) -> GraphError {
    GraphError::BadRequest(format!(
        "Invalid value specified for property '{property}' of resource '{resource}'."
    ))
}

impl JsonObject {
    /// Refuses any property not in `allowed` (OData annotations such as `@odata.type` are
    /// ignored), naming the first unknown one.
    pub(crate) fn only(self, allowed: &[&str]) -> Result<Self, GraphError> {
        if let Some(unknown) =
            self.map.keys().find(|k| !k.starts_with("@odata.") && !allowed.contains(&k.as_str()))
        {
            return Err(GraphError::BadRequest(format!(
                "Property '{unknown}' does not exist as a declared property or extension property."
            )));
        }
        Ok(self)
    }

    /// The object a JSON value is, or `None` for any other value.
    pub(crate) fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self { map }),
            _ => None,
        }
    }

    /// Whether the object has the property `name`.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Takes `name` as a `T`: `None` when absent, 400 naming it when it does not fit `T`.
    /// For a nullable property use `T = Option<U>`: an explicit `null` is `Some(None)`.
    pub(crate) fn take<T: DeserializeOwned>(
        &mut self,
        name: &str,
        resource: &str,
    ) -> Result<Option<T>, GraphError> {
        match self.map.remove(name) {
            None => Ok(None),
            Some(value) => serde_json::from_value(value).map(Some).map_err(|_| invalid_value(name, resource)),
        }
    }
}

/// Path parameters whose rejection is a Graph `BadRequest` instead of axum's plain text.
#[derive(Debug)]
pub(crate) struct GraphPath<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for GraphPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = GraphError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| Self(value))
            .map_err(|_| GraphError::Malformed("The request URL could not be parsed.".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> JsonObject {
        match v {
            Value::Object(map) => JsonObject { map },
            _ => unreachable!("test objects are objects"),
        }
    }

    #[test]
    fn unknown_properties_are_named_and_annotations_ignored() {
        let o = object(serde_json::json!({"displayName": "a", "@odata.type": "x"}));
        assert!(o.only(&["displayName"]).is_ok());
        let o = object(serde_json::json!({"displayName": "a", "colour": 1}));
        assert_eq!(
            o.only(&["displayName"]).unwrap_err(),
            GraphError::BadRequest(
                "Property 'colour' does not exist as a declared property or extension property.".into()
            )
        );
    }

    #[test]
    fn duplicate_members_are_refused_at_any_depth_naming_them() {
        let refused = |body: &str| parse_strict(body.as_bytes()).unwrap_err();
        assert_eq!(
            refused(r#"{"displayName":"a","displayName":"b"}"#),
            GraphError::BadRequest("Property 'displayName' is specified more than once.".into())
        );
        assert_eq!(
            refused(r#"{"api":{"x":[{"value":1,"value":2}]}}"#),
            GraphError::BadRequest("Property 'value' is specified more than once.".into())
        );
        assert!(parse_strict(br#"{"a":{"v":1},"b":{"v":1}}"#).is_ok(), "same name in sibling objects");
    }

    #[test]
    fn nul_characters_are_refused_naming_the_property() {
        let message = |name: &str| {
            GraphError::BadRequest(format!(
                "Invalid value specified for property '{name}': the character U+0000 is not allowed."
            ))
        };
        assert_eq!(parse_strict(br#"{"displayName":"a\u0000b"}"#).unwrap_err(), message("displayName"));
        assert_eq!(parse_strict(br#"{"uris":["ok","x\u0000"]}"#).unwrap_err(), message("uris"));
        assert_eq!(parse_strict(br#"{"a\u0000":1}"#).unwrap_err(), message("a\0"));
        assert_eq!(
            parse_strict(b"{\"a\":\"\0\"}").unwrap_err(),
            GraphError::Malformed(MALFORMED_JSON.to_owned()),
            "a raw control character is malformed JSON"
        );
    }

    #[test]
    fn strict_parsing_builds_the_same_values_as_serde_json() {
        let text =
            r#"{"s":"é\n","i":-3,"u":18446744073709551615,"f":1.5,"b":true,"n":null,"a":[1,{"k":[]}]}"#;
        assert_eq!(parse_strict(text.as_bytes()).unwrap(), serde_json::from_str::<Value>(text).unwrap());
        assert_eq!(
            parse_strict(b"{} x").unwrap_err(),
            GraphError::Malformed(MALFORMED_JSON.to_owned()),
            "trailing characters"
        );
    }

    #[test]
    fn typed_takes_tell_null_absent_and_wrong_apart() {
        let mut o = object(serde_json::json!({"a": null, "b": 5}));
        assert_eq!(o.take::<Option<String>>("a", "R").unwrap(), Some(None));
        assert_eq!(o.take::<Option<String>>("missing", "R").unwrap(), None);
        assert_eq!(
            o.take::<String>("b", "R").unwrap_err(),
            GraphError::BadRequest("Invalid value specified for property 'b' of resource 'R'.".into())
        );
    }
}
