//! Putting the token on outgoing requests: [`TokenClient::authorize`] for a `reqwest`
//! request builder, and [`BearerLayer`], a tower layer for `http::Request` clients (hyper, tower
//! services, axum proxies).

use crate::client::TokenClient;
use crate::error::Error;
use crate::token::Target;
use http::Request;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

impl TokenClient {
    /// Adds `Authorization: Bearer <token for target>` to `request`.
    ///
    /// ```no_run
    /// # async fn run(tokens: custos_client::TokenClient) -> Result<(), Box<dyn std::error::Error>> {
    /// use custos_client::Target;
    /// let graph = Target::scope("https://graph.microsoft.com/.default");
    /// let request = tokens.http_client().get("https://graph.microsoft.com/v1.0/applications");
    /// let response = tokens.authorize(request, &graph).await?.send().await?;
    /// # let _ = response; Ok(()) }
    /// ```
    pub async fn authorize(
        &self,
        request: reqwest::RequestBuilder,
        target: &Target,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let token = self.token(target).await?;
        let value = token.header_value().map_err(|_| Error::Malformed {
            url: self.authority().to_owned(),
            status: 200,
            detail: "the access token is not a valid header value".to_owned(),
        })?;
        Ok(request.header(http::header::AUTHORIZATION, value))
    }

    /// A tower layer adding a bearer token for `target` to every request.
    pub fn layer(&self, target: Target) -> BearerLayer {
        BearerLayer { tokens: self.clone(), target }
    }
}

/// Adds `Authorization: Bearer …` (a token for one [`Target`]) to every request of the wrapped
/// service. When no token can be had, the call fails with [`BearerError::Token`] and the inner
/// service is not called.
#[derive(Debug, Clone)]
pub struct BearerLayer {
    tokens: TokenClient,
    target: Target,
}

impl BearerLayer {
    /// A layer adding tokens from `tokens` for `target`.
    pub fn new(tokens: TokenClient, target: Target) -> Self {
        Self { tokens, target }
    }
}

impl<S> Layer<S> for BearerLayer {
    type Service = BearerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        BearerService { inner, tokens: self.tokens.clone(), target: self.target.clone() }
    }
}

/// The service produced by [`BearerLayer`].
#[derive(Debug, Clone)]
pub struct BearerService<S> {
    inner: S,
    tokens: TokenClient,
    target: Target,
}

/// The error of a [`BearerService`]: no token, or the inner service's error.
#[derive(Debug, thiserror::Error)]
pub enum BearerError<E> {
    /// No token could be obtained.
    #[error("no access token: {0}")]
    Token(#[source] Error),
    /// The inner service failed.
    #[error(transparent)]
    Inner(E),
}

impl<S, B> Service<Request<B>> for BearerService<S>
where
    S: Service<Request<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = BearerError<S::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(BearerError::Inner)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone that was driven to readiness serves this request (tower's usual pattern).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let tokens = self.tokens.clone();
        let target = self.target.clone();
        Box::pin(async move {
            let token = tokens.token(&target).await.map_err(BearerError::Token)?;
            let value = token.header_value().map_err(|_| {
                BearerError::Token(Error::Malformed {
                    url: tokens.authority().to_owned(),
                    status: 200,
                    detail: "the access token is not a valid header value".to_owned(),
                })
            })?;
            request.headers_mut().insert(http::header::AUTHORIZATION, value);
            inner.call(request).await.map_err(BearerError::Inner)
        })
    }
}
