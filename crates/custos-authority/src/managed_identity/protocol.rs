//! The two local managed-identity token protocols, as both `custos agent` and the server's
//! development endpoints speak them (entra-wire.md §9): which path is which protocol, the
//! query a token request carries, and the exact success and error bodies.
//!
//! - App Service: `GET /msi/token?resource=R&api-version=2019-08-01` with `X-IDENTITY-HEADER`;
//!   answers `access_token`, `expires_on` (string), `resource`, `token_type`, `client_id`
//!   (+ `expires_in`, `not_before`); errors `{"statusCode","message","correlationId"}`.
//! - IMDS: `GET /metadata/identity/oauth2/token?resource=R&api-version=2018-02-01` with
//!   `Metadata: true`; answers all-string fields (+ an empty `refresh_token`); errors
//!   `{"error","error_description"}`.
//!
//! Paths are matched without case and with an optional trailing slash (MSAL Node lower-cases
//! and appends `/`). Who the caller is (the secret header, the endpoint secret) is the
//! server's business, not this module's.

use axum::Json;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// The App Service protocol's path.
pub const APP_SERVICE_PATH: &str = "/msi/token";
/// The IMDS protocol's path.
pub const IMDS_PATH: &str = "/metadata/identity/oauth2/token";
/// The App Service `api-version` served.
pub const APP_SERVICE_API_VERSION: &str = "2019-08-01";
/// The IMDS `api-version` served.
pub const IMDS_API_VERSION: &str = "2018-02-01";
/// The header App Service clients send the per-host secret in.
pub const IDENTITY_HEADER: &str = "x-identity-header";
/// The identity-selecting query parameters either protocol's clients send.
const SELECTORS: [&str; 5] = ["client_id", "object_id", "principal_id", "mi_res_id", "msi_res_id"];

/// Which protocol a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// `IDENTITY_ENDPOINT` + `X-IDENTITY-HEADER`.
    AppService,
    /// IMDS, `Metadata: true`.
    Imds,
}

impl Protocol {
    /// The protocol a path names: [`APP_SERVICE_PATH`] or [`IMDS_PATH`], in any case, with an
    /// optional trailing slash.
    pub fn from_path(path: &str) -> Option<Self> {
        let path = path.to_ascii_lowercase();
        match path.strip_suffix('/').unwrap_or(&path) {
            APP_SERVICE_PATH => Some(Self::AppService),
            IMDS_PATH => Some(Self::Imds),
            _ => None,
        }
    }

    /// The one `api-version` accepted.
    pub fn api_version(self) -> &'static str {
        match self {
            Self::AppService => APP_SERVICE_API_VERSION,
            Self::Imds => IMDS_API_VERSION,
        }
    }
}

/// A refused request, rendered in the protocol's own error shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    status: StatusCode,
    error: String,
    /// App Service's `message`.
    message: String,
    /// IMDS's `error_description`.
    description: String,
}

impl ProtocolError {
    /// An error whose App Service `message` and IMDS `error_description` are the same text.
    pub fn new(status: StatusCode, error: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self { status, error: error.to_owned(), description: message.clone(), message }
    }

    /// 400 `invalid_request`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    /// 400 with the authority's OAuth error: IMDS shows `error`/`error_description` as the
    /// authority gave them, App Service the message `"{error}: {description}"`.
    pub fn refused(error: &str, description: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: error.to_owned(),
            message: format!("{error}: {description}"),
            description: description.to_owned(),
        }
    }

    /// 500: no token can be had right now; clients retry.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "service_unavailable",
            "The token service is temporarily unavailable; retry later.",
        )
    }

    /// 400: the selector names another identity than the one served.
    pub fn identity_not_found() -> Self {
        Self::bad_request("Identity not found")
    }

    /// 405: not a GET.
    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "invalid_request", "Only GET is supported.")
    }

    /// 401: the App Service secret header is missing or wrong.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code (IMDS `error`).
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The App Service `message`.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The response, in `protocol`'s error shape.
    pub fn render(&self, protocol: Protocol) -> Response {
        let body = match protocol {
            Protocol::Imds => json!({"error": self.error, "error_description": self.description}),
            Protocol::AppService => json!({
                "statusCode": self.status.as_u16(),
                "message": self.message,
                "correlationId": Uuid::new_v4().to_string(),
            }),
        };
        (self.status, no_store(), Json(body)).into_response()
    }
}

