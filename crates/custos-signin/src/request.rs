//! Authorize requests (`entra-user-flows.md` §1.2): the query of `GET /{tenant}/oauth2/authorize`
//! (v1, `resource=`) or `/oauth2/v2.0/authorize` (v2, `scope=`), or the same fields posted back
//! by custos' own forms. Parsing is in two steps, following §1.9: [`Params::parse`] collects the
//! known parameters and exposes the two a handler must validate before anything may be
//! redirected (`client_id`, `redirect_uri`, errors on a page); [`Params::validate`] then checks
//! the rest, whose errors are redirected (except a malformed `scope`, shown on a page).
//!
//! A known parameter sent twice is refused; an empty one is absent; unknown ones (`claims`,
//! `clidata`, `X-AnchorMailbox`, `x-client-*`, `client-request-id`, `sid`, `instance_aware`, …)
//! are ignored.

use crate::error::AuthorizeError;
use crate::pkce;
use crate::scopes::{self, ScopeSet};
use custos_core::aadsts::{SignInError, TokenError};
use custos_core::scope::MAX_SCOPE_LEN;

/// Longest value of any parameter.
pub const MAX_VALUE_LEN: usize = MAX_SCOPE_LEN;

/// The parameters custos reads; everything else is ignored.
const KNOWN: [&str; 15] = [
    "client_id",
    "redirect_uri",
    "response_type",
    "response_mode",
    "scope",
    "resource",
    "state",
    "nonce",
    "prompt",
    "login_hint",
    "domain_hint",
    "code_challenge",
    "code_challenge_method",
    "client_info",
    "max_age",
];

/// Which authorize endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// `/{tenant}/oauth2/authorize`: `resource=`, `prompt=admin_consent`.
    V1,
    /// `/{tenant}/oauth2/v2.0/authorize`: `scope=`.
    V2,
}

/// Where the authorization response goes (§1.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResponseMode {
    /// In the redirect URI's query (the default for `code`).
    #[default]
    Query,
    /// In the redirect URI's fragment.
    Fragment,
    /// Posted by an HTML form.
    FormPost,
}

impl ResponseMode {
    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "query" => Self::Query,
            "fragment" => Self::Fragment,
            "form_post" => Self::FormPost,
            _ => return None,
        })
    }
}

/// `prompt` (§1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Ask for credentials even when a session exists (`create` is treated the same).
    Login,
    /// Never show a page: answer `login_required` or `consent_required` instead.
    None,
    /// Show the consent page even when consent exists.
    Consent,
    /// Show the account choice (custos: the sign-in page, prefilled with the session's user).
    SelectAccount,
    /// v1 only: an administrator consents for the whole tenant.
    AdminConsent,
}

impl Prompt {
    fn parse(value: &str, version: Version) -> Option<Self> {
        Some(match value {
            "login" | "create" => Self::Login,
            "none" => Self::None,
            "consent" => Self::Consent,
            "select_account" => Self::SelectAccount,
            "admin_consent" if version == Version::V1 => Self::AdminConsent,
            _ => return None,
        })
    }
}

/// The known parameters of a request, before validation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    values: [Option<String>; KNOWN.len()],
    duplicated: [bool; KNOWN.len()],
}

/// A validated authorize request (the client and redirect URI are validated by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// The endpoint.
    pub version: Version,
    /// Where the response goes.
    pub response_mode: ResponseMode,
    /// v2: the scopes (required there).
    pub scope: Option<ScopeSet>,
    /// v1: the `resource`, as sent.
    pub resource: Option<String>,
    /// Echoed unchanged.
    pub state: Option<String>,
    /// Echoed in the ID token.
    pub nonce: Option<String>,
    /// `prompt`.
    pub prompt: Option<Prompt>,
    /// Prefills the user name.
    pub login_hint: Option<String>,
    /// A domain naming the user's tenant.
    pub domain_hint: Option<String>,
    /// The S256 PKCE challenge.
    pub code_challenge: Option<String>,
    /// `client_info=1`: the response carries `client_info`.
    pub client_info: bool,
    /// `max_age` in seconds.
    pub max_age: Option<u64>,
}

