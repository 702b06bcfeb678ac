//! Who may call: bearer tokens are checked by custos-guard, one [`Guard`] per tenant (the API is
//! multi-tenant, a guard trusts one tenant's issuer), chosen by the token's own `tid` so that a
//! valid token of another tenant is told apart from a bad one; then the Activity API's rules
//! (§3.1): the URL's tenant a GUID (AF20013) and equal to `tid` (AF20010), `ActivityFeed.Read` in
//! `roles` or `scp` (AF10001), and the optional per-tenant request budget (AF429).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::response::{IntoResponse, Response};
use custos_core::{Clock, TenantId};
use custos_guard::{Guard, GuardConfigInput, GuardError, ListInput, Principal, bearer_token};
use custos_jose::compact::{self, Jws, Padding};
use http::HeaderMap;

use super::error::AfError;

/// The accepted audiences: the App ID URI and the appId of the Office 365 Management APIs.
pub const AUDIENCES: [&str; 2] = ["https://manage.office.com", "c5393580-f805-4401-95e8-94b7a6ef2fc2"];
/// The permission every operation needs.
pub const READ: &str = "ActivityFeed.Read";
/// Guards kept at most (one per tenant seen); the map starts over when full.
const MAX_GUARDS: usize = 10_000;

/// A refusal: the guard's own (401/403/503 with a challenge, no body) or an AF error.
#[derive(Debug)]
pub enum Reject {
    /// The bearer token itself was refused.
    Guard(GuardError),
    /// The Activity API refused the request.
    Af(AfError),
}

impl From<AfError> for Reject {
    fn from(error: AfError) -> Self {
        Self::Af(error)
    }
}

impl From<GuardError> for Reject {
    fn from(error: GuardError) -> Self {
        Self::Guard(error)
    }
}

impl From<sqlx::Error> for Reject {
    fn from(error: sqlx::Error) -> Self {
        Self::Af(error.into())
    }
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        match self {
            Self::Guard(error) => error.into_response(),
            Self::Af(error) => error.into_response(),
        }
    }
}

/// Where tokens come from and how the guards reach it.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The authority's base URL.
    pub authority: String,
    /// Extra trust anchor for discovery and keys.
    pub ca: Option<PathBuf>,
    /// Plain http to a loopback authority (development and tests).
    pub allow_http_loopback: bool,
}

/// One guard per tenant, made on first use.
#[derive(Debug)]
pub struct Guards {
    trust: Trust,
    clock: Arc<dyn Clock>,
    guards: Mutex<HashMap<TenantId, Arc<Guard>>>,
}

impl Guards {
    /// No guard yet; each is made when a token of its tenant first arrives.
    pub fn new(trust: Trust, clock: Arc<dyn Clock>) -> Self {
        Self { trust, clock, guards: Mutex::new(HashMap::new()) }
    }

    /// The guard trusting `tenant`'s issuer.
    fn guard(&self, tenant: TenantId) -> Result<Arc<Guard>, AfError> {
        let mut guards = self.guards.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(guard) = guards.get(&tenant) {
            return Ok(Arc::clone(guard));
        }
        let input = GuardConfigInput {
            authority: Some(self.trust.authority.clone()),
            ca_file: self.trust.ca.clone(),
            service_auth_audience: Some(ListInput::Items(AUDIENCES.map(str::to_owned).to_vec())),
            service_auth_tenant_id: Some(tenant.to_string()),
            ..GuardConfigInput::default()
        };
        let mut config =
            input.validate().map_err(|e| AfError::Internal(e.to_string()))?.with_user_tokens(true);
        if self.trust.allow_http_loopback {
            config = config.danger_allow_http_loopback();
        }
        let guard = Arc::new(
            Guard::new(config, Arc::clone(&self.clock)).map_err(|e| AfError::Internal(e.to_string()))?,
        );
        if guards.len() >= MAX_GUARDS {
            guards.clear();
        }
        guards.insert(tenant, Arc::clone(&guard));
        Ok(guard)
    }

    /// The caller of a request to `url_tenant`'s feed, or why it is refused.
    pub async fn caller(&self, headers: &HeaderMap, url_tenant: &str) -> Result<Principal, Reject> {
        let tenant: TenantId =
            url_tenant.parse().map_err(|_| AfError::TenantNotGuid(url_tenant.to_owned()))?;
        let token = bearer_token(headers)?;
        let issuer_tenant = unverified_tid(token).unwrap_or(tenant);
        let principal = self.guard(issuer_tenant)?.validate_token(token).await?;
        if principal.tenant_id != tenant {
            return Err(AfError::TenantMismatch {
                url: url_tenant.to_owned(),
                token: principal.tenant_id.to_string(),
            }
            .into());
        }
        if !principal.has_role(READ) && !principal.has_scope(READ) {
            let sent = if principal.roles.is_empty() {
                principal.scopes.join(" ")
            } else {
                principal.roles.join(" ")
            };
            return Err(AfError::PermissionMissing { sent, expected: READ }.into());
        }
        Ok(principal)
    }
}

/// The `tid` a token claims, before any check: only used to pick the guard that then checks it.
fn unverified_tid(token: &str) -> Option<TenantId> {
    let jws = Jws::split(token).ok()?;
    let payload = compact::decode(jws.payload, Padding::Refused).ok()?;
    #[derive(serde::Deserialize)]
    struct Claims {
        tid: Option<String>,
    }
    serde_json::from_slice::<Claims>(&payload).ok()?.tid?.parse().ok()
}

/// The per-tenant request budget (`--throttle-per-minute`): fixed one-minute windows on the clock.
#[derive(Debug)]
pub struct Throttle {
    limit: u32,
    counts: Mutex<HashMap<String, (i64, u32)>>,
}

impl Throttle {
    /// At most `limit` requests a minute per tenant.
    pub fn new(limit: u32) -> Self {
        Self { limit, counts: Mutex::new(HashMap::new()) }
    }

    /// Counts one request of `tenant` at `unix` seconds; AF429 when over the budget.
    pub fn check(
        &self,
        tenant: &str,
        unix: i64,
        method: &'static str,
        publisher: Option<&str>,
    ) -> Result<(), AfError> {
        let minute = unix.div_euclid(60);
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.retain(|_, (m, _)| *m == minute);
        let entry = counts.entry(tenant.to_owned()).or_insert((minute, 0));
        entry.1 = entry.1.saturating_add(1);
        if entry.1 > self.limit {
            let publisher = publisher.unwrap_or("00000000-0000-0000-0000-000000000000").to_owned();
            return Err(AfError::Throttled { method, publisher });
        }
        Ok(())
    }
}
