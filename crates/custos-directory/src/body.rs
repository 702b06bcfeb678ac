//! Reading requests the Graph way: a JSON object body read strictly (malformed JSON, unknown
//! properties and wrongly typed values are told apart, each with Graph's code and a message that
//! names the property), and path parameters whose rejections are Graph errors too.

use crate::error::GraphError;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use bytes::Bytes;
use http::StatusCode;
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Largest request body the directory API reads.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

const MALFORMED_JSON: &str = "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.";

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
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(Some(JsonObject { map }))),
            _ => Err(GraphError::Malformed(MALFORMED_JSON.to_owned())),
        }
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
