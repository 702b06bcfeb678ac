//! The custos authority: Entra-compatible token issuance (client credentials, and for signed-in
//! users the authorization-code, refresh-token and test-only password grants), client
//! authentication, discovery documents and signing keys.
//!
//! This crate owns the token endpoints' behaviour end to end: strict parsing of the request at
//! the edge ([`form`]), the client-credentials grant (`issue`), the user flows (`user_flow`, with
//! their claims in `user_claims`), certificate client authentication (`assertion`),
//! workload identity federation with external issuers (`federation`), the exact claims (`claims`), the wire
//! responses and errors (`response`), discovery and key sets (`discovery`, `routes`), the
//! signing keys at run time and their rotation ([`keys`]), the sign-in record of every token decision (`sign_ins`), the managed-identity protocols,
//! development endpoints and endpoint secrets ([`managed_identity`]), throttling of failed client
//! authentication per client id and per address ([`throttle`]), load shedding in front of token
//! issuance ([`admission`]) and token metrics ([`metrics`]). It depends on `custos-core`, `custos-jose` and `custos-store`; it knows nothing
//! of the directory API or of how the server listens, and serves no admin routes (the directory
//! API serves them all, reaching the key manager and endpoint secrets through the server).

pub mod admission;
mod assertion;
mod basic;
mod claims;
mod discovery;
mod federation;
pub mod form;
mod issue;
pub mod keys;
pub mod managed_identity;
pub mod metrics;
mod response;
mod routes;
mod sign_ins;
#[cfg(feature = "testing")]
pub mod testing;
pub mod throttle;
mod user_claims;
mod user_flow;

pub use admission::AdmissionConfig;
pub use federation::{CacheOptions, FederationConfig, FederationError};
pub use issue::{Endpoint, ISSUED_AT_SKEW_SECS};
pub use keys::{KeyError, KeyInfo, KeyManager, KeyPolicy};
pub use metrics::TokenMetrics;
pub use throttle::ThrottleConfig;

use custos_core::model::TokenVersion;
use custos_core::origins::Origins;
use custos_core::{AppId, Clock, ObjectId, TenantId};
use custos_jose::secret::SecretHasher;
use custos_jose::{Expected, IssuerRule, VerifyError};
use custos_store::{Directory, SignInLog};
use std::sync::Arc;

/// Default `expires_in` of issued tokens, in seconds (Entra's typical value).
pub const DEFAULT_TOKEN_LIFETIME_SECS: i64 = 3599;

/// Default `expires_in` of tokens issued to managed identities, in seconds (Entra's ≈ 24 h).
pub const DEFAULT_MI_TOKEN_LIFETIME_SECS: i64 = 86_399;

/// Settings of the authority.
#[derive(Debug, Clone)]
pub struct AuthorityConfig {
    /// Where the server answers: normally every origin is the external base URL (e.g.
    /// `https://localhost:8443`); with Entra host names Microsoft's own.
    pub origins: Origins,
    /// `expires_in` of issued tokens, in seconds.
    pub token_lifetime_secs: i64,
    /// `expires_in` of tokens issued to a client whose service principal is a managed
    /// identity, in seconds.
    pub mi_token_lifetime_secs: i64,
    /// Whether the server answers the managed-identity protocols itself (`GET /msi/token`,
    /// `GET /metadata/identity/oauth2/token`) for identities with an endpoint secret. Off by
    /// default: a development convenience ([`managed_identity`]).
    pub managed_identity_endpoints: bool,
    /// Throttling of failed client authentication ([`throttle`]).
    pub throttle: ThrottleConfig,
    /// Load shedding in front of token issuance ([`admission`]).
    pub admission: AdmissionConfig,
}

impl AuthorityConfig {
    /// Settings with the default token lifetimes, every origin at `public_url` (a trailing
    /// slash is dropped).
    pub fn new(public_url: impl Into<String>) -> Self {
        Self::for_origins(Origins::single(&public_url.into()))
    }

    /// Settings with the default token lifetimes for `origins`.
    pub fn for_origins(origins: Origins) -> Self {
        Self {
            origins,
            token_lifetime_secs: DEFAULT_TOKEN_LIFETIME_SECS,
            mi_token_lifetime_secs: DEFAULT_MI_TOKEN_LIFETIME_SECS,
            managed_identity_endpoints: false,
            throttle: ThrottleConfig::default(),
            admission: AdmissionConfig::default(),
        }
    }
}