impl Params {
    /// Collects the known parameters of an `application/x-www-form-urlencoded` string (a query
    /// or a form body). Never fails: problems surface in the accessors.
    pub fn parse(raw: &str) -> Self {
        let mut params = Self::default();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            let Some(index) = KNOWN.iter().position(|k| *k == name) else { continue };
            if value.is_empty() {
                continue;
            }
            if params.values[index].is_some() {
                params.duplicated[index] = true;
            }
            params.values[index] = Some(value.into_owned());
        }
        params
    }

    /// The parameters as `(name, value)` pairs, in a fixed order: what custos' forms carry
    /// back in their hidden `ctx` field.
    pub fn encode(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in KNOWN.iter().zip(&self.values) {
            if let Some(value) = value {
                out.append_pair(name, value);
            }
        }
        out.finish()
    }

    fn get(&self, name: &str) -> Option<&str> {
        let index = KNOWN.iter().position(|k| *k == name)?;
        self.values[index].as_deref()
    }

    fn is_duplicated(&self, name: &str) -> bool {
        KNOWN.iter().position(|k| *k == name).is_some_and(|i| self.duplicated[i])
    }

    /// A value checked for length and control characters.
    fn checked(&self, name: &'static str) -> Result<Option<&str>, TokenError> {
        if self.is_duplicated(name) {
            return Err(TokenError::DuplicateParameter(name.to_owned()));
        }
        match self.get(name) {
            Some(v) if v.len() > MAX_VALUE_LEN || v.chars().any(char::is_control) => {
                Err(TokenError::InvalidParameter(name))
            }
            v => Ok(v),
        }
    }

    /// `client_id` (errors go on a page): missing → 900144, repeated → 90014.
    pub fn client_id(&self) -> Result<&str, AuthorizeError> {
        self.checked("client_id")
            .map_err(AuthorizeError::page)?
            .ok_or_else(|| AuthorizeError::page(TokenError::MissingParameter("client_id")))
    }

    /// `redirect_uri`, if sent (errors go on a page): repeated → 90014, control characters or
    /// overlong → 90102.
    pub fn redirect_uri(&self) -> Result<Option<&str>, AuthorizeError> {
        self.checked("redirect_uri").map_err(|e| match e {
            TokenError::InvalidParameter(_) => AuthorizeError::page(SignInError::MalformedRedirectUri),
            e => AuthorizeError::page(e),
        })
    }

    /// The response mode errors are redirected with: the requested one when valid, else
    /// `query`.
    pub fn response_mode(&self) -> ResponseMode {
        self.get("response_mode").and_then(ResponseMode::parse).unwrap_or_default()
    }

    /// The `state` to echo in a redirected error, when it is acceptable.
    pub fn state(&self) -> Option<&str> {
        self.checked("state").ok().flatten()
    }

    /// Validates everything but the client and the redirect URI.
    pub fn validate(&self, version: Version) -> Result<AuthorizeRequest, AuthorizeError> {
        let redirect = |e: TokenError| AuthorizeError::redirect(e);
        if let Some((name, _)) = KNOWN.iter().zip(self.duplicated).find(|(_, d)| *d) {
            return Err(redirect(TokenError::DuplicateParameter((*name).to_owned())));
        }
        let get = |name: &'static str| self.checked(name).map_err(redirect);
        let response_mode = match get("response_mode")? {
            None => ResponseMode::Query,
            Some(v) => ResponseMode::parse(v)
                .ok_or_else(|| redirect(SignInError::UnsupportedResponseMode(v.to_owned()).into()))?,
        };
        match get("response_type")? {
            Some("code") => {}
            Some(other) => {
                return Err(redirect(SignInError::UnsupportedResponseType(other.to_owned()).into()));
            }
            None => return Err(redirect(TokenError::MissingParameter("response_type"))),
        }
        let prompt = match get("prompt")? {
            None => None,
            Some(v) => Some(
                Prompt::parse(v, version).ok_or_else(|| redirect(SignInError::UnsupportedPrompt.into()))?,
            ),
        };
        let (scope, resource) = match version {
            Version::V2 => {
                if get("resource")?.is_some() {
                    return Err(redirect(TokenError::ResourceOnV2));
                }
                let raw = self.get("scope").unwrap_or_default();
                let set = scopes::parse(raw).map_err(AuthorizeError::page)?;
                (Some(set), None)
            }
            Version::V1 => (None, get("resource")?.map(str::to_owned)),
        };
        let code_challenge = pkce::check_challenge(get("code_challenge")?, get("code_challenge_method")?)
            .map_err(|e| redirect(e.into()))?;
        let max_age = match get("max_age")? {
            None => None,
            Some(v) => Some(v.parse::<u64>().map_err(|_| redirect(TokenError::InvalidParameter("max_age")))?),
        };
        let owned = |name| get(name).map(|v| v.map(str::to_owned));
        Ok(AuthorizeRequest {
            version,
            response_mode,
            scope,
            resource,
            state: owned("state")?,
            nonce: owned("nonce")?,
            prompt,
            login_hint: owned("login_hint")?,
            domain_hint: owned("domain_hint")?,
            code_challenge,
            client_info: get("client_info")? == Some("1"),
            max_age,
        })
    }
}

impl Params {
    /// Validates an admin-consent request: `/adminconsent` reads `state` (its `client_id` and
    /// `redirect_uri` are the caller's); `/v2.0/adminconsent` also requires `scope`. The answer
    /// always goes in the query, and the request behaves like `prompt=admin_consent`.
    pub fn validate_admin_consent(&self, version: Version) -> Result<AuthorizeRequest, AuthorizeError> {
        let redirect = |e: TokenError| AuthorizeError::redirect(e);
        let state = self.checked("state").map_err(redirect)?.map(str::to_owned);
        let scope = match version {
            Version::V1 => None,
            Version::V2 => {
                if self.is_duplicated("scope") {
                    return Err(redirect(TokenError::DuplicateParameter("scope".to_owned())));
                }
                Some(scopes::parse(self.get("scope").unwrap_or_default()).map_err(AuthorizeError::page)?)
            }
        };
        Ok(AuthorizeRequest {
            version,
            response_mode: ResponseMode::Query,
            scope,
            resource: None,
            state,
            nonce: None,
            prompt: Some(Prompt::AdminConsent),
            login_hint: None,
            domain_hint: None,
            code_challenge: None,
            client_info: false,
            max_age: None,
        })
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
