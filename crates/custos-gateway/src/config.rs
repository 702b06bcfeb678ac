//! Gateway configuration: the TOML file of `interface.md` ("Gateway configuration"), parsed strictly
//! (unknown keys are errors) and validated once into an immutable [`GatewayConfig`].
//!
//! The `[guard]` table is custos-guard's own configuration; each `[[routes]]` entry becomes a
//! [`RouteConfig`] whose authorization rule inherits the guard's `ServiceAuthRole`,
//! `ServiceApplicationIds` and `ServiceObjectIds` for every key the route leaves out.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use custos_core::{AppId, ObjectId};
use custos_guard::{GuardConfig, GuardConfigInput, Policy};
use http::Uri;
use serde::Deserialize;

use crate::path::normalize;

/// Where the gateway listens when neither the file nor `--listen` says.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default cap on a request body.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 10 * 1024 * 1024;
/// Default time an upstream has to answer with response headers.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest upstream timeout accepted.
const MAX_UPSTREAM_TIMEOUT_SECS: u64 = 3600;

/// Why a gateway configuration was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What happened.
        source: std::io::Error,
    },
    /// The TOML did not parse or named an unknown key.
    #[error("invalid gateway configuration: {0}")]
    Toml(String),
    /// The `[guard]` table is invalid.
    #[error(transparent)]
    Guard(#[from] custos_guard::ConfigError),
    /// A key has a value the gateway cannot use.
    #[error("gateway configuration key {key} is invalid: {reason}")]
    Invalid {
        /// The key (`routes[N].prefix` for route keys).
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(key: impl Into<String>, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.into(), reason: reason.into() }
}

/// The file as written; nothing checked yet beyond the key names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileInput {
    listen: Option<String>,
    guard: Option<GuardConfigInput>,
    #[serde(default)]
    routes: Vec<RouteInput>,
    max_body_bytes: Option<u64>,
    upstream_timeout_secs: Option<u64>,
    upstream_ca_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RouteInput {
    prefix: String,
    upstream: String,
    roles: Option<Vec<String>>,
    applications: Option<Vec<String>>,
    object_ids: Option<Vec<String>>,
    #[serde(default)]
    strip_prefix: bool,
}

/// Where an upstream lives: scheme, authority and an optional base path (no trailing `/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upstream {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    base_path: String,
    host: http::HeaderValue,
}

impl Upstream {
    /// Parses an absolute `http(s)` URL without user info, query or fragment.
    fn parse(key: &str, raw: &str) -> Result<Self, ConfigError> {
        let reason = "must be an absolute http(s) URL without user info, query or fragment";
        if raw.contains(['#', '?', '@']) {
            return Err(invalid(key, reason));
        }
        let uri: Uri = raw.parse().map_err(|_| invalid(key, reason))?;
        let (Some(scheme), Some(authority)) = (uri.scheme().cloned(), uri.authority().cloned()) else {
            return Err(invalid(key, reason));
        };
        if scheme != http::uri::Scheme::HTTP && scheme != http::uri::Scheme::HTTPS {
            return Err(invalid(key, reason));
        }
        let path = uri.path();
        if normalize(path).ok().as_deref() != Some(path) {
            return Err(invalid(key, "the URL path must be normalised (no dot segments, `//` or `;`)"));
        }
        // What an HTTP client would send as `Host`: the port only when it is not the scheme's default.
        let default_port = if scheme == http::uri::Scheme::HTTPS { 443 } else { 80 };
        let host = match authority.port_u16() {
            Some(port) if port != default_port => authority.as_str(),
            _ => authority.host(),
        };
        let host = http::HeaderValue::from_str(host).map_err(|_| invalid(key, reason))?;
        Ok(Self { scheme, authority, base_path: path.trim_end_matches('/').to_owned(), host })
    }

    /// The `Host` header for requests to this upstream (computed once, cloned per request).
    pub fn host_header(&self) -> &http::HeaderValue {
        &self.host
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &http::uri::Scheme {
        &self.scheme
    }

    /// Host and port.
    pub fn authority(&self) -> &http::uri::Authority {
        &self.authority
    }

    /// The path every forwarded path is appended to (empty or `/x/y`, never ending in `/`).
    pub fn base_path(&self) -> &str {
        &self.base_path
    }
}

/// One validated `[[routes]]` entry.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    prefix: String,
    upstream: Upstream,
    policy: Policy,
    strip_prefix: bool,
}

