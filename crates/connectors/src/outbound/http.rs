//! Outbound HTTP under the guard, for every caller that sends requests to a
//! URL a tenant configured (upstream providers, custom database endpoints,
//! later webhooks and SAML metadata).
//!
//! reqwest asks its resolver for a name without the port, and the guard's
//! rules depend on the port (`192.168.1.5:636` may be allowed while port 22
//! of the same address is not). So there is one client per destination
//! port, each with a [`GuardedResolver`] that knows it: the resolver hands
//! the connector only allowed addresses, so the check *is* the resolution
//! and DNS rebinding between check and connect is impossible. URLs with an
//! IP literal skip resolvers and are checked by [`GuardedClients::check_url`]
//! before sending. Redirects are never followed and proxies from the
//! environment are never used, so no other hop can reach an inner address.

use super::policy::{OutboundError, OutboundPolicy};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

/// Clients kept per port at most; beyond that the map starts again (a
/// tenant cycling through ports costs itself client builds, nothing else).
const MAX_CLIENTS: usize = 32;

/// reqwest's resolver for one destination port: the system resolver,
/// keeping only the addresses the policy allows; a name with none left is
/// refused with the rule's message.
#[derive(Debug, Clone)]
pub struct GuardedResolver {
    policy: OutboundPolicy,
    port: u16,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let resolver = self.clone();
        Box::pin(async move {
            let addresses = resolver
                .policy
                .resolve(name.as_str(), resolver.port)
                .await
                .map_err(|error| Box::new(error) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Settings a caller applies to each of its clients (timeouts, user agent).
pub type Configure = Box<dyn Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder + Send + Sync>;

/// Guarded clients, one per destination port, built on first use
/// (building loads the system's root certificates, which start-up should
/// not wait for).
pub struct GuardedClients {
    policy: OutboundPolicy,
    configure: Configure,
    clients: Mutex<HashMap<u16, reqwest::Client>>,
}

impl std::fmt::Debug for GuardedClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardedClients")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl GuardedClients {
    pub fn new(policy: OutboundPolicy, configure: Configure) -> Self {
        Self {
            policy,
            configure,
            clients: Mutex::new(HashMap::new()),
        }
    }

    pub fn policy(&self) -> &OutboundPolicy {
        &self.policy
    }

    /// The client for requests to `url`'s port.
    pub fn for_url(&self, url: &url::Url) -> Result<reqwest::Client, String> {
        self.for_port(url.port_or_known_default().unwrap_or(443))
    }

    /// The client for destinations on `port`.
    pub fn for_port(&self, port: u16) -> Result<reqwest::Client, String> {
        let mut clients = self
            .clients
            .lock()
            .map_err(|_| "HTTP client cache poisoned".to_owned())?;
        if let Some(client) = clients.get(&port) {
            return Ok(client.clone());
        }
        let resolver = GuardedResolver {
            policy: self.policy.clone(),
            port,
        };
        let client = (self.configure)(reqwest::Client::builder())
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(resolver)
            .build()
            .map_err(|e| e.to_string())?;
        if clients.len() >= MAX_CLIENTS {
            clients.clear();
        }
        clients.insert(port, client.clone());
        Ok(client)
    }

    /// Checks a URL whose host is an IP literal, which the resolver never
    /// sees (names are checked when they are resolved).
    pub async fn check_url(&self, url: &url::Url) -> Result<(), OutboundError> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            _ => return Ok(()),
        };
        let port = url.port_or_known_default().unwrap_or(443);
        self.policy
            .check(&ip.to_string(), SocketAddr::new(ip, port))
            .await
            .map_err(OutboundError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::allow_list::parse_allow_list;
    use crate::outbound::policy::refusal_in;

    #[tokio::test]
    async fn ip_literal_urls_are_checked() {
        let clients = GuardedClients::new(OutboundPolicy::default(), Box::new(|b| b));
        for (url, refused) in [
            ("http://127.0.0.1:8080/token", true),
            ("http://[::1]/", true),
            ("http://169.254.169.254/latest/meta-data/", true),
            ("http://2130706433/", true), // 127.0.0.1 written as a number
            ("https://8.8.8.8/", false),
            ("https://accounts.example.com/", false),
        ] {
            let url = url::Url::parse(url).unwrap();
            assert_eq!(clients.check_url(&url).await.is_err(), refused, "{url}");
        }
    }

    #[tokio::test]
    async fn the_resolver_refuses_inner_names_by_port() {
        use reqwest::dns::Resolve;
        let policy = OutboundPolicy::new(false, parse_allow_list("127.0.0.1:8443").unwrap(), None);
        let refusing = GuardedResolver {
            policy: policy.clone(),
            port: 22,
        };
        let error = match refusing.resolve("localhost".parse().unwrap()).await {
            Ok(addresses) => panic!("resolved: {:?}", addresses.collect::<Vec<_>>()),
            Err(error) => error,
        };
        let refused = refusal_in(error.as_ref()).expect("a refusal");
        assert!(refused.to_string().contains("localhost:22"), "{refused}");
        let allowed = GuardedResolver { policy, port: 8443 };
        let addresses: Vec<SocketAddr> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .map_err(|e| e.to_string())
            .unwrap()
            .collect();
        assert!(
            addresses.contains(&"127.0.0.1:8443".parse().unwrap()),
            "{addresses:?}"
        );
    }
}
