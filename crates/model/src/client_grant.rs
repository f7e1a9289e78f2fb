//! Client grants: which client may obtain which scopes of which API through
//! `client_credentials`.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientGrant {
    pub tenant_id: TenantId,
    /// `cgr_…`
    pub id: String,
    pub client_id: String,
    /// The resource server identifier.
    pub audience: String,
    pub scope: Vec<String>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}
