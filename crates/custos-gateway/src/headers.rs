//! Header hygiene at the trust boundary (`security.md` §5, catalogue I46/I47).
//!
//! Requests lose their hop-by-hop headers (and every header the `Connection` header names), every
//! header a client could use to impersonate the gateway or a TLS terminator (`X-Custos-*`,
//! `Forwarded`, `X-Forwarded-*`, `X-Real-IP`, client-certificate headers, path overrides such as
//! `X-Original-URL`); `Host` is replaced by the upstream's. Then the gateway adds its own forwarding
//! and identity headers, after the removal, so nothing a client sends can drop or replace them. The
//! rewrite happens in place on the inbound map: on the usual request nothing is removed but `Host`,
//! and no header is copied.

use std::net::IpAddr;

use custos_guard::Principal;
use http::header::{CONNECTION, HOST};
use http::{HeaderMap, HeaderName, HeaderValue};

/// Identity headers the gateway sets from the validated token.
pub const TENANT_ID_HEADER: &str = "x-custos-tenant-id";
/// The client application id (`appid`/`azp`).
pub const CLIENT_ID_HEADER: &str = "x-custos-client-id";
/// The client's object id (`oid`).
pub const OBJECT_ID_HEADER: &str = "x-custos-object-id";
/// The app roles, comma-separated.
pub const ROLES_HEADER: &str = "x-custos-roles";

/// Hop-by-hop headers (RFC 9110 §7.6.1) and their widespread non-standard relatives.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "proxy-connection",
    "http2-settings",
];

/// Headers only a trusted hop may set.
const SPOOFABLE: [&str; 9] = [
    "forwarded",
    "x-real-ip",
    "x-client-cert",
    "client-cert",
    "client-cert-chain",
    "x-original-url",
    "x-original-uri",
    "x-rewrite-url",
    "x-client-ip",
];

/// Prefixes of header names only a trusted hop may set.
const SPOOFABLE_PREFIXES: [&str; 4] = ["x-custos-", "x-forwarded-", "x-ssl-", "proxy-"];

/// What the gateway knows about the inbound hop.
#[derive(Debug, Clone)]
pub(crate) struct Hop {
    /// The TCP peer.
    pub(crate) peer: IpAddr,
    /// `https` when the gateway terminated TLS.
    pub(crate) proto: &'static str,
    /// The host the client addressed (URI authority or `Host`), if any.
    pub(crate) host: Option<HeaderValue>,
}

/// The names listed in `Connection` (lower-cased), which are hop-by-hop for this message.
fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect()
}

fn is_hop_by_hop(name: &HeaderName, named: &[HeaderName]) -> bool {
    HOP_BY_HOP.contains(&name.as_str()) || named.contains(name)
}

fn is_spoofable(name: &HeaderName) -> bool {
    let name = name.as_str();
    SPOOFABLE.contains(&name) || SPOOFABLE_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Turns the inbound headers into those sent upstream: minus hop-by-hop and spoofable ones, `Host`
/// set to `upstream_host`, plus the gateway's `X-Forwarded-*` and `X-Custos-*` headers.
pub(crate) fn rewrite_for_upstream(
    headers: &mut HeaderMap,
    hop: &Hop,
    principal: &Principal,
    upstream_host: &HeaderValue,
) {
    let named = connection_named(headers);
    // Allocates only when there is something to remove (a plain request has nothing).
    let doomed: Vec<HeaderName> =
        headers.keys().filter(|name| is_hop_by_hop(name, &named) || is_spoofable(name)).cloned().collect();
    for name in doomed {
        headers.remove(name);
    }
    headers.reserve(8);
    headers.insert(HOST, upstream_host.clone());
    let mut set = |name: &'static str, value: HeaderValue| {
        headers.insert(HeaderName::from_static(name), value);
    };
    set("x-forwarded-for", ip_value(hop.peer));
    set("x-forwarded-proto", HeaderValue::from_static(hop.proto));
    if let Some(host) = &hop.host {
        set("x-forwarded-host", host.clone());
    }
    set(TENANT_ID_HEADER, text_value(principal.tenant_id.to_string()));
    set(CLIENT_ID_HEADER, text_value(principal.client_app_id.to_string()));
    set(OBJECT_ID_HEADER, text_value(principal.object_id.to_string()));
    set(ROLES_HEADER, roles_value(&principal.roles));
}

