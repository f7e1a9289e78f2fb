//! Server-side request forgery protection for outbound upstream requests.
//!
//! Connection options name URLs (discovery, token, user-info, JWKS, APIs)
//! that Vestibule then requests from inside the network it runs in. An
//! administrator of one tenant (or whoever steals a Management API token)
//! must not be able to point them at the loopback interface, the private
//! network, or the cloud metadata service (`169.254.169.254`,
//! `fd00:ec2::254`, …) and read the answers back through error messages or
//! profile data.
//!
//! The check runs on the addresses a connection will actually use:
//! [`GuardedResolver`] is reqwest's DNS resolver and hands the connector only
//! public addresses, so a name that resolves to a public address when the
//! options are saved and to `127.0.0.1` at login (DNS rebinding) is still
//! refused; URLs with an IP literal, which skip the resolver, are checked by
//! [`check_url`] before the request is sent. Redirects are never followed
//! (see `http.rs`) and proxies from the environment are not used while the
//! guard is on, so no other hop can reach an inner address.
//!
//! Tests and local development, whose upstreams run on loopback, turn the
//! guard off explicitly (`VESTIBULE_ALLOW_PRIVATE_UPSTREAMS=true`); the
//! default is to refuse.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a destination was refused; found again in the error chain of a
/// failed request to give a clear message.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} resolves to a loopback, private, link-local or otherwise reserved address; \
     upstream requests there are refused (VESTIBULE_ALLOW_PRIVATE_UPSTREAMS allows them)"
)]
pub struct RefusedDestination {
    pub host: String,
}

/// True for addresses that are reachable on the public internet; false for
/// loopback, private, shared (CGNAT), link-local (cloud metadata),
/// documentation, benchmarking, multicast, reserved and unspecified ones,
/// and for IPv6 forms that embed such an IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = a == 0 // "this network"
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT, Alibaba metadata)
        || (a == 169 && b == 254) // link-local: cloud metadata services
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // TEST-NET-1
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // TEST-NET-2
        || (a == 203 && b == 0 && c == 113) // TEST-NET-3
        || a >= 224; // multicast, reserved, broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    let embedded_v4 = |high: u16, low: u16| {
        Ipv4Addr::new(
            (high >> 8) as u8,
            (high & 0xff) as u8,
            (low >> 8) as u8,
            (low & 0xff) as u8,
        )
    };
    match segments[0] {
        // NAT64 (64:ff9b::/96) carries an IPv4 address in its last 32 bits.
        0x0064 if segments[1] == 0xff9b => is_public_v4(embedded_v4(segments[6], segments[7])),
        // 6to4 (2002::/16) carries one in bits 16–47.
        0x2002 => is_public_v4(embedded_v4(segments[1], segments[2])),
        // Teredo (2001::/32) and documentation (2001:db8::/32).
        0x2001 if segments[1] == 0 || segments[1] == 0x0db8 => false,
        first => {
            let unspecified_or_loopback_or_compat = segments[..6].iter().all(|s| *s == 0);
            !(unspecified_or_loopback_or_compat
                || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 metadata)
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
                || (first & 0xff00) == 0xff00) // multicast
        }
    }
}

/// Refuses a URL whose host is an IP literal that is not public (names are
/// checked when they are resolved, by [`GuardedResolver`]).
pub fn check_url(url: &url::Url) -> Result<(), RefusedDestination> {
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        _ => return Ok(()),
    };
    if is_public(ip) {
        Ok(())
    } else {
        Err(RefusedDestination {
            host: ip.to_string(),
        })
    }
}

/// reqwest's resolver while the guard is on: the system resolver, keeping
/// only public addresses; a name with none left is refused.
#[derive(Debug, Default)]
pub struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved
                .into_iter()
                .filter(|address| is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(RefusedDestination { host }) as _);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The refusal somewhere in an error's source chain, if that is why it failed.
pub fn refusal_in<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a RefusedDestination> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(refused) = error.downcast_ref::<RefusedDestination>() {
            return Some(refused);
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(ip: &str) -> bool {
        is_public(ip.parse().unwrap())
    }

    #[test]
    fn inner_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.100.200",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "fd00:ec2::254",
            "fc00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
    }

    #[test]
    fn internet_addresses_are_public() {
        for ip in [
            "8.8.8.8",
            "140.82.112.3",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "2a00:1450:4001:80b::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn ip_literal_urls_are_checked() {
        let refused = |url: &str| check_url(&url::Url::parse(url).unwrap()).is_err();
        assert!(refused("http://127.0.0.1:8080/token"));
        assert!(refused("http://[::1]/"));
        assert!(refused("http://169.254.169.254/latest/meta-data/"));
        assert!(refused("http://2130706433/")); // 127.0.0.1 written as a number
        assert!(!refused("https://8.8.8.8/"));
        assert!(!refused("https://accounts.example.com/"));
    }

    #[tokio::test]
    async fn names_resolving_to_inner_addresses_are_refused() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let error = match GuardedResolver.resolve(name).await {
            Ok(addresses) => panic!("resolved: {:?}", addresses.collect::<Vec<_>>()),
            Err(error) => error,
        };
        assert!(refusal_in(error.as_ref()).is_some(), "{error}");
    }
}
