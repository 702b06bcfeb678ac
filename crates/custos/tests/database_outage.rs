//! Crash drill (issue 16 item 4): the PostgreSQL connection cut in the middle of load. Through a
//! TCP relay the test controls, `custos serve` loses its database for a while: every answer
//! meanwhile is a success or a 503 with `Retry-After`, never another 5xx, and once the database
//! is back the server answers as before without a restart. PostgreSQL only (when
//! `CUSTOS_TEST_POSTGRES_URL` names a database on this machine).

mod common;

use common::{Server, admin_token, init_json, psql, token};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A TCP relay to `upstream` that can be cut (open connections shut, new ones refused).
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Relay {
    fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, open) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::new())));
        let (cut2, open2) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(Result::ok) {
                if cut2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                open2.lock().unwrap().extend([client.try_clone().unwrap(), server.try_clone().unwrap()]);
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server, client);
            }
        });
        Self { port, cut, open }
    }

    /// Shuts every open connection and refuses new ones until [`Relay::restore`].
    fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buffer = [0u8; 16 * 1024];
        while let Ok(n) = from.read(&mut buffer) {
            if n == 0 || to.write_all(&buffer[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

#[test]
#[allow(clippy::disallowed_methods)] // a wall-clock drill against a real server and database
fn a_lost_database_gives_503_or_success_and_the_server_recovers() {
    let Ok(url) = std::env::var("CUSTOS_TEST_POSTGRES_URL") else {
        eprintln!("SKIPPED: database outage drill, CUSTOS_TEST_POSTGRES_URL not set");
        return;
    };
    // postgres://user@host:port/db[?…]: the relay takes the host and port's place.
    let rest = url.split_once("://").unwrap().1;
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let authority = after_user.split(['/', '?']).next().unwrap();
    let upstream: SocketAddr = if authority.contains(':') {
        authority.parse().unwrap()
    } else {
        format!("{authority}:5432").parse().unwrap()
    };
    let relay = Relay::start(upstream);
    let schema = format!("custos_outage_{}", uuid::Uuid::new_v4().simple());
    psql(&url, &format!("CREATE SCHEMA {schema}"));
    let through = url.replacen(authority, &format!("127.0.0.1:{}", relay.port), 1);
    let separator = if through.contains('?') { '&' } else { '?' };
    let database = format!("{through}{separator}options=-c%20search_path%3D{schema}");

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let init = init_json(&data, &["--database-url", &database]);
    let server = Server::start(&data, &["--database-url", &database]);
    let (http, base) = (server.client(), server.url());
    let tenant = init["tenantId"].as_str().unwrap().to_owned();
    let admin = admin_token(&http, &base, &init);
    let (client, secret) =
        (init["adminClientId"].as_str().unwrap(), init["adminClientSecret"].as_str().unwrap());
    let scope = "https://graph.microsoft.com/.default";

    // Requests of both kinds: a token (served from memory) and a Graph read (from the database).
    let round = |statuses: &mut Vec<(u16, bool)>| {
        let (status, _) = token(&http, &base, &tenant, client, secret, scope);
        statuses.push((status, false));
        let reply = http.get(format!("{base}/v1.0/applications?$top=5")).bearer_auth(&admin).send().unwrap();
        let retry_after = reply.headers().contains_key("retry-after");
        statuses.push((reply.status().as_u16(), retry_after));
    };
    let mut before = Vec::new();
    round(&mut before);
    assert!(before.iter().all(|(s, _)| *s == 200), "{before:?}");

    relay.cut();
    let mut during = Vec::new();
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(3) {
        round(&mut during);
    }
    relay.restore();
    for (status, retry_after) in &during {
        assert!(*status == 200 || (*status == 503 && *retry_after), "during the outage: {during:?}");
    }
    assert!(during.iter().any(|(s, _)| *s == 503), "the outage was noticed: {during:?}");

    let start = std::time::Instant::now();
    loop {
        let mut after = Vec::new();
        round(&mut after);
        if after.iter().all(|(s, _)| *s == 200) {
            break;
        }
        assert!(after.iter().all(|(s, r)| *s == 200 || (*s == 503 && *r)), "{after:?}");
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "not recovered 30 s after the database came back: {after:?}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(server);
    psql(&url, &format!("DROP SCHEMA {schema} CASCADE"));
}
