//! Brute-force protection and suspicious IP throttling, as Auth0 defines them.
//!
//! - **Brute force** (per database connection with `brute_force_protection`,
//!   on unless set to `false`): `brute_force_max_attempts` (10) consecutive
//!   failed logins for one *identifier* (the normalized email or username
//!   typed) from one IP block that pair: further attempts from that IP are
//!   refused, even with the right password, while other IPs are unaffected.
//!   A success resets the count; an admin unblocks through the user-blocks
//!   API; a block lapses `brute_force_block_lifetime` (30 days) after its run
//!   of failures started. Counting by identifier rather than by user means an
//!   unknown identifier is counted and blocked exactly like a known one, so
//!   a block never reveals whether an account exists.
//! - **IP throttling**: `ip_throttle_max_failures` (100) failed logins from one
//!   IP within `ip_throttle_window` (1 hour), across identifiers, refuse every
//!   login from that IP until the window ends.
//!
//! Counters live in storage (one atomic upsert per failure), so every node
//! sees the same counts. When a pair gets blocked, the account's owner (if
//! the identifier names one) is emailed a link that lifts the block
//! (`crate::email::notify_blocked_account`). Not yet: an IP allow-list, and
//! NFKC folding of identifiers.

use crate::Engine;
use crate::error::Result;
use model::{Connection, TenantId, User};
use serde_json::Value;
use storage::{CounterKey, CounterKind, Failure, LoginCounter};

/// The IP recorded when the request's address is unknown.
pub const UNKNOWN_IP: &str = "unknown";

/// Whether a login may be attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// This identifier is blocked from this IP (brute force).
    Blocked,
    /// This IP is refused for every identifier (throttling).
    Throttled,
}

/// Brute-force protection is on unless the connection turns it off.
pub fn brute_force_enabled(connection: &Connection) -> bool {
    connection
        .options
        .get("brute_force_protection")
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

/// The IP a counter records: the request's, or [`UNKNOWN_IP`].
pub fn counted_ip(ip: Option<&str>) -> &str {
    ip.filter(|ip| !ip.is_empty()).unwrap_or(UNKNOWN_IP)
}

fn ip_key(kind: CounterKind, ip: &str) -> CounterKey {
    CounterKey {
        kind,
        connection_id: String::new(),
        subject: String::new(),
        ip: ip.to_owned(),
    }
}

fn identifier_key(
    kind: CounterKind,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) -> CounterKey {
    CounterKey {
        kind,
        connection_id: connection.id.clone(),
        subject: User::normalize_login(identifier),
        ip: ip.to_owned(),
    }
}

/// Checks the counters before a login attempt.
pub async fn gate(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) -> Result<Gate> {
    let now = engine.now();
    let settings = &engine.settings;
    if let Some(counter) = engine
        .storage
        .get_login_counter(tenant, &ip_key(CounterKind::Ip, ip), now)
        .await?
        && counter.failures >= settings.ip_throttle_max_failures
        && counter.window_start > now - settings.ip_throttle_window * 1_000
    {
        return Ok(Gate::Throttled);
    }
    if brute_force_enabled(connection)
        && let Some(counter) = engine
            .storage
            .get_login_counter(
                tenant,
                &identifier_key(CounterKind::IdentifierIp, connection, identifier, ip),
                now,
            )
            .await?
        && counter.failures >= settings.brute_force_max_attempts
    {
        return Ok(Gate::Blocked);
    }
    Ok(Gate::Open)
}

/// Counts a failed attempt against the identifier/IP pair and the IP.
pub async fn record_failure(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) -> Result<()> {
    let now = engine.now();
    let settings = &engine.settings;
    let window = settings.ip_throttle_window * 1_000;
    engine
        .storage
        .add_login_failure(
            tenant,
            &ip_key(CounterKind::Ip, ip),
            Failure {
                now,
                restart_before: now - window,
                expires_at: now + window,
            },
        )
        .await?;
    if brute_force_enabled(connection) {
        let lifetime = settings.brute_force_block_lifetime * 1_000;
        let failures = engine
            .storage
            .add_login_failure(
                tenant,
                &identifier_key(CounterKind::IdentifierIp, connection, identifier, ip),
                Failure {
                    now,
                    restart_before: now - lifetime,
                    expires_at: now + lifetime,
                },
            )
            .await?;
        if failures == settings.brute_force_max_attempts {
            tracing::warn!(
                tenant = %tenant,
                connection = %connection.name,
                ip,
                "login identifier blocked for an IP after repeated failures"
            );
            crate::email::notify_blocked_account(engine, tenant, connection, identifier, ip);
        }
    }
    Ok(())
}

/// A successful login resets the identifier/IP pair's count.
pub async fn record_success(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) -> Result<()> {
    engine
        .storage
        .delete_login_counter(
            tenant,
            &identifier_key(CounterKind::IdentifierIp, connection, identifier, ip),
        )
        .await?;
    Ok(())
}

/// Counts a password-reset request and says whether it may go ahead: at
/// most `reset_requests_per_address` per address and IP, and
/// `reset_requests_per_ip` per IP, within `reset_request_window`. The
/// address is counted whether or not an account has it, so a refusal says
/// nothing about accounts; it keeps one client from flooding a mailbox (or
/// many) and from using reset emails to probe addresses at speed.
pub async fn allow_reset_request(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    email: &str,
    ip: &str,
) -> Result<bool> {
    let now = engine.now();
    let settings = &engine.settings;
    let window = settings.reset_request_window * 1_000;
    let failure = Failure {
        now,
        restart_before: now - window,
        expires_at: now + window,
    };
    let per_ip = engine
        .storage
        .add_login_failure(tenant, &ip_key(CounterKind::ResetIp, ip), failure)
        .await?;
    let per_address = engine
        .storage
        .add_login_failure(
            tenant,
            &identifier_key(CounterKind::ResetAddressIp, connection, email, ip),
            failure,
        )
        .await?;
    Ok(per_ip <= settings.reset_requests_per_ip
        && per_address <= settings.reset_requests_per_address)
}

/// The identifiers a user logs in with (normalized email and username).
pub fn identifiers_of(user: &User) -> Vec<String> {
    let mut out: Vec<String> = [user.email.as_deref(), user.username.as_deref()]
        .into_iter()
        .flatten()
        .map(User::normalize_login)
        .collect();
    out.dedup();
    out
}

/// The blocks in force for these identifiers (counters at the threshold).
pub async fn blocks(
    engine: &Engine,
    tenant: &TenantId,
    identifiers: &[String],
) -> Result<Vec<LoginCounter>> {
    let counters = engine
        .storage
        .list_login_counters(tenant, CounterKind::IdentifierIp, identifiers, engine.now())
        .await?;
    Ok(counters
        .into_iter()
        .filter(|counter| counter.failures >= engine.settings.brute_force_max_attempts)
        .collect())
}

/// Lifts every brute-force block (and resets every count) of these identifiers.
pub async fn unblock(engine: &Engine, tenant: &TenantId, identifiers: &[String]) -> Result<u64> {
    Ok(engine
        .storage
        .delete_login_counters(tenant, CounterKind::IdentifierIp, identifiers)
        .await?)
}
