//! The DNS resolver of the strict metadata client: resolves a host name, then refuses the whole
//! name if any address it resolves to is not public ([`custos_core::address::is_public`]), so the
//! connection can only go to an address that was vetted (no second lookup an attacker's DNS
//! could answer differently). The lookup itself is injectable, so tests can make a name resolve
//! to a private address without a DNS server.

use super::address::{Refusal, vet_addresses, vet_name};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

/// The future a [`Lookup`] returns.
pub(crate) type LookupFuture = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Turns a host name into addresses.
pub(crate) trait Lookup: Send + Sync + 'static {
    /// All addresses of `host`.
    fn lookup(&self, host: &str) -> LookupFuture;
}

/// The operating system's resolver (`getaddrinfo` on a blocking thread).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let host = host.to_owned();
        Box::pin(async move {
            let addresses = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addresses.map(|a| a.ip()).collect())
        })
    }
}

/// A resolver that only ever yields public addresses.
#[derive(Clone)]
pub(crate) struct VettingResolver {
    lookup: Arc<dyn Lookup>,
}

impl std::fmt::Debug for VettingResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VettingResolver").finish_non_exhaustive()
    }
}

impl VettingResolver {
    pub(crate) fn new(lookup: Arc<dyn Lookup>) -> Self {
        Self { lookup }
    }

    /// Resolves and vets `host`.
    pub(crate) async fn resolve_host(&self, host: &str) -> Result<Vec<IpAddr>, ResolveError> {
        vet_name(host)?;
        let addresses = self.lookup.lookup(host).await.map_err(ResolveError::Lookup)?;
        Ok(vet_addresses(addresses)?)
    }
}

/// Why a name did not resolve to a usable address.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ResolveError {
    /// The address rule refused the name or one of its addresses.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The lookup failed.
    #[error("DNS lookup failed: {0}")]
    Lookup(io::Error),
}

impl Resolve for VettingResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses = this.resolve_host(&host).await?;
            let addrs: Addrs = Box::new(addresses.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A lookup answering from a fixed table.
    #[derive(Debug, Default)]
    pub(crate) struct TableLookup(pub(crate) HashMap<String, Vec<IpAddr>>);

    impl TableLookup {
        pub(crate) fn with(entries: &[(&str, &[&str])]) -> Self {
            Self(
                entries
                    .iter()
                    .map(|(name, ips)| {
                        ((*name).to_owned(), ips.iter().map(|ip| ip.parse().unwrap()).collect())
                    })
                    .collect(),
            )
        }
    }

    impl Lookup for TableLookup {
        fn lookup(&self, host: &str) -> LookupFuture {
            let result = self.0.get(host).cloned().ok_or_else(|| io::Error::other("no such host"));
            Box::pin(async move { result })
        }
    }

    fn resolver() -> VettingResolver {
        VettingResolver::new(Arc::new(TableLookup::with(&[
            ("public.example", &["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]),
            ("internal.example", &["10.0.0.5"]),
            ("metadata.example", &["169.254.169.254"]),
            ("mixed.example", &["93.184.215.14", "192.168.1.10"]),
            ("loop6.example", &["::1"]),
            ("mapped.example", &["::ffff:10.0.0.1"]),
            ("empty.example", &[]),
        ])))
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused() {
        let resolver = resolver();
        assert_eq!(resolver.resolve_host("public.example").await.unwrap().len(), 2);
        for name in
            ["internal.example", "metadata.example", "mixed.example", "loop6.example", "mapped.example"]
        {
            let error = resolver.resolve_host(name).await.unwrap_err();
            assert!(matches!(error, ResolveError::Refused(Refusal::NonPublicAddress)), "{name}: {error}");
        }
        assert!(matches!(
            resolver.resolve_host("empty.example").await.unwrap_err(),
            ResolveError::Refused(Refusal::Unresolved)
        ));
        assert!(matches!(
            resolver.resolve_host("nowhere.example").await.unwrap_err(),
            ResolveError::Lookup(_)
        ));
        for name in ["localhost", "localhost.", "x.localhost"] {
            assert!(matches!(
                resolver.resolve_host(name).await.unwrap_err(),
                ResolveError::Refused(Refusal::Localhost)
            ));
        }
    }

    #[tokio::test]
    async fn the_reqwest_resolver_yields_only_vetted_addresses() {
        let resolver = resolver();
        let addrs: Vec<SocketAddr> =
            Resolve::resolve(&resolver, "public.example".parse().unwrap()).await.unwrap().collect();
        assert_eq!(addrs[0], "93.184.215.14:0".parse().unwrap());
        let error = Resolve::resolve(&resolver, "internal.example".parse().unwrap()).await.err().unwrap();
        assert_eq!(
            error.downcast_ref::<ResolveError>().map(ToString::to_string),
            Some(Refusal::NonPublicAddress.to_string())
        );
    }
}
