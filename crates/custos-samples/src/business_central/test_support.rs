//! What the sample's handler tests share: a seeded in-memory database on a fixed clock with the
//! demo company ([`Fixture`]), and sending one request through a router ([`exchange`]).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use custos_core::FixedClock;
use http::{HeaderMap, StatusCode};
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt;

use super::apps::Applications;
use super::db::Db;
use super::state::BcState;

/// A fresh seeded database, its state and clock, and the demo company.
pub(crate) struct Fixture {
    /// The sample's state over the database.
    pub(crate) state: BcState,
    /// The clock the database and handlers read.
    pub(crate) clock: Arc<FixedClock>,
    /// The demo company's id.
    pub(crate) company: String,
}

impl Fixture {
    /// A fixture at 2026-11-26 10:00 UTC.
    pub(crate) async fn new() -> Self {
        Self::at(datetime!(2026-11-26 10:00 UTC)).await
    }

    /// A fixture whose clock reads `now`.
    pub(crate) async fn at(now: OffsetDateTime) -> Self {
        let clock = Arc::new(FixedClock::new(now));
        let db = Db::open_in_memory(clock.as_ref()).await.unwrap();
        let company: String = sqlx::query_scalar("SELECT id FROM companies ORDER BY name LIMIT 1")
            .fetch_one(db.pool())
            .await
            .unwrap();
        Self { state: BcState::new(db, clock.clone(), false), clock, company }
    }

    /// The Microsoft Entra Applications card store.
    pub(crate) fn store(&self) -> Applications<'_> {
        Applications::new(self.state.db.pool(), self.clock.as_ref())
    }
}

/// Sends `request` through `router`: the response's status, headers and body.
pub(crate) async fn exchange(router: Router, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
    let response = router.oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap())
}
