//! Handler tests of the API v2.0 routes without the guard: [`super::api::router`] over an
//! in-memory database, driven with `tower::ServiceExt::oneshot`.

mod bad_input;
mod paging;
mod reads;
mod writes;

use super::api::router;
use super::error::REQUEST_ID;
use super::state::BcState;
use super::test_support::{Fixture, exchange};
use axum::Router;
use axum::body::Body;
use custos_core::FixedClock;
use http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use time::macros::datetime;

/// The environment-form base path.
pub(super) const BASE: &str = "/v2.0/production/api/v2.0";

/// A router over a fresh seeded database.
pub(super) struct Harness {
    pub(super) router: Router,
    pub(super) state: BcState,
    pub(super) clock: Arc<FixedClock>,
    /// The demo company's id.
    pub(super) company: String,
}

/// A response, its body parsed as JSON when it is JSON.
pub(super) struct Reply {
    pub(super) status: StatusCode,
    pub(super) headers: HeaderMap,
    pub(super) json: Value,
    pub(super) text: String,
}

impl Reply {
    /// Asserts BC's error body with `code` and `message` (the correlation id is the `request-id`).
    pub(super) fn assert_error(&self, status: StatusCode, code: &str, message: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        let id = self.headers[REQUEST_ID].to_str().unwrap();
        assert_eq!(self.json["error"]["code"], code, "{}", self.text);
        assert_eq!(
            self.json["error"]["message"],
            format!("{message}  CorrelationId:  {id}."),
            "{}",
            self.text
        );
    }

    /// Asserts a BC error body with `code`, whatever the message.
    pub(super) fn assert_code(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.json["error"]["code"], code, "{}", self.text);
    }
}

impl Harness {
    pub(super) async fn new() -> Self {
        let Fixture { state, clock, company } = Fixture::at(datetime!(2026-01-02 03:04:05.678 UTC)).await;
        Self { router: router().with_state(state.clone()), state, clock, company }
    }

    /// `{BASE}/companies({company})`.
    pub(super) fn company_url(&self) -> String {
        format!("{BASE}/companies({})", self.company)
    }

    pub(super) async fn send(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(uri).header("host", "bc.test");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned()))).unwrap();
        let (status, headers, bytes) = exchange(self.router.clone(), request).await;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, json, text }
    }

    pub(super) async fn get(&self, uri: &str) -> Reply {
        self.send("GET", uri, &[], None).await
    }

    /// POST a JSON body.
    pub(super) async fn post(&self, uri: &str, body: &str) -> Reply {
        self.send("POST", uri, &[("content-type", "application/json")], Some(body)).await
    }

    /// PATCH a JSON body with `If-Match: <tag>`.
    pub(super) async fn patch(&self, uri: &str, tag: &str, body: &str) -> Reply {
        self.send("PATCH", uri, &[("content-type", "application/json"), ("if-match", tag)], Some(body)).await
    }

    /// Rows of a table, and the sum of their versions: any write changes one or the other.
    pub(super) async fn fingerprint(&self, table: &str) -> (i64, i64) {
        sqlx::query_as(&format!("SELECT COUNT(*), COALESCE(SUM(version), 0) FROM {table}"))
            .fetch_one(self.state.db.pool())
            .await
            .unwrap()
    }

    /// The id of the customer numbered `number`.
    pub(super) async fn customer_id(&self, number: &str) -> String {
        sqlx::query_scalar("SELECT id FROM customers WHERE number = ?")
            .bind(number)
            .fetch_one(self.state.db.pool())
            .await
            .unwrap()
    }
}
