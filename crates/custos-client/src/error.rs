//! Why no token could be obtained: [`Error`], with the server's own error ([`ServerError`]: the
//! OAuth `error`, the AADSTS number and message) kept intact.

use std::path::PathBuf;
use std::time::Duration;

/// Why a token could not be obtained, or a client not built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable (bad authority URL, missing tenant, ...).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A credential file (certificate, federated token, CA) cannot be used.
    #[error("cannot use {path}: {detail}")]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The certificate or key is unusable, or signing the client assertion failed.
    #[error("the certificate credential is unusable: {0}")]
    Certificate(String),
    /// The server refused the request with an error it will repeat (a 4xx other than 429,
    /// e.g. `invalid_client`): never retried.
    #[error("{0}")]
    Refused(ServerError),
    /// The server kept answering 429 or 5xx (its last answer is kept) until the retries ran out.
    #[error("{error} (gave up after {attempts} attempts)")]
    Unavailable {
        /// The last answer.
        error: ServerError,
        /// Requests sent.
        attempts: u32,
    },
    /// The server could not be reached (connection, TLS, timeout), also after retries.
    #[error("cannot reach {url}: {source}")]
    Transport {
        /// The URL requested.
        url: String,
        /// The HTTP client's error (its chain tells a TLS failure from a refused connection).
        #[source]
        source: reqwest::Error,
    },
    /// A success answer that is not a token response.
    #[error("{url} answered {status} with something that is not a token response: {detail}")]
    Malformed {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What is missing.
        detail: String,
    },
}

impl Error {
    /// The server's error, when the server answered with one.
    pub fn server_error(&self) -> Option<&ServerError> {
        match self {
            Self::Refused(e) | Self::Unavailable { error: e, .. } => Some(e),
            _ => None,
        }
    }
}

/// An error answer of a token endpoint or managed-identity endpoint, as the server sent it.
///
/// Entra's and custos' token endpoints answer `{"error","error_description","error_codes",
/// "correlation_id","trace_id",...}`; IMDS answers `{"error","error_description"}`; App Service
/// answers `{"statusCode","message","correlationId"}`. All three are read into this one shape.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerError {
    /// The HTTP status.
    pub status: u16,
    /// The OAuth `error` (`invalid_client`, `invalid_scope`, ...); for App Service errors and
    /// bodies without one, the status's reason phrase.
    pub error: String,
    /// `error_description` (or App Service's `message`) as sent, with its trace lines.
    pub description: String,
    /// `error_codes`, or the `AADSTS` number at the start of the description.
    pub codes: Vec<u32>,
    /// `correlation_id` (`correlationId`), when sent.
    pub correlation_id: Option<String>,
    /// The `Retry-After` the answer carried, when any.
    pub retry_after: Option<Duration>,
}

impl ServerError {
    /// The first AADSTS number (`7000215` for "AADSTS7000215: Invalid client secret ...").
    pub fn aadsts(&self) -> Option<u32> {
        self.codes.first().copied()
    }

    /// The description without Entra's trailing `Trace ID: … Correlation ID: … Timestamp: …`.
    pub fn message(&self) -> &str {
        let first_line = self.description.lines().next().unwrap_or_default();
        first_line.split(" Trace ID:").next().unwrap_or_default().trim()
    }
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the server answered {} {}", self.status, self.error)?;
        let message = self.message();
        if !message.is_empty() {
            write!(f, ": {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServerError {}
