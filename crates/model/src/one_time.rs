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
    pub expires_at: UnixMillis,
    pub created_at: UnixMillis,
}
