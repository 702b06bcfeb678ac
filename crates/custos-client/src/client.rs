//! [`TokenClient`] and its builder: the authority and tenant, the HTTP client (with an extra trust
//! anchor), the clock, the retry policy; and the token path (cache → single-flight fetch → retried
//! request).

use crate::cache::{Cache, Cached, DEFAULT_CAPACITY, Key};
use crate::credential::{ASSERTION_TYPE, Credential, Kind, read_small_file, read_token_file};
use crate::error::Error;
use crate::request::{Prepared, send_with_retries};
use crate::retry::{RetryPolicy, Sleeper, TokioSleeper};
use crate::token::{AccessToken, Target};
use custos_core::{Clock, SystemClock};
use reqwest::Url;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Microsoft's public cloud, the default authority.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Default timeout of one request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Gets app-only access tokens and keeps them: one client per credential, shared by cloning
/// (cheap: an `Arc`). See the [crate documentation](crate) for examples.
#[derive(Debug, Clone)]
pub struct TokenClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) credential: Credential,
    pub(crate) authority: Url,
    pub(crate) tenant: Option<String>,
    pub(crate) http: reqwest::Client,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) retry: RetryPolicy,
    cache: Cache,
}

/// Builds a [`TokenClient`]; see [`TokenClient::builder`].
#[derive(Debug)]
#[must_use]
pub struct TokenClientBuilder {
    credential: Credential,
    authority: String,
    tenant: Option<String>,
    roots: Vec<Root>,
    http: Option<reqwest::Client>,
    clock: Option<Arc<dyn Clock>>,
    sleeper: Option<Arc<dyn Sleeper>>,
    retry: RetryPolicy,
    timeout: Duration,
    capacity: usize,
}

#[derive(Debug)]
enum Root {
    Pem(Vec<u8>),
    File(PathBuf),
}

impl TokenClient {
    /// Starts a client for `credential`, at [`DEFAULT_AUTHORITY`] until told otherwise.
    pub fn builder(credential: Credential) -> TokenClientBuilder {
        TokenClientBuilder {
            credential,
            authority: DEFAULT_AUTHORITY.to_owned(),
            tenant: None,
            roots: Vec::new(),
            http: None,
            clock: None,
            sleeper: None,
            retry: RetryPolicy::default(),
            timeout: DEFAULT_TIMEOUT,
            capacity: DEFAULT_CAPACITY,
        }
    }

    /// A token for `target` in the configured tenant: from the cache while it is fresh, else
    /// from the server (one request for all concurrent callers).
    pub async fn token(&self, target: &Target) -> Result<AccessToken, Error> {
        let tenant = self.inner.tenant.clone().unwrap_or_default();
        self.cached(Key { tenant, target: target.clone() }).await
    }

    /// A token for `target` in `tenant` (a multi-tenant app's token for a customer's tenant:
    /// GUID or domain). Managed identities ignore the tenant.
    pub async fn token_for_tenant(&self, tenant: &str, target: &Target) -> Result<AccessToken, Error> {
        check_tenant(tenant)?;
        let tenant = if self.is_managed_identity() { String::new() } else { tenant.to_owned() };
        self.cached(Key { tenant, target: target.clone() }).await
    }

    /// Forgets the cached token for `target` in the configured tenant (e.g. after the resource
    /// answered 401 to it), so that the next call asks the server.
    pub fn invalidate(&self, target: &Target) {
        let tenant = self.inner.tenant.clone().unwrap_or_default();
        self.inner.cache.remove(&Key { tenant, target: target.clone() });
    }

    /// The authority's base URL.
    pub fn authority(&self) -> &str {
        self.inner.authority.as_str().trim_end_matches('/')
    }