fn no_store() -> [(header::HeaderName, &'static str); 1] {
    [(header::CACHE_CONTROL, "no-store")]
}

/// Refuses an IMDS request without `Metadata: true` (what keeps a server-side request forgery
/// that cannot set headers from fetching tokens).
pub fn require_metadata(headers: &HeaderMap) -> Result<(), ProtocolError> {
    let metadata = headers.get("metadata").and_then(|v| v.to_str().ok());
    if metadata.is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        Ok(())
    } else {
        Err(ProtocolError::bad_request("Required metadata header not specified"))
    }
}

/// Which identity a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// `client_id`: the identity's appId.
    ClientId(String),
    /// `object_id` or `principal_id`: the identity's object id.
    ObjectId(String),
    /// `mi_res_id` or `msi_res_id`: an Azure resource id (custos identities have none).
    ResourceId(String),
}

impl Selector {
    /// Whether the selector names the identity with this client id and object id (GUIDs,
    /// compared without case); a resource id never does.
    pub fn names(&self, client_id: &str, object_id: &str) -> bool {
        match self {
            Self::ClientId(id) => id.eq_ignore_ascii_case(client_id),
            Self::ObjectId(id) => id.eq_ignore_ascii_case(object_id),
            Self::ResourceId(_) => false,
        }
    }
}

/// The query of a token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenQuery {
    /// `resource`, non-empty.
    pub resource: String,
    /// The identity selector, when one is given.
    pub selector: Option<Selector>,
}

impl TokenQuery {
    /// Parses and checks a query: the protocol's `api-version`, a `resource`, at most one
    /// selector, no parameter given twice.
    pub fn parse(protocol: Protocol, query: Option<&str>) -> Result<Self, ProtocolError> {
        let params = parameters(query)?;
        let expected = protocol.api_version();
        match params.get("api-version").map(String::as_str) {
            Some(v) if v == expected => {}
            Some(v) => {
                return Err(ProtocolError::bad_request(format!(
                    "The api-version '{v}' is not supported; use api-version={expected}."
                )));
            }
            None => {
                return Err(ProtocolError::bad_request(format!(
                    "Required query variable 'api-version' is missing; use api-version={expected}."
                )));
            }
        }
        let resource = params
            .get("resource")
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| ProtocolError::bad_request("Required query variable 'resource' is missing"))?;
        let mut selectors = SELECTORS.iter().filter_map(|name| params.get(*name).map(|v| (*name, v.clone())));
        let selector = selectors.next().map(|(name, value)| match name {
            "client_id" => Selector::ClientId(value),
            "object_id" | "principal_id" => Selector::ObjectId(value),
            _ => Selector::ResourceId(value),
        });
        if selectors.next().is_some() {
            return Err(ProtocolError::bad_request(
                "Only one of client_id, object_id, principal_id, mi_res_id and msi_res_id may be given.",
            ));
        }
        Ok(Self { resource: resource.clone(), selector })
    }
}

/// The query parameters; a repeated one is refused (it would be ambiguous).
fn parameters(query: Option<&str>) -> Result<HashMap<String, String>, ProtocolError> {
    let mut out = HashMap::new();
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if out.insert(name.to_string(), value.into_owned()).is_some() {
            return Err(ProtocolError::bad_request(format!(
                "The query parameter '{name}' is given more than once."
            )));
        }
    }
    Ok(out)
}

/// A token as either protocol reports it.
#[derive(Clone, Copy)]
pub struct Answer<'a> {
    /// The access token.
    pub access_token: &'a str,
    /// Unix seconds.
    pub expires_on: i64,
    /// Unix seconds.
    pub not_before: i64,
    /// The resource as requested.
    pub resource: &'a str,
    /// The identity's client id (appId).
    pub client_id: &'a str,
}

