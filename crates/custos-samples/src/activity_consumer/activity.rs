//! The consumer as a client of the Office 365 Management Activity API (`audit-and-activity.md`
//! §3): `subscriptions/start` with the app's webhook, `subscriptions/content` with `NextPageUri`
//! paging, and content blobs, each call with the tenant's app-only token for
//! `https://manage.office.com` from the token manager (`/{tid}/oauth2/token`, v1).
//!
//! A tenant's token is only ever sent to the Activity API's own origin and to that tenant's paths:
//! a `contentUri` or `NextPageUri` elsewhere (a forged notification) is refused, never fetched.

use custos_client::{Target, TokenClient};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::office365_management::feed::format_record_time;

/// The resource the app asks tokens for.
pub const RESOURCE: &str = "https://manage.office.com";
/// The most pages one listing follows.
const MAX_PAGES: usize = 100;
/// The most bytes of one answer.
const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// Why a call to the Activity API gave nothing usable.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token for the tenant.
    #[error("no token for tenant {tenant}: {source}")]
    Token {
        /// The tenant.
        tenant: String,
        /// The token manager's error.
        source: Box<custos_client::Error>,
    },
    /// No answer (connection, TLS, timeout).
    #[error("the Activity API could not be reached: {0}")]
    Transport(String),
    /// An AF error or another non-2xx answer.
    #[error("the Activity API answered {status}: {code} {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The AF code (`AF20021`…), or empty.
        code: String,
        /// Its message.
        message: String,
    },
    /// A 2xx answer that is not what the operation returns.
    #[error("the Activity API's answer is not usable: {0}")]
    Malformed(String),
    /// A `contentUri` or `NextPageUri` outside the Activity API or the tenant.
    #[error("refusing to send the tenant's token to {0}")]
    ForeignUri(String),
}

/// One entry of a content listing (or of a notification).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContentEntry {
    /// Its content type.
    pub content_type: String,
    /// Its id.
    pub content_id: String,
    /// Where to fetch it.
    pub content_uri: String,
}

/// The Activity API for every tenant, with one token manager.
#[derive(Debug, Clone)]
pub struct ActivityApi {
    tokens: TokenClient,
    base: Url,
}

impl ActivityApi {
    /// The API below `base` (its `/api/v1.0/{tid}/activity/feed/` is appended).
    pub fn new(tokens: TokenClient, base: Url) -> Self {
        let mut base = base;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Self { tokens, base }
    }

    /// The token manager (its HTTP client trusts the extra root).
    pub fn tokens(&self) -> &TokenClient {
        &self.tokens
    }

    fn feed_url(&self, tenant: &str, operation: &str) -> Result<Url, ApiError> {
        self.base
            .join(&format!("api/v1.0/{tenant}/activity/feed/{operation}"))
            .map_err(|e| ApiError::Malformed(e.to_string()))
    }

    /// Whether `url` is on the API's origin and in `tenant`'s feed (`/api/v1.0/` or `/api/v1/`).
    pub fn is_tenant_url(&self, tenant: &str, url: &str) -> bool {
        let Ok(url) = Url::parse(url) else { return false };
        let same_origin = url.scheme() == self.base.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.base.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.base.port_or_known_default();
        let path = url.path();
        let Some(rest) = path.strip_prefix(self.base.path()) else { return false };
        let feed = |version: &str| rest.starts_with(&format!("api/{version}/{tenant}/activity/feed/"));
        same_origin && url.username().is_empty() && !path.contains("/../") && (feed("v1.0") || feed("v1"))
    }

    async fn bearer(&self, tenant: &str) -> Result<String, ApiError> {
        let token = self
            .tokens
            .token_for_tenant(tenant, &Target::resource(RESOURCE))
            .await
            .map_err(|source| ApiError::Token { tenant: tenant.to_owned(), source: Box::new(source) })?;
        Ok(format!("Bearer {}", token.secret()))
    }

