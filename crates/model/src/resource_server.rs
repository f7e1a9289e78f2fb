//! Resource servers (APIs): the audiences access tokens are issued for.

use crate::{SigningAlg, TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceServerScope {
    pub value: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceServer {
    pub tenant_id: TenantId,
    /// Opaque id, 24 hex characters as Auth0 shows them.
    pub id: String,
    pub name: String,
    /// The audience value; unique within the tenant.
    pub identifier: String,
    pub scopes: Vec<ResourceServerScope>,
    pub signing_alg: SigningAlg,
    pub token_lifetime: i64,
    pub token_lifetime_for_web: i64,
    pub allow_offline_access: bool,
    pub skip_consent_for_verifiable_first_party_clients: bool,
    pub enforce_policies: bool,
    pub token_dialect: String,
    /// The built-in Management API of the tenant: cannot be changed or deleted.
    pub is_system: bool,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl ResourceServer {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s.value == scope)
    }
}
