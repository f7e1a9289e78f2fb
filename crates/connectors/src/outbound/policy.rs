//! The policy itself: the operator's rules, the check of one address, and
//! the resolution that keeps only allowed addresses. Kept apart from
//! `mod.rs` so the guarded HTTP clients import it directly.

use super::allow_list::AllowEntry;
use super::rules;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long a DNS lookup of a destination may take.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Why a destination was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Loopback, private, link-local or reserved, and not allowed.
    Private,
    /// The host and port of Vestibule's own database.
    OwnDatabase,
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Private => "a private address; the operator has not allowed it",
            Self::OwnDatabase => "the server's own database; it is never allowed",
        })
    }
}

/// A refused destination; its message is safe to show to the tenant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("destination {destination} is {reason}")]
pub struct Refused {
    /// `address:port`, or `name:port (address)` for a name.
    pub destination: String,
    pub reason: Reason,
}

/// Why a destination cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error(transparent)]
    Refused(#[from] Refused),
    /// The name does not resolve (now).
    #[error("{0} cannot be resolved")]
    Unresolved(String),
}

/// The server's own database, as `VESTIBULE_DATABASE_URL` names it: the
/// rule is the *server* (host and port), not one database on it — another
/// database of the same PostgreSQL cluster is reachable with the same
/// roles, so every database there is off limits.
#[derive(Debug)]
pub struct OwnDatabase {
    /// The host name or address; `None` for a Unix socket (this machine).
    host: Option<String>,
    port: u16,
    /// Every address the host has resolved to so far (a failover moves
    /// it; the old address stays refused, which costs nothing).
    known: Mutex<Vec<IpAddr>>,
}

impl OwnDatabase {
    /// The server a PostgreSQL URL names; `None` for anything else (SQLite
    /// lives in a file, which custom databases cannot open at all).
    pub fn from_url(url: &str) -> Option<Self> {
        let parsed = url::Url::parse(url).ok()?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return None;
        }
        let mut host = parsed
            .host_str()
            .filter(|h| !h.is_empty() && !h.starts_with('%') && !h.starts_with('/'))
            .map(|h| h.trim_matches(['[', ']']).to_ascii_lowercase());
        let mut port = parsed.port().unwrap_or(5432);
        for (key, value) in parsed.query_pairs() {
            match &*key {
                "host" | "hostaddr" if value.starts_with('/') => host = None,
                "host" | "hostaddr" => host = Some(value.to_ascii_lowercase()),
                "port" => port = value.parse().unwrap_or(port),
                _ => {}
            }
        }
        Some(Self {
            host,
            port,
            known: Mutex::new(Vec::new()),
        })
    }

    /// The database's current addresses (with those seen before).
    async fn addresses(&self) -> Vec<IpAddr> {
        if let Some(host) = &self.host {
            let fresh = match host.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => lookup(host, self.port)
                    .await
                    .map(|found| found.into_iter().map(|a| a.ip()).collect())
                    .unwrap_or_default(),
            };
            if let Ok(mut known) = self.known.lock() {
                for ip in fresh {
                    let ip = ip.to_canonical();
                    if !known.contains(&ip) && known.len() < 64 {
                        known.push(ip);
                    }
                }
            }
        }
        self.known.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// Whether `address` reaches this database server. A database on this
    /// machine (loopback, a Unix socket, one of its own addresses) is
    /// reachable through every address of the machine, `0.0.0.0` included.
    async fn is(&self, address: SocketAddr) -> bool {
        if address.port() != self.port {
            return false;
        }
        let ip = address.ip().to_canonical();
        let own = self.addresses().await;
        if own.contains(&ip) {
            return true;
        }
        let own_is_local = self.host.is_none() || own.iter().any(|own| is_this_machine(*own));
        own_is_local && is_this_machine(ip)
    }
}

/// Loopback, unspecified, or an address of one of this machine's
/// interfaces (binding to it succeeds only then).
fn is_this_machine(ip: IpAddr) -> bool {
    ip.is_loopback()
        || ip.is_unspecified()
        || std::net::UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
}