/// An authenticated caller of the directory API, from an access token this server issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCaller {
    /// `tid`.
    pub tenant_id: TenantId,
    /// `appid` (v1) or `azp` (v2).
    pub app_id: AppId,
    /// `oid`: the client service principal, or the user for a delegated token.
    pub object_id: ObjectId,
    /// `roles`.
    pub roles: Vec<String>,
    /// `scp`, split: the delegated permissions of a user token; `None` for an app token.
    pub scopes: Option<Vec<String>>,
    /// `aud`, as issued (the resource as requested for v1 tokens, its appId for v2).
    pub aud: String,
    /// Token format.
    pub version: TokenVersion,
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallerError {
    /// Signature, lifetime, issuer or format check failed.
    #[error(transparent)]
    Token(#[from] VerifyError),
    /// The token belongs to another tenant than the one addressed.
    #[error("the token was issued for another tenant")]
    WrongTenant,
    /// The token names no client application.
    #[error("the token carries no client id")]
    NoClientId,
}

/// The authority: configuration plus everything a token request needs.
#[derive(Debug)]
pub struct Authority {
    config: AuthorityConfig,
    directory: Arc<Directory>,
    hasher: SecretHasher,
    keys: KeyManager,
    clock: Arc<dyn Clock>,
    metrics: TokenMetrics,
    assertions: assertion::ClientAssertions,
    federation: federation::Federation,
    sign_ins: SignInLog,
    throttle: throttle::ClientThrottle,
    admission: admission::Admission,
}

impl Authority {
    /// Assembles the authority.
    pub fn new(
        config: AuthorityConfig,
        directory: Arc<Directory>,
        hasher: SecretHasher,
        keys: KeyManager,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let assertions = assertion::ClientAssertions::new(Arc::clone(directory.store()), Arc::clone(&clock));
        let federation = federation::Federation::with_defaults(Arc::clone(&clock));
        let throttle = throttle::ClientThrottle::new(config.throttle);
        let admission = admission::Admission::new(config.admission, Arc::clone(&clock));
        Self {
            config,
            directory,
            hasher,
            keys,
            clock,
            metrics: TokenMetrics::default(),
            assertions,
            federation,
            sign_ins: SignInLog::off(),
            throttle,
            admission,
        }
    }

    /// Records a sign-in for every token-endpoint decision through `log` (off by default).
    #[must_use]
    pub fn with_sign_in_log(mut self, log: SignInLog) -> Self {
        self.sign_ins = log;
        self
    }

    /// The sign-in log (its counters, and closing it on shutdown).
    pub fn sign_in_log(&self) -> &SignInLog {
        &self.sign_ins
    }

    /// Replaces the default workload identity federation settings (no allow-listed issuer, the
    /// system trust anchors only).
    pub fn with_federation(mut self, config: &FederationConfig) -> Result<Self, FederationError> {
        self.federation = federation::Federation::new(config, Arc::clone(&self.clock))?;
        Ok(self)
    }

    /// The routes: token endpoints, discovery, key sets and instance discovery.
    pub fn router(self: Arc<Self>) -> axum::Router {
        routes::router(self)
    }

    /// The settings.
    pub fn config(&self) -> &AuthorityConfig {
        &self.config
    }

    /// Token-endpoint metrics.
    pub fn metrics(&self) -> &TokenMetrics {
        &self.metrics
    }

    /// Appends the token endpoints' counters (requests by outcome, latency, and client
    /// authentication throttling) in the Prometheus text format.
    pub fn render_prometheus(&self, out: &mut String) {
        self.metrics.render_prometheus(out);
        self.throttle.render_prometheus(out);
        self.admission.render_prometheus(out);
    }

    /// Measures how long arrived token requests wait before the server reads them, for load
    /// shedding ([`admission`]); runs until dropped (the server spawns it once), or returns the
    /// error that kept it from starting.
    pub async fn watch_scheduling(&self) -> std::io::Result<()> {
        self.admission.watch_scheduling().await
    }

    /// The signing keys (for reloads after a rotation).
    pub fn keys(&self) -> &KeyManager {
        &self.keys
    }

    /// This server's issuer for `tenant` in the given token format.
    pub fn issuer(&self, tenant: TenantId, version: TokenVersion) -> String {
        self.config.origins.issuer(&tenant.to_string(), version)
    }

    /// Verifies an access token this server issued: RS256 with a published key, `exp`/`nbf`
    /// against the clock, and `iss` equal to this server's v1 or v2 issuer of the token's own
    /// `tid` (and, with `tenant_hint`, that `tid` is that tenant). The audience is returned for
    /// the caller to check.
    pub fn verify_access_token(
        &self,
        token: &str,
        tenant_hint: Option<TenantId>,
    ) -> Result<VerifiedCaller, CallerError> {
        let origins = &self.config.origins;
        let issuer = IssuerRule::TenantOf {
            v1: origins.issuer_origin(TokenVersion::V1),
            v2: origins.issuer_origin(TokenVersion::V2),
        };
        let expected = Expected { issuer, audiences: None };
        let claims = self.keys.verifier().verify(token, self.clock.unix(), &expected)?;
        if tenant_hint.is_some_and(|t| t != claims.tid) {
            return Err(CallerError::WrongTenant);
        }
        let app_id = claims.client_id().ok_or(CallerError::NoClientId)?;
        let version = if claims.ver == "2.0" { TokenVersion::V2 } else { TokenVersion::V1 };
        let scopes = claims.is_delegated().then(|| {
            claims
                .scp
                .as_deref()
                .unwrap_or_default()
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        });
        Ok(VerifiedCaller {
            tenant_id: claims.tid,
            app_id,
            object_id: claims.oid,
            roles: claims.roles,
            scopes,
            aud: claims.aud,
            version,
        })
    }
}
