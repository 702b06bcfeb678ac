//! The Activity API's routes at `/api/v1.0/{tenant_id}/activity/feed/` (and `/api/v1/`, which
//! Microsoft's own `NextPageUri` example uses): `subscriptions/start|stop|list|content|notifications`,
//! `audit/{contentId}` and `resources/dlpSensitiveTypes` (§3.2). Every handler first authorizes
//! the caller ([`super::auth`]), then reads its parameters once.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use custos_core::Clock;
use serde_json::{Value, json};

use super::auth::{Guards, Reject, Throttle};
use super::error::AfError;
use super::feed::{
    ContentType, PAGE_SIZE, PageCursor, PublicBase, Window, blob_fields, check_content_id,
    format_listing_time, parse_time,
};
use super::store::subscriptions::{DisabledBy, Subscription, Webhook, WebhookStatus};
use super::store::{Store, from_millis, millis};
use super::webhook::WebhookClient;

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct ActivityState {
    /// The database.
    pub store: Store,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Token checks.
    pub guards: Arc<Guards>,
    /// Webhook validation requests.
    pub webhooks: Arc<WebhookClient>,
    /// The origin of `contentUri` and `NextPageUri`.
    pub base: PublicBase,
    /// The per-tenant budget, when configured.
    pub throttle: Option<Arc<Throttle>>,
}

type Reply = Result<Response, Reject>;

/// The query string's parameters, names matched case-insensitively, first value wins.
struct Query(Vec<(String, String)>);

impl Query {
    fn new(raw: Option<&str>) -> Self {
        Self(form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// The routes, under both `/api/v1.0/` and `/api/v1/`.
pub fn routes(state: ActivityState) -> Router {
    let feed = Router::new()
        .route("/subscriptions/start", post(start))
        .route("/subscriptions/stop", post(stop))
        .route("/subscriptions/list", get(list))
        .route("/subscriptions/content", get(content))
        .route("/subscriptions/notifications", get(notifications))
        .route("/audit/{content_id}", get(blob))
        .route("/resources/dlpSensitiveTypes", get(dlp_sensitive_types));
    Router::new()
        .nest("/api/v1.0/{tenant}/activity/feed", feed.clone())
        .nest("/api/v1/{tenant}/activity/feed", feed)
        .fallback(|| async { StatusCode::NOT_FOUND })
        .with_state(state)
}

impl ActivityState {
    /// Authorizes the caller of `method` on `tenant`'s feed and counts the request.
    async fn admit(
        &self,
        headers: &HeaderMap,
        tenant: &str,
        query: &Query,
        method: &'static str,
    ) -> Result<custos_guard::Principal, Reject> {
        let principal = self.guards.caller(headers, tenant).await?;
        let publisher = query.get("PublisherIdentifier");
        if let Some(publisher) = publisher {
            tracing::debug!(%tenant, publisher, "PublisherIdentifier (accepted, not used)");
        }
        if let Some(throttle) = &self.throttle {
            throttle.check(tenant, self.clock.unix(), method, publisher)?;
        }
        Ok(principal)
    }

    /// The subscription content and notifications are read from: AF20022 when never started or
    /// stopped, AF20023 when an admin disabled it.
    async fn active_subscription(
        &self,
        tenant: &str,
        content_type: ContentType,
    ) -> Result<Subscription, Reject> {
        match self.store.subscription(tenant, content_type).await? {
            Some(s) if s.is_enabled() => Ok(s),
            Some(s) if s.disabled_by == Some(DisabledBy::Admin) => Err(AfError::SubscriptionDisabled.into()),
            _ => Err(AfError::NoSubscription.into()),
        }
    }
}

fn json_reply(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

/// The webhook object of a start request, read once.
struct WebhookRequest {
    address: String,
    auth_id: Option<String>,
    expiration: Option<(String, i64)>,
}

fn webhook_request(body: &[u8], now: time::OffsetDateTime) -> Result<Option<WebhookRequest>, AfError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let invalid = |name| AfError::InvalidParameterType { name, expected: "object" };
    let body: Value = serde_json::from_slice(body).map_err(|_| invalid("body"))?;
    let webhook = match body.get("webhook") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(webhook)) => webhook,
        Some(_) => return Err(invalid("webhook")),
    };
    let string = |name: &'static str| match webhook.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(AfError::InvalidParameterType { name, expected: "string" }),
    };
    let address = string("address")?.filter(|a| !a.is_empty()).ok_or(AfError::MissingParameter("address"))?;
    let auth_id = string("authId")?.filter(|a| !a.is_empty());
    let expiration = match string("expiration")?.filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => {
            let at = parse_time("expiration", &raw)?;
            if at <= now {
                return Err(AfError::ExpirationInPast(raw));
            }
            Some((raw, millis(at)))
        }
    };
    Ok(Some(WebhookRequest { address, auth_id, expiration }))
}

