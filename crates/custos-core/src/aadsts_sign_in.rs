//! The part of the catalogue that interactive sign-in adds (`entra-user-flows.md` §6): errors of
//! the authorize endpoints, the sign-in and consent pages and PKCE. Reached through
//! [`TokenError::SignIn`](super::TokenError::SignIn), so there is still one catalogue.

use super::OAuthError;
use std::fmt;

/// Why an interactive sign-in or an authorize request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInError {
    /// 50011: the redirect URI is not registered on the application (error page).
    RedirectUriMismatch {
        /// The URI as requested.
        redirect_uri: String,
        /// The client id.
        app_id: String,
    },
    /// 500113: the application has no redirect URI at all (error page).
    NoReplyAddressRegistered,
    /// 900971: no `redirect_uri` was sent and the application has several (error page).
    NoReplyAddressProvided,
    /// 90102: `redirect_uri` is not an absolute URI (error page).
    MalformedRedirectUri,
    /// 70011: the `scope` parameter of an authorize request is malformed (error page).
    InvalidScope(String),
    /// 70011 (shares the number with [`Self::InvalidScope`], so it is not in the catalogue):
    /// `{resource}/.default` together with individual scopes of the same resource.
    StaticScopeMixed(String),
    /// 70007: `response_mode` is not `query`, `fragment` or `form_post`.
    UnsupportedResponseMode(String),
    /// 70005: `response_type` is not `code`.
    UnsupportedResponseType(String),
    /// 90023 (shares the number with the two-client-authentications error, so it is not in the
    /// catalogue): `prompt` has a value this endpoint does not know.
    UnsupportedPrompt,
    /// 50149: `code_challenge_method` is not `S256` (custos refuses `plain` and a challenge
    /// without a method: `security.md` AS-5).
    InvalidCodeChallengeMethod,
    /// 501491: `code_challenge` is not 43 to 128 base64url characters.
    InvalidCodeChallengeSize,
    /// 501481: the `code_verifier` does not match the challenge (or is malformed).
    CodeVerifierMismatch,
    /// 50126: wrong password (shown on the sign-in page).
    InvalidCredentials,
    /// 50034: no such user in the tenant (shown on the sign-in page).
    UnknownUser {
        /// The tenant's name or id.
        tenant: String,
    },
    /// 50057: the user's account is disabled.
    UserDisabled,
    /// 50053: the account is locked after too many failed sign-ins.
    AccountLocked,
    /// 50020: the user's account is not in the tenant of the request (error page).
    UserNotInTenant(Box<ForeignUser>),
    /// 50194: a single-tenant application on `/common` or `/organizations` (redirected).
    NotMultiTenant {
        /// The client id.
        app_id: String,
        /// The client's display name.
        app_name: String,
    },
    /// 90130: `/v2.0/adminconsent` on `common` (error page).
    AliasNotSupported {
        /// The client id.
        app_id: String,
        /// The client's display name.
        app_name: String,
    },
    /// 650053: a scope the resource does not expose (redirected with `invalid_client`).
    UnknownScope {
        /// The client's display name.
        app_name: String,
        /// The scope value as requested.
        scope: String,
        /// The resource's appId.
        resource_app_id: String,
    },
    /// 65004: the user pressed "Cancel" on the consent page (`access_denied`).
    ConsentDeclined,
    /// 65004 (shares the number with [`Self::ConsentDeclined`], so it is not in the
    /// catalogue): an administrator cancelled `/v2.0/adminconsent` (`consent_required`).
    AdminConsentDeclined,
    /// 65001 (the token endpoint's number for missing consent, so it is not in the catalogue):
    /// `prompt=none` but consent would have to be asked (`consent_required`).
    ConsentRequired {
        /// The client id.
        app_id: String,
        /// The client's display name.
        app_name: String,
    },
    /// 50058: `prompt=none` without a signed-in user (`login_required`).
    LoginRequired,
    /// 90094: the user may not consent to what is asked; an administrator must (`access_denied`).
    AdminApprovalRequired,
}

