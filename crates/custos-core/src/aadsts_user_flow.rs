//! The token endpoint's errors of the user flows (`authorization_code`, `refresh_token`,
//! `password`; `entra-user-flows.md` §6), a part of the one catalogue ([`super::TokenError::UserFlow`]).
//! What the sign-in pages report the same way (a wrong or unknown user, a disabled account, a PKCE
//! verifier that does not match) is [`super::SignInError`]'s, used by both.

use super::OAuthError;
use std::fmt;

/// Why a user-flow token request failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserFlowError {
    /// 9002313: the code or refresh token is not one this server issued.
    MalformedGrant,
    /// 70008: the code (or refresh token) expired.
    ExpiredGrant,
    /// 54005: the code was already redeemed (what it issued is now revoked).
    CodeRedeemed,
    /// 700005: the code was issued on another tenant path.
    CodeForOtherTenant,
    /// 70000: the code or refresh token was issued to another client.
    GrantForOtherClient,
    /// 50011: `redirect_uri` differs from the one the code was issued for.
    RedirectUriMismatch(String),
    /// 700082: the refresh token was unused for too long.
    RefreshTokenExpired { issued: String },
    /// 700084: a single-page app's refresh token passed its fixed lifetime.
    SpaRefreshTokenExpired { issued: String },
    /// 50173: the grant was revoked (password reset, reuse of a rotated token, consent removed).
    GrantRevoked,
    /// 500341: the user no longer exists.
    UserDeleted { user: String, tenant: String },
    /// 65001: no consent for what is asked.
    ConsentRequired { app_id: String, display_name: String },
    /// 70011: a scope is malformed or not granted.
    InvalidScope(String),
    /// 700025: a public client sent a credential.
    PublicClientCredential,
    /// 7000229: the client has no service principal in the tenant (not consented).
    MissingServicePrincipal { app_id: String, tenant: String },
    /// 9002327: a single-page app's code redeemed without `Origin`.
    SpaNeedsCrossOrigin,
    /// 9002326: a cross-origin redemption for a client that is not a single-page app.
    CrossOriginNotSpa,
}

impl UserFlowError {
    /// The AADSTS number.
    pub fn code(&self) -> u32 {
        match self {
            Self::MalformedGrant => 9002313,
            Self::ExpiredGrant => 70008,
            Self::CodeRedeemed => 54005,
            Self::CodeForOtherTenant => 700005,
            Self::GrantForOtherClient => 70000,
            Self::RedirectUriMismatch(_) => 50011,
            Self::RefreshTokenExpired { .. } => 700082,
            Self::SpaRefreshTokenExpired { .. } => 700084,
            Self::GrantRevoked => 50173,
            Self::UserDeleted { .. } => 500341,
            Self::ConsentRequired { .. } => 65001,
            Self::InvalidScope(_) => 70011,
            Self::PublicClientCredential => 700025,
            Self::MissingServicePrincipal { .. } => 7000229,
            Self::SpaNeedsCrossOrigin => 9002327,
            Self::CrossOriginNotSpa => 9002326,
        }
    }

    /// The OAuth `error` value.
    pub fn oauth_error(&self) -> OAuthError {
        match self {
            Self::InvalidScope(_) => OAuthError::InvalidScope,
            Self::PublicClientCredential | Self::MissingServicePrincipal { .. } => OAuthError::InvalidClient,
            Self::SpaNeedsCrossOrigin | Self::CrossOriginNotSpa => OAuthError::InvalidRequest,
            _ => OAuthError::InvalidGrant,
        }
    }

    /// `suberror`, where Entra sends one (MSAL Node drops the cached refresh token on
    /// `bad_token`).
    pub fn suberror(&self) -> Option<&'static str> {
        match self {
            Self::RefreshTokenExpired { .. } | Self::SpaRefreshTokenExpired { .. } | Self::GrantRevoked => {
                Some("bad_token")
            }
            Self::ConsentRequired { .. } => Some("consent_required"),
            _ => None,
        }
    }

    /// One instance of each, with placeholders; not [`Self::MalformedGrant`], whose number the
    /// catalogue already lists for a malformed parameter.
    pub(super) fn catalogue() -> Vec<Self> {
        let p = |s: &str| format!("{{{s}}}");
        vec![
            Self::ExpiredGrant,
            Self::CodeRedeemed,
            Self::CodeForOtherTenant,
            Self::GrantForOtherClient,
            Self::RedirectUriMismatch(p("redirect_uri")),
            Self::RefreshTokenExpired { issued: p("issued") },
            Self::SpaRefreshTokenExpired { issued: p("issued") },
            Self::GrantRevoked,
            Self::UserDeleted { user: p("user"), tenant: p("tenant") },
            Self::ConsentRequired { app_id: p("appId"), display_name: p("appName") },
            Self::InvalidScope(p("scope")),
            Self::PublicClientCredential,
            Self::MissingServicePrincipal { app_id: p("appId"), tenant: p("tenant") },
            Self::SpaNeedsCrossOrigin,
            Self::CrossOriginNotSpa,
        ]
    }
}

impl fmt::Display for UserFlowError {
    /// Entra's wording (`entra-user-flows.md` §6).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MalformedGrant => f.write_str("Invalid request. Request is malformed or invalid."),
            Self::ExpiredGrant => f.write_str(
                "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
            ),
            Self::CodeRedeemed => f.write_str(
                "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
            ),
            Self::CodeForOtherTenant => {
                f.write_str("Provided Authorization Code is intended to use against other tenant, thus rejected.")
            }
            Self::GrantForOtherClient => {
                f.write_str("The provided grant was issued to another client and cannot be used by this one.")
            }
            Self::RedirectUriMismatch(uri) => write!(
                f,
                "The redirect URI '{uri}' specified in the request does not match the redirect URI the authorization code was issued for."
            ),
            Self::RefreshTokenExpired { issued } => write!(
                f,
                "The refresh token has expired due to inactivity. The token was issued on {issued} and was inactive for 90.00:00:00."
            ),
            Self::SpaRefreshTokenExpired { issued } => write!(
                f,
                "The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on {issued}."
            ),
            Self::GrantRevoked => f.write_str(
                "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
            ),
            Self::UserDeleted { user, tenant } => write!(
                f,
                "The user account {user} has been deleted from the {tenant} directory. To sign into this application, the account must be added to the directory."
            ),
            Self::ConsentRequired { app_id, display_name } => write!(
                f,
                "The user or administrator has not consented to use the application with ID '{app_id}' named '{display_name}'. Send an interactive authorization request for this user and resource."
            ),
            Self::InvalidScope(scope) => write!(
                f,
                "The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid."
            ),
            Self::PublicClientCredential => f.write_str(
                "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
            ),
            Self::MissingServicePrincipal { app_id, tenant } => write!(
                f,
                "The client application {app_id} is missing service principal in the tenant {tenant}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119"
            ),
            Self::SpaNeedsCrossOrigin => f.write_str(
                "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
            ),
            Self::CrossOriginNotSpa => f.write_str(
                "Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type.",
            ),
        }
    }
}
