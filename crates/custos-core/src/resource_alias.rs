//! The server's own public origin as an alias of the directory API's identifier
//! (`graph-fidelity.md` §7-8, issue 15 item 2), for the token endpoint and the authorize pages alike.
//!
//! Real tools derive the Graph resource from the URL they send Graph requests to, which for
//! custos is its public URL: Kiota-based SDKs (msgraph-sdk) ask for `{scheme}://{host}/.default`
//! with the port dropped, and the Azure CLI asks for `{microsoftGraphResourceId}/.default`, i.e.
//! `{publicUrl}//.default` when the cloud's value ends in `/`. Each of those resources is read
//! as `https://graph.microsoft.com`, so the token is the directory API's (same audience, same
//! roles) whichever spelling was asked for.

use crate::ids::GRAPH_IDENTIFIER_URI;

/// `resource` as the directory API's identifier when it names the public origin (with or
/// without its port, the public URL's path and trailing slashes; scheme and host compared
/// without regard to ASCII case), else unchanged.
pub fn canonical(public_url: &str, resource: String) -> String {
    if is_alias(public_url, &resource) { GRAPH_IDENTIFIER_URI.to_owned() } else { resource }
}

/// Whether `resource` names the public origin of the server at `public_url` (see [`canonical`]).
pub fn is_alias(public_url: &str, resource: &str) -> bool {
    let Some((scheme, rest)) = public_url.split_once("://") else {
        return false;
    };
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let host = host_of(authority);
    let path = path.trim_end_matches('/');
    let asked = resource.trim_end_matches('/');
    let Some((asked_scheme, asked_rest)) = asked.split_once("://") else {
        return false;
    };
    if !asked_scheme.eq_ignore_ascii_case(scheme) {
        return false;
    }
    let (asked_authority, asked_path) = asked_rest.split_once('/').map_or((asked_rest, ""), |(a, p)| (a, p));
    let same_origin =
        asked_authority.eq_ignore_ascii_case(authority) || asked_authority.eq_ignore_ascii_case(host);
    same_origin && (asked_path.is_empty() || asked_path == path)
}

/// The host of an authority (`host[:port]`, `[v6][:port]`), without the port.
fn host_of(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.find(']').map_or(authority, |end| &authority[..=end]);
    }
    authority.split_once(':').map_or(authority, |(host, _)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(public_url: &str, resource: &str) -> bool {
        canonical(public_url, resource.to_owned()) == GRAPH_IDENTIFIER_URI
    }

    #[test]
    fn the_public_origin_in_the_forms_tools_produce_is_the_directory_api() {
        let url = "https://localhost:8443";
        // msgraph-sdk (Kiota): the request URL's host with the port dropped.
        assert!(graph(url, "https://localhost"));
        // Azure CLI: microsoftGraphResourceId "{publicUrl}/" + "/.default" → "{publicUrl}/".
        assert!(graph(url, "https://localhost:8443/"));
        assert!(graph(url, "https://localhost:8443"));
        assert!(graph(url, "HTTPS://LocalHost:8443/"));
        assert!(graph("http://localhost:8080", "http://localhost"));
        assert!(graph("https://[::1]:8443", "https://[::1]"));
        assert!(graph("https://id.example/custos", "https://id.example/custos/"));
        assert!(graph("https://id.example/custos", "https://id.example"));
    }

    #[test]
    fn other_resources_are_left_alone() {
        let url = "https://localhost:8443";
        for other in [
            "https://localhost:9443",
            "http://localhost:8443",
            "https://localhost:8443/api",
            "https://localhost.example",
            "api://localhost",
            "api://orders",
            "00000003-0000-0000-c000-000000000000",
        ] {
            assert_eq!(canonical(url, other.to_owned()), other, "{other}");
        }
        assert_eq!(
            canonical("https://id.example/custos", "https://id.example/other".into()),
            "https://id.example/other"
        );
    }
}
