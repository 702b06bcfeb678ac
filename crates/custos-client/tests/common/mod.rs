//! What the integration tests share: serving a router over https on `127.0.0.1:0` (custos'
//! listener, a throw-away CA from `custos_testkit::tls`), a manual clock, and a sleeper that
//! records the waits and moves the clock instead of waiting.

#![allow(dead_code, unreachable_pub)]

use custos_client::Sleeper;
use custos_core::FixedClock;
use custos_listener::Listener;
use custos_testkit::tls::TestTls;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;

/// A bound https listener whose router is given later (the router may need the URL).
pub struct Server {
    listener: Listener,
    /// `https://127.0.0.1:{port}`.
    pub url: String,
    /// The CA the server's certificate chains to.
    pub ca_pem: String,
}

impl Server {
    pub async fn bind() -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let tls = TestTls::localhost();
        let listener =
            Listener::bind("127.0.0.1:0".parse().unwrap(), Some(tls.server_config())).await.unwrap();
        let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
        Self { listener, url, ca_pem: tls.ca_pem }
    }

    /// Serves `router` until the test ends; returns the URL and the CA.
    pub fn serve(self, router: axum::Router) -> (String, String) {
        tokio::spawn(self.listener.serve_tower(router, std::future::pending()));
        (self.url, self.ca_pem)
    }
}

/// A manual clock at `unix`.
pub fn clock_at(unix: i64) -> Arc<FixedClock> {
    Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(unix).unwrap()))
}

/// Records each wait and advances the clock by it, returning at once.
#[derive(Debug)]
pub struct RecordingSleeper {
    pub clock: Arc<FixedClock>,
    pub waits: Mutex<Vec<Duration>>,
}

impl RecordingSleeper {
    pub fn new(clock: Arc<FixedClock>) -> Arc<Self> {
        Arc::new(Self { clock, waits: Mutex::new(Vec::new()) })
    }

    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().unwrap().clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        self.waits.lock().unwrap().push(duration);
        self.clock.advance(time::Duration::try_from(duration).unwrap());
        Box::pin(std::future::ready(()))
    }
}
