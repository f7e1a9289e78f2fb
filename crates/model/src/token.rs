//! Tokens Vestibule must remember: refresh tokens (rotating, in families for
//! reuse detection) and opaque access tokens (for `/userinfo`).

use crate::{TenantId, UnixMillis};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// An issued token. Only a hash of the token value is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub tenant_id: TenantId,
    /// SHA-256 (base64url) of the token value.
    pub token_hash: String,
    pub kind: TokenKind,
    /// Every token descended from one login (one authorization code) shares a
    /// family; reuse of a rotated refresh token revokes the whole family.
    pub family_id: String,
    pub client_id: String,
    pub user_id: String,
    /// The SSO session's `sid`, when the tokens came through one.
    pub sid: Option<String>,
    pub scope: Vec<String>,
    /// The resource server identifier, if any.
    pub audience: Option<String>,
    /// When the user authenticated (for ID tokens issued on refresh).
    pub auth_time: UnixMillis,
    pub created_at: UnixMillis,
    /// Absolute expiry.
    pub expires_at: UnixMillis,
    /// Refresh tokens: the family's absolute end (rotation does not extend it).
    pub family_expires_at: UnixMillis,
    /// Refresh tokens: set when rotated (used once).
    pub used_at: Option<UnixMillis>,
    pub revoked_at: Option<UnixMillis>,
}

impl IssuedToken {
    /// Whether this is a refresh token `client_id` may still present at
    /// `now`: not revoked, not expired, its family not ended. Says nothing
    /// about `used_at`.
    pub fn is_live_refresh_of(&self, client_id: &str, now: UnixMillis) -> bool {
        self.kind == TokenKind::Refresh
            && self.client_id == client_id
            && self.revoked_at.is_none()
            && self.expires_at > now
            && self.family_expires_at > now
    }
}

/// What happened when a refresh token was presented.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshUse {
    /// First use: the token is now marked used; rotate it.
    Fresh(IssuedToken),
    /// Used before, at `used_at`; the caller decides between the reuse
    /// interval and reuse detection.
    AlreadyUsed(IssuedToken),
    /// Unknown, revoked, expired, or not a refresh token.
    Invalid,
}
