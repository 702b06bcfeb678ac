//! What Graph answers for a path or method the directory API does not serve, so that every
//! answer under `/v1.0`, `/beta` and the admin API's `/admin/v1` carries Graph's error body (az prints `error.message` and
//! crashes on anything else; the SDK raises an unparsable-body error): an unknown segment is
//! 400 `BadRequest` "Resource not found for the segment '{segment}'.", a known path with another
//! method 405 `Request_BadRequest` (filled in by [`crate::error::envelope`]).

use crate::error::GraphError;
use axum::Router;
use axum::extract::{Extension, Request};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;

/// The directory routes a path differing from a served one only in the case of its segment
/// names is run through again (`None` inside them: no second attempt).
#[derive(Clone)]
pub(crate) struct Canonical(pub(crate) Option<Router>);

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

/// `path` with its segment names in Graph's case (az deletes grants at
/// `/oAuth2PermissionGrants/{id}`) and without empty segments (msgraph-sdk with its default base
/// URL asks for `/v1.0//applications`, which Graph serves), when that changes it; ids and keys
/// are left alone.
pub(crate) fn canonical_path(path: &str) -> Option<String> {
    let mut previous = String::new();
    let kept: Vec<&str> =
        path.split('/').enumerate().filter(|(i, s)| *i == 0 || !s.is_empty()).map(|(_, s)| s).collect();
    let mut changed = kept.len() != path.split('/').count();
    let segments: Vec<String> = kept
        .into_iter()
        .map(|segment| {
            let (name, rest) = segment.split_at(segment.find('(').unwrap_or(segment.len()));
            let is_id = COLLECTIONS.contains(&previous.as_str());
            let known = KNOWN.iter().chain(COLLECTIONS).find(|k| k.eq_ignore_ascii_case(name));
            let fixed = match known {
                Some(k) if !is_id && *k != name => {
                    changed = true;
                    format!("{k}{rest}")
                }
                _ => segment.to_owned(),
            };
            previous = if rest.is_empty() {
                known.map_or_else(|| name.to_owned(), |k| (*k).to_owned())
            } else {
                String::new()
            };
            fixed
        })
        .collect();
    changed.then(|| segments.join("/"))
}

/// Any path under `/v1.0`, `/beta` or `/admin/v1` no route serves: run again with Graph's
/// segment case when that differs, else Graph's 400.
pub(crate) async fn not_served(canonical: Option<Extension<Canonical>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let canonical = canonical.and_then(|Extension(Canonical(router))| router);
    if let (Some(router), Some(fixed)) = (canonical, canonical_path(&path)) {
        let (mut parts, body) = request.into_parts();
        let uri = match parts.uri.query() {
            Some(query) => format!("{fixed}?{query}"),
            None => fixed,
        };
        if let Ok(uri) = uri.parse() {
            parts.uri = uri;
            // A fresh routing: only the connection's address is kept (the matched route's
            // parameters would add to the new ones).
            let connection = parts.extensions.remove::<custos_listener::ConnectionInfo>();
            parts.extensions = http::Extensions::new();
            if let Some(connection) = connection {
                parts.extensions.insert(connection);
            }
            return match router.oneshot(Request::from_parts(parts, body)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
        }
        return GraphError::Malformed(format!(
            "Resource not found for the segment '{}'.",
            unknown_segment(&path)
        ))
        .into_response();
    }
    GraphError::Malformed(format!("Resource not found for the segment '{}'.", unknown_segment(&path)))
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::unknown_segment;

    #[test]
    fn segment_names_are_put_in_graphs_case() {
        use super::canonical_path;
        assert_eq!(
            canonical_path("/v1.0/oAuth2PermissionGrants/AbC"),
            Some("/v1.0/oauth2PermissionGrants/AbC".into())
        );
        assert_eq!(
            canonical_path("/v1.0/ServicePrincipals(appId='X')/AppRoleAssignedTo"),
            Some("/v1.0/servicePrincipals(appId='X')/appRoleAssignedTo".into())
        );
        assert_eq!(canonical_path("/v1.0/users/Me"), None, "an id keeps its case");
        assert_eq!(canonical_path("/v1.0//applications"), Some("/v1.0/applications".into()));
        assert_eq!(canonical_path("/v1.0//ServicePrincipals//x/"), Some("/v1.0/servicePrincipals/x".into()));
        assert_eq!(canonical_path("/v1.0/groups/x"), None);
        assert_eq!(canonical_path("/v1.0/applications/x"), None);
    }

    #[test]
    fn the_first_unknown_segment_is_named() {
        assert_eq!(unknown_segment("/v1.0/groups"), "groups");
        assert_eq!(unknown_segment("/v1.0/applications/6f1a/memberOf"), "memberOf");
        assert_eq!(unknown_segment("/v1.0/servicePrincipals(appId='x')/memberOf"), "memberOf");
        assert_eq!(unknown_segment("/v1.0/applications/6f1a/federatedIdentityCredentials/a/b"), "b");
        assert_eq!(unknown_segment("/beta/users"), "users");
    }
}
