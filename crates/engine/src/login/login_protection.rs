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
//! - **Per-account cap** (SECURITY AUTH-BF-04, with brute-force protection):
//!   `account_max_failures` (100) failed logins for one identifier within
//!   `account_failure_window` (1 hour), from any mix of IPs, block that
//!   identifier from every IP until the window ends, so rotating addresses
//!   buys no more guesses. The owner is emailed the unblock link (the
//!   defence against malicious lockout); the user-blocks API and a password
//!   reset lift it too.
//! - **IP throttling**: `ip_throttle_max_failures` (100) failed logins from one
//!   IP within `ip_throttle_window` (1 hour), across identifiers, refuse every
//!   login from that IP until the window ends.
//! - **Signup throttling**: more than `signup_attempts_per_ip` (50)
//!   self-service signups from one IP within `signup_window` (a day) are
//!   refused, as Auth0's pre-registration throttling does.
//!
//! Counters live in storage (one atomic upsert per failure), so every node
//! sees the same counts. When a pair gets blocked, the account's owner (if
//! the identifier names one) is emailed a link that lifts the block
//! (`crate::email::blocked_account`). Not yet: an IP allow-list, and
//! NFKC folding of identifiers.
//!
//! The IP is the client's as the HTTP layer works it out (the socket peer,
//! or behind trusted proxies the `X-Forwarded-For` hop they vouch for), never
//! a header the client alone controls.

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

/// The per-account counter: the identifier from every IP.
fn account_key(connection: &Connection, identifier: &str) -> CounterKey {
    identifier_key(CounterKind::Identifier, connection, identifier, "")
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

/// Checks the IP throttle alone (for attempts that name no identifier).
pub async fn ip_gate(engine: &Engine, tenant: &TenantId, ip: &str) -> Result<Gate> {
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
    Ok(Gate::Open)
}

/// Checks the counters before a login attempt.
pub async fn gate(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) -> Result<Gate> {
    if ip_gate(engine, tenant, ip).await? == Gate::Throttled {
        return Ok(Gate::Throttled);
    }
    let now = engine.now();
    let settings = &engine.settings;
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
    if brute_force_enabled(connection)
        && let Some(counter) = engine
            .storage
            .get_login_counter(tenant, &account_key(connection, identifier), now)
            .await?
        && account_cap_reached(engine, &counter)
    {
        return Ok(Gate::Blocked);
    }
    Ok(Gate::Open)
}

/// Whether a per-account counter blocks its identifier now.
fn account_cap_reached(engine: &Engine, counter: &LoginCounter) -> bool {
    let settings = &engine.settings;
    counter.failures >= settings.account_max_failures
        && counter.window_start > engine.now() - settings.account_failure_window * 1_000
}

/// Counts a failed attempt from an IP alone: for attempts that name no
/// usable identifier (empty or longer than any account's), which cost no
/// hash but are failures all the same.
pub async fn record_ip_failure(engine: &Engine, tenant: &TenantId, ip: &str) -> Result<()> {
    let now = engine.now();
    let window = engine.settings.ip_throttle_window * 1_000;
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
    Ok(())
}

/// Counts a failed attempt against the identifier/IP pair and the IP.
pub async fn record_failure(
    engine: &Engine,
    tenant: &TenantId,
    connection: &Connection,
    identifier: &str,
    ip: &str,
) -> Result<()> {
    record_ip_failure(engine, tenant, ip).await?;
    let now = engine.now();
    let settings = &engine.settings;
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
            crate::email::blocked_account::notify_blocked_account(
                engine, tenant, connection, identifier, ip,
            );
        }
        let window = settings.account_failure_window * 1_000;
        let across_ips = engine
            .storage
            .add_login_failure(
                tenant,
                &account_key(connection, identifier),
                Failure {
                    now,
                    restart_before: now - window,
                    expires_at: now + window,
                },
            )
            .await?;
        if across_ips == settings.account_max_failures {
            tracing::warn!(
                tenant = %tenant,
                connection = %connection.name,
                "login identifier blocked from every IP after repeated failures across IPs"
            );
            // Only this run's pair block above also mails; one mail per block.
            if failures != settings.brute_force_max_attempts {
                crate::email::blocked_account::notify_blocked_account(
                    engine, tenant, connection, identifier, ip,
                );
            }
        }
    }
    Ok(())
}

/// Counts a self-service signup from `ip` and says whether it may go
/// ahead: at most `signup_attempts_per_ip` per `signup_window`, counted
/// before any work (hashing) is done, whatever the signup's outcome.
pub async fn allow_signup(engine: &Engine, tenant: &TenantId, ip: &str) -> Result<bool> {
    let now = engine.now();
    let settings = &engine.settings;
    let window = settings.signup_window * 1_000;
    let attempts = engine
        .storage
        .add_login_failure(
            tenant,
            &ip_key(CounterKind::SignupIp, ip),
            Failure {
                now,
                restart_before: now - window,
                expires_at: now + window,
            },
        )
        .await?;
    Ok(attempts <= settings.signup_attempts_per_ip)
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

/// The blocks in force for these identifiers (counters at the threshold):
/// per IP, then from every IP (the per-account cap; its `ip` is empty).
pub async fn blocks(
    engine: &Engine,
    tenant: &TenantId,
    identifiers: &[String],
) -> Result<Vec<LoginCounter>> {
    let now = engine.now();
    let mut blocks: Vec<LoginCounter> = engine
        .storage
        .list_login_counters(tenant, CounterKind::IdentifierIp, identifiers, now)
        .await?
        .into_iter()
        .filter(|counter| counter.failures >= engine.settings.brute_force_max_attempts)
        .collect();
    blocks.extend(
        engine
            .storage
            .list_login_counters(tenant, CounterKind::Identifier, identifiers, now)
            .await?
            .into_iter()
            .filter(|counter| account_cap_reached(engine, counter)),
    );
    Ok(blocks)
}

/// Lifts every brute-force block (and resets every count, per IP and
/// across IPs) of these identifiers.
pub async fn unblock(engine: &Engine, tenant: &TenantId, identifiers: &[String]) -> Result<u64> {
    let per_ip = engine
        .storage
        .delete_login_counters(tenant, CounterKind::IdentifierIp, identifiers)
        .await?;
    let across_ips = engine
        .storage
        .delete_login_counters(tenant, CounterKind::Identifier, identifiers)
        .await?;
    Ok(per_ip + across_ips)
}
