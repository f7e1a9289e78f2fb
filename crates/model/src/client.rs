//! Clients (applications) that send users to Vestibule or call it directly.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Auth0's `app_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppType {
    Spa,
    Native,
    RegularWeb,
    NonInteractive,
}

/// How a client proves itself at the token endpoint (RFC 7591 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    None,
    ClientSecretPost,
    ClientSecretBasic,
    PrivateKeyJwt,
}

impl TokenEndpointAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// Signing and lifetime of the ID tokens issued to this client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JwtConfiguration {
    pub alg: crate::SigningAlg,
    pub lifetime_in_seconds: i64,
    pub secret_encoded: bool,
}

impl Default for JwtConfiguration {
    fn default() -> Self {
        Self {
            alg: crate::SigningAlg::Rs256,
            lifetime_in_seconds: 36_000,
            secret_encoded: false,
        }
    }
}

/// Auth0's `refresh_token` client setting. Rotation is always on in Vestibule
/// (BRIEF §6.4); the field is kept so that Auth0 configurations round-trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshTokenPolicy {
    pub rotation_type: String,
    pub expiration_type: String,
    pub leeway: i64,
    pub token_lifetime: i64,
    pub infinite_token_lifetime: bool,
    pub idle_token_lifetime: i64,
    pub infinite_idle_token_lifetime: bool,
}

impl Default for RefreshTokenPolicy {
    fn default() -> Self {
        Self {
            rotation_type: "rotating".into(),
            expiration_type: "expiring".into(),
            leeway: 0,
            token_lifetime: 2_592_000,
            infinite_token_lifetime: false,
            idle_token_lifetime: 1_296_000,
            infinite_idle_token_lifetime: false,
        }
    }
}

/// A client (application). The secret is held only sealed under the master key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub tenant_id: TenantId,
    pub client_id: String,
    pub name: String,
    pub description: String,
    pub app_type: Option<AppType>,
    pub logo_uri: Option<String>,
    pub is_first_party: bool,
    pub oidc_conformant: bool,
    pub callbacks: Vec<String>,
    pub allowed_logout_urls: Vec<String>,
    pub web_origins: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub allowed_clients: Vec<String>,
    pub grant_types: Vec<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub jwt_configuration: JwtConfiguration,
    pub refresh_token: RefreshTokenPolicy,
    pub sso_disabled: bool,
    /// Auth0's legacy `sso` flag ("use Auth0 instead of the IdP to do Single
    /// Sign On", default false), kept so that configurations round-trip:
    /// Vestibule always keeps its own session unless `sso_disabled`.
    #[serde(default)]
    pub sso: bool,
    /// Auth0's `custom_login_page_on` (default true), kept so that
    /// configurations round-trip: Vestibule has no custom login page.
    #[serde(default = "default_true")]
    pub custom_login_page_on: bool,
    /// Auth0's `client_aliases` (audiences of the WS-Fed addon), kept so that
    /// configurations round-trip.
    #[serde(default)]
    pub client_aliases: Vec<String>,
    pub cross_origin_authentication: bool,
    pub initiate_login_uri: Option<String>,
    pub client_metadata: BTreeMap<String, String>,
    /// SAML / WS-Fed and other addons, kept as Auth0's JSON.
    pub addons: serde_json::Map<String, serde_json::Value>,
    /// PKCE `plain` is refused unless the client allows it (BRIEF §6.2).
    pub allow_pkce_plain: bool,
    /// The client secret sealed under the master key (None for public clients).
    pub client_secret_sealed: Option<String>,
    /// Marks the tenant's built-in Management API client created at bootstrap.
    pub is_system: bool,
    /// Auth0's `is_token_endpoint_ip_header_trusted`: the token endpoint
    /// believes this confidential client's `auth0-forwarded-for` header (a
    /// backend relaying its users' logins), so brute-force counters see the
    /// end user's IP rather than the backend's.
    #[serde(default)]
    pub is_token_endpoint_ip_header_trusted: bool,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

fn default_true() -> bool {
    true
}

impl Client {
    /// Grant types a client of this type gets when none are named: Auth0's,
    /// less `implicit`, which returns tokens in the front channel and is off
    /// unless named (RFC 9700 §2.1.2; BRIEF §6.1).
    pub fn default_grant_types(app_type: Option<AppType>) -> Vec<String> {
        let list: &[&str] = match app_type {
            Some(AppType::NonInteractive) => &["client_credentials"],
            Some(AppType::Spa) | Some(AppType::Native) => &["authorization_code", "refresh_token"],
            Some(AppType::RegularWeb) | None => {
                &["authorization_code", "refresh_token", "client_credentials"]
            }
        };
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Public clients (SPAs, native apps, `none` auth) cannot keep a secret.
    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }

    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}
