//! Where `Audit.AzureActiveDirectory` records come from: the tenant's own custos log, read over
//! HTTP like any Graph client (`/v1.0/auditLogs/directoryAudits` and `/v1.0/auditLogs/signIns`, and
//! with `--include-workload-sign-ins` beta's service-principal and managed-identity sign-ins,
//! filtered on `activityDateTime`/`createdDateTime`, following `@odata.nextLink`) with the
//! sample's own app token for `https://graph.microsoft.com` in that tenant (role
//! `AuditLog.Read.All`), and mapped to the common schema ([`super::mapping`]).
//!
//! The token comes from [`app_token`], the one place the sample asks for a token: custos-client's
//! token manager, with the sample's client id and its secret or certificate (`--client-id`,
//! `--client-secret-file` or `--certificate`), one client for every tenant.

use std::future::Future;
use std::pin::Pin;

use custos_client::{Target, TokenClient};
use serde_json::Value;
use time::OffsetDateTime;

use super::feed::format_listing_time;
use super::mapping;

/// The resource the sample reads the log from.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The most Graph pages read for one window (1000 records a page).
const MAX_PAGES: usize = 100;

/// Why records could not be read (logged; the window is tried again next round).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
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

/// Reads the log through Graph.
#[derive(Debug)]
pub struct GraphSource {
    tokens: TokenClient,
    graph: String,
    workload_sign_ins: bool,
}

/// The one place the sample gets a token: an app token for Graph in `tenant`, from the
/// custos-client token manager (cached per tenant, refreshed ahead of expiry, retried on 429/5xx).
pub async fn app_token(tokens: &TokenClient, tenant: &str) -> Result<String, SourceError> {
    let token = tokens
        .token_for_tenant(tenant, &Target::scope(GRAPH_SCOPE))
        .await
        .map_err(|e| SourceError::Token(e.to_string()))?;
    Ok(token.secret().to_owned())
}

impl GraphSource {
    /// Reads from `graph` (Graph's base URL: custos' public URL) with tokens from `tokens`, over
    /// the token manager's HTTP client (which trusts `--ca`).
    /// With `workload_sign_ins`, service-principal and managed-identity sign-ins are read too
    /// (from beta, which has them) and mapped per §4.6.
    pub fn new(tokens: TokenClient, graph: &str, workload_sign_ins: bool) -> Self {
        Self { tokens, graph: graph.trim_end_matches('/').to_owned(), workload_sign_ins }
    }

    /// Every record of one log collection in the range, following `@odata.nextLink` on Graph's origin.
    async fn collection(
        &self,
        token: &str,
        path: &str,
        field: &str,
        start: OffsetDateTime,
        end: OffsetDateTime,
        extra_filter: &str,
    ) -> Result<Vec<Value>, SourceError> {
        let filter = format!(
            "{field} ge {} and {field} lt {}{extra_filter}",
            format_listing_time(start),
            format_listing_time(end)
        );
        let mut url = reqwest::Url::parse(&format!("{}/{path}", self.graph))
            .map_err(|e| SourceError::Graph(e.to_string()))?;
        url.query_pairs_mut().append_pair("$filter", &filter).append_pair("$top", "1000");
        let mut next = Some(url.to_string());
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let Some(current) = next.take() else { break };
            if !current.starts_with(&format!("{}/", self.graph)) {
                return Err(SourceError::Graph(format!("nextLink leaves Graph's origin: {current}")));
            }
            let http = self.tokens.http_client();
            let response = http
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
            let token = app_token(&self.tokens, tenant).await?;
            let (time, audit) = ("activityDateTime", "v1.0/auditLogs/directoryAudits");
            let audits = self.collection(&token, audit, time, start, end, "").await?;
            let sign_ins =
                self.collection(&token, "v1.0/auditLogs/signIns", "createdDateTime", start, end, "").await?;
            let mut records: Vec<Value> =
                audits.iter().filter_map(|r| mapping::directory_audit(tenant, r)).collect();
            records.extend(sign_ins.iter().filter_map(|r| mapping::sign_in(tenant, r)));
            if self.workload_sign_ins {
                let kinds = " and signInEventTypes/any(t: t eq 'servicePrincipal' or t eq 'managedIdentity')";
                let workload = self
                    .collection(&token, "beta/auditLogs/signIns", "createdDateTime", start, end, kinds)
                    .await?;
                records.extend(workload.iter().filter_map(|r| mapping::workload_sign_in(tenant, r)));
            }
            Ok(records)
        })
    }
}
