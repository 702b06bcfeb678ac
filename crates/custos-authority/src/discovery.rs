//! Discovery documents in Entra's shape and key order (`entra-wire.md` §2) with the server's
//! [`Origins`] (its public URL, or Entra's host names): v2 and v1 OpenID configuration and the
//! instance-discovery answer. Pure builders; the handlers live in `routes`.

use crate::issue::Endpoint;
use custos_core::TenantId;
use custos_core::model::TokenVersion;
use custos_core::origins::Origins;
use serde::Serialize;

/// The token endpoint of `endpoint` for a tenant path segment (GUID, domain or alias).
pub(crate) fn token_endpoint(origins: &Origins, tenant: &str, endpoint: Endpoint) -> String {
    let public_url = origins.public();
    match endpoint {
        Endpoint::V1 => format!("{public_url}/{tenant}/oauth2/token"),
        Endpoint::V2 => format!("{public_url}/{tenant}/oauth2/v2.0/token"),
    }
}

/// How a tenant appears in discovery paths: a resolved tenant (GUID endpoints and issuer, even
/// when the URL named its domain) or an alias kept in paths with a templated issuer.
#[derive(Debug, Clone)]
pub(crate) enum TenantRef {
    /// A real tenant.
    Tenant(TenantId),
    /// `common`, `organizations` or `consumers` (lower-case).
    Alias(&'static str),
}

impl TenantRef {
    /// The path segment used in endpoint URLs.
    fn segment(&self) -> String {
        match self {
            Self::Tenant(id) => id.to_string(),
            Self::Alias(alias) => (*alias).to_owned(),
        }
    }

    /// The issuer's tenant part: the GUID, or `{tenantid}` for aliases.
    fn issuer_segment(&self) -> String {
        match self {
            Self::Tenant(id) => id.to_string(),
            Self::Alias(_) => "{tenantid}".to_owned(),
        }
    }

    /// Entra reports `WW` for tenants and `null` for aliases.
    fn region_scope(&self) -> Option<&'static str> {
        match self {
            Self::Tenant(_) => Some("WW"),
            Self::Alias(_) => None,
        }
    }
}

/// The v2 issuer for a tenant reference (templated for aliases).
pub(crate) fn v2_issuer(origins: &Origins, tenant: &TenantRef) -> String {
    origins.issuer(&tenant.issuer_segment(), TokenVersion::V2)
}

/// The cloud names a discovery document reports: Entra's own with Entra host names, else the
/// public host everywhere.
struct CloudNames {
    instance: String,
    graph_host: String,
    msgraph_host: String,
    rbac_url: String,
}

impl CloudNames {
    fn of(origins: &Origins) -> Self {
        if origins.is_entra() {
            return Self {
                instance: "microsoftonline.com".to_owned(),
                graph_host: "graph.windows.net".to_owned(),
                msgraph_host: public_host(origins.graph()).to_owned(),
                rbac_url: "https://pas.windows.net".to_owned(),
            };
        }
        let host = public_host(origins.public()).to_owned();
        Self {
            instance: host.clone(),
            graph_host: host,
            msgraph_host: public_host(origins.graph()).to_owned(),
            rbac_url: origins.public().to_owned(),
        }
    }
}

