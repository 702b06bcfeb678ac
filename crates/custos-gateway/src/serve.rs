//! Serving the gateway on a [`Listener`]: every request goes to [`Gateway::handle`] with the
//! client's address (for `X-Forwarded-For`) and whether the connection is TLS (for
//! `X-Forwarded-Proto`). Connections, TLS, limits, security headers and shutdown are the
//! listener's (`custos-listener`).

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;

use custos_listener::{ConnectionInfo, Listener};
use hyper::body::Incoming;
use hyper::service::service_fn;

use crate::proxy::Gateway;

/// Serves `gateway` on `listener` until `shutdown` resolves, then lets in-flight exchanges finish
/// (bounded by the listener's drain timeout).
pub async fn serve(gateway: Arc<Gateway>, listener: Listener, shutdown: impl Future<Output = ()>) {
    let make_service = move |connection: ConnectionInfo| {
        let gateway = Arc::clone(&gateway);
        service_fn(move |request: hyper::Request<Incoming>| {
            let gateway = Arc::clone(&gateway);
            async move { Ok::<_, Infallible>(gateway.handle(request, connection.peer, connection.tls).await) }
        })
    };
    listener.serve(make_service, shutdown).await;
}
