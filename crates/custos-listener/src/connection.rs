//! One accepted connection, from the TLS handshake to its close: served by hyper-util's auto
//! builder (HTTP/1.1 or HTTP/2, sniffed from the first bytes), and closed gracefully when it sits
//! unused ([`Activity::unused_for`]) or the server shuts down, with a bounded drain.

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::rt::{Read, Write};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::activity::Activity;
use crate::service::{BoxError, HttpService, ResponseBody, Tracked};
use crate::{ConnectionInfo, Limits};

/// The HTTP/1.1 + HTTP/2 server side of every connection, configured from `limits`.
pub(crate) fn http_builder(limits: &Limits) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_http2_streams)
        .keep_alive_interval(limits.http2_keep_alive_interval);
    builder
}

/// What every connection shares with the accept loop.
#[derive(Debug, Clone)]
pub(crate) struct Shared {
    pub(crate) builder: Arc<Builder<TokioExecutor>>,
    pub(crate) limits: Limits,
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
    /// Resolves (with an error) once the server shuts down.
    pub(crate) shutdown: watch::Receiver<()>,
}

impl Shared {
    /// Serves `service` on `stream` until the connection ends.
    pub(crate) async fn run<S, B>(self, stream: TcpStream, peer: SocketAddr, service: S)
    where
        S: HttpService<B>,
        B: ResponseBody,
    {
        let Some(config) = &self.tls else {
            return self.serve(TokioIo::new(stream), peer, service, false).await;
        };
        let handshake = TlsAcceptor::from(Arc::clone(config)).accept(stream);
        match tokio::time::timeout(self.limits.handshake_timeout, handshake).await {
            Ok(Ok(stream)) => self.serve(TokioIo::new(stream), peer, service, true).await,
            Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
            Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
        }
    }

    async fn serve<I, S, B>(mut self, io: I, peer: SocketAddr, service: S, tls: bool)
    where
        I: Read + Write + Unpin + Send + 'static,
        S: HttpService<B>,
        B: ResponseBody,
    {
        let activity = Arc::new(Activity::default());
        let connection = self
            .builder
            .serve_connection(io, Tracked::new(service, Arc::clone(&activity), ConnectionInfo { peer, tls }));
        tokio::pin!(connection);
        let unused = activity.unused_for(self.limits.header_read_timeout, self.limits.idle_timeout);
        tokio::select! {
            result = connection.as_mut() => return log_end(peer, result),
            () = unused => tracing::debug!(%peer, "closing an unused connection"),
            _ = self.shutdown.changed() => {}
        }
        connection.as_mut().graceful_shutdown();
        match tokio::time::timeout(self.limits.drain_timeout, connection).await {
            Ok(result) => log_end(peer, result),
            Err(_) => tracing::debug!(%peer, "connection dropped: it did not close within the drain timeout"),
        }
    }
}

fn log_end(peer: SocketAddr, result: Result<(), BoxError>) {
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}
