//! Single-use links sent by email: verify an address, reset a password,
//! lift a brute-force block. The link carries 256 random bits; storage keeps
//! only their SHA-256 (a `OneTimeRecord`), so a database reader cannot use a
//! pending link. Unknown, used and expired tickets are one and the same
//! answer to the caller.

use crate::Engine;
use crate::error::Result;
use model::{OneTimeRecord, Tenant, TenantId, User};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketKind {
    EmailVerification,
    PasswordReset,
    Unblock,
}

impl TicketKind {
    fn record_kind(self) -> &'static str {
        match self {
            Self::EmailVerification => "email_verification_ticket",
            Self::PasswordReset => "password_reset_ticket",
            Self::Unblock => "unblock_ticket",
        }
    }

    /// The hosted page the link opens.
    pub fn path(self) -> &'static str {
        match self {
            Self::EmailVerification => "u/email-verification",
            Self::PasswordReset => "u/reset-password",
            Self::Unblock => "u/unblock",
        }
    }
}

/// What a ticket stands for; the ticket alone names the account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPayload {
    pub user_id: String,
    /// The address the link was sent to; the link is dead once it changes.
    pub email: Option<String>,
    pub client_id: Option<String>,
    pub result_url: Option<String>,
    #[serde(default)]
    pub mark_email_as_verified: bool,
    #[serde(default)]
    pub include_email_in_redirect: bool,
    /// SHA-256 of the password hash at issuance (reset tickets): once any
    /// reset (or change) succeeds, every older reset link is dead too.
    #[serde(default)]
    pub password_fingerprint: Option<String>,
}

impl TicketPayload {
    pub fn for_user(user: &User) -> Self {
        Self {
            user_id: user.user_id.clone(),
            email: user.email.clone(),
            client_id: None,
            result_url: None,
            mark_email_as_verified: false,
            include_email_in_redirect: false,
            password_fingerprint: None,
        }
    }

    /// Whether the user is still the one the ticket was issued for.
    pub fn still_matches(&self, user: &User) -> bool {
        let same_email = self.email.as_deref().map(model::User::normalize_login)
            == user.email.as_deref().map(model::User::normalize_login);
        let same_password = match &self.password_fingerprint {
            Some(fingerprint) => *fingerprint == password_fingerprint(user),
            None => true,
        };
        same_email && same_password
    }
}

pub fn password_fingerprint(user: &User) -> String {
    crypto::secrets::sha256_base64url(user.password_hash.as_deref().unwrap_or("").as_bytes())
}

/// A presented ticket that cannot be a real one (wrong length or alphabet)
/// is refused without a database round trip.
fn well_formed(ticket: &str) -> bool {
    ticket.len() == 43
        && ticket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn hash(ticket: &str) -> String {
    crypto::secrets::sha256_base64url(ticket.as_bytes())
}

/// Stores a ticket and returns the link to send: always under the tenant's
/// configured issuer, never the request's Host (no reset-link poisoning).
pub async fn issue(
    engine: &Engine,
    tenant: &Tenant,
    kind: TicketKind,
    payload: &TicketPayload,
    lifetime_seconds: i64,
) -> Result<String> {
    let ticket = crypto::secrets::random_token(32)?;
    let now = engine.now();
    engine
        .storage
        .create_one_time(&OneTimeRecord {
            tenant_id: tenant.id.clone(),
            kind: kind.record_kind().to_owned(),
            key_hash: hash(&ticket),
            payload: serde_json::to_value(payload).map_err(|e| {
                crate::EngineError::Storage(storage::StorageError::backend("encode a ticket", e))
            })?,
            // Only the newest reset link of a user works (SECURITY AUTH-RST-01).
            subject: (kind == TicketKind::PasswordReset).then(|| payload.user_id.clone()),
            expires_at: now + lifetime_seconds.max(1) * 1_000,
            created_at: now,
        })
        .await?;
    let base = model::tenant::normalize_issuer(&tenant.issuer);
    Ok(format!("{base}{}?ticket={ticket}#", kind.path()))
}

fn decode(record: OneTimeRecord) -> Option<TicketPayload> {
    serde_json::from_value(record.payload).ok()
}

/// The ticket's payload without using it up (to show a page).
pub async fn peek(
    engine: &Engine,
    tenant: &TenantId,
    kind: TicketKind,
    ticket: &str,
) -> Result<Option<TicketPayload>> {
    if !well_formed(ticket) {
        return Ok(None);
    }
    Ok(engine
        .storage
        .get_one_time(tenant, kind.record_kind(), &hash(ticket), engine.now())
        .await?
        .and_then(decode))
}

/// Uses the ticket up; of concurrent callers one gets the payload.
pub async fn consume(
    engine: &Engine,
    tenant: &TenantId,
    kind: TicketKind,
    ticket: &str,
) -> Result<Option<TicketPayload>> {
    if !well_formed(ticket) {
        return Ok(None);
    }
    Ok(engine
        .storage
        .consume_one_time(tenant, kind.record_kind(), &hash(ticket), engine.now())
        .await?
        .and_then(decode))
}
