//! The edge of the token endpoint: a form-urlencoded body (and an optional HTTP Basic
//! `Authorization` header) becomes a typed [`TokenRequest`] once, or a [`TokenError`].
//!
//! Strict where RFC 6749 asks for it: the content type must be form-urlencoded (UTF-8),
//! a known parameter may appear at most once (§3.1), percent-encoding must be well formed,
//! values must be UTF-8 without control characters, and only one client-authentication
//! method may be used (§2.3). Lenient where clients need it: an empty value is absent,
//! unknown parameters (`client_info`, `x-client-*`, `claims`, ...) are ignored, and whitespace
//! around `client_assertion` (a token file's trailing newline) is dropped, as Entra does.

use crate::basic::{self, BasicCredentials};
use custos_core::Secret;
use custos_core::aadsts::TokenError;

/// Largest token request body accepted, like oidc-provider's cap.
pub const MAX_BODY_BYTES: usize = 56 * 1024;

/// The only `client_assertion_type` there is.
pub const JWT_BEARER_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Checks `client_assertion_type`: it must be present and name the jwt-bearer type, for certificate
/// and federated assertions alike.
pub(crate) fn require_jwt_bearer(assertion_type: Option<&str>) -> Result<(), TokenError> {
    match assertion_type {
        None => Err(TokenError::MissingParameter("client_assertion_type")),
        Some(JWT_BEARER_ASSERTION_TYPE) => Ok(()),
        Some(_) => Err(TokenError::InvalidParameter("client_assertion_type")),
    }
}

/// How the client authenticates. Not `PartialEq`: secrets are compared in constant time by
/// whoever verifies them, never by `==`.
#[derive(Debug, Clone)]
pub enum ClientCredential {
    /// Nothing was presented.
    None,
    /// A client secret, from the body or the Basic header.
    Secret(Secret<String>),
    /// A signed JWT (`client_assertion`), with the declared `client_assertion_type`.
    Assertion {
        /// The JWT.
        assertion: Secret<String>,
        /// `client_assertion_type` as sent.
        assertion_type: Option<String>,
    },
}

/// A parsed token request. Values are decoded; absent and empty parameters are `None`.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `grant_type`.
    pub grant_type: Option<String>,
    /// `client_id` (from the body, or the Basic user name).
    pub client_id: Option<String>,
    /// `scope` (v2).
    pub scope: Option<String>,
    /// `resource` (v1).
    pub resource: Option<String>,
    /// The client's credential.
    pub credential: ClientCredential,
    /// Whether the client authenticated with the `Authorization` header.
    pub used_basic: bool,
    /// `code` (authorization_code grant).
    pub code: Option<Secret<String>>,
    /// `redirect_uri` (authorization_code grant).
    pub redirect_uri: Option<String>,
    /// `code_verifier` (PKCE).
    pub code_verifier: Option<Secret<String>>,
    /// `refresh_token` (refresh_token grant).
    pub refresh_token: Option<Secret<String>>,
    /// `username` (password grant).
    pub username: Option<String>,
    /// `password` (password grant).
    pub password: Option<Secret<String>>,
    /// Whether `client_info=1` asks for `client_info` in the response.
    pub client_info: bool,
}

/// The parameters this endpoint reads; everything else is ignored.
#[derive(Clone, Copy)]
enum Param {
    GrantType,
    ClientId,
    ClientSecret,
    Scope,
    Resource,
    ClientAssertion,
    ClientAssertionType,
    Code,
    RedirectUri,
    CodeVerifier,
    RefreshToken,
    Username,
    Password,
    ClientInfo,
}

const PARAMS: [(&str, Param); 14] = [
    ("grant_type", Param::GrantType),
    ("client_id", Param::ClientId),
    ("client_secret", Param::ClientSecret),
    ("scope", Param::Scope),
    ("resource", Param::Resource),
    ("client_assertion", Param::ClientAssertion),
    ("client_assertion_type", Param::ClientAssertionType),
    ("code", Param::Code),
    ("redirect_uri", Param::RedirectUri),
    ("code_verifier", Param::CodeVerifier),
    ("refresh_token", Param::RefreshToken),
    ("username", Param::Username),
    ("password", Param::Password),
    ("client_info", Param::ClientInfo),
];

