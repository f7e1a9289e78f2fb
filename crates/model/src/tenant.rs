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
    /// Auth0's prompt settings (`/api/v2/prompts`). Kept in the tenant's
    /// own record (its JSON `data`), so a tenant stored before they existed
    /// reads as the defaults and no migration is needed.
    #[serde(default)]
    pub prompts: PromptSettings,
    /// Auth0's tenant settings (`/api/v2/tenants/settings`), the same way.
    #[serde(default)]
    pub settings: crate::TenantSettings,
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

/// Which hosted login experience a tenant uses (Auth0's
/// `universal_login_experience`). Vestibule has one hosted login page; the
/// value is kept and returned so Auth0 tooling round-trips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginExperience {
    #[default]
    New,
    Classic,
}

/// The tenant's login prompt settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PromptSettings {
    #[serde(default)]
    pub universal_login_experience: LoginExperience,
    /// The login page asks for the identifier first and sends an email
    /// whose domain an enterprise connection lists in `domain_aliases` to
    /// that connection (home-realm discovery).
    #[serde(default)]
    pub identifier_first: bool,
    /// Stored for Auth0 compatibility; Vestibule has no passkeys yet.
    #[serde(default)]
    pub webauthn_platform_first_factor: bool,
}

/// Normalises an issuer base URL to end in exactly one `/`.
pub fn normalize_issuer(base: &str) -> String {
    format!("{}/", base.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_stored_before_prompt_settings_reads_as_the_defaults() {
        let stored = serde_json::json!({
            "id": "acme", "friendly_name": "Acme", "hosts": [],
            "issuer": "https://acme.example/", "created_at": 1, "updated_at": 1,
        });
        let tenant: Tenant = serde_json::from_value(stored).unwrap();
        assert_eq!(tenant.prompts, PromptSettings::default());
        assert_eq!(tenant.settings, crate::TenantSettings::default());
        assert_eq!(
            tenant.prompts.universal_login_experience,
            LoginExperience::New
        );
        let json = serde_json::to_value(PromptSettings::default()).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"universal_login_experience": "new", "identifier_first": false, "webauthn_platform_first_factor": false})
        );
    }
}
