//! Which resource and which delegated permissions a user-flow token request asks for, and what
//! the response's `scope` says (`entra-user-flows.md` §3.3, §4.3).

use custos_core::aadsts::{TokenError, UserFlowError};
use custos_core::ids::GRAPH_IDENTIFIER_URI;
use custos_core::sign_in::AuthorizeEndpoint;

/// The OpenID Connect scopes, hosted on the directory API.
pub(crate) const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// A request's resource and permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asked {
    /// The resource as requested (v1 `resource`; v2 the scopes' prefix, Graph for bare names).
    pub(crate) resource: String,
    /// Permission values asked of the resource; empty means everything consented (`.default`,
    /// v1, or only OIDC scopes).
    pub(crate) values: Vec<String>,
    /// The v2 scope strings of the resource as spelled, to echo.
    pub(crate) spelled: Vec<String>,
    /// Whether a `{resource}/.default` was asked.
    pub(crate) default: bool,
    /// The OIDC scopes asked.
    pub(crate) oidc: Vec<String>,
}

impl Asked {
    /// Whether an ID token is wanted (always on v1).
    pub(crate) fn openid(&self, endpoint: AuthorizeEndpoint) -> bool {
        endpoint == AuthorizeEndpoint::V1 || self.oidc.iter().any(|s| s == "openid")
    }

    /// Whether a refresh token is wanted (always on v1).
    pub(crate) fn offline(&self, endpoint: AuthorizeEndpoint) -> bool {
        endpoint == AuthorizeEndpoint::V1 || self.oidc.iter().any(|s| s == "offline_access")
    }

    /// The response's `scope`: on v1 the granted values; on v2 the granted scopes as spelled
    /// (with `.default` expanded next to itself) and the OIDC scopes but `offline_access`.
    pub(crate) fn response_scope(&self, endpoint: AuthorizeEndpoint, granted: &[&str]) -> String {
        if endpoint == AuthorizeEndpoint::V1 {
            return granted.join(" ");
        }
        let graph = self.resource == GRAPH_IDENTIFIER_URI;
        let qualify =
            |value: &str| if graph { value.to_owned() } else { format!("{}/{value}", self.resource) };
        let mut out: Vec<String> = if self.values.is_empty() {
            granted.iter().map(|v| qualify(v)).collect()
        } else {
            self.spelled.clone()
        };
        if self.default {
            out.push(format!("{}/.default", self.resource));
        }
        out.extend(self.oidc.iter().filter(|s| *s != "offline_access").cloned());
        out.join(" ")
    }
}

/// Reads the v1 `resource` or v2 `scope` of a request (falling back to what the code was issued
/// for); the public origin names the directory API ([`custos_core::resource_alias`]).
pub(crate) fn asked(
    public_url: &str,
    endpoint: AuthorizeEndpoint,
    resource: Option<&str>,
    scope: Option<&str>,
) -> Result<Asked, TokenError> {
    let mut asked = read(endpoint, resource, scope)?;
    asked.resource = custos_core::resource_alias::canonical(public_url, asked.resource);
    Ok(asked)
}

fn read(
    endpoint: AuthorizeEndpoint,
    resource: Option<&str>,
    scope: Option<&str>,
) -> Result<Asked, TokenError> {
    match endpoint {
        AuthorizeEndpoint::V1 => {
            let resource = resource.ok_or(TokenError::MissingParameter("resource"))?;
            Ok(Asked {
                resource: resource.to_owned(),
                values: Vec::new(),
                spelled: Vec::new(),
                default: false,
                oidc: Vec::new(),
            })
        }
        AuthorizeEndpoint::V2 => parse_v2(scope.ok_or(TokenError::MissingParameter("scope"))?),
    }
}

