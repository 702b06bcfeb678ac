//! Where `Audit.AzureActiveDirectory` records come from: the tenant's own custos log, read over
//! HTTP like any Graph client (`/v1.0/auditLogs/directoryAudits` and `/v1.0/auditLogs/signIns`,
//! filtered on `activityDateTime`/`createdDateTime`, following `@odata.nextLink`) with the
//! sample's own app token for `https://graph.microsoft.com` in that tenant (role
//! `AuditLog.Read.All`), and mapped to the common schema ([`super::mapping`]).
//!
//! The token comes from [`request_token`], the one place the sample asks the authority for a
//! token (client credentials with a secret); tokens are cached per tenant until five minutes
//! before they expire.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use custos_core::{Clock, Secret};
use reqwest::Client;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::feed::format_listing_time;
use super::mapping;

/// The resource the sample reads the log from.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The most Graph pages read for one window (1000 records a page).
const MAX_PAGES: usize = 100;

/// Why records could not be read (logged; the window is tried again next round).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// No credential file for the tenant.
    #[error("no credential for tenant {0} (expected {1})")]
    NoCredential(String, String),
    /// The authority refused or could not be reached.
    #[error("token request failed: {0}")]
    Token(String),
    /// Graph refused or could not be reached.
    #[error("Graph request failed: {0}")]
    Graph(String),
}

/// The future [`AuditSource::records`] returns.
pub type RecordsFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<Value>, SourceError>> + Send + 'a>>;

/// Yields a tenant's `Audit.AzureActiveDirectory` records (common schema) of a time range.
pub trait AuditSource: Send + Sync + std::fmt::Debug {
    /// The records of events in `[start, end)`.
    fn records<'a>(
        &'a self,
        tenant: &'a str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> RecordsFuture<'a>;
}

/// The sample's own credentials: its client id and a directory of client secrets, one file per
/// tenant (`{tenant}.secret`) or one for all (`default.secret`).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The client id the sample authenticates as.
    pub client_id: String,
    /// Where the secret files are.
    pub dir: PathBuf,
}

impl Credentials {
    fn secret(&self, tenant: &str) -> Result<Secret<String>, SourceError> {
        for name in [format!("{tenant}.secret"), "default.secret".to_owned()] {
            if let Ok(text) = std::fs::read_to_string(self.dir.join(&name)) {
                let text = text.trim();
                if !text.is_empty() {
                    return Ok(Secret::new(text.to_owned()));
                }
            }
        }
        Err(SourceError::NoCredential(
            tenant.to_owned(),
            self.dir.join(format!("{tenant}.secret")).display().to_string(),
        ))
    }
}

/// A token and when it stops being used.
#[derive(Debug, Clone)]
struct Cached {
    token: String,
    until: OffsetDateTime,
}

/// Reads the log through Graph.
#[derive(Debug)]
pub struct GraphSource {
    http: Client,
    authority: String,
    graph: String,
    credentials: Credentials,
    clock: Arc<dyn Clock>,
    tokens: Mutex<HashMap<String, Cached>>,
}

/// Client credentials at `{authority}/{tenant}/oauth2/v2.0/token` for `scope`: the access token
/// and its lifetime in seconds.
pub async fn request_token(
    http: &Client,
    authority: &str,
    tenant: &str,
    client_id: &str,
    secret: &Secret<String>,
    scope: &str,
) -> Result<(String, i64), SourceError> {
    let url = format!("{}/{tenant}/oauth2/v2.0/token", authority.trim_end_matches('/'));
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret.expose().as_str()),
        ("scope", scope),
    ];
    let response = http.post(&url).form(&form).send().await.map_err(|e| SourceError::Token(e.to_string()))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|e| SourceError::Token(e.to_string()))?;
    if !status.is_success() {
        let error = body.get("error").and_then(Value::as_str).unwrap_or("unknown");
        return Err(SourceError::Token(format!("HTTP {status}: {error}")));
    }
    let token = body
        .get("access_token")
        .and_then(Value::as_str)
        .ok_or_else(|| SourceError::Token("no access_token".into()))?;
    let lifetime =
        body.get("expires_in").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())).unwrap_or(3599);
    Ok((token.to_owned(), lifetime))
}

impl GraphSource {
    /// Reads from `graph` (Graph's base URL: custos' public URL) with tokens from `authority`.
    pub fn new(
        http: Client,
        authority: &str,
        graph: &str,
        credentials: Credentials,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            http,
            authority: authority.trim_end_matches('/').to_owned(),
            graph: graph.trim_end_matches('/').to_owned(),
            credentials,
            clock,
            tokens: Mutex::new(HashMap::new()),
        }
    }

    async fn token(&self, tenant: &str) -> Result<String, SourceError> {
        let now = self.clock.now();
        if let Some(cached) =
            self.tokens.lock().unwrap_or_else(|e| e.into_inner()).get(tenant).filter(|c| c.until > now)
        {
            return Ok(cached.token.clone());
        }
        let secret = self.credentials.secret(tenant)?;
        let (token, lifetime) = request_token(
            &self.http,
            &self.authority,
            tenant,
            &self.credentials.client_id,
            &secret,
            GRAPH_SCOPE,
        )
        .await?;
        let until = now + Duration::seconds(lifetime) - Duration::minutes(5);
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(tenant.to_owned(), Cached { token: token.clone(), until });
        Ok(token)
    }

    /// Every record of one log collection in the range, following `@odata.nextLink` on Graph's origin.
    async fn collection(
        &self,
        token: &str,
        path: &str,
        field: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> Result<Vec<Value>, SourceError> {
        let filter =
            format!("{field} ge {} and {field} lt {}", format_listing_time(start), format_listing_time(end));
        let mut url = reqwest::Url::parse(&format!("{}/v1.0/{path}", self.graph))
            .map_err(|e| SourceError::Graph(e.to_string()))?;
        url.query_pairs_mut().append_pair("$filter", &filter).append_pair("$top", "1000");
        let mut next = Some(url.to_string());
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(current) = next.take() else { break };
            if !current.starts_with(&format!("{}/", self.graph)) {
                return Err(SourceError::Graph(format!("nextLink leaves Graph's origin: {current}")));
            }
            let response = self
                .http
                .get(&current)
                .bearer_auth(token)
                .send()
                .await
                .map_err(|e| SourceError::Graph(e.to_string()))?;
            let status = response.status();
            if !status.is_success() {
                return Err(SourceError::Graph(format!("{path}: HTTP {status}")));
            }
            let page: Value = response.json().await.map_err(|e| SourceError::Graph(e.to_string()))?;
            out.extend(page.get("value").and_then(Value::as_array).cloned().unwrap_or_default());
            next = page.get("@odata.nextLink").and_then(Value::as_str).map(str::to_owned);
        }
        Ok(out)
    }
}

impl AuditSource for GraphSource {
    fn records<'a>(
        &'a self,
        tenant: &'a str,
        start: OffsetDateTime,
        end: OffsetDateTime,
    ) -> RecordsFuture<'a> {
        Box::pin(async move {
            let token = self.token(tenant).await?;
            let audits =
                self.collection(&token, "auditLogs/directoryAudits", "activityDateTime", start, end).await?;
            let sign_ins =
                self.collection(&token, "auditLogs/signIns", "createdDateTime", start, end).await?;
            let mut records: Vec<Value> =
                audits.iter().filter_map(|r| mapping::directory_audit(tenant, r)).collect();
            records.extend(sign_ins.iter().filter_map(|r| mapping::sign_in(tenant, r)));
            Ok(records)
        })
    }
}