/// What AADSTS50020 names: a user signing in to a tenant they do not belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignUser {
    /// The user principal name.
    pub upn: String,
    /// The user's identity provider (their home issuer).
    pub idp: String,
    /// The tenant of the request.
    pub tenant: String,
    /// The client id.
    pub app_id: String,
    /// The client's display name.
    pub app_name: String,
}

impl SignInError {
    /// The AADSTS number.
    pub fn code(&self) -> u32 {
        match self {
            Self::RedirectUriMismatch { .. } => 50011,
            Self::NoReplyAddressRegistered => 500113,
            Self::NoReplyAddressProvided => 900971,
            Self::MalformedRedirectUri => 90102,
            Self::InvalidScope(_) | Self::StaticScopeMixed(_) => 70011,
            Self::UnsupportedResponseMode(_) => 70007,
            Self::UnsupportedResponseType(_) => 70005,
            Self::UnsupportedPrompt => 90023,
            Self::InvalidCodeChallengeMethod => 50149,
            Self::InvalidCodeChallengeSize => 501491,
            Self::CodeVerifierMismatch => 501481,
            Self::InvalidCredentials => 50126,
            Self::UnknownUser { .. } => 50034,
            Self::UserDisabled => 50057,
            Self::AccountLocked => 50053,
            Self::UserNotInTenant(_) => 50020,
            Self::NotMultiTenant { .. } => 50194,
            Self::AliasNotSupported { .. } => 90130,
            Self::UnknownScope { .. } => 650053,
            Self::ConsentDeclined | Self::AdminConsentDeclined => 65004,
            Self::ConsentRequired { .. } => 65001,
            Self::LoginRequired => 50058,
            Self::AdminApprovalRequired => 90094,
        }
    }

    /// The OAuth `error` value (of the redirect, or of the token response for PKCE and user
    /// state).
    pub fn oauth_error(&self) -> OAuthError {
        use OAuthError::*;
        match self {
            Self::RedirectUriMismatch { .. }
            | Self::NoReplyAddressRegistered
            | Self::NoReplyAddressProvided
            | Self::MalformedRedirectUri
            | Self::UnsupportedResponseMode(_)
            | Self::UnsupportedPrompt
            | Self::InvalidCodeChallengeMethod
            | Self::InvalidCodeChallengeSize
            | Self::UserNotInTenant(_)
            | Self::NotMultiTenant { .. }
            | Self::AliasNotSupported { .. } => InvalidRequest,
            Self::InvalidScope(_) | Self::StaticScopeMixed(_) => InvalidScope,
            Self::UnsupportedResponseType(_) => UnsupportedResponseType,
            Self::CodeVerifierMismatch
            | Self::InvalidCredentials
            | Self::UnknownUser { .. }
            | Self::UserDisabled
            | Self::AccountLocked => InvalidGrant,
            Self::UnknownScope { .. } => InvalidClient,
            Self::ConsentDeclined | Self::AdminApprovalRequired => AccessDenied,
            Self::AdminConsentDeclined | Self::ConsentRequired { .. } => ConsentRequired,
            Self::LoginRequired => LoginRequired,
        }
    }

    /// One instance of every error whose number is its own, with `{placeholders}`.
    pub fn catalogue() -> Vec<Self> {
        let app_id = || "{appId}".to_owned();
        let app_name = || "{appName}".to_owned();
        vec![
            Self::RedirectUriMismatch { redirect_uri: "{redirectUri}".to_owned(), app_id: app_id() },
            Self::NoReplyAddressRegistered,
            Self::NoReplyAddressProvided,
            Self::MalformedRedirectUri,
            Self::InvalidScope("{scope}".to_owned()),
            Self::UnsupportedResponseMode("{responseMode}".to_owned()),
            Self::UnsupportedResponseType("{responseType}".to_owned()),
            Self::InvalidCodeChallengeMethod,
            Self::InvalidCodeChallengeSize,
            Self::CodeVerifierMismatch,
            Self::InvalidCredentials,
            Self::UnknownUser { tenant: "{tenant}".to_owned() },
            Self::UserDisabled,
            Self::AccountLocked,
            Self::UserNotInTenant(Box::new(ForeignUser {
                upn: "{email}".to_owned(),
                idp: "{idp}".to_owned(),
                tenant: "{tenantName}".to_owned(),
                app_id: app_id(),
                app_name: app_name(),
            })),
            Self::NotMultiTenant { app_id: app_id(), app_name: app_name() },
            Self::AliasNotSupported { app_id: app_id(), app_name: app_name() },
            Self::UnknownScope {
                app_name: app_name(),
                scope: "{scope}".to_owned(),
                resource_app_id: "{resourceAppId}".to_owned(),
            },
            Self::ConsentDeclined,
            Self::LoginRequired,
            Self::AdminApprovalRequired,
        ]
    }
}