impl RouteConfig {
    /// The normalised path prefix (starts with `/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Where matching requests go.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// Who may call this route.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Whether the prefix is removed before forwarding.
    pub fn strip_prefix(&self) -> bool {
        self.strip_prefix
    }
}

/// The validated gateway configuration.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    listen: SocketAddr,
    guard: GuardConfig,
    routes: Vec<RouteConfig>,
    max_body_bytes: u64,
    upstream_timeout: Duration,
    upstream_ca_file: Option<PathBuf>,
}

impl GatewayConfig {
    /// Reads and validates a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
        Self::from_toml_str(&text)
    }

    /// Parses and validates a configuration document.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let input: FileInput = toml::from_str(text).map_err(|e| ConfigError::Toml(e.message().to_owned()))?;
        let listen_raw = input.listen.as_deref().unwrap_or(DEFAULT_LISTEN);
        let listen =
            listen_raw.trim().parse().map_err(|_| invalid("listen", "must be an IP:PORT address"))?;
        let guard =
            input.guard.ok_or_else(|| invalid("guard", "the [guard] table is required"))?.validate()?;
        if input.routes.is_empty() {
            return Err(invalid("routes", "at least one [[routes]] entry is required"));
        }
        let routes = input
            .routes
            .iter()
            .enumerate()
            .map(|(i, route)| route_config(i, route, guard.policy()))
            .collect::<Result<Vec<_>, _>>()?;
        let mut prefixes = BTreeSet::new();
        for (i, route) in routes.iter().enumerate() {
            if !prefixes.insert(route.prefix.to_ascii_lowercase()) {
                return Err(invalid(format!("routes[{i}].prefix"), "duplicates another route's prefix"));
            }
        }
        let max_body_bytes = input.max_body_bytes.unwrap_or(DEFAULT_MAX_BODY_BYTES);
        if max_body_bytes == 0 {
            return Err(invalid("max_body_bytes", "must be positive"));
        }
        let upstream_timeout = match input.upstream_timeout_secs {
            None => DEFAULT_UPSTREAM_TIMEOUT,
            Some(secs @ 1..=MAX_UPSTREAM_TIMEOUT_SECS) => Duration::from_secs(secs),
            Some(_) => return Err(invalid("upstream_timeout_secs", "must be between 1 and 3600")),
        };
        let upstream_ca_file = input.upstream_ca_file.filter(|p| !p.as_os_str().is_empty());
        Ok(Self { listen, guard, routes, max_body_bytes, upstream_timeout, upstream_ca_file })
    }

    /// Replaces the listen address (`--listen`).
    #[must_use]
    pub fn with_listen(mut self, listen: SocketAddr) -> Self {
        self.listen = listen;
        self
    }

    /// Adjusts the guard configuration (for example
    /// [`danger_allow_http_loopback`](GuardConfig::danger_allow_http_loopback) in tests).
    #[must_use]
    pub fn map_guard(mut self, adjust: impl FnOnce(GuardConfig) -> GuardConfig) -> Self {
        self.guard = adjust(self.guard);
        self
    }

    /// Sets the upstream timeout (tests use short ones).
    #[must_use]
    pub fn with_upstream_timeout(mut self, timeout: Duration) -> Self {
        self.upstream_timeout = timeout;
        self
    }

    /// The address to listen on.
    pub fn listen(&self) -> SocketAddr {
        self.listen
    }

    /// The guard configuration.
    pub fn guard(&self) -> &GuardConfig {
        &self.guard
    }

    /// The routes, in file order.
    pub fn routes(&self) -> &[RouteConfig] {
        &self.routes
    }

    /// The largest request body forwarded.
    pub fn max_body_bytes(&self) -> u64 {
        self.max_body_bytes
    }

    /// How long an upstream has to answer with response headers.
    pub fn upstream_timeout(&self) -> Duration {
        self.upstream_timeout
    }

    /// Extra trust anchor for https upstreams, besides the system roots.
    pub fn upstream_ca_file(&self) -> Option<&Path> {
        self.upstream_ca_file.as_deref()
    }
}

