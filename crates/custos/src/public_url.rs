//! The public URL of the server (`--public-url`): checked and normalised once, and its host,
//! which the development certificate must name. Shared by `init` and `serve`; depends on
//! neither.

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
pub(crate) fn url_host(url: &str) -> Option<String> {
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
    use super::{normalize_public_url, url_host};

    #[test]
    fn hosts_are_taken_from_urls() {
        assert_eq!(url_host("https://localhost:8443").as_deref(), Some("localhost"));
        assert_eq!(url_host("https://id.example.com/base").as_deref(), Some("id.example.com"));
        assert_eq!(url_host("https://[::1]:8443").as_deref(), Some("::1"));
        assert_eq!(url_host("nonsense"), None);
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
