//! Tenants: isolated namespaces (an Auth0 tenant, a Keycloak realm).

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

/// A tenant. Requests reach it through one of its `hosts` (the `Host` header),
/// or by being the configured default tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub friendly_name: String,
    /// Host names (without port unless one is part of the name) that select this tenant.
    pub hosts: Vec<String>,
    /// The issuer base URL, always ending in `/` (Auth0 style: `https://acme.example.com/`).
    pub issuer: String,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Tenant {
    /// The audience of this tenant's Management API: `{issuer}api/v2/`.
    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer)
    }
}

/// Normalises an issuer base URL to end in exactly one `/`.
pub fn normalize_issuer(base: &str) -> String {
    format!("{}/", base.trim_end_matches('/'))
}
