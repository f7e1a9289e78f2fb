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
    /// Algorithms besides RS256 whose keys the JWKS publishes: those some
    /// client or API of the tenant signs with. RS256-only verifiers (such as
    /// auth0-python's, which reads every JWKS entry as an RSA key) keep
    /// working for tenants that never opt into ES256 or EdDSA.
    #[serde(default)]
    pub published_algs: Vec<crate::SigningAlg>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl Tenant {
    /// Whether the JWKS publishes keys of `alg`.
    pub fn publishes(&self, alg: crate::SigningAlg) -> bool {
        alg == crate::SigningAlg::Rs256 || self.published_algs.contains(&alg)
    }

    /// The audience of this tenant's Management API: `{issuer}api/v2/`.
    pub fn management_audience(&self) -> String {
        format!("{}api/v2/", self.issuer)
    }
}

/// Normalises an issuer base URL to end in exactly one `/`.
pub fn normalize_issuer(base: &str) -> String {
    format!("{}/", base.trim_end_matches('/'))
}