impl fmt::Display for SignInError {
    /// Entra's message text, without the `AADSTSnnn: ` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::RedirectUriMismatch { redirect_uri, app_id } => write!(
                f,
                "The redirect URI '{redirect_uri}' specified in the request does not match the redirect URIs configured for the application '{app_id}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this."
            ),
            Self::NoReplyAddressRegistered => f.write_str("No reply address is registered for the application."),
            Self::NoReplyAddressProvided => f.write_str("No reply address provided."),
            Self::MalformedRedirectUri => f.write_str("'redirect_uri' value must be a valid absolute URI."),
            Self::InvalidScope(scope) => write!(
                f,
                "The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid. The scope format is invalid. Scope must be in a valid URI form <https://example/scope> or a valid Guid <guid/scope>."
            ),
            Self::StaticScopeMixed(scope) => write!(
                f,
                "The provided value for the input parameter 'scope' is not valid. The scope '{scope}' is not valid. static scope limit exceeded."
            ),
            Self::UnsupportedResponseMode(mode) => {
                write!(f, "'{mode}' is not a supported value of 'response_mode' when requesting a token.")
            }
            Self::UnsupportedResponseType(kind) => {
                write!(f, "response_type '{kind}' is not enabled for the application.")
            }
            Self::UnsupportedPrompt => f.write_str("Unsupported 'prompt' value."),
            Self::InvalidCodeChallengeMethod => f.write_str("Invalid Code_Challenge_method parameter."),
            Self::InvalidCodeChallengeSize => f.write_str("Invalid size of Code_Challenge parameter."),
            Self::CodeVerifierMismatch => f.write_str(
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            ),
            Self::InvalidCredentials => {
                f.write_str("Error validating credentials due to invalid username or password.")
            }
            Self::UnknownUser { tenant } => write!(
                f,
                "The user account {{EmailHidden}} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory."
            ),
            Self::UserDisabled => f.write_str("The user account is disabled."),
            Self::AccountLocked => f.write_str(
                "The account is locked, you've tried to sign in too many times with an incorrect user ID or password.",
            ),
            Self::UserNotInTenant(user) => write!(
                f,
                "User account '{}' from identity provider '{}' does not exist in tenant '{}' and cannot access the application '{}'({}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
                user.upn, user.idp, user.tenant, user.app_id, user.app_name
            ),
            Self::NotMultiTenant { app_id, app_name } => write!(
                f,
                "Application '{app_id}'({app_name}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant."
            ),
            Self::AliasNotSupported { app_id, app_name } => write!(
                f,
                "Application '{app_id}'({app_name}) is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint."
            ),
            Self::UnknownScope { app_name, scope, resource_app_id } => write!(
                f,
                "The application '{app_name}' asked for scope '{scope}' that doesn't exist on the resource '{resource_app_id}'. Contact the app vendor."
            ),
            Self::ConsentDeclined => f.write_str("User declined to consent to access the app."),
            Self::AdminConsentDeclined => {
                f.write_str("The resource owner or authorization server denied the request.")
            }
            Self::ConsentRequired { app_id, app_name } => write!(
                f,
                "The user or administrator has not consented to use the application with ID '{app_id}' named '{app_name}'. Send an interactive authorization request for this user and resource."
            ),
            Self::LoginRequired => f.write_str("A silent sign-in request was sent but no user is signed in."),
            Self::AdminApprovalRequired => f.write_str("The grant requires admin permission."),
        }
    }
}
