//! What a token request asks for ([`Target`]: a v2 scope or a v1 resource) and what it gets
//! ([`AccessToken`]).

use custos_core::Secret;

/// What a token is for, and which endpoint asks for it.
///
/// - [`Target::scope`]: `POST /{tenant}/oauth2/v2.0/token` with `scope=` (client credentials need
///   `{resource}/.default`);
/// - [`Target::resource`]: `POST /{tenant}/oauth2/token` with `resource=` (v1, e.g. the Office 365
///   Management APIs' `https://manage.office.com`).
///
/// The token's version is the resource's choice, not the endpoint's. Managed identities always
/// ask with a resource: a scope's `/.default` suffix is removed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// v2: `scope=`.
    Scope(String),
    /// v1: `resource=`.
    Resource(String),
}

impl Target {
    /// A v2 request for `scope`, e.g. `https://graph.microsoft.com/.default`.
    pub fn scope(scope: impl Into<String>) -> Self {
        Self::Scope(scope.into())
    }

    /// A v1 request for `resource`, e.g. `https://manage.office.com`.
    pub fn resource(resource: impl Into<String>) -> Self {
        Self::Resource(resource.into())
    }

    /// The resource a managed identity is asked for: the v1 resource, or the scope without
    /// `/.default` (as azure-identity does).
    pub(crate) fn as_resource(&self) -> &str {
        match self {
            Self::Resource(resource) => resource,
            Self::Scope(scope) => scope.strip_suffix("/.default").unwrap_or(scope),
        }
    }
}

/// An access token with its lifetime. `Debug` never shows the token.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub(crate) secret: Secret<String>,
    pub(crate) token_type: String,
    pub(crate) expires_on: i64,
    pub(crate) not_before: Option<i64>,
    pub(crate) refresh_on: Option<i64>,
    pub(crate) resource: Option<String>,
    pub(crate) obtained_at: i64,
}

impl AccessToken {
    /// The token itself, for an `Authorization: Bearer` header.
    pub fn secret(&self) -> &str {
        self.secret.expose()
    }

    /// `token_type` (`Bearer`).
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// When it expires, Unix seconds (from `expires_in`, or `expires_on` when only that came).
    pub fn expires_on(&self) -> i64 {
        self.expires_on
    }

    /// `not_before`, Unix seconds, when the answer carried it (v1 and managed identity).
    pub fn not_before(&self) -> Option<i64> {
        self.not_before
    }

    /// When the server asked for a refresh (`refresh_in`), Unix seconds.
    pub fn refresh_on(&self) -> Option<i64> {
        self.refresh_on
    }

    /// `resource`, when the answer named it (v1 and managed identity).
    pub fn resource(&self) -> Option<&str> {
        self.resource.as_deref()
    }

    /// When it was obtained, Unix seconds (the injected clock's).
    pub fn obtained_at(&self) -> i64 {
        self.obtained_at
    }

    /// The `Authorization` header value, `Bearer <token>`, marked sensitive.
    pub fn header_value(&self) -> Result<http::HeaderValue, http::header::InvalidHeaderValue> {
        let mut value = http::HeaderValue::try_from(format!("Bearer {}", self.secret.expose()))?;
        value.set_sensitive(true);
        Ok(value)
    }
}
