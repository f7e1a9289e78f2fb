//! Engine settings that are not per-tenant records. Lifetimes follow BRIEF §6.6.

use model::TenantId;

#[derive(Debug, Clone)]
pub struct Settings {
    /// The tenant that serves requests whose Host matches no tenant.
    pub default_tenant: TenantId,
    /// Lifetime of Management API tokens issued to machine clients, seconds.
    pub default_token_lifetime: i64,
    /// argon2id parameters for new password hashes.
    pub password_params: crypto::PasswordParams,
    /// At most this many password hashes run at once (each holds m_cost KiB).
    pub max_concurrent_hashes: usize,
    /// At most this many password hashes wait for a hashing thread; beyond
    /// that a request is refused at once (429) rather than queued.
    pub password_hash_queue: usize,
    /// Authorization codes live this long, seconds (RFC 6749 §4.1.2 recommends ≤ 10 min).
    pub authorization_code_lifetime: i64,
    /// A login transaction (authorize → pages → issue) must finish within this, seconds.
    pub transaction_lifetime: i64,
    /// SSO sessions end after this much inactivity, seconds.
    pub session_idle_lifetime: i64,
    /// SSO sessions end this long after login whatever the activity, seconds.
    pub session_absolute_lifetime: i64,
    /// Opaque access tokens (for `/userinfo`) live this long, seconds.
    pub opaque_access_token_lifetime: i64,
    /// A rotated refresh token may be presented again within this many
    /// seconds without counting as reuse (concurrent refreshes), BRIEF §6.4.
    pub refresh_reuse_interval: i64,
    /// Brute-force protection: this many consecutive failed logins for one
    /// identifier from one IP block that pair (Auth0: 10).
    pub brute_force_max_attempts: u64,
    /// A brute-force block (and its counter) lapses this long after the run
    /// of failures started, seconds (Auth0: 30 days).
    pub brute_force_block_lifetime: i64,
    /// Suspicious IP throttling: this many failed logins from one IP, across
    /// identifiers, within the window refuse every login from it until the
    /// window ends.
    pub ip_throttle_max_failures: u64,
    /// The IP throttling window, seconds.
    pub ip_throttle_window: i64,
    /// Per-account cap across IPs (SECURITY AUTH-BF-04): this many failed
    /// logins for one identifier within `account_failure_window`, from any
    /// mix of IPs, block the identifier from every IP, so rotating addresses
    /// gives no more guesses.
    pub account_max_failures: u64,
    /// The window of the per-account cap, seconds.
    pub account_failure_window: i64,
    /// Self-service signups (`/dbconnections/signup`, `/u/signup`) from one
    /// IP beyond this many within `signup_window` are refused (Auth0's
    /// pre-registration throttling: 50, refilled one per 28.8 minutes).
    pub signup_attempts_per_ip: u64,
    /// The signup throttling window, seconds.
    pub signup_window: i64,
    /// Largest user-import file accepted, bytes (Auth0: 500 KB).
    pub import_max_bytes: usize,
    /// A `processing` job whose runner gave no sign of life for this long,
    /// seconds, was interrupted (its node stopped) and is failed.
    pub job_stale_after: i64,
    /// Finished jobs, their error reports and export files are kept this
    /// long, seconds.
    pub job_retention: i64,
    /// Email verification links live this long unless the template says
    /// otherwise, seconds (Auth0: 5 days).
    pub verification_ticket_lifetime: i64,
    /// Password reset links live this long unless the template says
    /// otherwise, seconds (SECURITY AUTH-RST-02: at most an hour).
    pub reset_ticket_lifetime: i64,
    /// Account unblock links live this long, seconds.
    pub unblock_ticket_lifetime: i64,
    /// The first retry of a failed email waits this long, doubling per
    /// attempt up to an hour, seconds.
    pub email_retry_base: i64,
    /// An email is given up after this many failed attempts.
    pub email_max_attempts: u32,
    /// Password-reset requests (`/dbconnections/change_password`) for one
    /// address from one IP within `reset_request_window` beyond this many
    /// are refused (Auth0: a burst of 10, then 1 a minute).
    pub reset_requests_per_address: u64,
    /// Password-reset requests from one IP across addresses within
    /// `reset_request_window` beyond this many are refused: one IP cannot
    /// flood many mailboxes.
    pub reset_requests_per_ip: u64,
    /// The window of both reset-request limits, seconds.
    pub reset_request_window: i64,
    /// Which destinations tenants may make the server contact (upstream
    /// providers, custom databases, SMTP): public addresses, the private
    /// ones the operator allows, never the server's own database (SSRF).
    pub outbound: connectors::outbound::OutboundPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            default_tenant: TenantId::new("default"),
            default_token_lifetime: 86_400,
            password_params: crypto::PasswordParams::default(),
            max_concurrent_hashes: 4,
            password_hash_queue: 64,
            authorization_code_lifetime: 60,
            transaction_lifetime: 3_600,
            session_idle_lifetime: 7 * 86_400,
            session_absolute_lifetime: 30 * 86_400,
            opaque_access_token_lifetime: 86_400,
            refresh_reuse_interval: 0,
            brute_force_max_attempts: 10,
            brute_force_block_lifetime: 30 * 86_400,
            ip_throttle_max_failures: 100,
            ip_throttle_window: 3_600,
            account_max_failures: 100,
            account_failure_window: 3_600,
            signup_attempts_per_ip: 50,
            signup_window: 86_400,
            import_max_bytes: 16 * 1024 * 1024,
            job_stale_after: 60,
            job_retention: 7 * 86_400,
            verification_ticket_lifetime: 5 * 86_400,
            reset_ticket_lifetime: 3_600,
            unblock_ticket_lifetime: 86_400,
            email_retry_base: 30,
            email_max_attempts: 8,
            reset_requests_per_address: 10,
            reset_requests_per_ip: 50,
            reset_request_window: 600,
            outbound: connectors::outbound::OutboundPolicy::default(),
        }
    }
}
