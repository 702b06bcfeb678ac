//! Errors of the authorize endpoints and where they go (`entra-user-flows.md` §1.9): while the
//! client or the redirect URI cannot be trusted an error is shown on a page and never
//! redirected (RFC 6749 §4.1.2.1, `security.md` AS-2); once both are validated, errors are
//! redirected to the client. [`Trace`] carries the ids both forms print.

use custos_core::aadsts::TokenError;
use time::OffsetDateTime;
use time::macros::format_description;
use uuid::Uuid;

/// Where an authorize error is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// On custos' error page; the client never hears of it.
    Page,
    /// Redirected to the validated redirect URI with `error` and `error_description`.
    Redirect,
}

/// An authorize error with its delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeError {
    /// The catalogue entry.
    pub error: TokenError,
    /// Page or redirect.
    pub shown: Shown,
}

impl AuthorizeError {
    /// An error shown on the error page.
    pub fn page(error: impl Into<TokenError>) -> Self {
        Self { error: error.into(), shown: Shown::Page }
    }

    /// An error redirected to the client.
    pub fn redirect(error: impl Into<TokenError>) -> Self {
        Self { error: error.into(), shown: Shown::Redirect }
    }
}

/// The ids and time an error names: `Trace ID`/`Request Id`, `Correlation ID` and `Timestamp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trace {
    /// A fresh id per request (Entra's `Request Id` / `Trace ID`).
    pub trace_id: Uuid,
    /// The client's `client-request-id` when it is a GUID, else a fresh id.
    pub correlation_id: Uuid,
    /// When the request was handled.
    pub now: OffsetDateTime,
}

impl Trace {
    /// A trace for a request at `now`, echoing `client_request_id` when it is a GUID.
    pub fn new(now: OffsetDateTime, client_request_id: Option<&str>) -> Self {
        let correlation_id = client_request_id
            .filter(|v| v.len() == 36)
            .and_then(|v| Uuid::try_parse(v).ok())
            .unwrap_or_else(Uuid::new_v4);
        Self { trace_id: Uuid::new_v4(), correlation_id, now }
    }

    /// Entra's `yyyy-mm-dd hh:mm:ssZ`.
    pub fn timestamp(&self) -> String {
        self.now
            .format(format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z"))
            .unwrap_or_default()
    }

    /// The ISO 8601 time the error page prints (`2026-01-09T02:02:12Z`).
    pub fn iso_timestamp(&self) -> String {
        self.now
            .format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"))
            .unwrap_or_default()
    }

    /// `error_description` of a redirected error: `AADSTS<code>: <text>\r\nTrace ID: …\r\n
    /// Correlation ID: …\r\nTimestamp: …`.
    pub fn describe(&self, error: &TokenError) -> String {
        format!(
            "AADSTS{}: {error}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}",
            error.code(),
            self.trace_id.hyphenated(),
            self.correlation_id.hyphenated(),
            self.timestamp()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::aadsts::SignInError;

    #[test]
    fn descriptions_have_entra_s_layout() {
        let now = OffsetDateTime::from_unix_timestamp(1_452_304_932).unwrap();
        let trace = Trace::new(now, Some("6F3C1D2E-0000-4000-8000-000000000001"));
        assert_eq!(trace.correlation_id.to_string(), "6f3c1d2e-0000-4000-8000-000000000001");
        let text = trace.describe(&SignInError::LoginRequired.into());
        assert_eq!(
            text,
            format!(
                "AADSTS50058: A silent sign-in request was sent but no user is signed in.\r\nTrace ID: {}\r\n\
                 Correlation ID: 6f3c1d2e-0000-4000-8000-000000000001\r\nTimestamp: 2016-01-09 02:02:12Z",
                trace.trace_id
            )
        );
        assert_eq!(trace.iso_timestamp(), "2016-01-09T02:02:12Z");
        assert_ne!(Trace::new(now, Some("not-a-guid")).correlation_id.to_string(), "not-a-guid");
    }
}
