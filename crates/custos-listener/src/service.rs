//! The wrapper the listener puts around every connection's service: it hands each request its
//! [`ConnectionInfo`] (a request extension, so handlers know the peer's address), counts it in
//! flight until its response body is finished ([`Activity`]) and adds the security headers
//! ([`add_security_headers`]). The handler's future and body are wrapped in place, without boxing.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::service::Service;
use pin_project_lite::pin_project;

use crate::ConnectionInfo;
use crate::activity::{Activity, InFlight};
use crate::headers::add_security_headers;

/// What a handler or a response body may fail with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A handler the listener can serve: the bounds every serving function shares.
pub trait HttpService<B>:
    Service<Request<Incoming>, Response = Response<B>, Future: Send + 'static, Error: Into<BoxError>>
    + Send
    + 'static
{
}

impl<S, B> HttpService<B> for S
where
    S: Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<BoxError>,
{
}

/// A response body the listener can send.
pub trait ResponseBody: Body<Data: Send, Error: Into<BoxError>> + Send + 'static {}

impl<B> ResponseBody for B
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
}

/// A connection's service, tracked.
#[derive(Debug)]
pub(crate) struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
    connection: ConnectionInfo,
}

impl<S> Tracked<S> {
    pub(crate) fn new(inner: S, activity: Arc<Activity>, connection: ConnectionInfo) -> Self {
        Self { inner, activity, connection }
    }
}

impl<S, R, B> Service<Request<R>> for Tracked<S>
where
    S: Service<Request<R>, Response = Response<B>>,
{
    type Response = Response<TrackedBody<B>>;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn call(&self, mut request: Request<R>) -> Self::Future {
        let in_flight = self.activity.begin();
        request.extensions_mut().insert(self.connection);
        let tls = self.connection.tls;
        TrackedFuture { inner: self.inner.call(request), in_flight: Some(in_flight), tls }
    }
}

pin_project! {
    /// The handler's future; its response gets the security headers and a tracked body.
    pub(crate) struct TrackedFuture<F> {
        #[pin]
        inner: F,
        in_flight: Option<InFlight>,
        tls: bool,
    }
}

impl<F, B, E> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<TrackedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        let in_flight = this.in_flight.take();
        Poll::Ready(result.map(|mut response| {
            add_security_headers(response.headers_mut(), *this.tls);
            response.map(|inner| TrackedBody { inner, _in_flight: in_flight })
        }))
    }
}

pin_project! {
    /// A response body that keeps its request counted in flight until it is dropped.
    pub(crate) struct TrackedBody<B> {
        #[pin]
        inner: B,
        _in_flight: Option<InFlight>,
    }
}

impl<B: Body> Body for TrackedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
