//! Route selection: the longest configured prefix that matches a normalised path on a segment
//! boundary, compared ASCII case-insensitively (so `/ADMIN/` can never slip past an `/admin/` route
//! into a catch-all on a case-insensitive upstream), and the path that is then forwarded.

use crate::config::RouteConfig;

/// The configured routes, longest prefix first.
#[derive(Debug, Clone)]
pub(crate) struct RouteTable {
    routes: Vec<RouteConfig>,
}

impl RouteTable {
    pub(crate) fn new(mut routes: Vec<RouteConfig>) -> Self {
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix().len()));
        Self { routes }
    }

    /// The route for `path` (already normalised), if any. The query never takes part.
    pub(crate) fn find(&self, path: &str) -> Option<&RouteConfig> {
        self.routes.iter().find(|route| matches(route.prefix(), path))
    }
}

/// `prefix` matches `path` when `path` starts with it and the match ends on a segment boundary:
/// `/api` matches `/api` and `/api/x` but not `/apix`; `/api/` matches `/api/` and `/api/x` only.
fn matches(prefix: &str, path: &str) -> bool {
    let Some(head) = path.get(..prefix.len()) else { return false };
    if !head.eq_ignore_ascii_case(prefix) {
        return false;
    }
    prefix.ends_with('/') || path.len() == prefix.len() || path.as_bytes()[prefix.len()] == b'/'
}

/// The path the upstream receives: the normalised path, without the route's prefix when the route
/// strips it (always keeping a leading `/`), under the upstream's base path.
pub(crate) fn upstream_path(route: &RouteConfig, path: &str) -> String {
    let tail = if route.strip_prefix() { path.get(route.prefix().len()..).unwrap_or_default() } else { path };
    let tail = tail.strip_prefix('/').unwrap_or(tail);
    format!("{}/{tail}", route.upstream().base_path())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GatewayConfig;

    fn table(routes: &[(&str, bool)]) -> RouteTable {
        let mut text = "[guard]\nAuthority = \"https://localhost:8443\"\nServiceAuthTenantId = \"72f988bf-86f1-41af-91ab-2d7cd011db47\"\nServiceAuthAudience = \"api://x\"\n".to_owned();
        for (i, (prefix, strip)) in routes.iter().enumerate() {
            text.push_str(&format!(
                "[[routes]]\nprefix = \"{prefix}\"\nupstream = \"http://u{i}/base\"\nstrip_prefix = {strip}\n"
            ));
        }
        RouteTable::new(GatewayConfig::from_toml_str(&text).unwrap().routes().to_vec())
    }

    fn found<'a>(table: &'a RouteTable, path: &str) -> Option<&'a str> {
        table.find(path).map(RouteConfig::prefix)
    }

    #[test]
    fn longest_prefix_on_segment_boundaries() {
        let t = table(&[("/", false), ("/api/", false), ("/api/admin", false), ("/files", false)]);
        assert_eq!(found(&t, "/api/x"), Some("/api/"));
        assert_eq!(found(&t, "/api/admin"), Some("/api/admin"));
        assert_eq!(found(&t, "/api/admin/users"), Some("/api/admin"));
        assert_eq!(found(&t, "/api/administrators"), Some("/api/"));
        assert_eq!(found(&t, "/API/ADMIN/users"), Some("/api/admin"));
        assert_eq!(found(&t, "/files"), Some("/files"));
        assert_eq!(found(&t, "/filesystem"), Some("/"));
        assert_eq!(found(&t, "/api"), Some("/"));
        let no_root = table(&[("/api/", false)]);
        assert_eq!(found(&no_root, "/admin"), None);
        assert_eq!(found(&no_root, "/api"), None);
    }

    #[test]
    fn forwarded_paths() {
        let t = table(&[("/api/", true), ("/v1", true), ("/keep/", false)]);
        let path = |p: &str| upstream_path(t.find(p).unwrap(), p);
        assert_eq!(path("/api/x/y"), "/base/x/y");
        assert_eq!(path("/api/"), "/base/");
        assert_eq!(path("/v1"), "/base/");
        assert_eq!(path("/v1/z"), "/base/z");
        assert_eq!(path("/keep/z"), "/base/keep/z");
    }
}
