//! Body types: the boxed streaming body the gateway hands around; [`CappedBody`], which streams a
//! request body upstream while counting it and fails the stream (and raises a flag the proxy turns
//! into 413) once it grows past the configured cap; and [`UpstreamBody`], what the upstream client
//! sends: nothing, a body whose framed length is already known to be within the cap (hyper enforces
//! `Content-Length`), or a capped stream. Nothing is buffered.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::{Body, Frame, SizeHint};

/// Any error a body stream can end with.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response the gateway produces, and of requests it forwards.
pub type ProxyBody = UnsyncBoxBody<Bytes, BoxError>;

/// The error a [`CappedBody`] ends with when the cap is exceeded.
#[derive(Debug, thiserror::Error)]
#[error("the request body exceeds the gateway's limit")]
pub(crate) struct BodyTooLarge;

/// The body of a request sent upstream. Only a body of unknown length (chunked) pays for the cap.
pub(crate) enum UpstreamBody {
    /// No body (most `GET`s): nothing is allocated.
    Empty,
    /// A body whose exact length is framed and within the cap.
    Sized(ProxyBody),
    /// A body of unknown length, counted against the cap.
    Capped(CappedBody),
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match self.get_mut() {
            Self::Empty => Poll::Ready(None),
            Self::Sized(body) => Pin::new(body).poll_frame(cx),
            Self::Capped(body) => Pin::new(body).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Self::Empty => true,
            Self::Sized(body) => body.is_end_stream(),
            Self::Capped(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Self::Empty => SizeHint::with_exact(0),
            Self::Sized(body) => body.size_hint(),
            Self::Capped(body) => body.size_hint(),
        }
    }
}

/// A request body that may carry at most `remaining` more bytes.
pub(crate) struct CappedBody {
    inner: ProxyBody,
    remaining: u64,
    tripped: Arc<AtomicBool>,
}

impl CappedBody {
    /// Wraps `inner`; `tripped` is set when the cap is exceeded.
    pub(crate) fn new(inner: ProxyBody, limit: u64, tripped: Arc<AtomicBool>) -> Self {
        Self { inner, remaining: limit, tripped }
    }
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = &mut *self;
        let frame = ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            let len = u64::try_from(data.len()).unwrap_or(u64::MAX);
            if len > this.remaining {
                this.tripped.store(true, Ordering::SeqCst);
                this.remaining = 0;
                return Poll::Ready(Some(Err(Box::new(BodyTooLarge))));
            }
            this.remaining -= len;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full};

    fn boxed(data: &'static [u8]) -> ProxyBody {
        Full::new(Bytes::from_static(data)).map_err(|e| match e {}).boxed_unsync()
    }

    #[tokio::test]
    async fn passes_bodies_up_to_the_cap() {
        let flag = Arc::new(AtomicBool::new(false));
        let body = CappedBody::new(boxed(b"12345"), 5, Arc::clone(&flag));
        assert_eq!(body.collect().await.unwrap().to_bytes(), Bytes::from_static(b"12345"));
        assert!(!flag.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn upstream_bodies() {
        let empty = UpstreamBody::Empty;
        assert!(empty.is_end_stream());
        assert_eq!(empty.size_hint().exact(), Some(0));
        assert!(empty.collect().await.unwrap().to_bytes().is_empty());
        let sized = UpstreamBody::Sized(boxed(b"abc"));
        assert_eq!(sized.size_hint().exact(), Some(3));
        assert_eq!(sized.collect().await.unwrap().to_bytes(), Bytes::from_static(b"abc"));
        let flag = Arc::new(AtomicBool::new(false));
        let capped = UpstreamBody::Capped(CappedBody::new(boxed(b"abcd"), 3, Arc::clone(&flag)));
        assert!(capped.collect().await.is_err());
        assert!(flag.load(Ordering::SeqCst));
    }

    #[tokio::test]
    async fn fails_past_the_cap() {
        let flag = Arc::new(AtomicBool::new(false));
        let body = CappedBody::new(boxed(b"123456"), 5, Arc::clone(&flag));
        let err = body.collect().await.unwrap_err();
        assert_eq!(err.to_string(), "the request body exceeds the gateway's limit");
        assert!(flag.load(Ordering::SeqCst));
    }
}
