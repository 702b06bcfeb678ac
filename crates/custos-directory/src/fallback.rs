//! What Graph answers for a path or method the directory API does not serve, so that every
//! answer under `/v1.0`, `/beta` and the admin API's `/admin/v1` carries Graph's error body (az prints `error.message` and
//! crashes on anything else; the SDK raises an unparsable-body error): an unknown segment is
//! 400 `BadRequest` "Resource not found for the segment '{segment}'.", a known path with another
//! method 405 `Request_BadRequest` (filled in by [`crate::error::envelope`]).

use crate::error::GraphError;
use axum::extract::OriginalUri;

/// Segments the directory API serves, by name (the rest of a path is ids and keys).
const KNOWN: &[&str] = &[
    "v1.0",
    "beta",
    "admin",
    "v1",
    "tenants",
    "signing-keys",
    "rotate",
    "settings",
    "consent",
    "managedIdentities",
    "credentials",
    "endpointSecret",
    "applications",
    "servicePrincipals",
    "users",
    "me",
    "organization",
    "oauth2PermissionGrants",
    "roleManagement",
    "directory",
    "roleAssignments",
    "auditLogs",
    "directoryAudits",
    "signIns",
    "federatedIdentityCredentials",
    "appRoleAssignedTo",
    "appRoleAssignments",
    "addPassword",
    "removePassword",
    "addKey",
    "removeKey",
    "revokeSignInSessions",
    "directoryObjects",
    "getByIds",
    "owners",
    "$ref",
];

/// Collections whose next segment is a member's id.
const COLLECTIONS: &[&str] = &[
    "tenants",
    "managedIdentities",
    "applications",
    "servicePrincipals",
    "users",
    "oauth2PermissionGrants",
    "roleAssignments",
    "directoryAudits",
    "signIns",
    "federatedIdentityCredentials",
    "appRoleAssignedTo",
    "appRoleAssignments",
    "owners",
];

/// The first segment of `path` that is neither a served name nor an id or key after a
/// collection (`applications(appId='…')` counts as its set's name).
pub(crate) fn unknown_segment(path: &str) -> String {
    let mut previous = "";
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        let name = segment.split('(').next().unwrap_or(segment);
        let known = KNOWN.contains(&name) || COLLECTIONS.contains(&previous);
        if !known {
            return segment.to_owned();
        }
        previous = if segment.contains('(') { "" } else { name };
    }
    path.rsplit('/').find(|s| !s.is_empty()).unwrap_or_default().to_owned()
}

/// Any path under `/v1.0` or `/beta` no route serves.
pub(crate) async fn not_served(OriginalUri(uri): OriginalUri) -> GraphError {
    GraphError::Malformed(format!("Resource not found for the segment '{}'.", unknown_segment(uri.path())))
}

#[cfg(test)]
mod tests {
    use super::unknown_segment;

    #[test]
    fn the_first_unknown_segment_is_named() {
        assert_eq!(unknown_segment("/v1.0/groups"), "groups");
        assert_eq!(unknown_segment("/v1.0/applications/6f1a/memberOf"), "memberOf");
        assert_eq!(unknown_segment("/v1.0/servicePrincipals(appId='x')/memberOf"), "memberOf");
        assert_eq!(unknown_segment("/v1.0/applications/6f1a/federatedIdentityCredentials/a/b"), "b");
        assert_eq!(unknown_segment("/beta/users"), "users");
    }
}