async fn start(
    State(state): State<ActivityState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Reply {
    let query = Query::new(raw.as_deref());
    let principal = state.admit(&headers, &tenant, &query, "StartSubscription").await?;
    let content_type = ContentType::from_query(query.get("contentType"))?;
    let now = state.clock.now();
    let requested = webhook_request(&body, now)?;
    let existing = state.store.subscription(&tenant, content_type).await?;
    if let Some(existing) = existing.as_ref().filter(|s| s.is_enabled()) {
        let same_webhook = match (&existing.webhook, &requested) {
            (None, None) => true,
            (Some(have), Some(want)) => {
                have.status == WebhookStatus::Enabled
                    && have.address == want.address
                    && have.auth_id == want.auth_id
                    && have.expiration == want.expiration.as_ref().map(|(raw, _)| raw.clone())
            }
            _ => false,
        };
        if same_webhook {
            return Err(AfError::AlreadyEnabled.into());
        }
    }
    let webhook = match requested {
        Some(request) => {
            state.webhooks.validate(&request.address, request.auth_id.as_deref()).await?;
            Some(Webhook {
                address: request.address,
                auth_id: request.auth_id,
                expires_ms: request.expiration.as_ref().map(|(_, ms)| *ms),
                expiration: request.expiration.map(|(raw, _)| raw),
                status: WebhookStatus::Enabled,
                failing_since_ms: None,
            })
        }
        None => None,
    };
    let client_id = principal.client_app_id.to_string();
    state.store.start(&tenant, content_type, &client_id, webhook.as_ref(), millis(now)).await?;
    let subscription =
        Subscription { tenant_id: tenant, content_type, disabled_by: None, client_id, webhook };
    Ok(json_reply(StatusCode::OK, &subscription.to_json()))
}

async fn stop(
    State(state): State<ActivityState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let query = Query::new(raw.as_deref());
    state.admit(&headers, &tenant, &query, "StopSubscription").await?;
    let content_type = ContentType::from_query(query.get("contentType"))?;
    state.active_subscription(&tenant, content_type).await?;
    state.store.disable(&tenant, content_type, DisabledBy::Stopped).await?;
    Ok(StatusCode::OK.into_response())
}

async fn list(
    State(state): State<ActivityState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let query = Query::new(raw.as_deref());
    state.admit(&headers, &tenant, &query, "ListSubscriptions").await?;
    let subscriptions = state.store.subscriptions(&tenant).await?;
    Ok(json_reply(StatusCode::OK, &Value::Array(subscriptions.iter().map(Subscription::to_json).collect())))
}

/// The window, the resume point and the content type of a listing request.
struct Listing {
    content_type: ContentType,
    window: Window,
    after: i64,
}

fn listing(query: &Query, now: time::OffsetDateTime) -> Result<Listing, AfError> {
    let content_type = ContentType::from_query(query.get("contentType"))?;
    let window = Window::from_query(query.get("startTime"), query.get("endTime"), now)?;
    let after = query.get("nextPage").map(PageCursor::decode).transpose()?.map_or(0, |c| c.0);
    Ok(Listing { content_type, window, after })
}

/// Rows read one past a page (`PAGE_SIZE + 1`): the page, and the position (sequence, time) of
/// its last row when more follow, where the next page starts.
fn split_page<T>(mut rows: Vec<T>, position: impl Fn(&T) -> (i64, i64)) -> (Vec<T>, Option<(i64, i64)>) {
    let size = usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX);
    let more = rows.len() > size;
    rows.truncate(size);
    let next = if more { rows.last().map(position) } else { None };
    (rows, next)
}

