//! Users: Auth0's normalized profile, with one identity per connection the
//! user can log in through.

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

/// One way a user logs in: Auth0's `identities[]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    /// The connection's name.
    pub connection: String,
    /// The connection's id (`con_…`); not shown by Auth0, kept for lookups.
    pub connection_id: String,
    /// The `user_id` prefix: `auth0`, `google-oauth2`, …
    pub provider: String,
    /// The id within the provider (the part after `provider|`).
    pub user_id: String,
    pub is_social: bool,
    /// Upstream profile data, when it differs from the root profile.
    #[serde(default)]
    pub profile_data: Option<serde_json::Map<String, serde_json::Value>>,
    /// The upstream's access and refresh tokens (redirect connections),
    /// sealed under the master key; never shown by Vestibule's own APIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_tokens: Option<String>,
}

/// A user of a tenant.
///
/// `email` and `username` are unique per connection (case-insensitively) for
/// the identity of the user's own connection (`connection_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub tenant_id: TenantId,
    /// `{provider}|{id}`, e.g. `auth0|65f…`.
    pub user_id: String,
    /// The connection the user was created in (its primary identity).
    pub connection_id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub username: Option<String>,
    pub phone_number: Option<String>,
    pub phone_verified: bool,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    /// argon2id PHC string (database users only); never leaves the server.
    pub password_hash: Option<String>,
    /// Hashes of previous passwords, newest first (password history).
    #[serde(default)]
    pub password_history: Vec<String>,
    pub blocked: bool,
    pub identities: Vec<Identity>,
    pub user_metadata: serde_json::Map<String, serde_json::Value>,
    pub app_metadata: serde_json::Map<String, serde_json::Value>,
    pub logins_count: i64,
    pub last_login: Option<UnixMillis>,
    pub last_ip: Option<String>,
    pub created_at: UnixMillis,
    pub updated_at: UnixMillis,
}

impl User {
    /// Emails and usernames compare case-insensitively.
    pub fn normalize_login(value: &str) -> String {
        value.trim().to_lowercase()
    }
}
