//! [`GuardLayer`]: a tower layer for axum or plain hyper services. Requests without a valid token are
//! answered by the guard (401/403/400/503, empty body); accepted requests reach the inner service with
//! the [`Principal`] in their extensions.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower::{Layer, Service};

use crate::guard::Guard;
use crate::policy::Policy;

/// Wraps a service so that only requests with an acceptable bearer token reach it.
#[derive(Debug, Clone)]
pub struct GuardLayer {
    guard: Arc<Guard>,
    policy: Option<Arc<Policy>>,
}

impl GuardLayer {
    /// Enforces `guard` with its configured policy.
    pub fn new(guard: Arc<Guard>) -> Self {
        Self { guard, policy: None }
    }

    /// Enforces `guard` with `policy` instead of the configured one (e.g. per route).
    #[must_use]
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = Some(Arc::new(policy));
        self
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService { inner, guard: Arc::clone(&self.guard), policy: self.policy.clone() }
    }
}

/// The service produced by [`GuardLayer`].
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    inner: S,
    guard: Arc<Guard>,
    policy: Option<Arc<Policy>>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for GuardService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: Default + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The clone that was driven to readiness serves this request (tower's usual pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let guard = Arc::clone(&self.guard);
        let policy = self.policy.clone();
        Box::pin(async move {
            let policy = policy.as_deref().unwrap_or_else(|| guard.config().policy());
            match guard.validate_with(request.headers(), policy).await {
                Ok(principal) => {
                    request.extensions_mut().insert(principal);
                    inner.call(request).await
                }
                Err(error) => Ok(error.to_response()),
            }
        })
    }
}
