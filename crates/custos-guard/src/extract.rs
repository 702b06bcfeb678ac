//! The axum extractor: a handler that takes a [`Principal`] gets the caller validated by [`GuardLayer`]
//! (from the request extensions) or, without the layer, by an `Arc<Guard>` installed as an
//! `axum::Extension`. With neither, the request fails closed with 500.
//!
//! [`GuardLayer`]: crate::GuardLayer

use std::sync::Arc;

use axum::extract::FromRequestParts;
use http::request::Parts;

use crate::error::GuardError;
use crate::guard::Guard;
use crate::principal::Principal;

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = GuardError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(principal) = parts.extensions.get::<Self>() {
            return Ok(principal.clone());
        }
        let Some(guard) = parts.extensions.get::<Arc<Guard>>().cloned() else {
            tracing::error!(
                "a handler extracts Principal but no GuardLayer or Arc<Guard> extension is installed"
            );
            return Err(GuardError::NotInstalled);
        };
        let principal = guard.validate(&parts.headers).await?;
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}
