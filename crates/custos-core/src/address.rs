//! The address rule of every outbound fetch to an address someone else chose (`security.md` H45):
//! federated issuers' discovery documents and key sets (custos-authority) and webhook addresses
//! (the Office 365 Management Activity sample). Pure functions, no I/O: a resolver applies
//! [`vet_addresses`] to every address a host name resolves to, and [`vet_target`] checks the
//! scheme, credentials and any literal address before a request is made.
//!
//! Refused: every scheme but `https`; URLs with credentials; `localhost` and `*.localhost` (with
//! or without the trailing dot); and these addresses (literal, or as resolved): unspecified,
//! loopback, RFC 1918 private, CGNAT (100.64/10), link-local (169.254/16, fe80::/10, which holds
//! the cloud metadata services), IETF protocol assignments (192.0.0/24), documentation and
//! benchmarking ranges, multicast, broadcast and reserved (240/4) space, Azure's wire server
//! (168.63.129.16), ULA (fc00::/7, which holds AWS' `fd00:ec2::254`), site-local, the discard
//! prefix, IPv4-mapped, IPv4-compatible or IPv4-translated (SIIT) IPv6 forms and local-use
//! NAT64 (64:ff9b:1::/48). Well-known-prefix NAT64 (64:ff9b::/96) and 6to4
//! (2002::/16) addresses are judged by the IPv4 address they embed; Teredo is refused.
//! Numeric host spellings such as `0x7f000001` or `2130706433` are normalised to dotted IPv4 by
//! URL parsing and then refused like `127.0.0.1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why a URL or address may not be fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The scheme is not `https`.
    #[error("only https URLs are fetched")]
    NotHttps,
    /// The URL carries a user name or password.
    #[error("URLs with credentials are not fetched")]
    Credentials,
    /// The URL has no host.
    #[error("the URL has no host")]
    NoHost,
    /// The host is `localhost` or a name under it.
    #[error("localhost names are not fetched")]
    Localhost,
    /// The host is, or resolves to, a loopback, private, link-local, metadata or otherwise
    /// non-public address.
    #[error("the host is or resolves to a non-public address")]
    NonPublicAddress,
    /// The host name did not resolve to any address.
    #[error("the host name resolves to no address")]
    Unresolved,
}

/// Checks a parsed URL's parts before it is fetched: `https`, no credentials, and, unless
/// `addresses_allowed` (an allow-listed host), a host (as the URL spells it, IPv6 in brackets)
/// that is neither a localhost name nor a non-public literal address. Host names are vetted again,
/// address by address, when they are resolved ([`vet_addresses`]).
pub fn vet_target(
    scheme: &str,
    has_credentials: bool,
    host: Option<&str>,
    addresses_allowed: bool,
) -> Result<(), Refusal> {
    if scheme != "https" {
        return Err(Refusal::NotHttps);
    }
    if has_credentials {
        return Err(Refusal::Credentials);
    }
    let host = host.filter(|h| !h.is_empty()).ok_or(Refusal::NoHost)?;
    if addresses_allowed {
        return Ok(());
    }
    let bare = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) if is_public(ip) => Ok(()),
        Ok(_) => Err(Refusal::NonPublicAddress),
        Err(_) => vet_name(host),
    }
}

/// Refuses `localhost` and names under it (case-insensitive, trailing dot ignored).
pub fn vet_name(name: &str) -> Result<(), Refusal> {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    if name == "localhost" || name.ends_with(".localhost") { Err(Refusal::Localhost) } else { Ok(()) }
}

/// All of `addresses`, or a refusal when there are none or any is not public (a name that
/// resolves to one private address among public ones is refused as a whole).
pub fn vet_addresses(addresses: Vec<IpAddr>) -> Result<Vec<IpAddr>, Refusal> {
    if addresses.is_empty() {
        return Err(Refusal::Unresolved);
    }
    if addresses.iter().all(|ip| is_public(*ip)) { Ok(addresses) } else { Err(Refusal::NonPublicAddress) }
}

