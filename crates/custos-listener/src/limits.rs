//! How many connections a listener holds open and how long it waits for each of them.

use std::time::Duration;

/// Connection-level limits of a [`Listener`](crate::Listener).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Open connections at most (at least 1); further clients wait in the kernel's accept queue.
    pub max_connections: usize,
    /// Open connections at most from one client address (an IPv4 address, or an IPv6 /64
    /// prefix); a further connection from that address is closed at once. Behind a proxy every
    /// connection comes from the proxy's address: raise this to `max_connections` there.
    pub max_connections_per_address: usize,
    /// How long a client may take to complete the TLS handshake.
    pub handshake_timeout: Duration,
    /// How long a client may take to send a complete request head: its first request, counted
    /// from the moment the connection (and TLS) is established, on HTTP/1.1 and HTTP/2 alike;
    /// and on HTTP/1.1 every later one too (slowloris).
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no request in flight after its last one,
    /// HTTP/2 PINGs notwithstanding; then it is closed gracefully (GOAWAY on HTTP/2). Checked once
    /// per period, so the close comes between one and two periods after the last response.
    /// (HTTP/1.1 keep-alive connections are closed sooner, after `header_read_timeout`.)
    pub idle_timeout: Duration,
    /// How often an HTTP/2 connection is PINGed to detect a dead peer (`None`: never).
    pub http2_keep_alive_interval: Option<Duration>,
    /// Concurrent HTTP/2 streams per connection.
    pub max_http2_streams: u32,
    /// How long in-flight exchanges may run once their connection (or the server) is closing.
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 4096,
            max_connections_per_address: 256,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            http2_keep_alive_interval: Some(Duration::from_secs(30)),
            max_http2_streams: 128,
            drain_timeout: Duration::from_secs(20),
        }
    }
}
