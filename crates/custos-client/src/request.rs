//! One token request with its retries: the form POST to a token endpoint (rebuilt for every
//! attempt, so each carries a fresh client assertion) or the managed-identity GET; 429, 5xx and
//! transport failures retried with backoff and `Retry-After`; everything else final.

use crate::client::Inner;
use crate::error::Error;
use crate::managed_identity::ManagedIdentity;
use crate::response::{MAX_RESPONSE_BYTES, parse_error, parse_token};
use crate::retry::{retry_after, retryable};
use crate::token::AccessToken;
use reqwest::Url;

/// Builds the form of one attempt at `now` for `endpoint`.
pub(crate) type FormBuilder<'a> =
    dyn Fn(&Url, i64) -> Result<Vec<(&'static str, String)>, Error> + Send + Sync + 'a;

/// What is sent.
pub(crate) enum Prepared<'a> {
    /// A POST to a token endpoint.
    Form { endpoint: Url, build: &'a FormBuilder<'a> },
    /// A managed-identity GET.
    ManagedIdentity { identity: &'a ManagedIdentity, resource: &'a str },
}

impl Prepared<'_> {
    fn url(&self) -> &Url {
        match self {
            Self::Form { endpoint, .. } => endpoint,
            Self::ManagedIdentity { identity, .. } => identity.endpoint(),
        }
    }

    fn is_imds(&self) -> bool {
        matches!(self, Self::ManagedIdentity { identity, .. } if identity.is_imds())
    }

    fn request(&self, inner: &Inner) -> Result<reqwest::RequestBuilder, Error> {
        Ok(match self {
            Self::Form { endpoint, build } => {
                let form = build(endpoint, inner.clock.unix())?;
                inner.http.post(endpoint.clone()).header("Accept", "application/json").form(&form)
            }
            Self::ManagedIdentity { identity, resource } => identity.request(&inner.http, resource),
        })
    }
}

/// Sends `prepared`, retrying as the policy allows.
pub(crate) async fn send_with_retries(inner: &Inner, prepared: &Prepared<'_>) -> Result<AccessToken, Error> {
    let url = prepared.url();
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let can_retry = attempts <= inner.retry.max_retries;
        let outcome = prepared.request(inner)?.send().await;
        let response = match outcome {
            Ok(response) => response,
            Err(source) => {
                if can_retry {
                    let delay = inner.retry.delay(attempts, None);
                    tracing::debug!(%url, error = %source, ?delay, "token request failed; retrying");
                    inner.sleeper.sleep(delay).await;
                    continue;
                }
                return Err(Error::Transport { url: url.to_string(), source });
            }
        };
        let status = response.status();
        let wait = retry_after(response.headers(), inner.clock.now());
        let body = match read_limited(response).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return Err(Error::Malformed {
                    url: url.to_string(),
                    status: status.as_u16(),
                    detail: format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            Err(BodyError::Transport(source)) => {
                if can_retry {
                    inner.sleeper.sleep(inner.retry.delay(attempts, None)).await;
                    continue;
                }
                return Err(Error::Transport { url: url.to_string(), source });
            }
        };
        if status.is_success() {
            return parse_token(&body, inner.clock.unix()).map_err(|e| Error::Malformed {
                url: url.to_string(),
                status: status.as_u16(),
                detail: e.0,
            });
        }
        let error = parse_error(status, &body, wait);
        if !retryable(status, prepared.is_imds()) {
            return Err(Error::Refused(error));
        }
        if !can_retry {
            return Err(Error::Unavailable { error, attempts });
        }
        let delay = inner.retry.delay(attempts, wait);
        tracing::debug!(%url, status = status.as_u16(), ?delay, "token request throttled or failed; retrying");
        inner.sleeper.sleep(delay).await;
    }
}

enum BodyError {
    TooLarge,
    Transport(reqwest::Error),
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
