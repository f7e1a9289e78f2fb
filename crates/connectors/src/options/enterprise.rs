//! Options of the directory-backed enterprise strategies: `ad` (Active
//! Directory / LDAP), `waad` (Microsoft Entra ID) and `google-apps` (Google
//! Workspace).

use super::common::{HttpUrl, Secret, SetUserRootAttributes, TrustEmailVerified, UpstreamParams};
use super::oidc::check_hostname;
use super::validation::{OptionsError, StrategyOptions};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Options of an `ad` connection.
///
/// Auth0 reaches the directory through its AD/LDAP connector agent; Vestibule
/// binds directly over LDAPS or StartTLS, configured by the Vestibule
/// extensions `ldap_url`, `base_dn`, `bind_dn`, `bind_password`,
/// `user_search_filter`, `starttls` and `ca_cert_pem`. Auth0's agent-era
/// fields are accepted so exported connections load.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdOptions {
    /// `ldaps://host[:port]`, or `ldap://` with `starttls: true` (plain
    /// `ldap://` without StartTLS only for loopback hosts).
    pub ldap_url: Option<LdapUrl>,
    /// Where user searches start (`dc=example,dc=com`).
    pub base_dn: Option<String>,
    /// The service account that searches for the user before the user's own
    /// bind. Given with `bind_password`, or neither (anonymous search).
    pub bind_dn: Option<String>,
    pub bind_password: Option<Secret>,
    /// An LDAP filter in which `{username}` is replaced by the escaped login
    /// name, e.g. `(sAMAccountName={username})`.
    pub user_search_filter: Option<String>,
    pub starttls: Option<bool>,
    /// Extra trust anchor(s) for the directory's certificate, PEM.
    pub ca_cert_pem: Option<String>,
    /// Client IP ranges (address or CIDR) from which Kerberos / Windows
    /// integrated authentication is attempted.
    pub ips: Option<Vec<IpRange>>,
    pub domain_aliases: Option<Vec<String>>,
    pub tenant_domain: Option<String>,
    pub icon_url: Option<HttpUrl>,
    pub brute_force_protection: Option<bool>,
    pub disable_cache: Option<bool>,
    pub disable_self_service_change_password: Option<bool>,
    #[serde(rename = "certAuth")]
    pub cert_auth: Option<bool>,
    pub kerberos: Option<bool>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
}

/// An `ldap://` or `ldaps://` URL, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct LdapUrl(String);

impl LdapUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parsed(&self) -> Option<url::Url> {
        url::Url::parse(&self.0).ok()
    }

    pub fn is_ldaps(&self) -> bool {
        self.parsed().is_some_and(|u| u.scheme() == "ldaps")
    }
}

impl<'de> Deserialize<'de> for LdapUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        let url = url::Url::parse(&raw)
            .map_err(|e| de::Error::custom(format!("must be an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "ldap" | "ldaps") {
            return Err(de::Error::custom("must be an ldap:// or ldaps:// URL"));
        }
        if url.host().is_none() {
            return Err(de::Error::custom("must name a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(de::Error::custom(
                "must not contain credentials (use bind_dn and bind_password)",
            ));
        }
        Ok(LdapUrl(raw))
    }
}

/// An IP address or CIDR range, kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct IpRange(String);

impl<'de> Deserialize<'de> for IpRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        let (address, prefix) = match raw.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (raw.as_str(), None),
        };
        let invalid = || de::Error::custom("must be an IP address or CIDR range");
        let address: IpAddr = address.parse().map_err(|_| invalid())?;
        if let Some(prefix) = prefix {
            let bits: u8 = prefix.parse().map_err(|_| invalid())?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            if bits > max {
                return Err(invalid());
            }
        }
        Ok(IpRange(raw))
    }
}

