//! Typed identifiers. Each is a GUID on the wire, printed in lower-case hyphenated form.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// A string that is not a GUID in the canonical 8-4-4-4-12 form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid GUID")]
pub struct ParseIdError(pub String);

/// Parses only the canonical hyphenated form (36 ASCII characters, any case), so that
/// `{...}`, `urn:uuid:` and simple forms never alias a stored id.
fn parse_canonical(s: &str) -> Result<Uuid, ParseIdError> {
    if s.len() != 36 {
        return Err(ParseIdError(s.to_owned()));
    }
    Uuid::try_parse(s).map_err(|_| ParseIdError(s.to_owned()))
}

macro_rules! guid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new random id.
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            /// The underlying GUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = ParseIdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_canonical(s).map(Self)
            }
        }
    };
}

guid_id!(
    /// A directory tenant (`tid`).
    TenantId
);
guid_id!(
    /// An application's client id (`appId`, `appid`, `azp`).
    AppId
);
guid_id!(
    /// The object id of an application, service principal or managed identity (`id`, `oid`).
    ObjectId
);

/// The well-known appId of the directory API (Microsoft Graph).
pub const GRAPH_APP_ID: AppId = AppId(Uuid::from_u128(0x00000003_0000_0000_c000_000000000000));

/// The identifier URI of the directory API.
pub const GRAPH_IDENTIFIER_URI: &str = "https://graph.microsoft.com";

/// The admin portal's client id: the Azure portal's, as Entra's first-party clients keep theirs.
pub const PORTAL_APP_ID: AppId = AppId(Uuid::from_u128(0xc44b4083_3bb0_49c1_b47d_974e53cbdf3c));

/// The directory API's delegated permissions the admin portal asks for (Microsoft Graph's values).
pub const PORTAL_SCOPES: &[&str] = &[
    "Application.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "Directory.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "User.ReadWrite.All",
    "AuditLog.Read.All",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_only_canonical_guids() {
        let id: AppId = "00000003-0000-0000-C000-000000000000".parse().unwrap();
        assert_eq!(id, GRAPH_APP_ID);
        assert_eq!(id.to_string(), "00000003-0000-0000-c000-000000000000");
        for bad in [
            "{00000003-0000-0000-c000-000000000000}",
            "00000003000000000c000000000000000",
            "urn:uuid:00000003-0000-0000-c000-000000000000",
            "",
            "graph",
        ] {
            assert!(bad.parse::<AppId>().is_err(), "{bad}");
        }
    }
}
