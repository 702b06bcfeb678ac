//! [`Listener`]: a bound socket, how to speak on it, and the accept loop that serves it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::Limits;
use crate::connection::{Shared, http_builder};
use crate::per_address::PerAddress;
use crate::service::{BoxError, HttpService, ResponseBody};

/// How long the accept loop backs off after a failed `accept` (out of file descriptors and the
/// like) instead of spinning.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Who is on the other end of a connection, handed to the service factory of
/// [`Listener::serve`] once per connection and to every request as an extension
/// (`request.extensions().get::<ConnectionInfo>()`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The client's address.
    pub peer: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
}

impl ConnectionInfo {
    /// The client as the per-address limits count it: an IPv4 address, an IPv6 address's /64
    /// prefix, an IPv4-mapped IPv6 address as the IPv4 address it maps. Throttles keyed by
    /// address use this key too.
    pub fn client(&self) -> std::net::IpAddr {
        crate::per_address::client_of(self.peer.ip())
    }
}

/// A bound socket, how to speak on it (HTTPS or plain HTTP) and its [`Limits`].
#[derive(Debug)]
pub struct Listener {
    tcp: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    limits: Limits,
}

impl Listener {
    /// Binds `addr` with the default [`Limits`]; with `tls` the listener speaks HTTPS, without it
    /// plain HTTP.
    pub async fn bind(addr: SocketAddr, tls: Option<Arc<rustls::ServerConfig>>) -> std::io::Result<Self> {
        Ok(Self { tcp: TcpListener::bind(addr).await?, tls, limits: Limits::default() })
    }

    /// The same listener with other limits.
    #[must_use]
    pub fn with_limits(self, limits: Limits) -> Self {
        Self { limits, ..self }
    }

    /// The address actually bound (port 0 resolved).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// Serves a cloneable tower service (an axum `Router`, say) until `shutdown` resolves; see
    /// [`Listener::serve`].
    pub async fn serve_tower<T, B>(self, service: T, shutdown: impl Future<Output = ()>)
    where
        T: tower::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        T::Future: Send + 'static,
        T::Error: Into<BoxError>,
        B: ResponseBody,
    {
        self.serve(move |_| TowerToHyperService::new(service.clone()), shutdown).await;
    }

    /// Serves connections until `shutdown` resolves, then stops accepting, asks every
    /// connection to close gracefully and waits (up to [`Limits::drain_timeout`]) for in-flight
    /// exchanges to finish. `make_service` is called once per connection.
    pub async fn serve<M, S, B>(self, mut make_service: M, shutdown: impl Future<Output = ()>)
    where
        M: FnMut(ConnectionInfo) -> S,
        S: HttpService<B>,
        B: ResponseBody,
    {
        let Self { tcp, tls, limits } = self;
        let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        let connections = Arc::new(Semaphore::new(max_connections));
        let per_address = PerAddress::new(limits.max_connections_per_address);
        // Dropping the sender tells every connection that the server is shutting down.
        let (stop, stopped) = watch::channel(());
        let shared = Shared { builder: Arc::new(http_builder(&limits)), limits, tls, shutdown: stopped };
        tokio::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = Arc::clone(&connections).acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = tcp.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let Some(slot) = per_address.admit(peer.ip()) else {
                tracing::debug!(
                    %peer,
                    limit = limits.max_connections_per_address,
                    "connection refused: too many open connections from this address"
                );
                continue;
            };
            let _ = stream.set_nodelay(true);
            let service = make_service(ConnectionInfo { peer, tls: shared.tls.is_some() });
            let connection = shared.clone();
            tokio::spawn(async move {
                let _held = (permit, slot);
                connection.run(stream, peer, service).await;
            });
        }
        drop(tcp);
        drop(stop);
        tracing::info!("shutting down: draining in-flight requests");
        let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
        if tokio::time::timeout(limits.drain_timeout, connections.acquire_many(all)).await.is_err() {
            tracing::warn!("some connections did not finish within {:?}", limits.drain_timeout);
        }
    }
}