    /// Sends `request` with `tenant`'s token; a 401 drops that token from the cache, so the next
    /// request gets a new one (the old was revoked, or its keys rotated).
    async fn send(
        &self,
        tenant: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, Vec<u8>), ApiError> {
        let transport = |e: reqwest::Error| ApiError::Transport(e.without_url().to_string());
        let mut response = request.send().await.map_err(transport)?;
        let (status, headers) = (response.status(), response.headers().clone());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ApiError::Malformed("the answer is too large".to_owned()));
            }
            body.extend_from_slice(&chunk);
        }
        if status == StatusCode::UNAUTHORIZED {
            self.tokens.invalidate_for_tenant(tenant, &Target::resource(RESOURCE));
        }
        if !status.is_success() {
            return Err(refusal(status, &body));
        }
        Ok((status, headers, body))
    }

    /// `POST subscriptions/start?contentType=…`, with the webhook when given. A subscription
    /// already enabled with the same webhook (AF20024) counts as started.
    pub async fn start(
        &self,
        tenant: &str,
        content_type: &str,
        webhook: Option<(&str, &str)>,
    ) -> Result<(), ApiError> {
        let mut url = self.feed_url(tenant, "subscriptions/start")?;
        url.query_pairs_mut().append_pair("contentType", content_type);
        let body = match webhook {
            Some((address, auth_id)) => {
                json!({"webhook": {"address": address, "authId": auth_id, "expiration": ""}})
            }
            None => json!({}),
        };
        let request = self
            .tokens
            .http_client()
            .post(url)
            .header("Authorization", self.bearer(tenant).await?)
            .header("Content-Type", "application/json")
            .body(body.to_string());
        match self.send(tenant, request).await {
            Ok(_) => Ok(()),
            Err(ApiError::Refused { code, .. }) if code == "AF20024" => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// `GET subscriptions/content` for `[start, end)`, every page (`NextPageUri`) included.
    pub async fn list_content(
        &self,
        tenant: &str,
        content_type: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<Vec<ContentEntry>, ApiError> {
        let mut url = self.feed_url(tenant, "subscriptions/content")?;
        url.query_pairs_mut()
            .append_pair("contentType", content_type)
            .append_pair("startTime", &format_record_time(start))
            .append_pair("endTime", &format_record_time(end));
        let mut entries = Vec::new();
        for _ in 0..MAX_PAGES {
            let request = self
                .tokens
                .http_client()
                .get(url.clone())
                .header("Authorization", self.bearer(tenant).await?);
            let (_, headers, body) = self.send(tenant, request).await?;
            let page: Vec<ContentEntry> = serde_json::from_slice(&body)
                .map_err(|e| ApiError::Malformed(format!("content listing: {e}")))?;
            entries.extend(page);
            let Some(next) = headers.get("NextPageUri").and_then(|v| v.to_str().ok()) else {
                return Ok(entries);
            };
            if !self.is_tenant_url(tenant, next) {
                return Err(ApiError::ForeignUri(next.to_owned()));
            }
            url = Url::parse(next).map_err(|_| ApiError::ForeignUri(next.to_owned()))?;
        }
        Err(ApiError::Malformed(format!("more than {MAX_PAGES} pages")))
    }

    /// `GET {contentUri}`: the blob's records.
    pub async fn fetch(&self, tenant: &str, content_uri: &str) -> Result<Vec<Value>, ApiError> {
        if !self.is_tenant_url(tenant, content_uri) {
            return Err(ApiError::ForeignUri(content_uri.to_owned()));
        }
        let request =
            self.tokens.http_client().get(content_uri).header("Authorization", self.bearer(tenant).await?);
        let (_, _, body) = self.send(tenant, request).await?;
        serde_json::from_slice(&body).map_err(|e| ApiError::Malformed(format!("content blob: {e}")))
    }
}

/// The AF error of a non-2xx answer (`{"error":{"code","message"}}`), as far as it is one.
fn refusal(status: StatusCode, body: &[u8]) -> ApiError {
    let error = serde_json::from_slice::<Value>(body).ok().and_then(|v| v.get("error").cloned());
    let text = |name: &str| {
        error.as_ref().and_then(|e| e.get(name)).and_then(Value::as_str).unwrap_or_default().to_owned()
    };
    ApiError::Refused { status: status.as_u16(), code: text("code"), message: text("message") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tenants_token_goes_only_to_its_feed_on_the_apis_origin() {
        let tokens = TokenClient::builder(custos_client::Credential::client_secret("app", "s"))
            .authority("https://login.example")
            .tenant("organizations")
            .build()
            .unwrap();
        let api = ActivityApi::new(tokens, Url::parse("https://feed.example:8443/base").unwrap());
        let t = "bbbbbbbb-0000-0000-0000-000000000001";
        for ok in [
            format!("https://feed.example:8443/base/api/v1.0/{t}/activity/feed/audit/a$b$c"),
            format!(
                "https://FEED.example:8443/base/api/v1/{t}/activity/feed/subscriptions/content?nextPage=2"
            ),
        ] {
            assert!(api.is_tenant_url(t, &ok), "{ok}");
        }
        for refused in [
            format!("https://feed.example/base/api/v1.0/{t}/activity/feed/audit/x"),
            format!("http://feed.example:8443/base/api/v1.0/{t}/activity/feed/audit/x"),
            format!("https://attacker.example:8443/base/api/v1.0/{t}/activity/feed/audit/x"),
            format!("https://feed.example:8443/other/api/v1.0/{t}/activity/feed/audit/x"),
            "https://feed.example:8443/base/api/v1.0/cccccccc-0000-0000-0000-000000000002/activity/feed/audit/x"
                .to_owned(),
            format!("https://u:p@feed.example:8443/base/api/v1.0/{t}/activity/feed/audit/x"),
            "not a url".to_owned(),
        ] {
            assert!(!api.is_tenant_url(t, &refused), "{refused}");
        }
    }
}