/// Whether `ip` is a public unicast address that may be fetched from.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// IPv4 ranges that are never fetched from, as (network, prefix length).
const FORBIDDEN_V4: [([u8; 4], u8); 17] = [
    ([0, 0, 0, 0], 8),          // "this network", incl. 0.0.0.0
    ([10, 0, 0, 0], 8),         // RFC 1918
    ([100, 64, 0, 0], 10),      // CGNAT (RFC 6598), incl. Alibaba's 100.100.100.200
    ([127, 0, 0, 0], 8),        // loopback
    ([169, 254, 0, 0], 16),     // link-local, incl. 169.254.169.254
    ([172, 16, 0, 0], 12),      // RFC 1918
    ([192, 0, 0, 0], 24),       // IETF protocol assignments
    ([192, 0, 2, 0], 24),       // TEST-NET-1
    ([192, 88, 99, 0], 24),     // 6to4 relay anycast
    ([192, 168, 0, 0], 16),     // RFC 1918
    ([198, 18, 0, 0], 15),      // benchmarking
    ([198, 51, 100, 0], 24),    // TEST-NET-2
    ([203, 0, 113, 0], 24),     // TEST-NET-3
    ([224, 0, 0, 0], 4),        // multicast
    ([240, 0, 0, 0], 4),        // reserved, incl. 255.255.255.255
    ([168, 63, 129, 16], 32),   // Azure wire server / platform metadata
    ([100, 100, 100, 200], 32), // Alibaba metadata (inside CGNAT; listed for clarity)
];

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let ip = u32::from(ip);
    !FORBIDDEN_V4.iter().any(|(network, prefix)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(*prefix)).unwrap_or(0);
        ip & mask == u32::from(Ipv4Addr::from(*network)) & mask
    })
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded_v4 = || Ipv4Addr::from((u32::from(segments[6]) << 16) | u32::from(segments[7]));
    if ip.is_unspecified() || ip.is_loopback() || ip.is_multicast() {
        return false;
    }
    match segments {
        // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and SIIT IPv4-translated
        // (::ffff:0:a.b.c.d, RFC 2765): refused outright.
        [0, 0, 0, 0, 0, 0xffff, _, _] | [0, 0, 0, 0, 0, 0, _, _] | [0, 0, 0, 0, 0xffff, 0, _, _] => false,
        // Local-use NAT64 (64:ff9b:1::/48, RFC 8215): a site's own translator, which may map to
        // any IPv4 address, private ones included.
        [0x64, 0xff9b, 1, ..] => false,
        // NAT64 (64:ff9b::a.b.c.d): judged by the embedded IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => is_public_v4(embedded_v4()),
        // 6to4 (2002:AABB:CCDD::): judged by the embedded IPv4 address.
        [0x2002, high, low, ..] => is_public_v4(Ipv4Addr::from((u32::from(high) << 16) | u32::from(low))),
        // Teredo (2001::/32): tunnels to arbitrary IPv4 hosts.
        [0x2001, 0, ..] => false,
        // Documentation (2001:db8::/32).
        [0x2001, 0x0db8, ..] => false,
        // Discard prefix (100::/64).
        [0x0100, 0, 0, 0, ..] => false,
        // ULA (fc00::/7), link-local (fe80::/10), deprecated site-local (fec0::/10).
        [first, ..] if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 || first & 0xffc0 == 0xfec0 => {
            false
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_forbidden_v4_range_is_refused_at_both_ends() {
        for (network, prefix) in FORBIDDEN_V4 {
            let first = u32::from(Ipv4Addr::from(network));
            let last = first | (u32::MAX.checked_shr(u32::from(prefix)).unwrap_or(0));
            for ip in [first, last] {
                assert!(!is_public(IpAddr::V4(Ipv4Addr::from(ip))), "{}", Ipv4Addr::from(ip));
            }
        }
        for public in ["1.1.1.1", "8.8.8.8", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0"]
        {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
        for private in ["10.1.2.3", "172.20.0.1", "192.168.1.1", "100.64.0.1", "224.0.0.1", "255.255.255.255"]
        {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
    }

    #[test]
    fn ipv6_special_ranges_are_refused() {
        for text in [
            "::",
            "::1",
            "fc00::1",
            "fdff:ffff::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
            "100::1",
            "::ffff:1.1.1.1",
            "::1.1.1.1",
            "64:ff9b::a00:1",
            "2002:c0a8:101::1",
            "::ffff:0:7f00:1",
            "::ffff:0:a9fe:a9fe",
            "64:ff9b:1::a00:1",
            "64:ff9b:1:ffff::808:808",
        ] {
            assert!(!is_public(text.parse().unwrap()), "{text}");
        }
        for text in ["2001:4860:4860::8888", "2a00:1450::1", "64:ff9b::101:101", "2002:101:101::1"] {
            assert!(is_public(text.parse().unwrap()), "{text}");
        }
    }
}
