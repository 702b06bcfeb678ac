//! The app's HTML pages, server-rendered with every value escaped
//! ([`crate::community_training::user_auth::page::escape`]): the onboarding page (`GET /`) and the
//! tenants page (`GET /tenants`: each tenant, its subscriptions and its latest events). No script,
//! no style from elsewhere, not frameable, never cached.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::routes::ConsumerState;
use crate::community_training::user_auth::page::{PAGE_CSP, escape, no_store};
use crate::office365_management::feed::format_listing_time;
use crate::office365_management::store::from_millis;

/// How many events the tenants page shows per tenant.
pub const LATEST: i64 = 20;

/// A page with `status`, an escaped `title` and `body`, which must already be HTML.
pub fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let title = escape(title);
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1>{body}</body></html>\n"
    );
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    no_store(headers);
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /`: the onboarding page.
pub async fn home() -> Response {
    html(
        StatusCode::OK,
        "Office 365 activity",
        "<p>This app collects your organisation's Office 365 audit activity. An administrator of your \
         organisation consents once; the app then reads the activity with its own identity.</p>\
         <p><a href=\"/connect\">Connect your organisation</a></p>\
         <p><a href=\"/tenants\">Connected organisations and their latest events</a></p>",
    )
}

/// `GET /tenants`: every tenant, its subscriptions and its latest events.
pub async fn tenants(State(state): State<Arc<ConsumerState>>) -> Response {
    match render_tenants(&state).await {
        Ok(body) => html(StatusCode::OK, "Connected organisations", &body),
        Err(error) => {
            tracing::error!(%error, "tenant store");
            html(StatusCode::SERVICE_UNAVAILABLE, "Try again", "<p>The tenant store is unavailable.</p>")
        }
    }
}

async fn render_tenants(state: &ConsumerState) -> Result<String, sqlx::Error> {
    let store = &state.retrieval.store;
    let subscriptions = store.subscriptions().await?;
    let mut body = String::new();
    let tenants = store.tenants().await?;
    if tenants.is_empty() {
        body.push_str(
            "<p>No organisation is connected yet. <a href=\"/connect\">Connect your organisation</a></p>",
        );
    }
    for tenant in tenants {
        let count = store.event_count(&tenant.tenant_id).await?;
        let _ = write!(
            body,
            "<section><h2>{}</h2><p>Connected {} by {}; {count} events.</p><ul>",
            escape(&tenant.tenant_id),
            escape(&format_listing_time(from_millis(tenant.onboarded_ms))),
            escape(tenant.admin.as_deref().unwrap_or("an administrator")),
        );
        for s in subscriptions.iter().filter(|s| s.tenant_id == tenant.tenant_id) {
            let detail = s.detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default();
            let _ = write!(
                body,
                "<li>{}: {}{}</li>",
                escape(&s.content_type),
                escape(&s.status),
                escape(&detail)
            );
        }
        body.push_str("</ul><table><thead><tr><th>CreationTime</th><th>Operation</th><th>Content type</th><th>Id</th><th>Delivered by</th></tr></thead><tbody>");
        for event in store.latest_events(&tenant.tenant_id, LATEST).await? {
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(event.creation_time.as_deref().unwrap_or("")),
                escape(event.operation.as_deref().unwrap_or("")),
                escape(&event.content_type),
                escape(&event.record_id),
                escape(&event.source),
            );
        }
        body.push_str("</tbody></table></section>");
    }
    Ok(body)
}
