//! [`NoStore`]: the one way a directory or admin response that carries a secret (a client
//! secret's `secretText`, a new tenant's `adminClientSecret`, an endpoint secret) is sent, with
//! `Cache-Control: no-store` so that no cache between the server and the caller keeps it.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, header};

/// A response whose body holds a secret.
#[derive(Debug)]
pub(crate) struct NoStore<T>(pub(crate) T);

impl<T: IntoResponse> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}
