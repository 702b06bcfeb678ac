//! Request extractors that turn every malformed input into an [`ApiError`] (never axum's plain-text
//! rejections): the JSON body, the query string and GUIDs in the path.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, FailedToBufferBody, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::error::ApiError;

/// The largest request body the API reads (larger bodies get 413).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON body: `application/json` (or `…+json`) required (415), at most [`MAX_BODY_BYTES`] (413),
/// syntax errors, wrong types and unknown fields (the shapes deny them) are 400 with the parser's
/// message under `$`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(request.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok())) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state).await.map_err(|rejection| match rejection {
            // Only the length limit is "too large"; a body that breaks off (a reset connection,
            // bad chunked framing) is unreadable, a 400.
            BytesRejection::FailedToBufferBody(FailedToBufferBody::LengthLimitError(_)) => {
                ApiError::PayloadTooLarge
            }
            _ => ApiError::field("$", "The request body could not be read."),
        })?;
        parse_json(&bytes).map(Self)
    }
}

fn is_json(content_type: Option<&str>) -> bool {
    let Some(value) = content_type else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Parses a JSON object into `T`. The document must be an object (serde would also fill a struct from
/// an array). Messages name the problem; a value the parser quotes is clipped so that a large body is
/// never echoed back.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|error| {
        let message = if error.is_eof() && bytes.iter().all(u8::is_ascii_whitespace) {
            "A non-empty request body is required.".to_owned()
        } else {
            format!("The request body is not valid JSON: {}.", clip(&error.to_string()))
        };
        ApiError::field("$", message)
    })?;
    if !value.is_object() {
        return Err(ApiError::field("$", "The request body must be a JSON object."));
    }
    T::deserialize(value).map_err(|error| {
        ApiError::field("$", format!("The JSON value is not acceptable: {}.", clip(&error.to_string())))
    })
}

/// At most [`MAX_MESSAGE_CHARS`] characters of `text`, with an ellipsis when cut.
fn clip(text: &str) -> String {
    if text.chars().count() <= MAX_MESSAGE_CHARS {
        return text.to_owned();
    }
    let mut clipped: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    clipped.push('…');
    clipped
}

/// The longest parser message quoted in a problem document.
const MAX_MESSAGE_CHARS: usize = 200;

/// A query string deserialized into `T`; a malformed one is a 400 under `$query`.
#[derive(Debug)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(value)| Self(value)).map_err(
            |rejection: QueryRejection| {
                ApiError::field(
                    "$query",
                    format!("The query string is not acceptable: {}", rejection.body_text()),
                )
            },
        )
    }
}

/// The `{orgId}` path segment as a GUID (400 naming `orgId` otherwise).
#[derive(Debug, Clone, Copy)]
pub struct OrgIdPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for OrgIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::field("orgId", "The value of orgId is not a valid GUID."))?;
        guid("orgId", &raw).map(Self)
    }
}

/// A GUID path segment; anything else is a 400 naming the parameter (never echoing the value).
pub fn guid(parameter: &str, raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(raw)
        .map_err(|_| ApiError::field(parameter, format!("The value of {parameter} is not a valid GUID.")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Shape {
        #[allow(dead_code)]
        name: String,
    }

    fn message(error: ApiError) -> String {
        match error {
            ApiError::Validation(errors) => errors["$"][0].clone(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn content_types() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(None));
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(message(parse_json::<Shape>(b"").unwrap_err()), "A non-empty request body is required.");
        assert!(
            message(parse_json::<Shape>(b"{\"name\":").unwrap_err())
                .starts_with("The request body is not valid JSON")
        );
        assert!(
            message(parse_json::<Shape>(br#"{"name":"a","x":1}"#).unwrap_err()).contains("unknown field `x`")
        );
        assert!(
            message(parse_json::<Shape>(br#"{"name":5}"#).unwrap_err()).contains("invalid type: integer")
        );
        assert_eq!(
            message(parse_json::<Shape>(br#"["a"]"#).unwrap_err()),
            "The request body must be a JSON object."
        );
        let long = format!("{{\"{}\":1}}", "x".repeat(5000));
        assert!(message(parse_json::<Shape>(long.as_bytes()).unwrap_err()).chars().count() < 300);
    }

    async fn extract(body: axum::body::Body) -> Result<JsonBody<Shape>, ApiError> {
        let request =
            axum::http::Request::post("/").header(CONTENT_TYPE, "application/json").body(body).unwrap();
        JsonBody::<Shape>::from_request(request, &()).await
    }

    #[tokio::test]
    async fn only_an_over_long_body_is_too_large() {
        use http_body_util::{BodyExt as _, Full, Limited};
        let large = axum::body::Body::from(format!("{{\"name\":\"{}\"}}", "x".repeat(3 << 20)));
        assert!(matches!(extract(large).await, Err(ApiError::PayloadTooLarge)));
        // A body that breaks off while being read (the client's connection reset).
        let broken = Limited::new(Full::new(Bytes::from_static(b"{\"name\":\"ada\"}")), 1)
            .map_err(|_| std::io::Error::other("connection reset"));
        let Err(ApiError::Validation(errors)) = extract(axum::body::Body::new(broken)).await else {
            panic!("a broken body is a 400");
        };
        assert_eq!(errors["$"], ["The request body could not be read."]);
    }

    #[test]
    fn guids() {
        assert!(guid("orgId", "6F9619FF-8B86-D011-B42D-00C04FC964FF").is_ok());
        let ApiError::Validation(errors) = guid("orgId", "<script>").unwrap_err() else { panic!() };
        assert_eq!(errors["orgId"], ["The value of orgId is not a valid GUID."]);
    }
}