impl StrategyOptions for AdOptions {
    fn check(&self) -> Result<(), OptionsError> {
        let Some(ldap_url) = &self.ldap_url else {
            return Err(OptionsError::at(
                "ldap_url",
                "is required (Vestibule binds to the directory directly)",
            ));
        };
        if !ldap_url.is_ldaps() && self.starttls != Some(true) {
            let loopback = ldap_url
                .parsed()
                .is_some_and(|u| super::common::is_loopback(&u));
            if !loopback {
                return Err(OptionsError::at(
                    "ldap_url",
                    "must use ldaps:// or set `starttls: true` (plain LDAP is allowed only for loopback hosts)",
                ));
            }
        }
        if ldap_url.is_ldaps() && self.starttls == Some(true) {
            return Err(OptionsError::at(
                "starttls",
                "cannot be combined with an ldaps:// URL",
            ));
        }
        match (&self.bind_dn, &self.bind_password) {
            (Some(_), None) => {
                return Err(OptionsError::at(
                    "bind_password",
                    "is required with `bind_dn`",
                ));
            }
            (None, Some(_)) => {
                return Err(OptionsError::at(
                    "bind_dn",
                    "is required with `bind_password`",
                ));
            }
            _ => {}
        }
        if let Some(filter) = &self.user_search_filter
            && !(filter.starts_with('(') && filter.ends_with(')') && filter.contains("{username}"))
        {
            return Err(OptionsError::at(
                "user_search_filter",
                "must be a parenthesised LDAP filter containing `{username}`",
            ));
        }
        if let Some(pem) = &self.ca_cert_pem
            && !pem.contains("-----BEGIN CERTIFICATE-----")
        {
            return Err(OptionsError::at(
                "ca_cert_pem",
                "must hold one or more PEM certificates",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IdentityApi {
    #[serde(rename = "microsoft-identity-platform-v2.0")]
    MicrosoftIdentityPlatformV2,
    #[serde(rename = "azure-active-directory-v1.0")]
    AzureActiveDirectoryV1,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WaadProtocol {
    OpenidConnect,
    WsFederation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaadUserIdAttribute {
    Oid,
    Sub,
}

/// Options of a `waad` connection (Microsoft Entra ID, formerly Azure AD).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaadOptions {
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    /// The directory's primary domain (`contoso.onmicrosoft.com`).
    pub tenant_domain: Option<String>,
    pub domain: Option<String>,
    #[serde(rename = "tenantId")]
    pub tenant_id: Option<String>,
    pub app_id: Option<String>,
    pub app_domain: Option<String>,
    pub domain_aliases: Option<Vec<String>>,
    pub icon_url: Option<HttpUrl>,
    pub identity_api: Option<IdentityApi>,
    pub waad_protocol: Option<WaadProtocol>,
    /// Accept users from any Entra ID directory (multi-tenant).
    pub waad_common_endpoint: Option<bool>,
    #[serde(rename = "useCommonEndpoint")]
    pub use_common_endpoint: Option<bool>,
    pub use_wsfed: Option<bool>,
    pub api_enable_users: Option<bool>,
    pub max_groups_to_retrieve: Option<String>,
    pub basic_profile: Option<bool>,
    pub ext_profile: Option<bool>,
    pub ext_groups: Option<bool>,
    pub ext_nested_groups: Option<bool>,
    pub ext_admin: Option<bool>,
    pub ext_is_suspended: Option<bool>,
    pub ext_agreed_terms: Option<bool>,
    pub ext_assigned_plans: Option<bool>,
    pub should_trust_email_verified_connection: Option<TrustEmailVerified>,
    pub userid_attribute: Option<WaadUserIdAttribute>,
    pub thumbprints: Option<Vec<String>>,
    pub cert_rollover_notification: Option<String>,
    pub granted: Option<bool>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
    /// Vestibule extension: overrides Microsoft's endpoint (tests, local use).
    pub authorization_endpoint: Option<HttpUrl>,
    /// Vestibule extension: overrides Microsoft's endpoint.
    pub token_endpoint: Option<HttpUrl>,
    /// Vestibule extension: overrides Microsoft's endpoint.
    pub userinfo_endpoint: Option<HttpUrl>,
    /// Vestibule extension: overrides Microsoft's endpoint.
    pub jwks_uri: Option<HttpUrl>,
    /// Vestibule extension: overrides the Microsoft Graph base URL.
    pub api_base_url: Option<HttpUrl>,
}

impl StrategyOptions for WaadOptions {
    fn check(&self) -> Result<(), OptionsError> {
        if self.client_id.is_none() {
            return Err(OptionsError::at("client_id", "is required"));
        }
        if self.client_secret.is_none() {
            return Err(OptionsError::at("client_secret", "is required"));
        }
        let common =
            self.waad_common_endpoint == Some(true) || self.use_common_endpoint == Some(true);
        if !common && self.tenant_domain.is_none() && self.domain.is_none() {
            return Err(OptionsError::at(
                "tenant_domain",
                "is required unless the common (multi-tenant) endpoint is used",
            ));
        }
        if let Some(tenant_domain) = &self.tenant_domain {
            check_hostname(tenant_domain, "tenant_domain")?;
        }
        Ok(())
    }
}

/// Options of a `google-apps` connection (Google Workspace).
///
/// `domain` is required: it is what restricts the connection to the
/// organization's accounts; without it any Google account would sign in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoogleAppsOptions {
    pub domain: Option<String>,
    pub tenant_domain: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<Secret>,
    pub domain_aliases: Option<Vec<String>>,
    pub icon_url: Option<HttpUrl>,
    pub api_enable_users: Option<bool>,
    pub map_user_id_to_id: Option<bool>,
    pub handle_login_from_social: Option<bool>,
    pub basic_profile: Option<bool>,
    pub ext_profile: Option<bool>,
    pub ext_groups: Option<bool>,
    pub ext_is_admin: Option<bool>,
    pub ext_is_suspended: Option<bool>,
    pub ext_agreed_terms: Option<bool>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
    /// Vestibule extension: overrides Google's endpoint (tests, local use).
    pub authorization_endpoint: Option<HttpUrl>,
    /// Vestibule extension: overrides Google's endpoint.
    pub token_endpoint: Option<HttpUrl>,
    /// Vestibule extension: overrides Google's endpoint.
    pub userinfo_endpoint: Option<HttpUrl>,
    /// Vestibule extension: overrides Google's endpoint.
    pub jwks_uri: Option<HttpUrl>,
    /// Vestibule extension: overrides the Admin SDK base URL.
    pub api_base_url: Option<HttpUrl>,
}

impl StrategyOptions for GoogleAppsOptions {
    fn check(&self) -> Result<(), OptionsError> {
        match &self.domain {
            None => Err(OptionsError::at(
                "domain",
                "is required: it restricts sign-in to the organization",
            )),
            Some(domain) => check_hostname(domain, "domain"),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::options::tests::{assert_rejected, full_options, validate};
    use crate::strategy::Strategy;
    use serde_json::json;

    #[test]
    fn ad_minimal_gets_brute_force_protection() {
        let out = validate(
            Strategy::Ad,
            json!({"ldap_url": "ldaps://dc1.corp.example"}),
        );
        assert_eq!(
            out,
            json!({"ldap_url": "ldaps://dc1.corp.example", "brute_force_protection": true})
        );
    }

    #[test]
    fn ad_full_options_round_trip() {
        let full = full_options(Strategy::Ad);
        assert_eq!(validate(Strategy::Ad, full.clone()), full);
    }

    #[test]
    fn ad_requires_tls_except_on_loopback() {
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "ldap://dc1.corp.example"}),
            "options.ldap_url",
        );
        validate(
            Strategy::Ad,
            json!({"ldap_url": "ldap://dc1.corp.example", "starttls": true}),
        );
        validate(Strategy::Ad, json!({"ldap_url": "ldap://127.0.0.1:3389"}));
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "https://dc1.corp.example"}),
            "options.ldap_url",
        );
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "ldaps://dc1.corp.example", "starttls": true}),
            "options.starttls",
        );
    }

    #[test]
    fn ad_bind_dn_and_password_come_together() {
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "ldaps://dc", "bind_dn": "cn=svc"}),
            "options.bind_password",
        );
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "ldaps://dc", "bind_password": "x"}),
            "options.bind_dn",
        );
    }

    #[test]
    fn ad_filter_and_ips_are_checked() {
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "ldaps://dc", "user_search_filter": "(uid=*)"}),
            "options.user_search_filter",
        );
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "ldaps://dc", "ips": ["10.0.0.0/8", "10.0.0.0/33"]}),
            "options.ips[1]",
        );
        assert_rejected(
            Strategy::Ad,
            json!({"ldap_url": "ldaps://dc", "brute_force_protection": "yes"}),
            "options.brute_force_protection",
        );
    }

    #[test]
    fn waad_minimal_and_full() {
        let minimal = json!({"client_id": "c", "client_secret": "s", "tenant_domain": "contoso.onmicrosoft.com"});
        assert_eq!(validate(Strategy::Waad, minimal.clone()), minimal);
        let full = full_options(Strategy::Waad);
        assert_eq!(validate(Strategy::Waad, full.clone()), full);
    }

    #[test]
    fn waad_requirements() {
        assert_rejected(
            Strategy::Waad,
            json!({"client_id": "c", "tenant_domain": "contoso.onmicrosoft.com"}),
            "options.client_secret",
        );
        assert_rejected(
            Strategy::Waad,
            json!({"client_id": "c", "client_secret": "s"}),
            "options.tenant_domain",
        );
        validate(
            Strategy::Waad,
            json!({"client_id": "c", "client_secret": "s", "waad_common_endpoint": true}),
        );
        assert_rejected(
            Strategy::Waad,
            json!({"client_id": "c", "client_secret": "s", "tenant_domain": "x", "identity_api": "v2"}),
            "options.identity_api",
        );
    }

    #[test]
    fn google_apps_requires_its_domain() {
        let minimal = json!({"domain": "example.com"});
        assert_eq!(validate(Strategy::GoogleApps, minimal.clone()), minimal);
        let full = full_options(Strategy::GoogleApps);
        assert_eq!(validate(Strategy::GoogleApps, full.clone()), full);
        assert_rejected(
            Strategy::GoogleApps,
            json!({"client_id": "c"}),
            "options.domain",
        );
        assert_rejected(
            Strategy::GoogleApps,
            json!({"domain": "example.com/evil"}),
            "options.domain",
        );
    }
}