/// Known parameters as found in the body: outer `Option` = seen, inner = non-empty value.
#[derive(Default)]
struct RawParams([Option<Option<String>>; PARAMS.len()]);

impl RawParams {
    fn take(&mut self, param: Param) -> Option<String> {
        self.0[param as usize].take().flatten()
    }
}

/// Checks that `content_type` is `application/x-www-form-urlencoded`, optionally with
/// `charset=utf-8`.
pub fn check_content_type(content_type: Option<&str>) -> Result<(), TokenError> {
    const WRONG: TokenError =
        TokenError::MalformedBody("the content type must be application/x-www-form-urlencoded");
    let Some(value) = content_type else {
        return Err(WRONG);
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Err(WRONG);
    }
    for param in parts {
        let param = param.trim();
        if param.is_empty() {
            continue;
        }
        let (name, val) = param.split_once('=').ok_or(WRONG)?;
        if !name.trim().eq_ignore_ascii_case("charset") {
            continue;
        }
        let charset = val.trim().trim_matches('"');
        if !charset.eq_ignore_ascii_case("utf-8") && !charset.eq_ignore_ascii_case("utf8") {
            return Err(TokenError::MalformedBody("the only supported charset is utf-8"));
        }
    }
    Ok(())
}

impl TokenRequest {
    /// Parses a token request body (content type already checked) and the `Authorization`
    /// header value, if any.
    pub fn parse(body: &[u8], authorization: Option<&[u8]>) -> Result<Self, TokenError> {
        let mut raw = parse_body(body)?;
        let basic = match authorization {
            Some(value) => basic::parse(value)?,
            None => None,
        };
        let secret = raw.take(Param::ClientSecret);
        let assertion = raw.take(Param::ClientAssertion);
        let assertion_type = raw.take(Param::ClientAssertionType);
        let body_client_id = raw.take(Param::ClientId);
        let used_basic = basic.is_some();

        let (client_id, credential) = match (basic, secret, assertion) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
                return Err(TokenError::MultipleClientAuth);
            }
            (Some(BasicCredentials { user, password }), None, None) => {
                if body_client_id.as_ref().is_some_and(|id| *id != user) {
                    return Err(TokenError::ClientIdMismatch);
                }
                // An empty password is no credential at all (empty = absent).
                let credential = if password.expose().is_empty() {
                    ClientCredential::None
                } else {
                    ClientCredential::Secret(password)
                };
                (Some(user), credential)
            }
            (None, Some(secret), None) => (body_client_id, ClientCredential::Secret(Secret::new(secret))),
            (None, None, Some(assertion)) => (
                body_client_id,
                ClientCredential::Assertion { assertion: Secret::new(assertion), assertion_type },
            ),
            (None, None, None) => (body_client_id, ClientCredential::None),
        };
        Ok(Self {
            grant_type: raw.take(Param::GrantType),
            client_id,
            scope: raw.take(Param::Scope),
            resource: raw.take(Param::Resource),
            credential,
            used_basic,
            code: raw.take(Param::Code).map(Secret::new),
            redirect_uri: raw.take(Param::RedirectUri),
            code_verifier: raw.take(Param::CodeVerifier).map(Secret::new),
            refresh_token: raw.take(Param::RefreshToken).map(Secret::new),
            username: raw.take(Param::Username),
            password: raw.take(Param::Password).map(Secret::new),
            client_info: raw.take(Param::ClientInfo).as_deref() == Some("1"),
        })
    }
}