impl std::fmt::Debug for Answer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Answer")
            .field("expires_on", &self.expires_on)
            .field("resource", &self.resource)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl Answer<'_> {
    /// The success body: every field a string, `expires_in` counted from `now`; IMDS adds an
    /// empty `refresh_token`.
    pub fn body(&self, protocol: Protocol, now: i64) -> Value {
        let mut body = json!({
            "access_token": self.access_token,
            "expires_in": (self.expires_on - now).max(0).to_string(),
            "expires_on": self.expires_on.to_string(),
            "not_before": self.not_before.to_string(),
            "resource": self.resource,
            "token_type": "Bearer",
            "client_id": self.client_id,
        });
        if protocol == Protocol::Imds {
            body["refresh_token"] = json!("");
        }
        body
    }

    /// The 200 response (`Cache-Control: no-store`).
    pub fn respond(&self, protocol: Protocol, now: i64) -> Response {
        (StatusCode::OK, no_store(), Json(self.body(protocol, now))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_ignore_case_and_one_trailing_slash() {
        assert_eq!(Protocol::from_path("/msi/token"), Some(Protocol::AppService));
        assert_eq!(Protocol::from_path("/MSI/Token/"), Some(Protocol::AppService));
        assert_eq!(Protocol::from_path("/metadata/identity/oauth2/token/"), Some(Protocol::Imds));
        assert_eq!(Protocol::from_path("/msi/token//"), None);
        assert_eq!(Protocol::from_path("/msi/tokens"), None);
    }

    #[test]
    fn queries_are_read_strictly() {
        let q = |s| TokenQuery::parse(Protocol::Imds, Some(s));
        assert_eq!(
            q("api-version=2018-02-01&resource=api%3A%2F%2Fr&principal_id=X"),
            Ok(TokenQuery {
                resource: "api://r".to_owned(),
                selector: Some(Selector::ObjectId("X".to_owned()))
            })
        );
        assert_eq!(q("api-version=2018-02-01&resource=r").unwrap().selector, None);
        let message = |s| q(s).unwrap_err().message().to_owned();
        assert_eq!(
            message("api-version=2019-08-01&resource=r"),
            "The api-version '2019-08-01' is not supported; use api-version=2018-02-01."
        );
        assert_eq!(
            message("api-version=2018-02-01&resource=%20"),
            "Required query variable 'resource' is missing"
        );
        assert_eq!(
            message("api-version=2018-02-01&resource=r&client_id=a&msi_res_id=b"),
            "Only one of client_id, object_id, principal_id, mi_res_id and msi_res_id may be given."
        );
        assert_eq!(
            message("api-version=2018-02-01&api-version=2018-02-01&resource=r"),
            "The query parameter 'api-version' is given more than once."
        );
    }

    #[test]
    fn selectors_name_one_identity() {
        assert!(Selector::ClientId("AB".into()).names("ab", "cd"));
        assert!(Selector::ObjectId("CD".into()).names("ab", "cd"));
        assert!(!Selector::ObjectId("ab".into()).names("ab", "cd"));
        assert!(!Selector::ResourceId("/subscriptions/x".into()).names("ab", "cd"));
    }

    #[test]
    fn authority_refusals_keep_their_error() {
        let e = ProtocolError::refused("invalid_resource", "AADSTS500011: gone");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.error(), "invalid_resource");
        assert_eq!(e.message(), "invalid_resource: AADSTS500011: gone");
    }

    #[test]
    fn answers_are_all_strings() {
        let answer = Answer {
            access_token: "t",
            expires_on: 1_000,
            not_before: 100,
            resource: "api://r",
            client_id: "c",
        };
        let body = answer.body(Protocol::AppService, 400);
        assert_eq!(body["expires_in"], "600");
        assert_eq!(body["expires_on"], "1000");
        assert!(body.get("refresh_token").is_none());
        assert_eq!(answer.body(Protocol::Imds, 2_000)["expires_in"], "0");
        assert_eq!(answer.body(Protocol::Imds, 400)["refresh_token"], "");
        assert!(!format!("{answer:?}").contains("\"t\""));
    }
}
