//! The request as the API v2.0 and Automation API dispatchers take it ([`Inbound`]): one extractor
//! for both routers, so each dispatcher only maps its path to a handler.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, Uri};
use percent_encoding::percent_decode_str;

use super::error::BcError;

/// Method, original URI, headers and body of a request to one of the sample's APIs. The body stays
/// a `Result` so that each handler answers an unreadable body with its own error.
#[derive(Debug)]
pub(crate) struct Inbound {
    /// The request method.
    pub(crate) method: Method,
    /// The URI as the client sent it (before any nesting).
    pub(crate) uri: Uri,
    /// The request headers.
    pub(crate) headers: HeaderMap,
    /// The request body, or why it could not be read.
    pub(crate) body: Result<Bytes, BytesRejection>,
}

impl Inbound {
    /// BC's 404 for a path no resource answers to.
    pub(crate) fn not_found(&self) -> BcError {
        BcError::NoResource(self.uri.path().to_owned())
    }

    /// `raw_rest` (the part of the path below the API's root) percent-decoded; not UTF-8 → 404.
    pub(crate) fn decode<'a>(&self, raw_rest: &'a str) -> Result<Cow<'a, str>, BcError> {
        percent_decode_str(raw_rest).decode_utf8().map_err(|_| self.not_found())
    }
}

impl<S: Send + Sync> FromRequest<S> for Inbound {
    type Rejection = std::convert::Infallible;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let method = request.method().clone();
        let headers = request.headers().clone();
        let uri = match request.extensions().get::<OriginalUri>() {
            Some(OriginalUri(uri)) => uri.clone(),
            None => request.uri().clone(),
        };
        let body = Bytes::from_request(request, state).await;
        Ok(Self { method, uri, headers, body })
    }
}

/// The body, or BC's 400 `Invalid Request Body` when it could not be read.
pub(crate) fn readable(body: &Result<Bytes, BytesRejection>) -> Result<&[u8], BcError> {
    body.as_deref().map_err(|_| BcError::InvalidBody("Invalid Request Body".to_owned()))
}

/// A handler's outcome as the response: the success, or the error in BC's shape.
pub(crate) fn answer(outcome: Result<Response, BcError>) -> Response {
    outcome.unwrap_or_else(IntoResponse::into_response)
}
