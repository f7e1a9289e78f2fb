//! Auth0's tenant settings (`/api/v2/tenants/settings`) that Vestibule keeps
//! in the tenant record. They live in its JSON `data` with serde defaults,
//! so a tenant stored before they existed reads as the defaults and no
//! migration is needed.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Vestibule's own flag: write `updated_at` in ID tokens and `/userinfo` as
/// OIDC Core's number of seconds instead of Auth0's ISO 8601 string.
pub const OIDC_STANDARD_CLAIM_TYPES: &str = "oidc_standard_claim_types";

/// The settings. `None` means "not set": lifetimes then fall back to the
/// server's defaults, and the token endpoint to its own choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    /// The API a token is issued for when the request names no audience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_audience: Option<String>,
    /// The database connection of the plain `password` grant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_directory: Option<String>,
    /// How long an SSO session lives whatever its activity, minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_lifetime_minutes: Option<i64>,
    /// How long an SSO session survives without activity, minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_session_lifetime_minutes: Option<i64>,
    /// Where `/v2/logout` may return to when no `client_id` is sent.
    #[serde(default)]
    pub allowed_logout_urls: Vec<String>,
    #[serde(default = "default_locales")]
    pub enabled_locales: Vec<String>,
    /// Auth0's tenant flags and Vestibule's own, by name.
    #[serde(default)]
    pub flags: BTreeMap<String, bool>,
}

fn default_locales() -> Vec<String> {
    vec!["en".to_owned()]
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self {
            picture_url: None,
            support_email: None,
            support_url: None,
            default_audience: None,
            default_directory: None,
            session_lifetime_minutes: None,
            idle_session_lifetime_minutes: None,
            allowed_logout_urls: Vec::new(),
            enabled_locales: default_locales(),
            flags: BTreeMap::new(),
        }
    }
}

impl TenantSettings {
    /// Whether a flag is on; flags never set are off.
    pub fn flag(&self, name: &str) -> bool {
        self.flags.get(name).copied().unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_stored_before_some_members_existed_read_as_the_defaults() {
        let settings: TenantSettings = serde_json::from_value(serde_json::json!({})).unwrap();
        assert_eq!(settings, TenantSettings::default());
        assert_eq!(settings.enabled_locales, ["en"]);
        assert!(!settings.flag(OIDC_STANDARD_CLAIM_TYPES));
    }
}