/// `host[:port]` of the public URL.
pub(crate) fn public_host(public_url: &str) -> &str {
    let rest = public_url.split_once("://").map_or(public_url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

const AUTH_METHODS: [&str; 3] = ["client_secret_post", "private_key_jwt", "client_secret_basic"];
const RESPONSE_MODES: [&str; 3] = ["query", "fragment", "form_post"];
const SUBJECT_TYPES: [&str; 1] = ["pairwise"];
const SIGNING_ALGS: [&str; 1] = ["RS256"];

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
#[derive(Debug, Serialize)]
pub(crate) struct OpenIdV2 {
    token_endpoint: String,
    token_endpoint_auth_methods_supported: [&'static str; 3],
    jwks_uri: String,
    response_modes_supported: [&'static str; 3],
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
    response_types_supported: [&'static str; 4],
    scopes_supported: [&'static str; 4],
    issuer: String,
    request_uri_parameter_supported: bool,
    userinfo_endpoint: String,
    authorization_endpoint: String,
    device_authorization_endpoint: String,
    http_logout_supported: bool,
    frontchannel_logout_supported: bool,
    end_session_endpoint: String,
    claims_supported: [&'static str; 19],
    kerberos_endpoint: String,
    tenant_region_scope: Option<&'static str>,
    cloud_instance_name: String,
    cloud_graph_host_name: String,
    msgraph_host: String,
    rbac_url: String,
}

impl OpenIdV2 {
    pub(crate) fn new(origins: &Origins, tenant: &TenantRef) -> Self {
        let base = format!("{}/{}", origins.public(), tenant.segment());
        let cloud = CloudNames::of(origins);
        Self {
            token_endpoint: token_endpoint(origins, &tenant.segment(), Endpoint::V2),
            token_endpoint_auth_methods_supported: AUTH_METHODS,
            jwks_uri: format!("{base}/discovery/v2.0/keys"),
            response_modes_supported: RESPONSE_MODES,
            subject_types_supported: SUBJECT_TYPES,
            id_token_signing_alg_values_supported: SIGNING_ALGS,
            response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
            scopes_supported: ["openid", "profile", "email", "offline_access"],
            issuer: v2_issuer(origins, tenant),
            request_uri_parameter_supported: false,
            userinfo_endpoint: format!("{}/oidc/userinfo", origins.graph()),
            authorization_endpoint: format!("{base}/oauth2/v2.0/authorize"),
            device_authorization_endpoint: format!("{base}/oauth2/v2.0/devicecode"),
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: format!("{base}/oauth2/v2.0/logout"),
            claims_supported: [
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "nonce",
                "preferred_username",
                "name",
                "tid",
                "ver",
                "at_hash",
                "c_hash",
                "email",
            ],
            kerberos_endpoint: format!("{base}/kerberos"),
            tenant_region_scope: tenant.region_scope(),
            cloud_instance_name: cloud.instance,
            cloud_graph_host_name: cloud.graph_host,
            msgraph_host: cloud.msgraph_host,
            rbac_url: cloud.rbac_url,
        }
    }
}

/// `GET /{tenant}/.well-known/openid-configuration`.
#[derive(Debug, Serialize)]
pub(crate) struct OpenIdV1 {
    token_endpoint: String,
    token_endpoint_auth_methods_supported: [&'static str; 3],
    jwks_uri: String,
    response_modes_supported: [&'static str; 3],
    subject_types_supported: [&'static str; 1],
    id_token_signing_alg_values_supported: [&'static str; 1],
    response_types_supported: [&'static str; 5],
    scopes_supported: [&'static str; 1],
    issuer: String,
    microsoft_multi_refresh_token: bool,
    authorization_endpoint: String,
    device_authorization_endpoint: String,
    http_logout_supported: bool,
    frontchannel_logout_supported: bool,
    end_session_endpoint: String,
    claims_supported: [&'static str; 17],
    check_session_iframe: String,
    userinfo_endpoint: String,
    kerberos_endpoint: String,
    tenant_region_scope: Option<&'static str>,
    cloud_instance_name: String,
    cloud_graph_host_name: String,
    msgraph_host: String,
    rbac_url: String,
}

impl OpenIdV1 {
    pub(crate) fn new(origins: &Origins, tenant: &TenantRef) -> Self {
        let base = format!("{}/{}", origins.public(), tenant.segment());
        let cloud = CloudNames::of(origins);
        Self {
            token_endpoint: token_endpoint(origins, &tenant.segment(), Endpoint::V1),
            token_endpoint_auth_methods_supported: AUTH_METHODS,
            jwks_uri: format!("{}/common/discovery/keys", origins.public()),
            response_modes_supported: RESPONSE_MODES,
            subject_types_supported: SUBJECT_TYPES,
            id_token_signing_alg_values_supported: SIGNING_ALGS,
            response_types_supported: ["code", "id_token", "code id_token", "token id_token", "token"],
            scopes_supported: ["openid"],
            issuer: origins.issuer(&tenant.issuer_segment(), TokenVersion::V1),
            microsoft_multi_refresh_token: true,
            authorization_endpoint: format!("{base}/oauth2/authorize"),
            device_authorization_endpoint: format!("{base}/oauth2/devicecode"),
            http_logout_supported: true,
            frontchannel_logout_supported: true,
            end_session_endpoint: format!("{base}/oauth2/logout"),
            claims_supported: [
                "sub",
                "iss",
                "cloud_instance_name",
                "cloud_instance_host_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "acr",
                "amr",
                "nonce",
                "email",
                "given_name",
                "family_name",
                "nickname",
            ],
            check_session_iframe: format!("{base}/oauth2/checksession"),
            userinfo_endpoint: format!("{base}/openid/userinfo"),
            kerberos_endpoint: format!("{base}/kerberos"),
            tenant_region_scope: tenant.region_scope(),
            cloud_instance_name: cloud.instance,
            cloud_graph_host_name: cloud.graph_host,
            msgraph_host: cloud.msgraph_host,
            rbac_url: cloud.rbac_url,
        }
    }
}

/// `GET /common/discovery/instance`.
#[derive(Debug, Serialize)]
pub(crate) struct InstanceDiscovery {
    tenant_discovery_endpoint: String,
    #[serde(rename = "api-version")]
    api_version: &'static str,
    metadata: [InstanceMetadata; 1],
}

#[derive(Debug, Serialize)]
struct InstanceMetadata {
    preferred_network: String,
    preferred_cache: String,
    aliases: Vec<String>,
}

/// Entra's answer for its public cloud (its first metadata entry).
const ENTRA_PREFERRED_CACHE: &str = "login.windows.net";
const ENTRA_ALIASES: [&str; 4] =
    ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"];

impl InstanceDiscovery {
    /// The answer for `authorization_endpoint` (`https://host/{tenant}/oauth2/...`): its tenant
    /// segment, when it is a plausible tenant name, else `common`.
    pub(crate) fn new(origins: &Origins, authorization_endpoint: Option<&str>) -> Self {
        let tenant = authorization_endpoint.and_then(tenant_of_endpoint).unwrap_or("common");
        let public_url = origins.public();
        let host = public_host(public_url).to_owned();
        let metadata = if origins.is_entra() {
            InstanceMetadata {
                preferred_network: host,
                preferred_cache: ENTRA_PREFERRED_CACHE.to_owned(),
                aliases: ENTRA_ALIASES.iter().map(|a| (*a).to_owned()).collect(),
            }
        } else {
            InstanceMetadata {
                preferred_network: host.clone(),
                preferred_cache: host.clone(),
                aliases: vec![host],
            }
        };
        Self {
            tenant_discovery_endpoint: format!("{public_url}/{tenant}/v2.0/.well-known/openid-configuration"),
            api_version: "1.1",
            metadata: [metadata],
        }
    }
}

fn tenant_of_endpoint(endpoint: &str) -> Option<&str> {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, rest)| rest);
    let tenant = rest.split('/').nth(1)?;
    let plausible = !tenant.is_empty()
        && tenant.len() <= 253
        && tenant.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    plausible.then_some(tenant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    const URL: &str = "https://login.example:8443";

    fn single() -> Origins {
        Origins::single(URL)
    }

    fn keys_in_order(json: &str) -> Vec<String> {
        let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json).unwrap();
        let mut keys: Vec<(usize, String)> =
            value.keys().map(|k| (json.find(&format!("\"{k}\":")).unwrap(), k.clone())).collect();
        keys.sort();
        keys.into_iter().map(|(_, k)| k).collect()
    }

    #[test]
    fn v2_document_has_entra_key_order_and_guid_endpoints() {
        let tid = TenantId(Uuid::from_u128(7));
        let json = serde_json::to_string(&OpenIdV2::new(&single(), &TenantRef::Tenant(tid))).unwrap();
        assert_eq!(
            keys_in_order(&json),
            [
                "token_endpoint",
                "token_endpoint_auth_methods_supported",
                "jwks_uri",
                "response_modes_supported",
                "subject_types_supported",
                "id_token_signing_alg_values_supported",
                "response_types_supported",
                "scopes_supported",
                "issuer",
                "request_uri_parameter_supported",
                "userinfo_endpoint",
                "authorization_endpoint",
                "device_authorization_endpoint",
                "http_logout_supported",
                "frontchannel_logout_supported",
                "end_session_endpoint",
                "claims_supported",
                "kerberos_endpoint",
                "tenant_region_scope",
                "cloud_instance_name",
                "cloud_graph_host_name",
                "msgraph_host",
                "rbac_url",
            ]
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["issuer"], format!("{URL}/{tid}/v2.0"));
        assert_eq!(v["token_endpoint"], format!("{URL}/{tid}/oauth2/v2.0/token"));
        assert_eq!(v["jwks_uri"], format!("{URL}/{tid}/discovery/v2.0/keys"));
        assert_eq!(v["tenant_region_scope"], "WW");
        assert_eq!(v["cloud_instance_name"], "login.example:8443");
    }

    #[test]
    fn alias_documents_keep_the_alias_and_template_the_issuer() {
        let v2 = serde_json::to_value(OpenIdV2::new(&single(), &TenantRef::Alias("common"))).unwrap();
        assert_eq!(v2["issuer"], format!("{URL}/{{tenantid}}/v2.0"));
        assert_eq!(v2["token_endpoint"], format!("{URL}/common/oauth2/v2.0/token"));
        assert!(v2["tenant_region_scope"].is_null());
        let v1 = serde_json::to_value(OpenIdV1::new(&single(), &TenantRef::Alias("organizations"))).unwrap();
        assert_eq!(v1["issuer"], format!("{URL}/{{tenantid}}/"));
        assert_eq!(v1["token_endpoint"], format!("{URL}/organizations/oauth2/token"));
        assert_eq!(v1["jwks_uri"], format!("{URL}/common/discovery/keys"));
        assert_eq!(v1["microsoft_multi_refresh_token"], true);
    }

    #[test]
    fn instance_discovery_points_at_the_named_tenant() {
        let doc = InstanceDiscovery::new(
            &single(),
            Some("https://login.example:8443/contoso.com/oauth2/v2.0/authorize"),
        );
        let v = serde_json::to_value(doc).unwrap();
        assert_eq!(
            v["tenant_discovery_endpoint"],
            format!("{URL}/contoso.com/v2.0/.well-known/openid-configuration")
        );
        assert_eq!(v["api-version"], "1.1");
        assert_eq!(v["metadata"][0]["aliases"][0], "login.example:8443");
        let fallback =
            serde_json::to_value(InstanceDiscovery::new(&single(), Some("https://h/<script>/x"))).unwrap();
        assert_eq!(
            fallback["tenant_discovery_endpoint"],
            format!("{URL}/common/v2.0/.well-known/openid-configuration")
        );
        let none = serde_json::to_value(InstanceDiscovery::new(&single(), None)).unwrap();
        assert_eq!(
            none["tenant_discovery_endpoint"],
            format!("{URL}/common/v2.0/.well-known/openid-configuration")
        );
    }

    #[test]
    fn entra_host_names_give_entras_exact_documents() {
        let tid = TenantId(Uuid::from_u128(7));
        let entra = Origins::entra();
        let v2 = serde_json::to_value(OpenIdV2::new(&entra, &TenantRef::Tenant(tid))).unwrap();
        let login = "https://login.microsoftonline.com";
        assert_eq!(v2["issuer"], format!("{login}/{tid}/v2.0"));
        assert_eq!(v2["token_endpoint"], format!("{login}/{tid}/oauth2/v2.0/token"));
        assert_eq!(v2["authorization_endpoint"], format!("{login}/{tid}/oauth2/v2.0/authorize"));
        assert_eq!(v2["jwks_uri"], format!("{login}/{tid}/discovery/v2.0/keys"));
        assert_eq!(v2["userinfo_endpoint"], "https://graph.microsoft.com/oidc/userinfo");
        assert_eq!(v2["cloud_instance_name"], "microsoftonline.com");
        assert_eq!(v2["cloud_graph_host_name"], "graph.windows.net");
        assert_eq!(v2["msgraph_host"], "graph.microsoft.com");
        assert_eq!(v2["rbac_url"], "https://pas.windows.net");
        let v1 = serde_json::to_value(OpenIdV1::new(&entra, &TenantRef::Tenant(tid))).unwrap();
        assert_eq!(v1["issuer"], format!("https://sts.windows.net/{tid}/"));
        assert_eq!(v1["token_endpoint"], format!("{login}/{tid}/oauth2/token"));
        assert_eq!(v1["jwks_uri"], format!("{login}/common/discovery/keys"));
        let common = serde_json::to_value(OpenIdV1::new(&entra, &TenantRef::Alias("common"))).unwrap();
        assert_eq!(common["issuer"], "https://sts.windows.net/{tenantid}/");
    }

    #[test]
    fn entra_instance_discovery_names_entras_aliases() {
        let doc = InstanceDiscovery::new(
            &Origins::entra(),
            Some("https://login.microsoftonline.com/contoso.com/oauth2/v2.0/authorize"),
        );
        let v = serde_json::to_value(doc).unwrap();
        assert_eq!(
            v["tenant_discovery_endpoint"],
            "https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration"
        );
        assert_eq!(v["metadata"][0]["preferred_network"], "login.microsoftonline.com");
        assert_eq!(v["metadata"][0]["preferred_cache"], "login.windows.net");
        assert_eq!(
            v["metadata"][0]["aliases"],
            serde_json::json!([
                "login.microsoftonline.com",
                "login.windows.net",
                "login.microsoft.com",
                "sts.windows.net"
            ])
        );
    }
}
