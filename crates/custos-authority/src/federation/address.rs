//! The address rule of issuer-metadata fetches (`security.md` H45), applied to URLs: the rule
//! itself (schemes, localhost names, non-public ranges) is [`custos_core::address`], shared with
//! the samples' webhook client; [`vet_url`] applies it to a parsed URL before a request is made,
//! and the resolver (`resolve`) to every address a host name resolves to.

pub(crate) use custos_core::address::{Refusal, vet_addresses, vet_name};
use reqwest::Url;

/// Checks a URL before it is fetched: `https`, no credentials, and, unless `addresses_allowed`
/// (an allow-listed issuer), a host that is neither a localhost name nor a non-public literal
/// address. Host names are vetted again, address by address, when they are resolved.
pub(crate) fn vet_url(url: &Url, addresses_allowed: bool) -> Result<(), Refusal> {
    let credentials = !url.username().is_empty() || url.password().is_some();
    custos_core::address::vet_target(url.scheme(), credentials, url.host_str(), addresses_allowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn security_catalogue_45_urls_are_refused() {
        let refused = [
            ("https://127.0.0.1/", Refusal::NonPublicAddress),
            ("https://127.1.2.3:8443/x", Refusal::NonPublicAddress),
            ("https://169.254.169.254/metadata/identity", Refusal::NonPublicAddress),
            ("https://[::1]/", Refusal::NonPublicAddress),
            ("https://0x7f000001/", Refusal::NonPublicAddress),
            ("https://2130706433/", Refusal::NonPublicAddress),
            ("https://017700000001/", Refusal::NonPublicAddress),
            ("https://0177.0.0.1/", Refusal::NonPublicAddress),
            ("https://127.1/", Refusal::NonPublicAddress),
            ("https://127.0.0.1./", Refusal::NonPublicAddress),
            ("https://0x7f.1/", Refusal::NonPublicAddress),
            ("https://[::ffff:0:7f00:1]/", Refusal::NonPublicAddress),
            ("https://[64:ff9b:1::a9fe:a9fe]/", Refusal::NonPublicAddress),
            ("https://0/", Refusal::NonPublicAddress),
            ("https://[::ffff:127.0.0.1]/", Refusal::NonPublicAddress),
            ("https://[::ffff:8.8.8.8]/", Refusal::NonPublicAddress),
            ("https://[::127.0.0.1]/", Refusal::NonPublicAddress),
            ("https://[fd00:ec2::254]/", Refusal::NonPublicAddress),
            ("https://[fe80::1]/", Refusal::NonPublicAddress),
            ("https://[64:ff9b::a9fe:a9fe]/", Refusal::NonPublicAddress),
            ("https://[2002:7f00:1::]/", Refusal::NonPublicAddress),
            ("https://168.63.129.16/", Refusal::NonPublicAddress),
            ("https://localhost/", Refusal::Localhost),
            ("https://localhost./", Refusal::Localhost),
            ("https://LOCALHOST:8443/", Refusal::Localhost),
            ("https://api.localhost/", Refusal::Localhost),
            ("http://issuer.example.com/", Refusal::NotHttps),
            ("http://127.0.0.1/", Refusal::NotHttps),
            ("file:///etc/passwd", Refusal::NotHttps),
            ("gopher://issuer.example.com:70/_x", Refusal::NotHttps),
            ("ftp://issuer.example.com/", Refusal::NotHttps),
            ("https://user:pw@issuer.example.com/", Refusal::Credentials),
            ("https://user@issuer.example.com/", Refusal::Credentials),
        ];
        for (text, why) in refused {
            assert_eq!(vet_url(&url(text), false), Err(why), "{text}");
        }
    }

    #[test]
    fn public_hosts_pass_and_names_wait_for_resolution() {
        for text in [
            "https://token.actions.githubusercontent.com",
            "https://oidc.prod-aks.azure.com/0000/",
            "https://8.8.8.8/",
            "https://[2606:4700:4700::1111]/",
            "https://[64:ff9b::808:808]/",
            "https://[2002:808:808::]/",
            "https://issuer.example.com:8443/tenant/v2.0",
        ] {
            assert_eq!(vet_url(&url(text), false), Ok(()), "{text}");
        }
    }

    #[test]
    fn the_allow_list_lifts_the_address_rule_but_never_https() {
        assert_eq!(vet_url(&url("https://127.0.0.1:9443/t/v2.0"), true), Ok(()));
        assert_eq!(vet_url(&url("https://localhost:9443/t/"), true), Ok(()));
        assert_eq!(vet_url(&url("http://127.0.0.1:9443/t/"), true), Err(Refusal::NotHttps));
        assert_eq!(vet_url(&url("file:///etc/passwd"), true), Err(Refusal::NotHttps));
    }
}