    /// The configured tenant, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.inner.tenant.as_deref()
    }

    /// The HTTP client the token requests use (with the extra trust anchor), for calls to
    /// resources that share it.
    pub fn http_client(&self) -> &reqwest::Client {
        &self.inner.http
    }

    fn is_managed_identity(&self) -> bool {
        matches!(self.inner.credential.kind, Kind::ManagedIdentity(_))
    }

    async fn cached(&self, key: Key) -> Result<AccessToken, Error> {
        let inner = &self.inner;
        let slot = inner.cache.slot(&key, inner.clock.unix());
        let mut cached = slot.lock().await;
        let now = inner.clock.unix();
        if let Some(current) = cached.as_ref()
            && now < current.refresh_at
        {
            return Ok(current.token.clone());
        }
        match self.fetch(&key.tenant, &key.target).await {
            Ok(token) => {
                let now = inner.clock.unix();
                *cached = Cached::new(token.clone(), now);
                if cached.is_none() {
                    tracing::warn!(
                        expires_on = token.expires_on,
                        "the token expires within five minutes; not cached"
                    );
                }
                Ok(token)
            }
            Err(error) => match cached.as_ref() {
                Some(current) if current.usable_at(inner.clock.unix()) => {
                    tracing::warn!(%error, "token refresh failed; serving the cached token");
                    Ok(current.token.clone())
                }
                _ => Err(error),
            },
        }
    }

    /// One token request (with its retries), bypassing the cache.
    async fn fetch(&self, tenant: &str, target: &Target) -> Result<AccessToken, Error> {
        let inner = &self.inner;
        if let Kind::ManagedIdentity(identity) = &inner.credential.kind {
            let prepared = Prepared::ManagedIdentity { identity, resource: target.as_resource() };
            return send_with_retries(inner, &prepared).await;
        }
        let (path, target_pair) = match target {
            Target::Scope(scope) => ("oauth2/v2.0/token", ("scope", scope.as_str())),
            Target::Resource(resource) => ("oauth2/token", ("resource", resource.as_str())),
        };
        let endpoint = inner.authority.join(&format!("{tenant}/{path}")).map_err(|e| {
            Error::Config(format!("cannot build the token endpoint for tenant '{tenant}': {e}"))
        })?;
        let federated = match &inner.credential.kind {
            Kind::FederatedTokenFile { path, .. } => Some(read_token_file(path).await?),
            _ => None,
        };
        let prepared = Prepared::Form {
            endpoint,
            build: &|endpoint: &Url, now: i64| {
                let mut form: Vec<(&str, String)> = vec![("grant_type", "client_credentials".to_owned())];
                form.push((target_pair.0, target_pair.1.to_owned()));
                match &inner.credential.kind {
                    Kind::Secret { client_id, secret } => {
                        form.push(("client_id", client_id.clone()));
                        form.push(("client_secret", secret.expose().clone()));
                    }
                    Kind::Certificate { client_id, key } => {
                        form.push(("client_id", client_id.clone()));
                        form.push(("client_assertion_type", ASSERTION_TYPE.to_owned()));
                        form.push(("client_assertion", key.assertion(client_id, endpoint.as_str(), now)?));
                    }
                    Kind::FederatedTokenFile { client_id, .. } => {
                        form.push(("client_id", client_id.clone()));
                        form.push(("client_assertion_type", ASSERTION_TYPE.to_owned()));
                        let token = federated.as_ref().map(|t| t.expose().clone()).unwrap_or_default();
                        form.push(("client_assertion", token));
                    }
                    Kind::ManagedIdentity(_) => unreachable!("managed identities were handled above"),
                }
                Ok(form)
            },
        };
        send_with_retries(inner, &prepared).await
    }

    pub(crate) fn from_inner(inner: Inner) -> Self {
        Self { inner: Arc::new(inner) }
    }
}

impl TokenClientBuilder {
    /// The authority's base URL (https), e.g. `https://login.custos.example:8443`; default
    /// [`DEFAULT_AUTHORITY`].
    pub fn authority(mut self, url: impl Into<String>) -> Self {
        self.authority = url.into();
        self
    }

