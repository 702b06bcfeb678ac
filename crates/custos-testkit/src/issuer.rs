//! A local external OpenID Connect issuer for workload identity federation tests: an https server
//! on 127.0.0.1 (certificate from [`crate::tls`]' throw-away CA) serving a discovery document and a
//! key set, whose routes can be swapped for failures (status, redirect, oversized or slow answers),
//! counting the requests each path receives; plus a signer for its tokens.

use crate::tls::TestTls;
use custos_jose::{Jwk, SigningKey};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// What a path answers.
#[derive(Debug, Clone)]
pub enum Answer {
    /// 200 with this JSON body.
    Json(String),
    /// This status, with an optional `Location`.
    Status(u16, Option<String>),
    /// 200 with a body of this many bytes (a JSON string).
    Big(usize),
    /// 200 after this delay.
    Slow(Duration, String),
}

/// The running issuer.
pub struct TestIssuer {
    pub addr: SocketAddr,
    /// `https://127.0.0.1:{port}/tenant-a`.
    pub issuer: String,
    /// The CA certificate the server's certificate chains to.
    pub ca_pem: String,
    pub key: SigningKey,
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

/// A fresh RSA signing key (custos' own key type: RS256, kid = thumbprint); its certificate
/// dates are irrelevant here (only the key is published).
pub fn signing_key() -> SigningKey {
    SigningKey::generate(OffsetDateTime::from_unix_timestamp(crate::ids::NOW).unwrap()).unwrap().0
}

impl TestIssuer {
    pub const DISCOVERY: &'static str = "/tenant-a/.well-known/openid-configuration";
    pub const KEYS: &'static str = "/tenant-a/keys";

    /// Starts the issuer with a discovery document and a key set holding `key`.
    pub async fn start() -> Self {
        let tls = TestTls::localhost();
        let acceptor = TlsAcceptor::from(tls.server_config());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let issuer = format!("https://127.0.0.1:{}/tenant-a", addr.port());
        let routes: Arc<Mutex<HashMap<String, Answer>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        tokio::spawn(serve(listener, acceptor, routes.clone(), hits.clone()));
        let this = Self { addr, issuer, ca_pem: tls.ca_pem, key: signing_key(), routes, hits };
        this.publish(&[&this.key]);
        this.set(
            Self::DISCOVERY,
            Answer::Json(
                json!({"issuer": this.issuer, "jwks_uri": this.url(Self::KEYS), "id_token_signing_alg_values_supported": ["RS256"]})
                    .to_string(),
            ),
        );
        this
    }

    /// `https://127.0.0.1:{port}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.addr.port())
    }

    /// Answers `path` with `answer` from now on.
    pub fn set(&self, path: &str, answer: Answer) {
        self.routes.lock().unwrap().insert(path.to_owned(), answer);
    }

    /// Publishes exactly `keys` in the key set.
    pub fn publish(&self, keys: &[&SigningKey]) {
        let keys: Vec<Value> =
            keys.iter().map(|k| serde_json::to_value(Jwk::from_signing_key(k)).unwrap()).collect();
        self.set(Self::KEYS, Answer::Json(json!({ "keys": keys }).to_string()));
    }

    /// Requests `path` received so far.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }

    /// All requests received so far.
    pub fn total_hits(&self) -> usize {
        self.hits.lock().unwrap().values().sum()
    }

    /// A token signed by this issuer's key with header `kid` = the key's id.
    pub fn token(&self, claims: &Value) -> String {
        sign(&self.key, Some(self.key.kid()), claims)
    }
}

/// `claims` signed RS256 by `key`, with `kid` in the header when given.
pub fn sign(key: &SigningKey, kid: Option<&str>, claims: &Value) -> String {
    let header = match kid {
        Some(kid) => json!({"alg": "RS256", "typ": "JWT", "kid": kid}),
        None => json!({"alg": "RS256", "typ": "JWT"}),
    };
    key.sign_compact(&header, claims).unwrap()
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    routes: Arc<Mutex<HashMap<String, Answer>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
) {
    while let Ok((tcp, _)) = listener.accept().await {
        let (acceptor, routes, hits) = (acceptor.clone(), routes.clone(), hits.clone());
        tokio::spawn(async move {
            let Ok(mut tls) = acceptor.accept(tcp).await else { return };
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                match tls.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head);
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
            *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
            let answer = routes.lock().unwrap().get(&path).cloned();
            let (status, location, body) = match answer {
                None => (404, None, String::new()),
                Some(Answer::Json(body)) => (200, None, body),
                Some(Answer::Status(status, location)) => (status, location, String::new()),
                Some(Answer::Big(len)) => (200, None, format!("\"{}\"", "a".repeat(len.saturating_sub(2)))),
                Some(Answer::Slow(delay, body)) => {
                    tokio::time::sleep(delay).await;
                    (200, None, body)
                }
            };
            let location = location.map(|l| format!("Location: {l}\r\n")).unwrap_or_default();
            let response = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{location}Connection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tls.write_all(response.as_bytes()).await;
            let _ = tls.shutdown().await;
        });
    }
}
