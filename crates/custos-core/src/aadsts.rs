//! The Entra error catalogue: every way a token request can fail, with its AADSTS number,
//! OAuth `error` value, HTTP status and Entra's wording. This is the one table the token
//! endpoint's error responses come from.

use std::fmt;

#[path = "aadsts_user_flow.rs"]
mod user_flow;
pub use user_flow::UserFlowError;
#[path = "aadsts_sign_in.rs"]
mod sign_in;
pub use sign_in::{ForeignUser, SignInError};

/// The OAuth 2.0 `error` value of a token-endpoint error response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthError {
    /// `invalid_request`
    InvalidRequest,
    /// `invalid_client` (the only one answered with 401)
    InvalidClient,
    /// `invalid_grant`
    InvalidGrant,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `unsupported_grant_type`
    UnsupportedGrantType,
    /// `invalid_scope`
    InvalidScope,
    /// `invalid_resource`
    InvalidResource,
    /// `invalid_tenant`
    InvalidTenant,
    /// `temporarily_unavailable` (storage down; 503)
    TemporarilyUnavailable,
    /// `access_denied` (authorize redirects: the user declined, or an admin must approve)
    AccessDenied,
    /// `login_required` (authorize redirects: `prompt=none` without a session)
    LoginRequired,
    /// `consent_required` (authorize redirects: `prompt=none` and consent missing)
    ConsentRequired,
    /// `unsupported_response_type` (authorize redirects)
    UnsupportedResponseType,
}

impl OAuthError {
    /// The wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidResource => "invalid_resource",
            Self::InvalidTenant => "invalid_tenant",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::UnsupportedResponseType => "unsupported_response_type",
        }
    }
}

