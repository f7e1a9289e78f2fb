//! Failed-login counters for brute-force protection and IP throttling.
//!
//! A counter is addressed by its kind, a connection (empty for per-IP
//! counters), a subject (the normalized login identifier; empty for per-IP
//! counters) and an IP address. Increments are atomic, so every node sharing
//! the database sees one count.

use model::UnixMillis;

/// What a counter counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CounterKind {
    /// Consecutive failures for one identifier from one IP (brute force).
    IdentifierIp,
    /// Failures from one IP across every identifier (suspicious IP throttling).
    Ip,
    /// Password-reset requests for one address from one IP (rate limit).
    ResetAddressIp,
    /// Password-reset requests from one IP across addresses (rate limit).
    ResetIp,
    /// Failures for one identifier from every IP (the per-account cap).
    Identifier,
    /// Self-service signups from one IP (rate limit).
    SignupIp,
}

impl CounterKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IdentifierIp => "identifier_ip",
            Self::Ip => "ip",
            Self::ResetAddressIp => "reset_address_ip",
            Self::ResetIp => "reset_ip",
            Self::Identifier => "identifier",
            Self::SignupIp => "signup_ip",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "identifier_ip" => Some(Self::IdentifierIp),
            "ip" => Some(Self::Ip),
            "reset_address_ip" => Some(Self::ResetAddressIp),
            "reset_ip" => Some(Self::ResetIp),
            "identifier" => Some(Self::Identifier),
            "signup_ip" => Some(Self::SignupIp),
            _ => None,
        }
    }
}

/// The address of one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterKey {
    pub kind: CounterKind,
    pub connection_id: String,
    pub subject: String,
    pub ip: String,
}

/// A counter's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCounter {
    pub key: CounterKey,
    pub failures: u64,
    /// When the current run of failures started.
    pub window_start: UnixMillis,
    pub last_failure: UnixMillis,
    /// After this the counter is garbage.
    pub expires_at: UnixMillis,
}

/// One failure to add to a counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    pub now: UnixMillis,
    /// A counter whose run started before this restarts at 1 (its window is over).
    pub restart_before: UnixMillis,
    pub expires_at: UnixMillis,
}
