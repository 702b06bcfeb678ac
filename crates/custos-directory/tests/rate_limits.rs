//! Request rates per caller on Graph and the admin API (issue 16): 429 + `Retry-After` and
//! Graph's `TooManyRequests` error once a caller used up its window; other callers, the other
//! API and the next window are not affected.

mod common;

use common::{AssertGraphError, Harness};
use custos_core::throttle::Limit;
use custos_directory::RateLimitConfig;
use http::{StatusCode, header};
use std::time::Duration;

const WINDOW: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_caller_over_its_rate_gets_429_too_many_requests_until_the_window_ends() {
    let h = Harness::with_rate_limits(RateLimitConfig {
        graph: Limit::new(3, WINDOW),
        admin: Limit::new(2, WINDOW),
    })
    .await;
    for _ in 0..3 {
        assert_eq!(h.get("/v1.0/organization", "admin").await.status, StatusCode::OK);
    }
    let refused = h.get("/v1.0/applications", "admin").await;
    let message = refused.error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert_eq!(refused.headers[header::RETRY_AFTER], "10");
    assert_eq!(
        message,
        format!(
            "Too many requests from Identifier:{}+{} under category:custos.directory. Please try again later.",
            h.a.admin_app_id, h.a.tenant.id
        )
    );
    // Another caller (tenant B's admin) and a user of the same application have their own.
    assert_eq!(h.get("/v1.0/organization", "admin-b").await.status, StatusCode::OK);
    h.add_user_token("alice", "6f3c1d2e-0000-4000-8000-00000000a11c", &["User.Read"], &[]);
    assert_ne!(h.get("/v1.0/me", "alice").await.status, StatusCode::TOO_MANY_REQUESTS);
    // The admin API counts separately.
    assert_eq!(h.get("/admin/v1/tenants", "admin").await.status, StatusCode::OK);
    assert_eq!(h.get("/admin/v1/tenants", "admin").await.status, StatusCode::OK);
    let refused = h.get("/admin/v1/tenants", "admin").await;
    refused.error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert_eq!(refused.headers[header::RETRY_AFTER], "10");

    h.clock.advance(time::Duration::seconds(7));
    let refused = h.get("/v1.0/organization", "admin").await;
    assert_eq!(refused.headers[header::RETRY_AFTER], "3");
    h.clock.advance(time::Duration::seconds(3));
    assert_eq!(h.get("/v1.0/organization", "admin").await.status, StatusCode::OK, "a new window");
}

#[tokio::test]
async fn unauthenticated_requests_are_401_not_counted() {
    let h =
        Harness::with_rate_limits(RateLimitConfig { graph: Limit::new(1, WINDOW), admin: Limit::OFF }).await;
    for _ in 0..5 {
        h.get("/v1.0/organization", "forged")
            .await
            .error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken");
    }
    assert_eq!(h.get("/v1.0/organization", "admin").await.status, StatusCode::OK);
    for _ in 0..50 {
        assert_eq!(
            h.get("/admin/v1/tenants", "admin").await.status,
            StatusCode::OK,
            "the admin limit is off"
        );
    }
}
