//! The v2 authorize `scope` parameter (`entra-user-flows.md` §1.2, §1.4): space-separated items,
//! each an OIDC scope (`openid profile email offline_access`), `{resource}/{permission}`,
//! `{resource}/.default`, or a bare permission name, which means Microsoft Graph
//! (`User.Read` = `https://graph.microsoft.com/User.Read`). A resource is an identifier URI
//! (`api://…`, `https://…`) or an appId GUID. The resource part may end in `/`
//! (`https://management.azure.com//.default`).

use custos_core::aadsts::SignInError;
use custos_core::ids::GRAPH_IDENTIFIER_URI;
use custos_core::scope::{MAX_SCOPE_LEN, identifier_uri_key};
use uuid::Uuid;

/// The OpenID Connect scopes Entra hosts on Graph.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OidcScope {
    /// `openid`: an ID token.
    OpenId,
    /// `profile`: name claims.
    Profile,
    /// `email`: the `email` claim.
    Email,
    /// `offline_access`: a refresh token.
    OfflineAccess,
}

impl OidcScope {
    /// The scope string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenId => "openid",
            Self::Profile => "profile",
            Self::Email => "email",
            Self::OfflineAccess => "offline_access",
        }
    }

    fn parse(item: &str) -> Option<Self> {
        Some(match item {
            "openid" => Self::OpenId,
            "profile" => Self::Profile,
            "email" => Self::Email,
            "offline_access" => Self::OfflineAccess,
            _ => return None,
        })
    }
}

/// One item of a scope parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScopeItem {
    /// An OIDC scope.
    Oidc(OidcScope),
    /// One delegated permission of a resource.
    Permission {
        /// The resource: an identifier URI or an appId, as written.
        resource: String,
        /// The permission value (`User.Read`).
        value: String,
    },
    /// `{resource}/.default`: every permission the client statically requires on the resource.
    Default {
        /// The resource, as written.
        resource: String,
    },
}

impl ScopeItem {
    /// The resource this item names, if any.
    pub fn resource(&self) -> Option<&str> {
        match self {
            Self::Oidc(_) => None,
            Self::Permission { resource, .. } | Self::Default { resource } => Some(resource),
        }
    }
}

/// A parsed v2 scope parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeSet {
    /// The parameter as sent (what the code carries to the token endpoint).
    pub raw: String,
    /// The distinct items, in request order.
    pub items: Vec<ScopeItem>,
}

impl ScopeSet {
    /// Whether the OIDC scope was asked for.
    pub fn has(&self, scope: OidcScope) -> bool {
        self.items.contains(&ScopeItem::Oidc(scope))
    }

    /// The distinct resources named, in request order (compared as identifier URIs are).
    pub fn resources(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for resource in self.items.iter().filter_map(ScopeItem::resource) {
            if !out.iter().any(|r| identifier_uri_key(r) == identifier_uri_key(resource)) {
                out.push(resource);
            }
        }
        out
    }
}

/// Parses a v2 `scope`. Malformed items and `address`/`phone` give AADSTS70011
/// ([`SignInError::InvalidScope`]); `.default` next to individual permissions of the same
/// resource gives [`SignInError::StaticScopeMixed`].
pub fn parse(raw: &str) -> Result<ScopeSet, SignInError> {
    let invalid = || SignInError::InvalidScope(raw.to_owned());
    if raw.len() > MAX_SCOPE_LEN {
        return Err(invalid());
    }
    let mut items: Vec<ScopeItem> = Vec::new();
    for word in raw.split(' ').filter(|w| !w.is_empty()) {
        let item = parse_item(word).ok_or_else(invalid)?;
        if !items.contains(&item) {
            items.push(item);
        }
    }
    if items.is_empty() {
        return Err(invalid());
    }
    let set = ScopeSet { raw: raw.to_owned(), items };
    for resource in set.resources() {
        let key = identifier_uri_key(resource);
        let same = |r: &str| identifier_uri_key(r) == key;
        let has_default =
            set.items.iter().any(|i| matches!(i, ScopeItem::Default { resource } if same(resource)));
        let has_other =
            set.items.iter().any(|i| matches!(i, ScopeItem::Permission { resource, .. } if same(resource)));
        if has_default && has_other {
            return Err(SignInError::StaticScopeMixed(raw.to_owned()));
        }
    }
    Ok(set)
}

