//! Managed identities: the App Service protocol (`IDENTITY_ENDPOINT` + `X-IDENTITY-HEADER`) and
//! the IMDS protocol (`/metadata/identity/oauth2/token` + `Metadata: true`), as Azure serves them
//! and as `custos agent` and custos' development managed-identity endpoints serve them
//! (`entra-wire.md` §9).

use crate::error::Error;
use custos_core::Secret;
use reqwest::Url;

/// The default IMDS host.
pub const IMDS_HOST: &str = "http://169.254.169.254";
/// The IMDS token path, appended to the IMDS base URL.
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
const APP_SERVICE_API_VERSION: &str = "2019-08-01";
const IMDS_API_VERSION: &str = "2018-02-01";

/// Which of several identities assigned to the host is meant (none: the only one, or the
/// system-assigned one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentitySelector {
    /// The identity's client id (appId): `client_id=`.
    ClientId(String),
    /// The identity's object (principal) id: `object_id=`.
    ObjectId(String),
    /// The Azure resource id of a user-assigned identity: `mi_res_id=` (App Service) or
    /// `msi_res_id=` (IMDS).
    ResourceId(String),
}

#[derive(Debug, Clone)]
enum Source {
    AppService { endpoint: Url, header: Secret<String> },
    Imds { endpoint: Url },
}

/// Where a managed identity's tokens come from, and which identity is asked for.
#[derive(Debug, Clone)]
pub struct ManagedIdentity {
    source: Source,
    selector: Option<IdentitySelector>,
}

impl ManagedIdentity {
    /// The App Service protocol: `GET {endpoint}?resource=…&api-version=2019-08-01` with
    /// `X-IDENTITY-HEADER: {header}` (the values of `IDENTITY_ENDPOINT` and `IDENTITY_HEADER`).
    pub fn app_service(endpoint: &str, header: impl Into<String>) -> Result<Self, Error> {
        let endpoint = parse_url("IDENTITY_ENDPOINT", endpoint)?;
        Ok(Self {
            source: Source::AppService { endpoint, header: Secret::new(header.into()) },
            selector: None,
        })
    }

    /// The IMDS protocol at Azure's address, `http://169.254.169.254`.
    pub fn imds() -> Self {
        Self::imds_at(IMDS_HOST).unwrap_or_else(|_| unreachable!("the IMDS host is a valid URL"))
    }

    /// The IMDS protocol at another base URL (`AZURE_POD_IDENTITY_AUTHORITY_HOST`, `custos agent`,
    /// or custos' `https://{host}/msi/{secret}`): `GET {base}/metadata/identity/oauth2/token`.
    pub fn imds_at(base: &str) -> Result<Self, Error> {
        let endpoint = parse_url("the IMDS base URL", &format!("{}{IMDS_PATH}", base.trim_end_matches('/')))?;
        Ok(Self { source: Source::Imds { endpoint }, selector: None })
    }

    /// What the environment names, as MSAL and azure-identity choose: `IDENTITY_ENDPOINT` with
    /// `IDENTITY_HEADER` → App Service; else `AZURE_POD_IDENTITY_AUTHORITY_HOST` → IMDS there;
    /// else IMDS at Azure's address. `AZURE_CLIENT_ID`, when set, selects the identity.
    pub fn from_env() -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let identity = match (var("IDENTITY_ENDPOINT"), var("IDENTITY_HEADER")) {
            (Some(endpoint), Some(header)) => Self::app_service(&endpoint, header)?,
            _ => match var("AZURE_POD_IDENTITY_AUTHORITY_HOST") {
                Some(base) => Self::imds_at(&base)?,
                None => Self::imds(),
            },
        };
        Ok(match var("AZURE_CLIENT_ID") {
            Some(client_id) => identity.with_selector(IdentitySelector::ClientId(client_id)),
            None => identity,
        })
    }

    /// Asks for the identity `selector` names (a user-assigned identity).
    #[must_use]
    pub fn with_selector(mut self, selector: IdentitySelector) -> Self {
        self.selector = Some(selector);
        self
    }

    /// The client id the selector names, if it names one.
    pub(crate) fn client_id(&self) -> Option<&str> {
        match &self.selector {
            Some(IdentitySelector::ClientId(id)) => Some(id),
            _ => None,
        }
    }

    /// Whether the endpoint is IMDS (which also answers 404 and 410 while it starts).
    pub(crate) fn is_imds(&self) -> bool {
        matches!(self.source, Source::Imds { .. })
    }

    /// The endpoint URL, for messages.
    pub(crate) fn endpoint(&self) -> &Url {
        match &self.source {
            Source::AppService { endpoint, .. } | Source::Imds { endpoint } => endpoint,
        }
    }

    /// The GET request for `resource`.
    pub(crate) fn request(&self, http: &reqwest::Client, resource: &str) -> reqwest::RequestBuilder {
        let mut url = self.endpoint().clone();
        {
            let mut query = url.query_pairs_mut();
            let imds = self.is_imds();
            query.append_pair("api-version", if imds { IMDS_API_VERSION } else { APP_SERVICE_API_VERSION });
            query.append_pair("resource", resource);
            match &self.selector {
                None => {}
                Some(IdentitySelector::ClientId(id)) => {
                    query.append_pair("client_id", id);
                }
                Some(IdentitySelector::ObjectId(id)) => {
                    query.append_pair("object_id", id);
                }
                Some(IdentitySelector::ResourceId(id)) => {
                    query.append_pair(if imds { "msi_res_id" } else { "mi_res_id" }, id);
                }
            }
        }
        let request = http.get(url).header("Metadata", "true");
        match &self.source {
            Source::AppService { header, .. } => request.header("X-IDENTITY-HEADER", header.expose()),
            Source::Imds { .. } => request,
        }
    }
}

fn parse_url(what: &str, text: &str) -> Result<Url, Error> {
    let url =
        Url::parse(text.trim()).map_err(|e| Error::Config(format!("{what} '{text}' is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!("{what} '{text}' is not an http(s) URL")));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(identity: &ManagedIdentity) -> reqwest::Request {
        identity.request(&reqwest::Client::new(), "api://billing").build().unwrap()
    }

    #[test]
    fn app_service_requests_carry_the_header_and_selector() {
        let identity = ManagedIdentity::app_service("http://127.0.0.1:42356/msi/token", "0123456789abcdef")
            .unwrap()
            .with_selector(IdentitySelector::ObjectId("oid".to_owned()));
        let request = sent(&identity);
        assert_eq!(
            request.url().as_str(),
            "http://127.0.0.1:42356/msi/token?api-version=2019-08-01&resource=api%3A%2F%2Fbilling&object_id=oid"
        );
        assert_eq!(request.headers()["x-identity-header"], "0123456789abcdef");
        let shown = format!("{identity:?}");
        assert!(!shown.contains("0123456789abcdef"), "{shown}");
    }

    #[test]
    fn imds_requests_carry_metadata_and_their_own_parameter_names() {
        let identity =
            ManagedIdentity::imds().with_selector(IdentitySelector::ResourceId("/sub/x".to_owned()));
        let request = sent(&identity);
        assert_eq!(
            request.url().as_str(),
            "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=api%3A%2F%2Fbilling&msi_res_id=%2Fsub%2Fx"
        );
        assert_eq!(request.headers()["metadata"], "true");
        let custos = ManagedIdentity::imds_at("https://login.example/msi/s3cret/").unwrap();
        assert_eq!(sent(&custos).url().path(), "/msi/s3cret/metadata/identity/oauth2/token");
        assert!(ManagedIdentity::imds_at("ftp://x").is_err());
    }
}
