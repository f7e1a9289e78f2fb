//! SSO sessions: a browser's login at a tenant, shared by every client of the
//! tenant until it ends (logout, idle or absolute expiry).

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub tenant_id: TenantId,
    /// SHA-256 (base64url) of the cookie's secret value; the value itself is never stored.
    pub id_hash: String,
    /// A public identifier for the session: the ID token's `sid` claim.
    pub sid: String,
    pub user_id: String,
    /// The connection the user authenticated with.
    pub connection: String,
    /// When the user last authenticated interactively (`auth_time`).
    pub auth_time: UnixMillis,
    /// Authentication methods (`amr`), e.g. `pwd`.
    pub amr: Vec<String>,
    /// Clients that received tokens through this session (for logout).
    pub clients: Vec<String>,
    pub created_at: UnixMillis,
    pub last_active_at: UnixMillis,
    /// Absolute end; `last_active_at` + the idle limit ends it earlier.
    pub expires_at: UnixMillis,
}