async fn lookup(host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
    let unresolved = || OutboundError::Unresolved(host.to_owned());
    let found = tokio::time::timeout(LOOKUP_TIMEOUT, tokio::net::lookup_host((host, port)))
        .await
        .map_err(|_| unresolved())?
        .map_err(|_| unresolved())?;
    Ok(found.collect())
}

#[derive(Debug, Default)]
struct Rules {
    allow_all: bool,
    allowed: Vec<AllowEntry>,
    own_database: Option<OwnDatabase>,
}

/// The operator's rules for outbound destinations; cheap to clone. The
/// default refuses every private address.
#[derive(Debug, Clone, Default)]
pub struct OutboundPolicy {
    rules: Arc<Rules>,
}

impl OutboundPolicy {
    /// `allow_all` lets tenants reach any private address (tests, local
    /// development); `allowed` lists those they may reach otherwise; the
    /// own database is refused in every case.
    pub fn new(
        allow_all: bool,
        allowed: Vec<AllowEntry>,
        own_database: Option<OwnDatabase>,
    ) -> Self {
        Self {
            rules: Arc::new(Rules {
                allow_all,
                allowed,
                own_database,
            }),
        }
    }

    /// Every private address allowed, no own database (unit tests).
    pub fn allow_all() -> Self {
        Self::new(true, Vec::new(), None)
    }

    /// Whether tenants may reach `address`, written as `host`.
    pub async fn check(&self, host: &str, address: SocketAddr) -> Result<(), Refused> {
        let address = SocketAddr::new(address.ip().to_canonical(), address.port());
        let refused = |reason| {
            let destination = if host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok() {
                address.to_string()
            } else {
                format!("{host}:{} ({})", address.port(), address.ip())
            };
            Refused {
                destination,
                reason,
            }
        };
        if let Some(own) = &self.rules.own_database
            && own.is(address).await
        {
            return Err(refused(Reason::OwnDatabase));
        }
        let allowed = self.rules.allow_all
            || rules::is_public(address.ip())
            || self.rules.allowed.iter().any(|e| e.admits(host, address));
        if allowed {
            Ok(())
        } else {
            Err(refused(Reason::Private))
        }
    }

    /// The addresses of `host:port` that tenants may reach, in resolver
    /// order; an error naming the rule when there is none. Connect to one
    /// of these, never to the name again.
    pub async fn resolve(&self, host: &str, port: u16) -> Result<Vec<SocketAddr>, OutboundError> {
        let bare = host.trim_matches(['[', ']']);
        let candidates = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => lookup(host, port).await?,
        };
        let mut allowed = Vec::new();
        let mut refusal = None;
        for address in candidates {
            match self.check(host, address).await {
                Ok(()) => allowed.push(address),
                Err(refused) => {
                    // The own database is the refusal worth naming.
                    if refusal.is_none() || refused.reason == Reason::OwnDatabase {
                        refusal = Some(refused);
                    }
                }
            }
        }
        match (allowed.is_empty(), refusal) {
            (false, _) => Ok(allowed),
            (true, Some(refused)) => Err(refused.into()),
            (true, None) => Err(OutboundError::Unresolved(host.to_owned())),
        }
    }

    /// Like [`resolve`](Self::resolve), for validation when a destination
    /// is saved: a name that does not resolve yet is accepted (it is
    /// checked again on every connection), a refused one is not.
    pub async fn check_configured(&self, host: &str, port: u16) -> Result<(), Refused> {
        match self.resolve(host, port).await {
            Ok(_) | Err(OutboundError::Unresolved(_)) => Ok(()),
            Err(OutboundError::Refused(refused)) => Err(refused),
        }
    }
}