/// A permission value: visible ASCII without `/`, at most 120 characters.
fn is_value(value: &str) -> bool {
    !value.is_empty() && value.len() <= 120 && value.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
}

fn parse_item(word: &str) -> Option<ScopeItem> {
    if let Some(oidc) = OidcScope::parse(word) {
        return Some(ScopeItem::Oidc(oidc));
    }
    if !word.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let (resource, value) = match word.find("://") {
        Some(at) => {
            let after = &word[at + 3..];
            let (host_and_path, value) = after.rsplit_once('/')?;
            if host_and_path.is_empty() || at == 0 {
                return None;
            }
            (&word[..at + 3 + host_and_path.len()], value)
        }
        None => match word.rsplit_once('/') {
            Some((guid, value)) => {
                if guid.len() != 36 || Uuid::try_parse(guid).is_err() {
                    return None;
                }
                (guid, value)
            }
            None => {
                if matches!(word, "address" | "phone") || word.contains(':') {
                    return None;
                }
                (GRAPH_IDENTIFIER_URI, word)
            }
        },
    };
    if value == ".default" {
        return Some(ScopeItem::Default { resource: resource.to_owned() });
    }
    is_value(value).then(|| ScopeItem::Permission { resource: resource.to_owned(), value: value.to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permission(resource: &str, value: &str) -> ScopeItem {
        ScopeItem::Permission { resource: resource.to_owned(), value: value.to_owned() }
    }

    #[test]
    fn msal_s_decorated_scopes_parse() {
        let set = parse("User.Read offline_access openid profile").unwrap();
        assert_eq!(set.items[0], permission("https://graph.microsoft.com", "User.Read"));
        assert!(
            set.has(OidcScope::OpenId) && set.has(OidcScope::Profile) && set.has(OidcScope::OfflineAccess)
        );
        assert!(!set.has(OidcScope::Email));
        assert_eq!(set.resources(), ["https://graph.microsoft.com"]);
        assert_eq!(set.raw, "User.Read offline_access openid profile");
    }

    #[test]
    fn resources_are_uris_or_guids_and_may_end_in_a_slash() {
        let set = parse(
            "api://orders/Orders.Read https://management.azure.com//.default \
             00000003-0000-0000-c000-000000000000/Mail.Read https://manage.office.com/ActivityFeed.Read",
        )
        .unwrap();
        assert_eq!(
            set.items,
            [
                permission("api://orders", "Orders.Read"),
                ScopeItem::Default { resource: "https://management.azure.com/".to_owned() },
                permission("00000003-0000-0000-c000-000000000000", "Mail.Read"),
                permission("https://manage.office.com", "ActivityFeed.Read"),
            ]
        );
        assert_eq!(set.resources().len(), 4);
        let same = parse("api://x/a API://X/b api://x//c openid").unwrap();
        assert_eq!(same.resources(), ["api://x"], "one resource however spelled");
    }

    #[test]
    fn repeats_are_kept_once() {
        let set = parse("openid  openid User.Read User.Read").unwrap();
        assert_eq!(set.items.len(), 2);
    }

    #[test]
    fn malformed_scopes_are_70011() {
        for bad in [
            "",
            "   ",
            "address",
            "openid phone",
            "api://x",
            "api://x/",
            "://x/read",
            "not-a-guid/read",
            "urn:x",
            "api://x/a\u{7f}",
            "api://x/\u{e9}",
            &format!("api://x/{}", "v".repeat(121)),
            &"a ".repeat(3000),
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error, SignInError::InvalidScope(bad.to_owned()), "{bad:?}");
            assert_eq!(error.code(), 70011);
        }
    }

    #[test]
    fn default_may_not_be_mixed_with_permissions_of_the_same_resource() {
        assert_eq!(
            parse("api://x/.default api://x/read"),
            Err(SignInError::StaticScopeMixed("api://x/.default api://x/read".to_owned()))
        );
        assert_eq!(parse("https://graph.microsoft.com/.default User.Read").unwrap_err().code(), 70011);
        assert!(
            parse("api://x/.default User.Read openid offline_access").is_ok(),
            "other resources may be mixed"
        );
        assert!(parse("api://x/.default api://x/.default").is_ok());
    }
}
