//! The operator's allow-list of private destinations
//! (`VESTIBULE_ALLOWED_PRIVATE_DESTINATIONS`): the inner addresses tenants
//! may reach, such as the enterprise directory or the customers' user
//! databases on the private network.
//!
//! Entries, comma-separated:
//!
//! * a CIDR block or a single address, any port: `10.0.0.0/8`,
//!   `192.168.1.5`, `fd00:1234::/32`;
//! * an address and one port: `192.168.1.5:636`, `[fd00::5]:5432`;
//! * a host name and one port: `db.internal:5432`. Names are matched as
//!   names (case-insensitively), not by what they resolve to: the operator
//!   vouches for the name in their own DNS, and a tenant's name that happens
//!   to resolve to the same address gains nothing. A bare name without a
//!   port is refused (it would open every port of whatever it resolves to).
//!
//! A malformed entry stops the server at start with a message naming it.

use std::net::{IpAddr, SocketAddr};

/// One entry of the allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AllowEntry {
    /// Every address of a block, on every port.
    Block { network: IpAddr, prefix: u8 },
    /// One address on one port.
    Address(SocketAddr),
    /// One host name (lowercase) on one port.
    Name { host: String, port: u16 },
}

/// A malformed entry, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("allowed private destination {entry:?}: {reason}")]
pub struct AllowListError {
    pub entry: String,
    pub reason: &'static str,
}

/// Parses a comma-separated allow-list; empty entries (a trailing comma,
/// an empty variable) are ignored.
pub fn parse_allow_list(text: &str) -> Result<Vec<AllowEntry>, AllowListError> {
    text.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(parse_entry)
        .collect()
}

fn parse_entry(entry: &str) -> Result<AllowEntry, AllowListError> {
    let error = |reason| AllowListError {
        entry: entry.to_owned(),
        reason,
    };
    if let Some((address, prefix)) = entry.split_once('/') {
        let network: IpAddr = address
            .parse()
            .map_err(|_| error("a CIDR block needs an IP address before the `/`"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= max)
            .ok_or_else(|| error("the prefix length must be 0 to 32 (IPv4) or 128 (IPv6)"))?;
        if prefix == 0 {
            return Err(error(
                "a /0 block allows everything; use VESTIBULE_ALLOW_PRIVATE_UPSTREAMS=true instead",
            ));
        }
        if mask(network, prefix) != network {
            return Err(error(
                "the address has bits set beyond the prefix (write the network address)",
            ));
        }
        return Ok(AllowEntry::Block { network, prefix });
    }
    if let Ok(ip) = entry.parse::<IpAddr>() {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        return Ok(AllowEntry::Block {
            network: ip.to_canonical(),
            prefix,
        });
    }
    if let Ok(address) = entry.parse::<SocketAddr>() {
        if address.port() == 0 {
            return Err(error("the port must be 1 to 65535"));
        }
        return Ok(AllowEntry::Address(SocketAddr::new(
            address.ip().to_canonical(),
            address.port(),
        )));
    }
    let Some((host, port)) = entry.rsplit_once(':') else {
        return Err(error(
            "expected a CIDR block, an IP address, address:port or host:port",
        ));
    };
    let port: u16 = port
        .parse()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| error("the port must be 1 to 65535"))?;
    if !is_host_name(host) {
        return Err(error("not a valid host name"));
    }
    Ok(AllowEntry::Name {
        host: host.to_ascii_lowercase(),
        port,
    })
}

/// A DNS name: dot-separated labels of letters, digits and inner hyphens.
pub(crate) fn is_host_name(host: &str) -> bool {
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let kept = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((bits & kept).into())
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let kept = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((bits & kept).into())
        }
    }
}

impl AllowEntry {
    /// Whether this entry lets a tenant reach `address`, configured as
    /// `host` (the name or IP literal the tenant wrote).
    pub fn admits(&self, host: &str, address: SocketAddr) -> bool {
        let ip = address.ip().to_canonical();
        match self {
            Self::Block { network, prefix } => {
                network.is_ipv4() == ip.is_ipv4() && mask(ip, *prefix) == *network
            }
            Self::Address(allowed) => *allowed == SocketAddr::new(ip, address.port()),
            Self::Name { host: name, port } => {
                *port == address.port()
                    && host
                        .strip_suffix('.')
                        .unwrap_or(host)
                        .eq_ignore_ascii_case(name.strip_suffix('.').unwrap_or(name))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admits(list: &str, host: &str, address: &str) -> bool {
        let address: SocketAddr = address.parse().unwrap();
        parse_allow_list(list)
            .unwrap()
            .iter()
            .any(|entry| entry.admits(host, address))
    }

    #[test]
    fn blocks_admit_their_addresses_on_every_port() {
        let list = "10.0.0.0/8, 192.168.1.5,fd00:1234::/32";
        assert!(admits(list, "10.1.2.3", "10.1.2.3:5432"));
        assert!(admits(list, "directory.corp", "10.255.0.1:636"));
        assert!(!admits(list, "11.0.0.1", "11.0.0.1:80"));
        assert!(admits(list, "192.168.1.5", "192.168.1.5:25"));
        assert!(!admits(list, "192.168.1.6", "192.168.1.6:25"));
        assert!(admits(list, "x", "[fd00:1234:5::1]:443"));
        assert!(!admits(list, "x", "[fd00:1235::1]:443"));
        // An IPv4 address written as IPv6 is the same address.
        assert!(admits(list, "x", "[::ffff:10.0.0.1]:80"));
        assert!(!admits("fd00::/8", "x", "10.0.0.1:80"));
    }

    #[test]
    fn ports_and_names_admit_exactly_that() {
        let list = "192.168.1.5:636,[fd00::5]:5432,DB.internal:5432";
        assert!(admits(list, "192.168.1.5", "192.168.1.5:636"));
        assert!(!admits(list, "192.168.1.5", "192.168.1.5:22"));
        assert!(admits(list, "ldap.corp", "192.168.1.5:636"));
        assert!(admits(list, "x", "[fd00::5]:5432"));
        assert!(!admits(list, "x", "[fd00::5]:5433"));
        assert!(admits(list, "db.INTERNAL", "10.9.9.9:5432"));
        assert!(admits(list, "db.internal.", "10.9.9.9:5432"));
        assert!(!admits(list, "db.internal", "10.9.9.9:22"));
        assert!(!admits(list, "evil.example", "10.9.9.9:5432"));
    }

    #[test]
    fn malformed_entries_are_refused_with_the_entry_named() {
        for (entry, reason) in [
            ("10.0.0.0/33", "prefix length"),
            ("10.0.0.1/8", "bits set beyond the prefix"),
            ("0.0.0.0/0", "allows everything"),
            ("db.internal", "expected a CIDR block"),
            ("db.internal:0", "port must be"),
            ("db.internal:70000", "port must be"),
            ("bad_host!:25", "not a valid host name"),
            ("fd00::/129", "prefix length"),
            ("10.0.0.0/x", "prefix length"),
            ("nonsense/8", "CIDR block needs an IP"),
        ] {
            let error = parse_allow_list(&format!("10.0.0.0/8,{entry}")).unwrap_err();
            assert_eq!(error.entry, entry);
            assert!(error.to_string().contains(reason), "{entry}: {error}");
            assert!(error.to_string().contains(entry), "{error}");
        }
        assert_eq!(parse_allow_list(" , ").unwrap(), Vec::new());
    }
}
