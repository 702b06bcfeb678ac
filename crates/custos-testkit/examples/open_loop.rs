//! An open-loop HTTPS load generator for `bench/overload-bench.sh`: it offers a fixed arrival rate
//! whatever the server's latency, and measures each request's latency from the time it was due to be
//! sent, not from when it was sent, so a slow server cannot slow the load down and hide its queue
//! (no coordinated omission; the wrk2 method).
//!
//! Request `i` is due at `start + i / rate`. Connection `k` of `--connections` sends requests
//! `k, k + C, k + 2C, …` over HTTP/1.1 keep-alive: when a reply is late, that connection's next
//! requests go out late and their latency counts the wait. The load stops at `--duration`; requests
//! still waiting to be sent `--grace` seconds later are counted as `unsent` (their latency is at least
//! the grace time). Every request is `POST` of the next line of `--body-file` as
//! `application/x-www-form-urlencoded`.
//!
//! ```text
//! cargo run --release -p custos-testkit --example open_loop -- \
//!   --url https://127.0.0.1:8443/<tenant>/oauth2/v2.0/token --ca data/tls/ca.pem \
//!   --body-file bodies.txt --rate 4000 --duration 20 --connections 2048
//! ```
//!
//! Prints one line: `OPEN_LOOP key=value …` with the counts (`ok` = 200, `shed` = 503,
//! `shed_retry_after` = 503 with `Retry-After`, `other` statuses, connection `errors`, `unsent`) and
//! the p50/p99/max latency (ms) of the 200 answers and of all answers.

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;

/// The command line.
struct Args {
    host: String,
    port: u16,
    path: String,
    ca: String,
    bodies: Vec<Bytes>,
    rate: f64,
    duration: Duration,
    connections: usize,
    grace: Duration,
}

fn usage() -> ! {
    eprintln!(
        "usage: open_loop --url https://HOST:PORT/PATH --ca CA.pem --body-file FILE --rate PER_SECOND \
         --duration SECONDS --connections N [--grace SECONDS]"
    );
    std::process::exit(2)
}

fn parse_args() -> Args {
    let mut values = std::collections::HashMap::new();
    let mut args = std::env::args().skip(1);
    while let Some(name) = args.next() {
        let Some(value) = args.next() else { usage() };
        values.insert(name, value);
    }
    let get = |name: &str| values.get(name).cloned().unwrap_or_else(|| usage());
    let number = |name: &str| get(name).parse::<f64>().ok().filter(|n| *n > 0.0).unwrap_or_else(|| usage());
    let url = get("--url");
    let rest = url.strip_prefix("https://").unwrap_or_else(|| usage());
    let (authority, path) =
        rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let (host, port) = authority.rsplit_once(':').unwrap_or_else(|| usage());
    let body_file = get("--body-file");
    let text = std::fs::read_to_string(&body_file).unwrap_or_else(|e| panic!("{body_file}: {e}"));
    let bodies: Vec<Bytes> =
        text.lines().filter(|l| !l.is_empty()).map(|l| Bytes::copy_from_slice(l.as_bytes())).collect();
    assert!(!bodies.is_empty(), "{body_file} has no request body");
    Args {
        host: host.to_owned(),
        port: port.parse().unwrap_or_else(|_| usage()),
        path,
        ca: get("--ca"),
        bodies,
        rate: number("--rate"),
        duration: Duration::from_secs_f64(number("--duration")),
        connections: number("--connections") as usize,
        grace: Duration::from_secs_f64(
            values.get("--grace").map_or(5.0, |g| g.parse().unwrap_or_else(|_| usage())),
        ),
    }
}

/// What one connection observed.
#[derive(Default)]
struct Tally {
    ok_us: Vec<u64>,
    all_us: Vec<u64>,
    shed: u64,
    shed_retry_after: u64,
    other: u64,
    errors: u64,
    unsent: u64,
}

impl Tally {
    fn merge(&mut self, other: Self) {
        self.ok_us.extend(other.ok_us);
        self.all_us.extend(other.all_us);
        self.shed += other.shed;
        self.shed_retry_after += other.shed_retry_after;
        self.other += other.other;
        self.errors += other.errors;
        self.unsent += other.unsent;
    }
}

/// The time now: a load generator measures real time (there is no server clock to inject here).
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

async fn connect(args: &Args, tls: &TlsConnector) -> std::io::Result<SendRequest<Full<Bytes>>> {
    let tcp = TcpStream::connect((args.host.as_str(), args.port)).await?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from(args.host.clone()).map_err(std::io::Error::other)?;
    let stream = tls.connect(name, tcp).await?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(std::io::Error::other)?;
    tokio::spawn(connection);
    Ok(sender)
}

