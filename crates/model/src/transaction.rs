//! Login transactions: an authorization request in progress, from
//! `/authorize` through the hosted pages until a code or tokens are issued.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginTransaction {
    pub tenant_id: TenantId,
    /// The public handle in page URLs (`/u/login?state=…`), random.
    pub id: String,
    /// SHA-256 of the secret in the browser's transaction cookie: binds the
    /// transaction to the browser that started it.
    pub browser_binding: String,
    pub client_id: String,
    /// The validated authorization request, as the engine keeps it.
    pub request: serde_json::Value,
    /// Set once the user has authenticated in this transaction.
    pub user_id: Option<String>,
    pub connection: Option<String>,
    pub auth_time: Option<UnixMillis>,
    pub consent_given: bool,
    pub created_at: UnixMillis,
    pub expires_at: UnixMillis,
}