/// Why a token request failed. Each variant carries what its message needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    /// 900144: a required parameter is missing.
    MissingParameter(&'static str),
    /// 90014-style: a parameter was sent more than once.
    DuplicateParameter(String),
    /// 900144-family: the body is not `application/x-www-form-urlencoded` or not decodable.
    MalformedBody(&'static str),
    /// 900144-family, HTTP 413: the body is larger than the token endpoint accepts (bytes).
    BodyTooLarge(usize),
    /// 70003: grant type not supported.
    UnsupportedGrantType(String),
    /// 9001023: client credentials over /common, /organizations or /consumers.
    GrantNotSupportedOnAlias,
    /// 90002: unknown tenant.
    UnknownTenant(String),
    /// 700016: unknown client (answered exactly like a wrong secret in timing).
    UnknownClient { client_id: String, tenant: String },
    /// 7000215: wrong secret.
    InvalidSecret { app_id: String },
    /// 7000222: every matching secret has expired.
    ExpiredSecret { app_id: String },
    /// 7000218: no credential at all.
    NoCredential,
    /// 700027: the client assertion is signed with a key not registered on the application.
    AssertionKeyNotFound { app_id: String },
    /// 700027 (shares the number with [`Self::AssertionKeyNotFound`], so it is not in the
    /// catalogue): the client assertion's signature does not verify with the registered key.
    AssertionBadSignature,
    /// 50027-family: the client assertion is malformed or uses a forbidden header or claim form;
    /// carries the reason (never attacker-controlled text).
    InvalidAssertion(String),
    /// 700021: the assertion's `iss` is not the authenticating client.
    AssertionIssuerMismatch,
    /// 50048: the assertion's `sub` differs from its `iss`.
    AssertionSubjectMismatch,
    /// 700023: the assertion's `aud` is not one of this tenant's token endpoints or issuers.
    AssertionAudience,
    /// 700024: expired, not yet valid, or valid for longer than the cap; carries the message.
    AssertionOutsideValidity(String),
    /// 70021: a federated assertion matches no federated identity credential of the client
    /// (the client has none its issuer, subject and audience could match).
    NoMatchingFederatedIdentity { issuer: String, subject: String, audience: String },
    /// 700211: no federated identity credential of the client names the assertion's issuer.
    FederatedIssuerNotFound { issuer: String },
    /// 700212: a credential names the assertion's issuer and subject but none of its audiences.
    FederatedAudienceNotFound { audience: String },
    /// 700213: credentials name the assertion's issuer, but none its subject (case-sensitive).
    FederatedSubjectNotFound { subject: String },
    /// 7000272: the federated assertion's `kid` is not among the issuer's published keys.
    FederatedKeyNotFound { key_id: String, issuer: String },
    /// 700229: the federated assertion is a user (delegated) token: it carries `scp`, or an
    /// `idtyp` other than `app`; only app-only tokens are a workload's identity.
    FederatedUserToken { issuer: String },
    /// 90061: the issuer's OpenID configuration or keys could not be fetched (refused address,
    /// transport failure, bad document); the reason is logged, never answered.
    FederatedMetadataUnavailable { issuer: String },
    /// 7000290 (custos-specific, Entra keeps no replay cache): a different assertion reuses a
    /// `jti` already seen from this client, or any reuse in strict replay mode.
    AssertionReplayed { app_id: String },
    /// 90023-family: two client authentication methods in one request (RFC 6749 §2.3).
    MultipleClientAuth,
    /// 900023-family: the body `client_id` differs from the Basic user name.
    ClientIdMismatch,
    /// 7000112: the client application is disabled.
    DisabledApplication { app_id: String, display_name: String },
    /// 500014: the resource's service principal is disabled.
    DisabledResource { resource: String },
    /// 500011: unknown resource.
    UnknownResource { resource: String, tenant: String },
    /// 1002012: scope without `/.default`.
    ScopeNotDefault(String),
    /// 700022: several resources requested.
    MultipleResources,
    /// 901002: `resource` sent to the v2 endpoint.
    ResourceOnV2,
    /// 501051: the resource requires an assignment and the client has none.
    AssignmentRequired { app_id: String, resource: String },
    /// 9002313: a parameter value is malformed (control characters, overlong values).
    InvalidParameter(&'static str),
    /// Storage or another dependency failed; the client may retry (503, never a 500).
    TemporarilyUnavailable,
    /// 90033: the server is overloaded and shed the request before issuing (503 with
    /// `Retry-After`, like [`TokenError::TemporarilyUnavailable`]).
    Overloaded,
    /// 90055: too many failed client authentications for this client id or from this address
    /// within the throttling window: 429 with `Retry-After` (Entra throttles client credentials
    /// with 429 + `Retry-After`, `security.md` §7). The right secret is refused too while the
    /// lock lasts. The text names neither the locked key nor whether the client exists.
    Throttled {
        /// Seconds until the lock ends (the `Retry-After` value).
        retry_after_secs: u64,
    },
    /// An error of the user flows (authorization code, refresh token, password).
    UserFlow(UserFlowError),
    /// Interactive sign-in, the authorize endpoints and PKCE ([`SignInError`]).
    SignIn(SignInError),
}

impl From<SignInError> for TokenError {
    fn from(error: SignInError) -> Self {
        Self::SignIn(error)
    }
}

impl From<UserFlowError> for TokenError {
    fn from(error: UserFlowError) -> Self {
        Self::UserFlow(error)
    }
}

impl TokenError {
    /// The AADSTS number.
    pub fn code(&self) -> u32 {
        match self {
            Self::MissingParameter(_) | Self::MalformedBody(_) | Self::BodyTooLarge(_) => 900144,
            Self::DuplicateParameter(_) => 90014,
            Self::UnsupportedGrantType(_) => 70003,
            Self::GrantNotSupportedOnAlias => 9001023,
            Self::UnknownTenant(_) => 90002,
            Self::UnknownClient { .. } => 700016,
            Self::InvalidSecret { .. } => 7000215,
            Self::ExpiredSecret { .. } => 7000222,
            Self::NoCredential => 7000218,
            Self::AssertionKeyNotFound { .. } | Self::AssertionBadSignature => 700027,
            Self::InvalidAssertion(_) => 50027,
            Self::AssertionIssuerMismatch => 700021,
            Self::AssertionSubjectMismatch => 50048,
            Self::AssertionAudience => 700023,
            Self::AssertionOutsideValidity(_) => 700024,
            Self::AssertionReplayed { .. } => 7000290,
            Self::NoMatchingFederatedIdentity { .. } => 70021,
            Self::FederatedIssuerNotFound { .. } => 700211,
            Self::FederatedAudienceNotFound { .. } => 700212,
            Self::FederatedSubjectNotFound { .. } => 700213,
            Self::FederatedKeyNotFound { .. } => 7000272,
            Self::FederatedUserToken { .. } => 700229,
            Self::FederatedMetadataUnavailable { .. } => 90061,
            Self::MultipleClientAuth => 90023,
            Self::ClientIdMismatch => 900023,
            Self::DisabledApplication { .. } => 7000112,
            Self::UnknownResource { .. } => 500011,
            Self::DisabledResource { .. } => 500014,
            Self::ScopeNotDefault(_) => 1002012,
            Self::MultipleResources => 700022,
            Self::ResourceOnV2 => 901002,
            Self::AssignmentRequired { .. } => 501051,
            Self::InvalidParameter(_) => 9002313,
            Self::TemporarilyUnavailable | Self::Overloaded => 90033,
            Self::Throttled { .. } => 90055,
            Self::UserFlow(e) => e.code(),
            Self::SignIn(e) => e.code(),
        }
    }

    /// The OAuth `error` value.
    pub fn oauth_error(&self) -> OAuthError {
        use OAuthError::*;
        match self {
            Self::MissingParameter(_)
            | Self::DuplicateParameter(_)
            | Self::MalformedBody(_)
            | Self::BodyTooLarge(_)
            | Self::MultipleClientAuth
            | Self::ClientIdMismatch
            | Self::InvalidParameter(_)
            | Self::ResourceOnV2
            | Self::NoMatchingFederatedIdentity { .. } => InvalidRequest,
            Self::UnsupportedGrantType(_) => UnsupportedGrantType,
            Self::GrantNotSupportedOnAlias => InvalidRequest,
            Self::UnknownTenant(_) => InvalidTenant,
            Self::UnknownClient { .. } | Self::DisabledApplication { .. } => UnauthorizedClient,
            Self::InvalidSecret { .. }
            | Self::ExpiredSecret { .. }
            | Self::NoCredential
            | Self::AssertionKeyNotFound { .. }
            | Self::AssertionBadSignature
            | Self::InvalidAssertion(_)
            | Self::AssertionIssuerMismatch
            | Self::AssertionSubjectMismatch
            | Self::AssertionAudience
            | Self::AssertionOutsideValidity(_)
            | Self::AssertionReplayed { .. }
            | Self::FederatedIssuerNotFound { .. }
            | Self::FederatedAudienceNotFound { .. }
            | Self::FederatedSubjectNotFound { .. }
            | Self::FederatedKeyNotFound { .. }
            | Self::FederatedUserToken { .. }
            | Self::FederatedMetadataUnavailable { .. } => InvalidClient,
            Self::UnknownResource { .. } | Self::DisabledResource { .. } => InvalidResource,
            Self::ScopeNotDefault(_) | Self::MultipleResources => InvalidScope,
            Self::AssignmentRequired { .. } => InvalidGrant,
            Self::TemporarilyUnavailable | Self::Overloaded | Self::Throttled { .. } => {
                TemporarilyUnavailable
            }
            Self::UserFlow(e) => e.oauth_error(),
            Self::SignIn(e) => e.oauth_error(),
        }
    }

    /// The HTTP status: 401 for `invalid_client`, 503 when storage failed, 413 for an
    /// oversized body, 429 when throttled, 400 otherwise.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::BodyTooLarge(_) => return 413,
            Self::Throttled { .. } => return 429,
            _ => {}
        }
        match self.oauth_error() {
            OAuthError::InvalidClient => 401,
            OAuthError::TemporarilyUnavailable => 503,
            _ => 400,
        }
    }
}