fn parse_body(body: &[u8]) -> Result<RawParams, TokenError> {
    let mut raw = RawParams::default();
    for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &[][..]),
        };
        let name = decode(name).ok_or(TokenError::MalformedBody("a parameter name is not valid"))?;
        let Some(&(static_name, param)) = PARAMS.iter().find(|(known, _)| *known == name) else {
            continue;
        };
        let slot = &mut raw.0[param as usize];
        if slot.is_some() {
            return Err(TokenError::DuplicateParameter(static_name.to_owned()));
        }
        let mut value = decode(value).ok_or(TokenError::InvalidParameter(static_name))?;
        if matches!(param, Param::ClientAssertion) {
            trim_surrounding_whitespace(&mut value);
        }
        if value.chars().any(char::is_control) {
            return Err(TokenError::InvalidParameter(static_name));
        }
        *slot = Some(Some(value).filter(|v| !v.is_empty()));
    }
    Ok(raw)
}

/// Drops whitespace around a value, as Entra does for `client_assertion`: a JWT holds none, and a
/// token file read as it is (azure-identity's `AZURE_FEDERATED_TOKEN_FILE`, a file written with
/// `echo`) ends with a newline. Whitespace inside stays and is refused as a control character.
fn trim_surrounding_whitespace(value: &mut String) {
    let trimmed = value.trim();
    if trimmed.len() != value.len() {
        *value = trimmed.to_owned();
    }
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a space, `%XX` a byte;
/// a malformed escape or a result that is not UTF-8 is `None`.
pub(crate) fn decode(raw: &[u8]) -> Option<String> {
    if !raw.iter().any(|&b| b == b'%' || b == b'+') {
        return std::str::from_utf8(raw).ok().map(str::to_owned);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.iter();
    while let Some(&b) = bytes.next() {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hi = bytes.next().and_then(|&h| hex(h))?;
                let lo = bytes.next().and_then(|&l| hex(l))?;
                out.push(hi << 4 | lo);
            }
            _ => out.push(b),
        }
    }
    String::from_utf8(out).ok()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<TokenRequest, TokenError> {
        TokenRequest::parse(body.as_bytes(), None)
    }

    /// The credential with its values exposed, for comparing in tests.
    fn exposed(credential: &ClientCredential) -> String {
        match credential {
            ClientCredential::None => "None".to_owned(),
            ClientCredential::Secret(secret) => format!("Secret({})", secret.expose()),
            ClientCredential::Assertion { assertion, assertion_type } => {
                format!("Assertion({}, {assertion_type:?})", assertion.expose())
            }
        }
    }

    #[test]
    fn decodes_a_typical_msal_body_and_ignores_unknown_parameters() {
        let req = parse(
            "client_id=abc&grant_type=client_credentials&scope=api%3A%2F%2Fx%2F.default+offline_access\
             &client_info=1&x-client-SKU=MSAL.Python&x-client-SKU=MSAL.Python&client_secret=s%2Bx+y&claims=",
        )
        .unwrap();
        assert_eq!(req.client_id.as_deref(), Some("abc"));
        assert_eq!(req.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(req.scope.as_deref(), Some("api://x/.default offline_access"));
        assert_eq!(exposed(&req.credential), "Secret(s+x y)");
        assert!(!req.used_basic);
        assert!(req.client_info);
        assert_eq!(format!("{:?}", req.credential), "Secret(Secret(<redacted>))");
    }

    #[test]
    fn empty_values_are_absent_and_duplicates_are_refused() {
        let req = parse("grant_type=&scope=&client_id").unwrap();
        assert_eq!(req.grant_type, None);
        assert_eq!(req.scope, None);
        assert_eq!(req.client_id, None);
        assert_eq!(exposed(&req.credential), "None");
        assert_eq!(parse("scope=a&scope=a").unwrap_err(), TokenError::DuplicateParameter("scope".into()));
        assert_eq!(
            parse("grant_type=&grant_type=x").unwrap_err(),
            TokenError::DuplicateParameter("grant_type".into())
        );
        assert_eq!(
            parse("grant%5Ftype=a&grant_type=b").unwrap_err(),
            TokenError::DuplicateParameter("grant_type".into())
        );
    }

    #[test]
    fn refuses_bad_encoding_control_characters_and_non_utf8() {
        assert_eq!(parse("scope=%zz").unwrap_err(), TokenError::InvalidParameter("scope"));
        assert_eq!(parse("scope=%4").unwrap_err(), TokenError::InvalidParameter("scope"));
        assert_eq!(parse("client_id=a%00b").unwrap_err(), TokenError::InvalidParameter("client_id"));
        assert_eq!(parse("client_id=a%0Db").unwrap_err(), TokenError::InvalidParameter("client_id"));
        assert_eq!(parse("client_id=a%0Ab").unwrap_err(), TokenError::InvalidParameter("client_id"));
        assert_eq!(parse("client_id=%FF").unwrap_err(), TokenError::InvalidParameter("client_id"));
        assert_eq!(
            TokenRequest::parse(b"client_id=\xff", None).unwrap_err(),
            TokenError::InvalidParameter("client_id")
        );
        assert!(matches!(parse("a%zz=1"), Err(TokenError::MalformedBody(_))));
    }

    #[test]
    fn whitespace_around_a_client_assertion_is_dropped_and_inside_it_refused() {
        let assertion = |req: TokenRequest| match req.credential {
            ClientCredential::Assertion { assertion, .. } => assertion.expose().to_owned(),
            other => panic!("not an assertion: {other:?}"),
        };
        assert_eq!(assertion(parse("client_assertion=a.b.c%0A").unwrap()), "a.b.c");
        assert_eq!(assertion(parse("client_assertion=+%09a.b.c%0D%0A+").unwrap()), "a.b.c");
        assert_eq!(
            parse("client_assertion=a.b%0A.c").unwrap_err(),
            TokenError::InvalidParameter("client_assertion")
        );
        assert_eq!(exposed(&parse("client_assertion=%0A%0A").unwrap().credential), "None");
        // Only the assertion: other values keep the strict rule.
        assert_eq!(parse("client_id=a%0A").unwrap_err(), TokenError::InvalidParameter("client_id"));
        assert_eq!(parse("client_secret=s%0A").unwrap_err(), TokenError::InvalidParameter("client_secret"));
    }

    #[test]
    fn one_client_authentication_method_only() {
        assert_eq!(parse("client_secret=a&client_assertion=b").unwrap_err(), TokenError::MultipleClientAuth);
        let basic = b"Basic YTpi"; // a:b
        assert_eq!(
            TokenRequest::parse(b"client_secret=x", Some(basic)).unwrap_err(),
            TokenError::MultipleClientAuth
        );
        assert_eq!(
            TokenRequest::parse(b"client_assertion=x", Some(basic)).unwrap_err(),
            TokenError::MultipleClientAuth
        );
        assert_eq!(
            TokenRequest::parse(b"client_id=other", Some(basic)).unwrap_err(),
            TokenError::ClientIdMismatch
        );
        let req = TokenRequest::parse(b"client_id=a", Some(basic)).unwrap();
        assert_eq!(req.client_id.as_deref(), Some("a"));
        assert_eq!(exposed(&req.credential), "Secret(b)");
        assert!(req.used_basic);
        let req = parse("client_assertion=jwt&client_assertion_type=t").unwrap();
        assert_eq!(exposed(&req.credential), r#"Assertion(jwt, Some("t"))"#);
    }

    #[test]
    fn content_type_must_be_form_urlencoded_utf8() {
        assert!(check_content_type(Some("application/x-www-form-urlencoded")).is_ok());
        assert!(check_content_type(Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")).is_ok());
        for bad in ["application/json", "multipart/form-data; boundary=x", "text/plain", ""] {
            assert!(matches!(check_content_type(Some(bad)), Err(TokenError::MalformedBody(_))), "{bad}");
        }
        assert!(check_content_type(None).is_err());
        assert!(check_content_type(Some("application/x-www-form-urlencoded; charset=iso-8859-1")).is_err());
    }
}
