//! Where custos answers, as clients see it (`interface.md` "Entra host names"): the origin of the
//! authority (token endpoints, discovery, keys, sign-in pages, portal), of the v1 issuer, of the
//! directory API (Graph) and of the Office 365 Management API. Built once from the configuration;
//! every issuer and every URL handed to a client is derived from it.
//!
//! Normally all four are the server's public URL. With Entra host names they are Microsoft's own:
//! `https://login.microsoftonline.com` (v2 issuer `…/{tid}/v2.0`), `https://sts.windows.net` (v1
//! issuer `…/{tid}/`), `https://graph.microsoft.com` and `https://manage.office.com`, so that an
//! application configured for Microsoft's cloud runs unchanged once those names resolve to custos.
//! The certificate also names the two Azure hosts the Azure CLI calls in Microsoft's cloud:
//! Azure Resource Manager (`az login` lists subscriptions and tenants there) and the portal's API
//! (`az ad app permission admin-consent`).

use crate::model::TokenVersion;

/// The names the server certificate covers with Entra host names, besides the usual ones.
pub const ENTRA_HOST_NAMES: [&str; 7] = [
    "login.microsoftonline.com",
    "login.windows.net",
    "sts.windows.net",
    "graph.microsoft.com",
    "manage.office.com",
    AZURE_RESOURCE_MANAGER_HOST,
    AZURE_PORTAL_API_HOST,
];

/// Azure Resource Manager's host in Microsoft's cloud (`az login` reads its subscription and
/// tenant lists there).
pub const AZURE_RESOURCE_MANAGER_HOST: &str = "management.azure.com";
/// The Azure portal's own API host (`az ad app permission admin-consent` posts there).
pub const AZURE_PORTAL_API_HOST: &str = "main.iam.ad.ext.azure.com";

/// Entra's authority origin (v2 issuer, endpoints, discovery, keys).
pub const ENTRA_AUTHORITY: &str = "https://login.microsoftonline.com";
/// Entra's v1 issuer origin.
pub const ENTRA_V1_ISSUER: &str = "https://sts.windows.net";
/// Microsoft Graph's origin.
pub const ENTRA_GRAPH: &str = "https://graph.microsoft.com";
/// The Office 365 Management API's origin.
pub const ENTRA_MANAGEMENT: &str = "https://manage.office.com";

/// The origins custos answers as (no trailing slash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    public: String,
    v1_issuer: String,
    graph: String,
    management: String,
    entra: bool,
}

impl Origins {
    /// Every origin is the server's public URL (a trailing slash is dropped).
    pub fn single(public_url: &str) -> Self {
        let public = public_url.trim_end_matches('/').to_owned();
        Self {
            v1_issuer: public.clone(),
            graph: public.clone(),
            management: public.clone(),
            public,
            entra: false,
        }
    }

    /// Microsoft's own host names (Entra host names mode).
    pub fn entra() -> Self {
        Self {
            public: ENTRA_AUTHORITY.to_owned(),
            v1_issuer: ENTRA_V1_ISSUER.to_owned(),
            graph: ENTRA_GRAPH.to_owned(),
            management: ENTRA_MANAGEMENT.to_owned(),
            entra: true,
        }
    }

    /// Whether these are Microsoft's host names.
    pub fn is_entra(&self) -> bool {
        self.entra
    }

    /// The server's own origin: the authority (token endpoints, discovery, keys, the v2
    /// issuer), the sign-in pages, the portal and error pages.
    pub fn public(&self) -> &str {
        &self.public
    }

    /// The directory API's origin (`{graph}/v1.0/…`), also accepted as its resource identifier.
    pub fn graph(&self) -> &str {
        &self.graph
    }

    /// The Office 365 Management API's origin.
    pub fn management(&self) -> &str {
        &self.management
    }

    /// The origin of `version` tokens' issuer.
    pub fn issuer_origin(&self, version: TokenVersion) -> &str {
        match version {
            TokenVersion::V1 => &self.v1_issuer,
            TokenVersion::V2 => &self.public,
        }
    }

    /// The issuer of `version` tokens for a tenant path segment (a GUID, or `{tenantid}` in
    /// templated documents): v1 `{v1 origin}/{tenant}/`, v2 `{authority}/{tenant}/v2.0`. The one
    /// formula behind token `iss`, discovery `issuer` and the issuers a client assertion may name.
    pub fn issuer(&self, tenant: &str, version: TokenVersion) -> String {
        let origin = self.issuer_origin(version);
        match version {
            TokenVersion::V1 => format!("{origin}/{tenant}/"),
            TokenVersion::V2 => format!("{origin}/{tenant}/v2.0"),
        }
    }

    /// The host names (no port) the server certificate must cover for these origins.
    pub fn host_names(&self) -> Vec<String> {
        if self.entra {
            return ENTRA_HOST_NAMES.iter().map(|h| (*h).to_owned()).collect();
        }
        host_of(&self.public).into_iter().collect()
    }
}

/// The host of an `https://host[:port]/…` URL, without brackets or port.
fn host_of(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    (!host.is_empty()).then(|| host.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn normally_every_origin_is_the_public_url() {
        let o = Origins::single("https://localhost:8443/");
        assert!(!o.is_entra());
        assert_eq!(o.public(), "https://localhost:8443");
        assert_eq!(o.graph(), "https://localhost:8443");
        assert_eq!(o.management(), "https://localhost:8443");
        assert_eq!(o.issuer(TID, TokenVersion::V1), format!("https://localhost:8443/{TID}/"));
        assert_eq!(o.issuer(TID, TokenVersion::V2), format!("https://localhost:8443/{TID}/v2.0"));
        assert_eq!(o.host_names(), ["localhost"]);
        assert_eq!(Origins::single("https://[::1]:8443").host_names(), ["::1"]);
    }

    #[test]
    fn entra_host_names_give_entras_exact_issuers_and_origins() {
        let o = Origins::entra();
        assert!(o.is_entra());
        assert_eq!(o.issuer(TID, TokenVersion::V2), format!("https://login.microsoftonline.com/{TID}/v2.0"));
        assert_eq!(o.issuer(TID, TokenVersion::V1), format!("https://sts.windows.net/{TID}/"));
        assert_eq!(o.issuer("{tenantid}", TokenVersion::V1), "https://sts.windows.net/{tenantid}/");
        assert_eq!(o.public(), "https://login.microsoftonline.com");
        assert_eq!(o.graph(), "https://graph.microsoft.com");
        assert_eq!(o.management(), "https://manage.office.com");
        assert_eq!(
            o.host_names(),
            [
                "login.microsoftonline.com",
                "login.windows.net",
                "sts.windows.net",
                "graph.microsoft.com",
                "manage.office.com",
                "management.azure.com",
                "main.iam.ad.ext.azure.com"
            ]
        );
    }
}