/// The refusal somewhere in an error's source chain, if that is why it failed.
pub fn refusal_in<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Refused> {
    let mut current: Option<&'a (dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = current {
        if let Some(refused) = error.downcast_ref::<Refused>() {
            return Some(refused);
        }
        if let Some(OutboundError::Refused(refused)) = error.downcast_ref::<OutboundError>() {
            return Some(refused);
        }
        current = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::allow_list::parse_allow_list;

    fn address(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn private_destinations_need_the_operator() {
        let strict = OutboundPolicy::default();
        let refused = strict
            .check("127.0.0.1", address("127.0.0.1:25"))
            .await
            .unwrap_err();
        assert_eq!(
            refused.to_string(),
            "destination 127.0.0.1:25 is a private address; the operator has not allowed it"
        );
        let refused = strict
            .check("metadata.internal", address("169.254.169.254:80"))
            .await
            .unwrap_err();
        assert_eq!(
            refused.destination,
            "metadata.internal:80 (169.254.169.254)"
        );
        assert!(strict.check("x", address("8.8.8.8:25")).await.is_ok());

        let listed = OutboundPolicy::new(
            false,
            parse_allow_list("127.0.0.1:25,10.0.0.0/8").unwrap(),
            None,
        );
        assert!(
            listed
                .check("127.0.0.1", address("127.0.0.1:25"))
                .await
                .is_ok()
        );
        assert!(
            listed
                .check("127.0.0.1", address("127.0.0.1:26"))
                .await
                .is_err()
        );
        assert!(listed.check("h", address("10.2.3.4:5432")).await.is_ok());
        assert!(
            OutboundPolicy::allow_all()
                .check("h", address("192.168.0.1:22"))
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn the_own_database_is_never_allowed() {
        let own = OwnDatabase::from_url("postgres://vestibule@127.0.0.1:5432/vestibule").unwrap();
        let policy =
            OutboundPolicy::new(true, parse_allow_list("127.0.0.1:5432").unwrap(), Some(own));
        for destination in [
            "127.0.0.1:5432",
            "127.0.0.2:5432",
            "0.0.0.0:5432",
            "[::1]:5432",
            "[::ffff:127.0.0.1]:5432",
        ] {
            let refused = policy.check("h", address(destination)).await.unwrap_err();
            assert_eq!(refused.reason, Reason::OwnDatabase, "{destination}");
            assert!(refused.to_string().contains("the server's own database"));
        }
        assert!(policy.check("h", address("127.0.0.1:5433")).await.is_ok());
        // Names resolve first: localhost is the same server.
        let error = policy.resolve("localhost", 5432).await.unwrap_err();
        assert!(
            matches!(
                error,
                OutboundError::Refused(Refused {
                    reason: Reason::OwnDatabase,
                    ..
                })
            ),
            "{error}"
        );

        // A remote database server: its address, that port.
        let remote = OwnDatabase::from_url("postgresql://u:p@10.1.2.3/db?sslmode=disable").unwrap();
        let policy = OutboundPolicy::new(true, Vec::new(), Some(remote));
        assert!(policy.check("h", address("10.1.2.3:5432")).await.is_err());
        assert!(policy.check("h", address("10.1.2.4:5432")).await.is_ok());
        assert!(policy.check("h", address("127.0.0.1:5432")).await.is_ok());
        // A Unix socket is this machine.
        let socket = OwnDatabase::from_url("postgres:///db?host=/var/run/postgresql").unwrap();
        let policy = OutboundPolicy::new(true, Vec::new(), Some(socket));
        assert!(policy.check("h", address("127.0.0.1:5432")).await.is_err());
        assert!(OwnDatabase::from_url("sqlite:/data/vestibule.db").is_none());
    }

    #[tokio::test]
    async fn names_resolving_inside_are_refused() {
        let error = OutboundPolicy::default()
            .resolve("localhost", 25)
            .await
            .unwrap_err();
        let OutboundError::Refused(refused) = error else {
            panic!("{error}");
        };
        assert_eq!(refused.reason, Reason::Private);
        assert!(
            refused.destination.starts_with("localhost:25 ("),
            "{refused}"
        );
        let allowed = OutboundPolicy::new(false, parse_allow_list("localhost:25").unwrap(), None)
            .resolve("localhost", 25)
            .await
            .unwrap();
        assert!(allowed.iter().all(|a| a.ip().is_loopback()));
    }
}
