//! Parsing of `scope` (v2) and `resource` (v1) into the one resource a client-credentials
//! request asks for, and the comparison key of identifier URIs ([`identifier_uri_key`]).

use crate::aadsts::TokenError;

/// Longest `scope`/`resource` value accepted (Keycloak CVE-2026-4634: huge scopes).
pub const MAX_SCOPE_LEN: usize = 4096;

/// Parses a v2 `scope` for client credentials into the resource identifier it names: exactly one
/// `{resource}/.default`, the resource being an identifier URI or an appId. `offline_access`,
/// `openid` and `profile` are ignored, as Entra does.
pub fn resource_from_scope(scope: &str) -> Result<String, TokenError> {
    if scope.len() > MAX_SCOPE_LEN {
        return Err(TokenError::InvalidParameter("scope"));
    }
    let mut resource: Option<&str> = None;
    for item in scope.split(' ').filter(|s| !s.is_empty()) {
        if matches!(item, "openid" | "profile" | "offline_access" | "email") {
            continue;
        }
        let Some(res) = item.strip_suffix("/.default") else {
            return Err(TokenError::ScopeNotDefault(item.to_owned()));
        };
        if res.is_empty() {
            return Err(TokenError::ScopeNotDefault(item.to_owned()));
        }
        match resource {
            None => resource = Some(res),
            Some(prev) if prev == res => {}
            Some(_) => return Err(TokenError::MultipleResources),
        }
    }
    resource.map(str::to_owned).ok_or(TokenError::MissingParameter("scope"))
}

/// The form in which identifier URIs are compared for uniqueness within a tenant: without
/// trailing slashes and with ASCII letters in lower case, so that `api://X/` and `api://x` cannot
/// name two applications (the token endpoint finds a URI with or without one trailing slash).
///
/// Only ASCII is folded: identifier URIs are ASCII (the directory refuses anything else), and the
/// database migrations that backfill this key fold exactly the same characters.
pub fn identifier_uri_key(uri: &str) -> String {
    uri.trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_scope_names_one_resource() {
        assert_eq!(resource_from_scope("api://x/.default").unwrap(), "api://x");
        assert_eq!(
            resource_from_scope("https://management.azure.com//.default").unwrap(),
            "https://management.azure.com/"
        );
        assert_eq!(resource_from_scope("api://x/.default offline_access").unwrap(), "api://x");
        assert_eq!(
            resource_from_scope("api://x/read"),
            Err(TokenError::ScopeNotDefault("api://x/read".into()))
        );
        assert_eq!(
            resource_from_scope("api://x/.default api://y/.default"),
            Err(TokenError::MultipleResources)
        );
        assert_eq!(resource_from_scope("  "), Err(TokenError::MissingParameter("scope")));
        assert_eq!(resource_from_scope("/.default"), Err(TokenError::ScopeNotDefault("/.default".into())));
    }

    #[test]
    fn identifier_uri_keys_ignore_trailing_slashes_and_ascii_case() {
        assert_eq!(identifier_uri_key("api://x"), "api://x");
        assert_eq!(identifier_uri_key("api://x/"), "api://x");
        assert_eq!(identifier_uri_key("API://X//"), "api://x");
        assert_eq!(
            identifier_uri_key("https://Orders.Contoso.Example/v1/"),
            "https://orders.contoso.example/v1"
        );
        assert_eq!(identifier_uri_key("urn:\u{c9}t\u{e9}"), "urn:\u{c9}t\u{e9}");
        assert_ne!(identifier_uri_key("api://x/y"), identifier_uri_key("api://xy"));
    }
}