impl fmt::Display for TokenError {
    /// Entra's message text, without the `AADSTSnnn: ` prefix and trace lines.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingParameter(name) => {
                write!(f, "The request body must contain the following parameter: '{name}'.")
            }
            Self::DuplicateParameter(name) => write!(
                f,
                "The parameter '{name}' is duplicated. Each parameter must appear at most once in the request."
            ),
            Self::MalformedBody(why) => write!(f, "The request body is malformed: {why}."),
            Self::BodyTooLarge(limit) => {
                write!(f, "The request body is larger than the limit of {limit} bytes.")
            }
            Self::UnsupportedGrantType(g) => write!(
                f,
                "The provided value for the input parameter 'grant_type' is not valid. The grant type '{g}' is not supported."
            ),
            Self::GrantNotSupportedOnAlias => f.write_str(
                "The grant type isn't supported over the /common, /organizations or /consumers endpoints. Please use the tenant-specific endpoint.",
            ),
            Self::UnknownTenant(t) => write!(
                f,
                "Tenant '{t}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."
            ),
            Self::UnknownClient { client_id, tenant } => write!(
                f,
                "Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant."
            ),
            Self::InvalidSecret { app_id } => write!(
                f,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'."
            ),
            Self::ExpiredSecret { app_id } => write!(
                f,
                "The provided client secret keys for app '{app_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."
            ),
            Self::NoCredential => f.write_str(
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            ),
            Self::AssertionKeyNotFound { app_id } => write!(
                f,
                "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{app_id}'.]"
            ),
            Self::AssertionBadSignature => f.write_str(
                "Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value.]",
            ),
            Self::InvalidAssertion(reason) | Self::AssertionOutsideValidity(reason) => f.write_str(reason),
            Self::AssertionIssuerMismatch => {
                f.write_str("Client assertion application identifier doesn't match 'client_id' parameter.")
            }
            Self::AssertionSubjectMismatch => f.write_str("Subject mismatches Issuer claim in the client assertion"),
            Self::AssertionAudience => f.write_str("Client assertion audience claim does not match Realm issuer."),
            Self::AssertionReplayed { app_id } => write!(
                f,
                "The client assertion has already been used: its 'jti' was seen before for app '{app_id}'. Sign a new assertion with a fresh 'jti' for each request."
            ),
            Self::NoMatchingFederatedIdentity { issuer, subject, audience } => write!(
                f,
                "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{audience}'."
            ),
            Self::FederatedIssuerNotFound { issuer } => write!(
                f,
                "No matching federated identity record found for presented assertion issuer '{issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
            Self::FederatedAudienceNotFound { audience } => write!(
                f,
                "No matching federated identity record found for presented assertion audience '{audience}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
            Self::FederatedSubjectNotFound { subject } => write!(
                f,
                "No matching federated identity record found for presented assertion subject '{subject}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion."
            ),
            Self::FederatedKeyNotFound { key_id, issuer } => write!(
                f,
                "The certificate with identifier {key_id} used to sign the federated credential could not be found in the metadata of identity provider {issuer}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token."
            ),
            Self::FederatedUserToken { issuer } => write!(
                f,
                "The presented assertion is a user token issued by '{issuer}'; only app-only tokens of that issuer can be used as a federated credential."
            ),
            Self::FederatedMetadataUnavailable { issuer } => write!(
                f,
                "Request to External OIDC endpoint failed. The OpenID configuration or signing keys of issuer '{issuer}' could not be fetched."
            ),
            Self::MultipleClientAuth => f.write_str(
                "Only one client authentication method may be used per request: send the client secret either in the request body or in the Authorization header, not both.",
            ),
            Self::ClientIdMismatch => f.write_str(
                "The client_id in the request body does not match the client identified by the Authorization header.",
            ),
            Self::DisabledApplication { app_id, display_name } => {
                write!(f, "Application '{app_id}'({display_name}) is disabled.")
            }
            Self::UnknownResource { resource, tenant } => write!(
                f,
                "The resource principal named {resource} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant."
            ),
            Self::DisabledResource { resource } => write!(
                f,
                "The service principal for resource '{resource}' is disabled. This indicate that a subscription within the tenant has lapsed, or that the administrator for this tenant has disabled the application, preventing tokens from being issued for it."
            ),
            Self::ScopeNotDefault(scope) => write!(
                f,
                "The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
            Self::MultipleResources => f.write_str(
                "The provided value for the input parameter scope is not valid because it contains more than one resource. Scope values must all refer to the same resource.",
            ),
            Self::ResourceOnV2 => f.write_str("The 'resource' request parameter is not supported."),
            Self::AssignmentRequired { app_id, resource } => write!(
                f,
                "Application '{app_id}' is not assigned to a role for the application '{resource}'."
            ),
            Self::InvalidParameter(name) => write!(
                f,
                "Invalid request. Request is malformed or invalid: the value of parameter '{name}' is not valid."
            ),
            Self::TemporarilyUnavailable | Self::Overloaded => {
                f.write_str("The service is temporarily unavailable. Please retry the request.")
            }
            Self::Throttled { .. } => f.write_str(
                "There are too many incoming requests. Please try again later, after the time the Retry-After header gives.",
            ),
            Self::UserFlow(e) => e.fmt(f),
            Self::SignIn(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TokenError {}

impl TokenError {
    /// One instance of every error, with `{placeholders}` where a response names request
    /// values: the catalogue behind the `error_uri` lookup page.
    pub fn catalogue() -> Vec<Self> {
        let app_id = || "{appId}".to_owned();
        let mut entries = vec![
            Self::MissingParameter("{name}"),
            Self::DuplicateParameter("{name}".to_owned()),
            Self::UnsupportedGrantType("{grant_type}".to_owned()),
            Self::GrantNotSupportedOnAlias,
            Self::UnknownTenant("{tenant}".to_owned()),
            Self::UnknownClient { client_id: app_id(), tenant: "{tenant}".to_owned() },
            Self::InvalidSecret { app_id: app_id() },
            Self::ExpiredSecret { app_id: app_id() },
            Self::NoCredential,
            Self::AssertionKeyNotFound { app_id: app_id() },
            Self::InvalidAssertion("{reason}".to_owned()),
            Self::AssertionIssuerMismatch,
            Self::AssertionSubjectMismatch,
            Self::AssertionAudience,
            Self::AssertionOutsideValidity("{reason}".to_owned()),
            Self::AssertionReplayed { app_id: app_id() },
            Self::NoMatchingFederatedIdentity {
                issuer: "{issuer}".to_owned(),
                subject: "{subject}".to_owned(),
                audience: "{audience}".to_owned(),
            },
            Self::FederatedIssuerNotFound { issuer: "{issuer}".to_owned() },
            Self::FederatedAudienceNotFound { audience: "{audience}".to_owned() },
            Self::FederatedSubjectNotFound { subject: "{subject}".to_owned() },
            Self::FederatedKeyNotFound { key_id: "{kid}".to_owned(), issuer: "{issuer}".to_owned() },
            Self::FederatedUserToken { issuer: "{issuer}".to_owned() },
            Self::FederatedMetadataUnavailable { issuer: "{issuer}".to_owned() },
            Self::MultipleClientAuth,
            Self::ClientIdMismatch,
            Self::DisabledApplication { app_id: app_id(), display_name: "{displayName}".to_owned() },
            Self::UnknownResource { resource: "{resource}".to_owned(), tenant: "{tenant}".to_owned() },
            Self::DisabledResource { resource: "{resource}".to_owned() },
            Self::ScopeNotDefault("{scope}".to_owned()),
            Self::MultipleResources,
            Self::ResourceOnV2,
            Self::AssignmentRequired { app_id: app_id(), resource: "{resource}".to_owned() },
            Self::InvalidParameter("{name}"),
            Self::TemporarilyUnavailable,
            Self::Throttled { retry_after_secs: 60 },
        ]
        .into_iter()
        .chain(SignInError::catalogue().into_iter().map(Self::SignIn))
        .collect::<Vec<_>>();
        // The sign-in pages and the token endpoint report two numbers each their own way (50011 on
        // a page vs a code's redirect URI, 70011 at /authorize vs at /token): the page's wording
        // is the one the lookup shows.
        let token_side: Vec<Self> = UserFlowError::catalogue()
            .into_iter()
            .map(Self::UserFlow)
            .filter(|e| !entries.iter().any(|listed| listed.code() == e.code()))
            .collect();
        entries.extend(token_side);
        entries
    }

    /// Whether the request failed to authenticate its client: a wrong, expired or over-long
    /// secret, an assertion or federated token that does not verify or was replayed, or an
    /// unknown client id (counted like a wrong secret, so that throttling does not tell the two
    /// apart). What these count towards is the throttling of client authentication
    /// (`security.md` AS-20, B12). A federated issuer that cannot be reached is not the client's
    /// failure and does not count.
    pub fn is_failed_client_authentication(&self) -> bool {
        matches!(
            self,
            Self::UnknownClient { .. }
                | Self::InvalidSecret { .. }
                | Self::ExpiredSecret { .. }
                | Self::AssertionKeyNotFound { .. }
                | Self::AssertionBadSignature
                | Self::InvalidAssertion(_)
                | Self::AssertionIssuerMismatch
                | Self::AssertionSubjectMismatch
                | Self::AssertionAudience
                | Self::AssertionOutsideValidity(_)
                | Self::AssertionReplayed { .. }
                | Self::NoMatchingFederatedIdentity { .. }
                | Self::FederatedIssuerNotFound { .. }
                | Self::FederatedAudienceNotFound { .. }
                | Self::FederatedSubjectNotFound { .. }
                | Self::FederatedKeyNotFound { .. }
                | Self::FederatedUserToken { .. }
        )
    }

    /// `suberror`, where Entra sends one.
    pub fn suberror(&self) -> Option<&'static str> {
        match self {
            Self::UserFlow(e) => e.suberror(),
            _ => None,
        }
    }

    /// The catalogue entry for an AADSTS code.
    pub fn lookup(code: u32) -> Option<Self> {
        Self::catalogue().into_iter().find(|e| e.code() == code)
    }
}

#[cfg(test)]
#[path = "aadsts_tests.rs"]
mod tests;