/// Removes hop-by-hop headers from an upstream response.
pub(crate) fn clean_response_headers(headers: &mut HeaderMap) {
    let named = connection_named(headers);
    for name in HOP_BY_HOP.iter().copied().map(HeaderName::from_static).chain(named) {
        headers.remove(name);
    }
}

fn ip_value(ip: IpAddr) -> HeaderValue {
    // An IP address is always a valid header value.
    text_value(ip.to_string())
}

/// `text` as a header value without copying it (empty if it is not a valid value).
fn text_value(text: String) -> HeaderValue {
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The roles joined with `,`. A role that could not be told apart in that list (it contains `,`,
/// whitespace or non-printable characters) is left out rather than passed on ambiguously.
fn roles_value(roles: &[String]) -> HeaderValue {
    let usable: Vec<&str> = roles
        .iter()
        .map(String::as_str)
        .filter(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_graphic() && b != b','))
        .collect();
    if usable.len() != roles.len() {
        tracing::warn!("roles that cannot be passed in X-Custos-Roles were left out");
    }
    text_value(usable.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use custos_core::{AppId, ObjectId, TenantId};
    use custos_guard::{PrincipalKind, TokenVersion};

    fn principal(roles: &[&str]) -> Principal {
        Principal {
            tenant_id: TenantId::new_random(),
            client_app_id: AppId::new_random(),
            object_id: ObjectId::new_random(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            scopes: Vec::new(),
            token_version: TokenVersion::V2,
            kind: PrincipalKind::App,
            user: None,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (HeaderName::from_bytes(n.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap()))
            .collect()
    }

    #[test]
    fn strips_and_sets() {
        let inbound = headers(&[
            ("host", "gw.example"),
            ("authorization", "Bearer t"),
            ("accept", "application/json"),
            ("connection", "keep-alive, X-Forwarded-For, x-custos-roles, x-keep-me-not"),
            ("x-keep-me-not", "1"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("upgrade", "websocket"),
            ("proxy-authorization", "Basic x"),
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-host", "evil"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-uri", "/admin"),
            ("forwarded", "for=1.2.3.4"),
            ("x-real-ip", "1.2.3.4"),
            ("x-client-cert", "x"),
            ("x-ssl-client-verify", "SUCCESS"),
            ("x-original-url", "/admin"),
            ("x-custos-roles", "Admin"),
            ("x-custos-tenant-id", "evil"),
        ]);
        let caller = principal(&["Reader", "Writer"]);
        let hop = Hop {
            peer: "127.0.0.9".parse().unwrap(),
            proto: "http",
            host: Some(HeaderValue::from_static("gw.example")),
        };
        let mut out = inbound;
        rewrite_for_upstream(&mut out, &hop, &caller, &HeaderValue::from_static("upstream:9000"));
        let mut names: Vec<&str> = out.keys().map(HeaderName::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            [
                "accept",
                "authorization",
                "host",
                "x-custos-client-id",
                "x-custos-object-id",
                "x-custos-roles",
                "x-custos-tenant-id",
                "x-forwarded-for",
                "x-forwarded-host",
                "x-forwarded-proto",
            ]
        );
        assert_eq!(out["x-forwarded-for"], "127.0.0.9");
        assert_eq!(out["x-custos-roles"], "Reader,Writer");
        assert_eq!(out["x-custos-tenant-id"], caller.tenant_id.to_string().as_str());
        assert_eq!(out.get_all("x-custos-roles").iter().count(), 1);
        assert_eq!(out.get_all("host").iter().collect::<Vec<_>>(), ["upstream:9000"]);
        assert_eq!(out["x-forwarded-host"], "gw.example");
    }

    #[test]
    fn ambiguous_roles_are_left_out() {
        assert_eq!(roles_value(&["A,Admin".into(), "B".into(), "C D".into(), String::new()]), "B");
        assert_eq!(roles_value(&[]), "");
    }

    #[test]
    fn response_hop_by_hop() {
        let mut response = headers(&[
            ("connection", "x-internal"),
            ("x-internal", "1"),
            ("transfer-encoding", "chunked"),
            ("content-type", "text/plain"),
        ]);
        clean_response_headers(&mut response);
        assert_eq!(response.keys().map(HeaderName::as_str).collect::<Vec<_>>(), ["content-type"]);
    }
}