fn route_config(index: usize, input: &RouteInput, default: &Policy) -> Result<RouteConfig, ConfigError> {
    let key = |name: &str| format!("routes[{index}].{name}");
    let prefix = input.prefix.trim();
    if !prefix.starts_with('/') || normalize(prefix).ok().as_deref() != Some(prefix) {
        return Err(invalid(
            key("prefix"),
            "must start with `/` and be a normalised path (no dot segments, `//`, `;`, `%2F`)",
        ));
    }
    let upstream = Upstream::parse(&key("upstream"), input.upstream.trim())?;
    let roles = match &input.roles {
        None => default.roles().to_vec(),
        Some(roles) => {
            let roles: Vec<String> = roles.iter().map(|r| r.trim().to_owned()).collect();
            if roles.iter().any(String::is_empty) {
                return Err(invalid(key("roles"), "role names must not be empty"));
            }
            roles
        }
    };
    let application_ids = match &input.applications {
        None => default.application_ids().clone(),
        Some(ids) => parse_ids::<AppId>(&key("applications"), ids)?,
    };
    let object_ids = match &input.object_ids {
        None => default.object_ids().clone(),
        Some(ids) => parse_ids::<ObjectId>(&key("object_ids"), ids)?,
    };
    Ok(RouteConfig {
        prefix: prefix.to_owned(),
        upstream,
        policy: Policy::new(roles, application_ids, object_ids),
        strip_prefix: input.strip_prefix,
    })
}