/// A page's response: the items, and `NextPageUri` when more follow.
fn page(
    state: &ActivityState,
    tenant: &str,
    path: &str,
    query: &Query,
    listing: &Listing,
    items: Vec<Value>,
    next: Option<(i64, i64)>,
) -> Response {
    let mut response = json_reply(StatusCode::OK, &Value::Array(items));
    if let Some((seq, at_ms)) = next {
        let mut next_query = form_urlencoded::Serializer::new(String::new());
        next_query.append_pair("contentType", listing.content_type.as_str());
        next_query.append_pair("startTime", &format_listing_time(listing.window.start));
        next_query.append_pair("endTime", &format_listing_time(listing.window.end));
        if let Some(publisher) = query.get("PublisherIdentifier") {
            next_query.append_pair("PublisherIdentifier", publisher);
        }
        next_query.append_pair("nextPage", &PageCursor::encode(from_millis(at_ms), seq));
        let uri = format!("{}?{}", state.base.feed(tenant, path), next_query.finish());
        if let Ok(value) = HeaderValue::from_str(&uri) {
            response.headers_mut().insert("NextPageUri", value);
        }
    }
    response
}

async fn content(
    State(state): State<ActivityState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let query = Query::new(raw.as_deref());
    state.admit(&headers, &tenant, &query, "ListContent").await?;
    let listing = listing(&query, state.clock.now())?;
    state.active_subscription(&tenant, listing.content_type).await?;
    let blobs = state
        .store
        .list_blobs(&tenant, listing.content_type, listing.window, listing.after, PAGE_SIZE + 1)
        .await?;
    let (blobs, next) = split_page(blobs, |b| (b.seq, b.created_ms));
    let items = blobs.iter().map(|b| Value::Object(blob_fields(&state.base, &tenant, b))).collect();
    Ok(page(&state, &tenant, "subscriptions/content", &query, &listing, items, next))
}

async fn notifications(
    State(state): State<ActivityState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let query = Query::new(raw.as_deref());
    state.admit(&headers, &tenant, &query, "ListNotifications").await?;
    let listing = listing(&query, state.clock.now())?;
    state.active_subscription(&tenant, listing.content_type).await?;
    let sent = state
        .store
        .list_notifications(&tenant, listing.content_type, listing.window, listing.after, PAGE_SIZE + 1)
        .await?;
    let (sent, next) = split_page(sent, |s| (s.seq, s.sent_ms));
    let items = sent
        .iter()
        .map(|s| {
            let mut fields = blob_fields(&state.base, &tenant, &s.blob);
            fields.insert(
                "notificationSent".into(),
                Value::String(format_listing_time(from_millis(s.sent_ms))),
            );
            fields
                .insert("notificationStatus".into(), json!(if s.succeeded { "Succeeded" } else { "Failed" }));
            Value::Object(fields)
        })
        .collect();
    Ok(page(&state, &tenant, "subscriptions/notifications", &query, &listing, items, next))
}

async fn blob(
    State(state): State<ActivityState>,
    Path((tenant, content_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let query = Query::new(raw.as_deref());
    state.admit(&headers, &tenant, &query, "GetBlob").await?;
    check_content_id(&content_id)?;
    let (expires_ms, records) = state
        .store
        .blob(&tenant, &content_id)
        .await?
        .ok_or_else(|| AfError::ContentNotFound(content_id.clone()))?;
    if expires_ms <= millis(state.clock.now()) {
        return Err(AfError::ContentExpired(content_id).into());
    }
    let mut response = (StatusCode::OK, records).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    Ok(response)
}

/// `GET resources/dlpSensitiveTypes`: one language at most in `Accept-Language`; the sample knows
/// no sensitive types, so the list is empty.
async fn dlp_sensitive_types(
    State(state): State<ActivityState>,
    Path(tenant): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Reply {
    let query = Query::new(raw.as_deref());
    state.admit(&headers, &tenant, &query, "GetDlpSensitiveTypes").await?;
    if let Some(value) = headers.get(header::ACCEPT_LANGUAGE) {
        let value = value.to_str().map_err(|_| AfError::InvalidLanguage)?.trim();
        if value.contains(',') {
            return Err(AfError::SeveralLanguages.into());
        }
        let tag = value.split(';').next().unwrap_or("").trim();
        let well_formed = !tag.is_empty()
            && tag
                .split('-')
                .all(|part| (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric()));
        if !well_formed && tag != "*" {
            return Err(AfError::InvalidLanguage.into());
        }
    }
    Ok(json_reply(StatusCode::OK, &json!([])))
}
