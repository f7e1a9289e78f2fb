//! The client's IP address: the socket peer, or behind proxies the operator
//! trusts (`VESTIBULE_TRUSTED_PROXIES`), the address they report in
//! `X-Forwarded-For`.
//!
//! Each proxy appends the address it received the request from, so the list
//! is read from the right: entries added by trusted proxies are skipped and
//! the first untrusted address is the client. Anything to its left was
//! written by the client itself and is never believed. Without trusted
//! proxies the header is ignored: brute-force and throttling counters key
//! on this address, and a header anyone can send must not choose it.

use axum::http::HeaderMap;
use std::net::IpAddr;

/// One CIDR block (`10.0.0.0/8`, `2001:db8::/32`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Result<Self, String> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address
            .parse()
            .map_err(|_| format!("{text:?} is not an IP address or CIDR block"))?;
        let network = canonical(network);
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|prefix| *prefix <= bits)
                .ok_or_else(|| format!("{text:?} has an invalid prefix length"))?,
        };
        Ok(Self { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, canonical(address)) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:a.b.c.d`) is the
/// IPv4 address, so one rule and one counter cover both spellings.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<Cidr>);

impl TrustedProxies {
    /// Parses a comma- or space-separated list of addresses and CIDR blocks.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split([',', ' '])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(Cidr::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|cidr| cidr.contains(address))
    }

    /// The client's address for a request that came from `peer`.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            // A hop that is not an address ends the walk at the last
            // trusted proxy, which is then all that is known.
            let Some(address) = parse_hop(hop) else {
                return client;
            };
            client = address;
            if !self.trusts(address) {
                return address;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, or (as some proxies write it)
/// an address with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_trusted() {
        let none = TrustedProxies::default();
        let spoofed = headers(&["203.0.113.7"]);
        assert_eq!(none.client_ip(ip("10.0.0.2"), &spoofed), ip("10.0.0.2"));
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(
            proxies.client_ip(ip("192.0.2.1"), &spoofed),
            ip("192.0.2.1")
        );
        assert_eq!(
            proxies.client_ip(ip("10.0.0.2"), &spoofed),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn the_list_is_walked_from_the_right_past_trusted_proxies_only() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, ::1").unwrap();
        // The client forged the first entry; the proxies appended the rest.
        let chain = headers(&["198.51.100.1, 203.0.113.7", "10.1.1.1"]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &chain), ip("203.0.113.7"));
        assert_eq!(
            proxies.client_ip(ip("::ffff:10.0.0.2"), &chain),
            ip("203.0.113.7")
        );
        let ported = headers(&["203.0.113.7:4711"]);
        assert_eq!(proxies.client_ip(ip("::1"), &ported), ip("203.0.113.7"));
        // Garbage stops the walk at the last trusted hop.
        let garbage = headers(&["nonsense, 10.2.2.2"]);
        assert_eq!(proxies.client_ip(ip("10.0.0.2"), &garbage), ip("10.2.2.2"));
        assert_eq!(
            proxies.client_ip(ip("10.0.0.2"), &headers(&[])),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn cidr_blocks_parse_and_match() {
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("example.com").is_err());
        let proxies = TrustedProxies::parse("0.0.0.0/0").unwrap();
        assert!(proxies.trusts(ip("192.0.2.1")));
        assert!(!proxies.trusts(ip("2001:db8::1")));
        let proxies = TrustedProxies::parse("2001:db8::/32 127.0.0.1").unwrap();
        assert!(proxies.trusts(ip("2001:db8:ffff::1")));
        assert!(!proxies.trusts(ip("2001:db9::1")));
        assert!(proxies.trusts(ip("127.0.0.1")));
        assert!(!proxies.trusts(ip("127.0.0.2")));
    }
}
