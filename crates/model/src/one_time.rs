//! Single-use records: authorization codes, tickets, one-time codes.
//!
//! Storage keeps only a hash of the secret value (`key_hash`) and hands a
//! record out at most once through `consume_one_time`; two racing consumers
//! see exactly one winner.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneTimeRecord {
    pub tenant_id: TenantId,
    /// What the record is (`authorization_code`, `password_ticket`, …).
    pub kind: String,
    /// A hash of the secret the holder presents; never the secret itself.
    pub key_hash: String,
    pub payload: serde_json::Value,
    /// Whom the record is about, when only the newest one may live: storing
    /// a record with a subject removes every earlier record of the same
    /// kind and subject (a new password-reset link kills the older ones).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub expires_at: UnixMillis,
    pub created_at: UnixMillis,
}
