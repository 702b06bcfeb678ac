//! The public URL of the server (`--public-url`) or Entra's host names (`--entra-hosts`):
//! checked once into the [`Origins`] the server answers as, whose host names the development
//! certificate must cover. Shared by `init` and `serve`; depends on neither.

use custos_core::origins::Origins;

/// The origins of `--public-url` (else `default`) or of `--entra-hosts`, which fixes them to
/// Microsoft's and so excludes `--public-url`.
pub(crate) fn origins(public_url: Option<&str>, entra_hosts: bool, default: &str) -> anyhow::Result<Origins> {
    match (entra_hosts, public_url) {
        (true, Some(url)) => anyhow::bail!(
            "--entra-hosts answers as https://login.microsoftonline.com and the other Entra host names: leave out --public-url '{url}'"
        ),
        (true, None) => Ok(Origins::entra()),
        (false, url) => Ok(Origins::single(&normalize_public_url(url.unwrap_or(default))?)),
    }
}

/// Checks a public URL (absolute http(s), no query or fragment) and drops a trailing slash.
pub(crate) fn normalize_public_url(url: &str) -> anyhow::Result<String> {
    let trimmed = url.trim_end_matches('/');
    let ok = (trimmed.starts_with("https://") || trimmed.starts_with("http://"))
        && !trimmed.contains(['?', '#', ' '])
        && url_host(trimmed).is_some();
    if !ok {
        anyhow::bail!("--public-url '{url}' must be an absolute https URL such as https://id.example.com");
    }
    Ok(trimmed.to_owned())
}

/// The host of an `https://host[:port]/...` URL.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?.to_owned()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h).to_owned()
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::{normalize_public_url, origins, url_host};

    #[test]
    fn hosts_are_taken_from_urls() {
        assert_eq!(url_host("https://localhost:8443").as_deref(), Some("localhost"));
        assert_eq!(url_host("https://id.example.com/base").as_deref(), Some("id.example.com"));
        assert_eq!(url_host("https://[::1]:8443").as_deref(), Some("::1"));
        assert_eq!(url_host("nonsense"), None);
    }

    #[test]
    fn entra_host_names_replace_the_public_url() {
        let default = "https://localhost:8443";
        assert_eq!(origins(None, false, default).unwrap().public(), default);
        assert_eq!(
            origins(Some("https://id.example/"), false, default).unwrap().graph(),
            "https://id.example"
        );
        let entra = origins(None, true, default).unwrap();
        assert!(entra.is_entra());
        assert_eq!(entra.public(), "https://login.microsoftonline.com");
        assert_eq!(
            origins(Some("https://id.example"), true, default).unwrap_err().to_string(),
            "--entra-hosts answers as https://login.microsoftonline.com and the other Entra host names: leave out --public-url 'https://id.example'"
        );
        assert!(origins(Some("ftp://a"), false, default).is_err());
    }

    #[test]
    fn public_urls_lose_a_trailing_slash_and_must_be_absolute() {
        assert_eq!(normalize_public_url("https://id.example.com/").unwrap(), "https://id.example.com");
        assert_eq!(normalize_public_url("https://localhost:8443").unwrap(), "https://localhost:8443");
        for bad in ["id.example.com", "https://", "https://a/?x=1", "https://a/#f", "ftp://a"] {
            assert_eq!(
                normalize_public_url(bad).unwrap_err().to_string(),
                format!("--public-url '{bad}' must be an absolute https URL such as https://id.example.com")
            );
        }
    }
}
