//! Engine settings that are not per-tenant records.

use model::TenantId;

#[derive(Debug, Clone)]
pub struct Settings {
    /// The tenant that serves requests whose Host matches no tenant.
    pub default_tenant: TenantId,
    /// Lifetime of Management API tokens issued to machine clients, seconds.
    pub default_token_lifetime: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            default_tenant: TenantId::new("default"),
            default_token_lifetime: 86_400,
        }
    }
}