fn parse_ids<T: std::str::FromStr + Ord>(key: &str, ids: &[String]) -> Result<BTreeSet<T>, ConfigError> {
    ids.iter()
        .map(|s| s.trim().parse::<T>().map_err(|_| invalid(key, format!("'{s}' is not a GUID"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    const APP: &str = "11111111-2222-3333-4444-555555555555";

    fn guard() -> String {
        format!(
            "[guard]\nAuthority = \"https://localhost:8443\"\nServiceAuthTenantId = \"{TID}\"\nServiceAuthAudience = \"api://{APP}\"\nServiceAuthRole = \"S2SAppRole\"\n"
        )
    }

    fn with_route(route: &str) -> Result<GatewayConfig, ConfigError> {
        GatewayConfig::from_toml_str(&format!("{}\n[[routes]]\n{route}", guard()))
    }

    fn reason(err: ConfigError) -> String {
        err.to_string()
    }

    #[test]
    fn defaults_and_inherited_policy() {
        let cfg = with_route("prefix = \"/api/\"\nupstream = \"http://127.0.0.1:9000\"\n").unwrap();
        assert_eq!(cfg.listen(), DEFAULT_LISTEN.parse::<SocketAddr>().unwrap());
        assert_eq!(cfg.max_body_bytes(), 10 * 1024 * 1024);
        assert_eq!(cfg.upstream_timeout(), Duration::from_secs(30));
        let route = &cfg.routes()[0];
        assert_eq!(route.prefix(), "/api/");
        assert_eq!(route.policy().roles(), ["S2SAppRole".to_owned()]);
        assert!(!route.strip_prefix());
        assert_eq!(route.upstream().authority().as_str(), "127.0.0.1:9000");
        assert_eq!(route.upstream().base_path(), "");
    }

    #[test]
    fn route_keys_override_the_guard() {
        let cfg = with_route(&format!(
            "prefix = \"/admin\"\nupstream = \"https://api.internal:8443/base/\"\nroles = [\"Admin\", \"Ops\"]\napplications = [\"{APP}\"]\nobject_ids = []\nstrip_prefix = true\n"
        ))
        .unwrap();
        let route = &cfg.routes()[0];
        assert_eq!(route.policy().roles(), ["Admin".to_owned(), "Ops".to_owned()]);
        assert_eq!(route.policy().application_ids().len(), 1);
        assert!(route.strip_prefix());
        assert_eq!(route.upstream().scheme(), &http::uri::Scheme::HTTPS);
        assert_eq!(route.upstream().base_path(), "/base");
    }

    #[test]
    fn unknown_keys_are_errors_everywhere() {
        let top = GatewayConfig::from_toml_str(&format!(
            "listne = \"127.0.0.1:1\"\n{}\n[[routes]]\nprefix = \"/\"\nupstream = \"http://a\"\n",
            guard()
        ));
        assert_eq!(
            reason(top.unwrap_err()),
            "invalid gateway configuration: unknown field `listne`, expected one of `listen`, `guard`, `routes`, `max_body_bytes`, `upstream_timeout_secs`, `upstream_ca_file`"
        );
        let route = with_route("prefix = \"/\"\nupstream = \"http://a\"\nrole = [\"x\"]\n").unwrap_err();
        assert!(reason(route).contains("unknown field `role`"));
        let guard_key = GatewayConfig::from_toml_str(&format!(
            "{}Bogus = 1\n[[routes]]\nprefix = \"/\"\nupstream = \"http://a\"\n",
            guard()
        ))
        .unwrap_err();
        assert!(reason(guard_key).contains("unknown field `Bogus`"));
    }

    #[test]
    fn prefixes_and_upstreams_are_validated() {
        for prefix in ["api/", "/api/../x", "//api", "/api;x=1/", "/a%2Fb/", "/api./"] {
            let err = with_route(&format!("prefix = \"{prefix}\"\nupstream = \"http://a\"\n")).unwrap_err();
            assert!(
                reason(err).starts_with("gateway configuration key routes[0].prefix is invalid"),
                "{prefix}"
            );
        }
        for upstream in [
            "ftp://a",
            "127.0.0.1:9000",
            "/relative",
            "http://a/?x=1",
            "http://a/#f",
            "http://user@a/",
            "http://a/x/../y",
        ] {
            let err = with_route(&format!("prefix = \"/\"\nupstream = \"{upstream}\"\n")).unwrap_err();
            assert!(
                reason(err).starts_with("gateway configuration key routes[0].upstream is invalid"),
                "{upstream}"
            );
        }
        let dup = GatewayConfig::from_toml_str(&format!(
            "{}\n[[routes]]\nprefix = \"/api/\"\nupstream = \"http://a\"\n[[routes]]\nprefix = \"/API/\"\nupstream = \"http://b\"\n",
            guard()
        ))
        .unwrap_err();
        assert_eq!(
            reason(dup),
            "gateway configuration key routes[1].prefix is invalid: duplicates another route's prefix"
        );
    }

    #[test]
    fn limits_and_required_parts() {
        let base = format!("{}\n[[routes]]\nprefix = \"/\"\nupstream = \"http://a\"\n", guard());
        let cfg =
            GatewayConfig::from_toml_str(&format!("max_body_bytes = 5\nupstream_timeout_secs = 2\n{base}"))
                .unwrap();
        assert_eq!((cfg.max_body_bytes(), cfg.upstream_timeout()), (5, Duration::from_secs(2)));
        let zero = GatewayConfig::from_toml_str(&format!("upstream_timeout_secs = 0\n{base}")).unwrap_err();
        assert_eq!(
            reason(zero),
            "gateway configuration key upstream_timeout_secs is invalid: must be between 1 and 3600"
        );
        let no_routes = GatewayConfig::from_toml_str(&guard()).unwrap_err();
        assert_eq!(
            reason(no_routes),
            "gateway configuration key routes is invalid: at least one [[routes]] entry is required"
        );
        let no_guard = GatewayConfig::from_toml_str("[[routes]]\nprefix = \"/\"\nupstream = \"http://a\"\n")
            .unwrap_err();
        assert_eq!(
            reason(no_guard),
            "gateway configuration key guard is invalid: the [guard] table is required"
        );
        let bad_listen =
            GatewayConfig::from_toml_str(&format!("listen = \"localhost\"\n{base}")).unwrap_err();
        assert_eq!(
            reason(bad_listen),
            "gateway configuration key listen is invalid: must be an IP:PORT address"
        );
    }
}