/// Sends connection `k`'s share of the schedule; reconnects after an error.
async fn run_connection(
    k: usize,
    args: Arc<Args>,
    tls: TlsConnector,
    mut sender: Option<SendRequest<Full<Bytes>>>,
    start: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let period = Duration::from_secs_f64(1.0 / args.rate);
    let end = start + args.duration;
    let give_up = end + args.grace;
    let authority = format!("{}:{}", args.host, args.port);
    let mut i = k;
    loop {
        let due = start + period.mul_f64(i as f64);
        if due >= end {
            break;
        }
        if now() >= give_up {
            // Everything still due on this connection was never sent.
            let left = (args.duration.as_secs_f64() * args.rate) as usize;
            tally.unsent += left.saturating_sub(i).div_ceil(args.connections) as u64;
            break;
        }
        tokio::time::sleep_until(due).await;
        let mut send = match sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => match connect(&args, &tls).await {
                Ok(s) => s,
                Err(_) => {
                    tally.errors += 1;
                    i += args.connections;
                    continue;
                }
            },
        };
        let request = hyper::Request::post(&args.path)
            .header(hyper::header::HOST, &authority)
            .header(hyper::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(args.bodies[i % args.bodies.len()].clone()))
            .expect("a valid request");
        let outcome = match send.send_request(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response.headers().contains_key(hyper::header::RETRY_AFTER);
                match response.into_body().collect().await {
                    Ok(_) => Some((status, retry_after)),
                    Err(_) => None,
                }
            }
            Err(_) => None,
        };
        let latency = u64::try_from(now().saturating_duration_since(due).as_micros()).unwrap_or(u64::MAX);
        match outcome {
            Some((status, retry_after)) => {
                tally.all_us.push(latency);
                match status {
                    200 => tally.ok_us.push(latency),
                    503 => {
                        tally.shed += 1;
                        tally.shed_retry_after += u64::from(retry_after);
                    }
                    _ => tally.other += 1,
                }
                sender = Some(send);
            }
            None => tally.errors += 1,
        }
        i += args.connections;
    }
    tally
}

/// The `p`-th percentile of sorted `values`, in milliseconds.
fn percentile_ms(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1] as f64 / 1000.0
}

fn main() {
    let args = Arc::new(parse_args());
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    let tally = runtime.block_on(async {
        let pem = std::fs::read(&args.ca).unwrap_or_else(|e| panic!("{}: {e}", args.ca));
        let tls = TlsConnector::from(custos_testkit::tls::client_config(&pem));
        // All connections are open before the clock starts, 64 handshakes at a time.
        let mut senders = Vec::with_capacity(args.connections);
        while senders.len() < args.connections {
            let mut batch = tokio::task::JoinSet::new();
            for _ in 0..(args.connections - senders.len()).min(64) {
                let (args, tls) = (Arc::clone(&args), tls.clone());
                batch.spawn(async move { connect(&args, &tls).await });
            }
            for sender in batch.join_all().await {
                senders.push(Some(sender.unwrap_or_else(|e| panic!("cannot connect: {e}"))));
            }
        }
        let start = now() + Duration::from_millis(100);
        let tasks: Vec<_> = senders
            .into_iter()
            .enumerate()
            .map(|(k, sender)| tokio::spawn(run_connection(k, Arc::clone(&args), tls.clone(), sender, start)))
            .collect();
        let mut total = Tally::default();
        for task in tasks {
            total.merge(task.await.expect("a connection task"));
        }
        total
    });
    let Tally { mut ok_us, mut all_us, shed, shed_retry_after, other, errors, unsent } = tally;
    ok_us.sort_unstable();
    all_us.sort_unstable();
    let seconds = args.duration.as_secs_f64();
    println!(
        "OPEN_LOOP offered_rate={:.0} duration_s={seconds:.1} connections={} answered={} ok={} ok_rate={:.0} \
         ok_p50_ms={:.2} ok_p99_ms={:.2} ok_max_ms={:.2} all_p50_ms={:.2} all_p99_ms={:.2} shed={shed} \
         shed_retry_after={shed_retry_after} other={other} errors={errors} unsent={unsent}",
        args.rate,
        args.connections,
        all_us.len(),
        ok_us.len(),
        ok_us.len() as f64 / seconds,
        percentile_ms(&ok_us, 50.0),
        percentile_ms(&ok_us, 99.0),
        percentile_ms(&ok_us, 100.0),
        percentile_ms(&all_us, 50.0),
        percentile_ms(&all_us, 99.0),
    );
}
