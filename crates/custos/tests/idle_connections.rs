//! Issue 10, end to end: idle connections no longer take `custos serve` down. Five hundred TLS
//! connections that complete the handshake and send nothing are closed by the server once the
//! header timeout has passed, and meanwhile a fresh client still gets a token.

mod common;

use common::{admin_token, init_and_serve};
use custos_core::{Clock, SystemClock};
use custos_testkit::tls::client_config;
use rustls::pki_types::ServerName;
use std::io::{ErrorKind, Read};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

const IDLE_CONNECTIONS: usize = 500;
const HEADER_TIMEOUT: Duration = Duration::from_secs(2);

#[test]
#[allow(clippy::disallowed_methods)] // a real server's real timeout, measured from outside
fn silent_tls_connections_are_closed_and_tokens_are_still_issued() {
    let (_dir, data, init, server) =
        init_and_serve(&["--header-read-timeout", "2", "--max-connections-per-address", "1000"]);
    let tls = client_config(&std::fs::read(data.join("tls/ca.pem")).unwrap());

    let idle: Vec<_> = (0..IDLE_CONNECTIONS).map(|_| handshaken(&tls, server.port)).collect();

    // Every idle connection is still open (the first was handshaken well within the timeout);
    // a fresh client is served all the same.
    let http = server.client();
    assert!(!admin_token(&http, &server.url(), &init).is_empty());

    for (i, (mut stream, handshaken_at)) in idle.into_iter().enumerate() {
        let deadline = handshaken_at + HEADER_TIMEOUT * 3;
        let wait = deadline.saturating_duration_since(SystemClock.instant()).max(Duration::from_millis(1));
        stream.sock.set_read_timeout(Some(wait)).unwrap();
        let mut byte = [0u8; 1];
        match stream.read(&mut byte) {
            Ok(0) => {}
            Err(e) if matches!(e.kind(), ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset) => {}
            other => panic!(
                "idle connection {i} is still open {:?} after its handshake: {other:?}",
                handshaken_at.elapsed()
            ),
        }
    }
    drop(server);
}

/// A TLS connection to `localhost:port` whose handshake is complete, and when it completed.
fn handshaken(
    config: &Arc<rustls::ClientConfig>,
    port: u16,
) -> (rustls::StreamOwned<rustls::ClientConnection, TcpStream>, Instant) {
    let mut sock = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::clone(config), name).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).unwrap();
    }
    (rustls::StreamOwned::new(conn, sock), SystemClock.instant())
}
