//! The webhook client: the validation POST made during `/start` and the notification POSTs of
//! the outbox (`audit-and-activity.md` §3.5), to addresses a caller chose. Addresses follow the
//! federation fetcher's rule ([`custos_core::address`]): https only, no credentials, no localhost
//! name, and every address a name resolves to public; redirects are not followed. Hosts given with
//! `--allow-webhook-host` (development) lift the address rule and may use plain http.

use std::net::SocketAddr;
use std::time::Duration;

use custos_core::address::{Refusal, vet_addresses, vet_name, vet_target};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{Client, Url};
use serde_json::{Value, json};

use super::error::AfError;

/// Connect and total timeout of every webhook request.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A resolver that only yields public addresses (a name with any non-public address is refused).
#[derive(Debug, Clone, Copy)]
struct VettingResolver;

impl Resolve for VettingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            vet_name(&host)?;
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let addresses = vet_addresses(found.map(|a| a.ip()).collect())?;
            let addrs: Addrs = Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// Why a webhook request failed (logged; the caller of `/start` gets AF20021).
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The address is not a URL.
    #[error("the address is not a URL")]
    NotAUrl,
    /// The address breaks the address rule.
    #[error("{0}")]
    Refused(Refusal),
    /// Connection, TLS, DNS or timeout failure.
    #[error("{0}")]
    Transport(String),
    /// The endpoint answered something other than 200.
    #[error("HTTP {0}")]
    Status(u16),
}

/// Sends webhook requests; cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    strict: Client,
    trusted: Client,
    allowed_hosts: Vec<String>,
}

impl WebhookClient {
    /// A client that lifts the address rule for `allowed_hosts` (host names or `host:port`,
    /// compared case-insensitively).
    pub fn new(allowed_hosts: Vec<String>) -> Result<Self, reqwest::Error> {
        let builder = || {
            Client::builder()
                .timeout(TIMEOUT)
                .connect_timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
        };
        Ok(Self {
            strict: builder().dns_resolver(std::sync::Arc::new(VettingResolver)).build()?,
            trusted: builder().build()?,
            allowed_hosts: allowed_hosts.into_iter().map(|h| h.to_ascii_lowercase()).collect(),
        })
    }

    fn allowed(&self, url: &Url) -> bool {
        let Some(host) = url.host_str().map(str::to_ascii_lowercase) else { return false };
        let with_port = url.port_or_known_default().map(|p| format!("{host}:{p}"));
        self.allowed_hosts.iter().any(|h| *h == host || Some(h) == with_port.as_ref())
    }

    /// The client to reach `address` with, after the address rule.
    fn client_for(&self, address: &str) -> Result<(Url, &Client), WebhookError> {
        let url = Url::parse(address).map_err(|_| WebhookError::NotAUrl)?;
        if self.allowed(&url) && matches!(url.scheme(), "http" | "https") {
            return Ok((url, &self.trusted));
        }
        let credentials = !url.username().is_empty() || url.password().is_some();
        vet_target(url.scheme(), credentials, url.host_str(), false).map_err(WebhookError::Refused)?;
        Ok((url, &self.strict))
    }

    async fn post(
        &self,
        address: &str,
        auth_id: Option<&str>,
        extra: Option<(&str, &str)>,
        content_type: &str,
        body: &Value,
    ) -> Result<(), WebhookError> {
        let (url, client) = self.client_for(address)?;
        let mut request = client.post(url).header("Content-Type", content_type).body(body.to_string());
        if let Some(auth_id) = auth_id {
            request = request.header("Webhook-AuthID", auth_id);
        }
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        let response = request.send().await.map_err(|e| WebhookError::Transport(e.to_string()))?;
        match response.status().as_u16() {
            200 => Ok(()),
            status => Err(WebhookError::Status(status)),
        }
    }

    /// The validation request of `/start`: `{"validationCode": …}` and the same code in
    /// `Webhook-ValidationCode`; anything but 200 is AF20021.
    pub async fn validate(&self, address: &str, auth_id: Option<&str>) -> Result<(), AfError> {
        let code = uuid::Uuid::new_v4().simple().to_string();
        let body = json!({"validationCode": code});
        let result = self
            .post(
                address,
                auth_id,
                Some(("Webhook-ValidationCode", &code)),
                "application/json; charset=utf-8",
                &body,
            )
            .await;
        result.map_err(|error| {
            tracing::info!(%address, %error, "webhook validation failed");
            let detail = match error {
                WebhookError::Refused(Refusal::NotHttps) => "The address must begin with HTTPS.",
                _ => "The endpoint did not return HTTP 200.",
            };
            AfError::WebhookValidation { address: address.to_owned(), detail: detail.to_owned() }
        })
    }

    /// One notification POST: `body` is the array of notifications.
    pub async fn notify(
        &self,
        address: &str,
        auth_id: Option<&str>,
        body: &Value,
    ) -> Result<(), WebhookError> {
        self.post(address, auth_id, None, "application/json; utf-8", body).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_address_rule_applies_unless_the_host_is_allowed() {
        let client = WebhookClient::new(vec!["127.0.0.1".into()]).unwrap();
        for (address, refusal) in [
            ("https://169.254.169.254/hook", Refusal::NonPublicAddress),
            ("https://10.0.0.1/hook", Refusal::NonPublicAddress),
            ("https://localhost/hook", Refusal::Localhost),
            ("http://hooks.example.com/", Refusal::NotHttps),
            ("https://user:pw@hooks.example.com/", Refusal::Credentials),
        ] {
            assert!(
                matches!(client.client_for(address), Err(WebhookError::Refused(r)) if r == refusal),
                "{address}"
            );
        }
        assert!(client.client_for("http://127.0.0.1:9/hook").is_ok());
        assert!(client.client_for("https://hooks.example.com/x").is_ok());
        let error = client.validate("http://hooks.example.com/", None).await.unwrap_err();
        assert_eq!(
            error.message(),
            "The webhook endpoint http://hooks.example.com/ could not be validated. The address must begin with HTTPS."
        );
        let error = client.validate("https://10.1.2.3/", None).await.unwrap_err();
        assert_eq!(error.code(), "AF20021");
    }
}
