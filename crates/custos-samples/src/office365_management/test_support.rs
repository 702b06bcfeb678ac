//! What the Activity API's tests share: the API over a fresh database on a fixed clock, behind
//! real guards that trust the shared test authority (`custos_testkit`), tokens of any tenant, a
//! fake Entra log, and a webhook receiver on 127.0.0.1 whose answer tests switch.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use custos_core::{Clock, FixedClock};
use custos_testkit::authority::{Authority, Shape};
use custos_testkit::ids::NOW;
use serde_json::{Value, json};
use time::OffsetDateTime;
use tower::ServiceExt;

use super::auth::{Guards, Throttle, Trust};
use super::delivery::Delivery;
use super::feed::PublicBase;
use super::graph::{AuditSource, RecordsFuture};
use super::producer::Producer;
use super::routes::{ActivityState, routes};
use super::store::Store;
use super::webhook::WebhookClient;

pub(crate) const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub(crate) const OTHER_TENANT: &str = "0b7e5c2a-1d3f-4e6a-8b9c-2d4e6f8a0b1c";
pub(crate) const BASE: &str = "https://manage.contoso.test";

/// A fake Entra log: every window yields one record per call, stamped with its start.
#[derive(Debug, Default)]
pub(crate) struct FakeLog {
    pub(crate) calls: Mutex<Vec<(String, OffsetDateTime, OffsetDateTime)>>,
}

impl AuditSource for FakeLog {
    fn records<'a>(
        &'a self,
        tenant: &'a str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> RecordsFuture<'a> {
        self.calls.lock().unwrap().push((tenant.to_owned(), start, end));
        let record = json!({"Id": uuid::Uuid::new_v4().to_string(), "OrganizationId": tenant, "RecordType": 15,
            "CreationTime": super::feed::format_record_time(start), "Operation": "UserLoggedIn"});
        Box::pin(async move { Ok(vec![record]) })
    }
}

pub(crate) struct Api {
    pub(crate) router: Router,
    pub(crate) store: Store,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) authority: Authority,
    pub(crate) webhooks: Arc<WebhookClient>,
    pub(crate) log: Arc<FakeLog>,
    pub(crate) dir: tempfile::TempDir,
}

impl Api {
    pub(crate) async fn new() -> Self {
        Self::with_throttle(None).await
    }

    pub(crate) async fn with_throttle(limit: Option<u32>) -> Self {
        let authority = Authority::start(Shape::Custos).await;
        let clock = Arc::new(FixedClock::new(OffsetDateTime::from_unix_timestamp(NOW).unwrap()));
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let webhooks = Arc::new(WebhookClient::new(vec!["127.0.0.1".into()]).unwrap());
        let trust = Trust { authority: authority.base.clone(), ca: None, allow_http_loopback: true };
        let state = ActivityState {
            store: store.clone(),
            clock: clock.clone(),
            guards: Arc::new(Guards::new(trust, clock.clone())),
            webhooks: webhooks.clone(),
            base: PublicBase::new(BASE),
            throttle: limit.map(|l| Arc::new(Throttle::new(l))),
        };
        Self {
            router: routes(state),
            store,
            clock,
            authority,
            webhooks,
            log: Arc::new(FakeLog::default()),
            dir,
        }
    }

    /// An app token of `tenant` for the Activity API with `roles`, issued now on the clock.
    pub(crate) fn token(&self, tenant: &str, roles: &[&str]) -> String {
        let issuer = self.authority.v2_issuer(tenant);
        let now = self.clock.unix();
        self.authority.v2_with(|c| {
            c["iat"] = json!(now - 300);
            c["nbf"] = json!(now - 300);
            c["exp"] = json!(now + 3599);
            c["aud"] = json!("https://manage.office.com");
            c["iss"] = json!(issuer);
            c["tid"] = json!(tenant);
            c["roles"] = json!(roles);
        })
    }

    /// The standard caller: an app of [`TENANT`] with `ActivityFeed.Read`.
    pub(crate) fn reader(&self) -> String {
        self.token(TENANT, &["ActivityFeed.Read", "ServiceHealth.Read"])
    }

    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: &str,
    ) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if !body.is_empty() {
            request = request.header("content-type", "application/json; utf-8");
        }
        let response =
            self.router.clone().oneshot(request.body(Body::from(body.to_owned())).unwrap()).await.unwrap();
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, headers, json)
    }

    /// `{method} /api/v1.0/{TENANT}/activity/feed/{rest}` as the standard caller.
    pub(crate) async fn call(&self, method: &str, rest: &str, body: &str) -> (StatusCode, HeaderMap, Value) {
        let token = self.reader();
        self.send(method, &format!("/api/v1.0/{TENANT}/activity/feed/{rest}"), Some(&token), body).await
    }

    pub(crate) fn producer(&self, generate: Option<f64>) -> Producer {
        Producer {
            store: self.store.clone(),
            clock: self.clock.clone(),
            aad: Some(self.log.clone()),
            generate_per_minute: generate,
            interval: time::Duration::minutes(1),
        }
    }

    /// Produces exactly one `Audit.AzureActiveDirectory` blob: the window of the last two minutes.
    pub(crate) async fn produce_one(&self) {
        let aad = super::feed::ContentType::AzureActiveDirectory;
        let from = super::store::millis(self.now() - time::Duration::minutes(2));
        self.store.set_cursor(TENANT, aad, from).await.unwrap();
        assert_eq!(self.producer(None).run_once().await.unwrap(), 1);
    }

    pub(crate) fn delivery(&self, store: Store) -> Delivery {
        Delivery {
            store,
            clock: self.clock.clone(),
            client: self.webhooks.clone(),
            base: PublicBase::new(BASE),
        }
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }
}

/// An AF error body.
pub(crate) fn af(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// One request the webhook receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

/// A webhook endpoint on 127.0.0.1 that records requests and answers `status`.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub(crate) address: String,
    pub(crate) received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(200));
        let (r, s) = (received.clone(), status.clone());
        let app = Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
            let (r, s) = (r.clone(), s.clone());
            async move {
                let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
                r.lock().unwrap().push(Received { headers, body });
                StatusCode::from_u16(s.load(Ordering::SeqCst)).unwrap()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { address, received, status }
    }

    pub(crate) fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    pub(crate) fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.received.lock().unwrap())
    }
}