    /// The tenant (GUID or domain) tokens are asked in; required except for managed identities.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Takes `AZURE_AUTHORITY_HOST` (a bare host gets `https://`) and `AZURE_TENANT_ID` from the
    /// environment when they are set, as azure-identity does.
    pub fn with_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if let Some(host) = var("AZURE_AUTHORITY_HOST") {
            self.authority = if host.contains("://") { host } else { format!("https://{host}") };
        }
        if let Some(tenant) = var("AZURE_TENANT_ID") {
            self.tenant = Some(tenant);
        }
        self
    }

    /// Trusts the PEM certificates in `pem` in addition to the system's roots (custos runs with
    /// its own CA). Ignored when [`Self::http_client`] is given.
    pub fn extra_root_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.roots.push(Root::Pem(pem.into()));
        self
    }

    /// As [`Self::extra_root_pem`], read from `path` when the client is built (`--ca FILE`).
    pub fn extra_root_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.roots.push(Root::File(path.into()));
        self
    }

    /// Uses `http` for every request instead of a client built here (then the extra roots and
    /// the timeout are `http`'s business). It should not follow redirects.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The clock token lifetimes and assertions are computed with (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// How retries wait (default: `tokio::time::sleep`).
    pub fn sleeper(mut self, sleeper: Arc<dyn Sleeper>) -> Self {
        self.sleeper = Some(sleeper);
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Timeout of one request (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many (tenant, target) tokens are cached at most (default 256).
    pub fn cache_capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity.max(1);
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<TokenClient, Error> {
        let managed = matches!(self.credential.kind, Kind::ManagedIdentity(_));
        let authority = parse_authority(&self.authority)?;
        if let Some(tenant) = &self.tenant {
            check_tenant(tenant)?;
        }
        if !managed && self.tenant.is_none() {
            return Err(Error::Config("a tenant is required (GUID or domain)".to_owned()));
        }
        let http = match self.http {
            Some(http) => http,
            None => build_http(&self.roots, self.timeout)?,
        };
        Ok(TokenClient::from_inner(Inner {
            credential: self.credential,
            authority,
            tenant: if managed { None } else { self.tenant },
            http,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            sleeper: self.sleeper.unwrap_or_else(|| Arc::new(TokioSleeper)),
            retry: self.retry,
            cache: Cache::new(self.capacity),
        }))
    }
}

fn parse_authority(text: &str) -> Result<Url, Error> {
    let trimmed = text.trim().trim_end_matches('/');
    let url = Url::parse(&format!("{trimmed}/"))
        .map_err(|e| Error::Config(format!("the authority '{text}' is not a URL: {e}")))?;
    if url.scheme() != "https" {
        return Err(Error::Config(format!("the authority '{text}' must be an https:// URL")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!("the authority '{text}' must not carry a query or fragment")));
    }
    Ok(url)
}

fn check_tenant(tenant: &str) -> Result<(), Error> {
    let ok = !tenant.is_empty()
        && tenant.len() <= 256
        && !tenant.starts_with('.')
        && tenant.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
    if ok { Ok(()) } else { Err(Error::Config(format!("'{tenant}' is not a tenant id or domain"))) }
}

fn build_http(roots: &[Root], timeout: Duration) -> Result<reqwest::Client, Error> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .redirect(reqwest::redirect::Policy::none());
    for root in roots {
        let (pem, path) = match root {
            Root::Pem(pem) => (pem.clone(), PathBuf::from("the extra root PEM")),
            Root::File(path) => (read_small_file(path)?, path.clone()),
        };
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| Error::File { path: path.clone(), detail: e.to_string() })?;
        if certs.is_empty() {
            return Err(Error::File { path, detail: "it holds no PEM certificate".to_owned() });
        }
        builder = builder.tls_certs_merge(certs);
    }
    builder.build().map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorities_must_be_https_base_urls() {
        assert_eq!(
            parse_authority("https://login.example:8443/").unwrap().as_str(),
            "https://login.example:8443/"
        );
        assert_eq!(
            parse_authority("https://h/prefix").unwrap().join("t/oauth2/token").unwrap().as_str(),
            "https://h/prefix/t/oauth2/token"
        );
        assert_eq!(
            parse_authority("http://h").unwrap_err().to_string(),
            "invalid configuration: the authority 'http://h' must be an https:// URL"
        );
        assert!(parse_authority("https://h/?x=1").is_err());
        assert!(parse_authority("not a url").is_err());
    }

    #[test]
    fn tenants_are_ids_or_domains() {
        for good in ["contoso.onmicrosoft.com", "72f988bf-86f1-41af-91ab-2d7cd011db47", "organizations"] {
            assert!(check_tenant(good).is_ok(), "{good}");
        }
        for bad in ["", "a/b", "t?x", "a b", "..", ".x"] {
            assert!(check_tenant(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn confidential_clients_need_a_tenant() {
        let err = TokenClient::builder(Credential::client_secret("c", "s")).build().unwrap_err();
        assert_eq!(err.to_string(), "invalid configuration: a tenant is required (GUID or domain)");
        let client = TokenClient::builder(Credential::client_secret("c", "s")).tenant("t").build().unwrap();
        assert_eq!((client.authority(), client.tenant()), (DEFAULT_AUTHORITY, Some("t")));
        let identity = crate::ManagedIdentity::imds();
        assert!(TokenClient::builder(Credential::managed_identity(identity)).build().is_ok());
    }

    #[test]
    fn extra_roots_must_hold_certificates() {
        let err = TokenClient::builder(Credential::client_secret("c", "s"))
            .tenant("t")
            .extra_root_pem("nothing here")
            .build()
            .unwrap_err();
        assert_eq!(err.to_string(), "cannot use the extra root PEM: it holds no PEM certificate");
    }
}