fn parse_v2(scope: &str) -> Result<Asked, TokenError> {
    let mut asked = Asked {
        resource: String::new(),
        values: Vec::new(),
        spelled: Vec::new(),
        default: false,
        oidc: Vec::new(),
    };
    for token in scope.split(' ').filter(|t| !t.is_empty()) {
        if OIDC_SCOPES.contains(&token) {
            if !asked.oidc.iter().any(|s| s == token) {
                asked.oidc.push(token.to_owned());
            }
            continue;
        }
        let (resource, value) = match token.rsplit_once('/') {
            Some((resource, value)) if resource.contains(':') => (resource, value),
            Some(_) => return Err(UserFlowError::InvalidScope(token.to_owned()).into()),
            None => (GRAPH_IDENTIFIER_URI, token),
        };
        if value.is_empty() {
            return Err(UserFlowError::InvalidScope(token.to_owned()).into());
        }
        if asked.resource.is_empty() {
            asked.resource = resource.to_owned();
        } else if asked.resource != resource {
            // Several resources: the token is for the first (Entra's rule); the others were
            // consented at /authorize and are reached by refreshing.
            continue;
        }
        if value == ".default" {
            asked.default = true;
        } else {
            asked.values.push(value.to_owned());
            asked.spelled.push(token.to_owned());
        }
    }
    if asked.default && !asked.values.is_empty() {
        return Err(UserFlowError::InvalidScope(scope.to_owned()).into());
    }
    if asked.resource.is_empty() {
        asked.resource = GRAPH_IDENTIFIER_URI.to_owned();
    }
    Ok(asked)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://localhost:8443";

    #[test]
    fn the_public_origin_names_the_directory_api() {
        let a = asked(URL, AuthorizeEndpoint::V2, None, Some("https://localhost/.default openid")).unwrap();
        assert_eq!(a.resource, GRAPH_IDENTIFIER_URI);
        assert!(a.default);
        let a = asked(URL, AuthorizeEndpoint::V1, Some("https://localhost:8443/"), None).unwrap();
        assert_eq!(a.resource, GRAPH_IDENTIFIER_URI);
        let a = asked(URL, AuthorizeEndpoint::V2, None, Some("https://localhost:8443/User.Read")).unwrap();
        assert_eq!((a.resource.as_str(), a.values), (GRAPH_IDENTIFIER_URI, vec!["User.Read".to_owned()]));
    }

    #[test]
    fn bare_names_are_graph_and_oidc_scopes_are_apart() {
        let a =
            asked(URL, AuthorizeEndpoint::V2, None, Some("User.Read openid profile offline_access")).unwrap();
        assert_eq!(a.resource, GRAPH_IDENTIFIER_URI);
        assert_eq!(a.values, ["User.Read"]);
        assert_eq!(a.oidc, ["openid", "profile", "offline_access"]);
        assert!(a.openid(AuthorizeEndpoint::V2) && a.offline(AuthorizeEndpoint::V2));
        assert_eq!(a.response_scope(AuthorizeEndpoint::V2, &["User.Read"]), "User.Read openid profile");
    }

    #[test]
    fn default_scopes_echo_themselves_and_the_granted_ones() {
        let a = asked(URL, AuthorizeEndpoint::V2, None, Some("https://manage.office.com/.default openid"))
            .unwrap();
        assert!(a.default && a.values.is_empty());
        assert_eq!(
            a.response_scope(AuthorizeEndpoint::V2, &["ActivityFeed.Read"]),
            "https://manage.office.com/ActivityFeed.Read https://manage.office.com/.default openid"
        );
        assert!(!a.offline(AuthorizeEndpoint::V2));
    }

    #[test]
    fn malformed_and_mixed_scopes_are_refused() {
        for bad in ["api://x/.default api://x/Read", "a/b", "api://x/"] {
            let e = asked(URL, AuthorizeEndpoint::V2, None, Some(bad)).unwrap_err();
            assert_eq!(e.code(), 70011, "{bad}");
        }
        assert_eq!(
            asked(URL, AuthorizeEndpoint::V2, None, None).unwrap_err(),
            TokenError::MissingParameter("scope")
        );
        assert_eq!(
            asked(URL, AuthorizeEndpoint::V1, None, None).unwrap_err(),
            TokenError::MissingParameter("resource")
        );
    }

    #[test]
    fn v1_asks_for_everything_consented_and_reports_values() {
        let a = asked(URL, AuthorizeEndpoint::V1, Some("https://manage.office.com"), None).unwrap();
        assert!(a.openid(AuthorizeEndpoint::V1) && a.offline(AuthorizeEndpoint::V1));
        assert_eq!(
            a.response_scope(AuthorizeEndpoint::V1, &["ActivityFeed.Read", "ServiceHealth.Read"]),
            "ActivityFeed.Read ServiceHealth.Read"
        );
    }
}
