//! What a custom database backend is: the [`PasswordBackend`] trait, the
//! users it reads and creates, and its error. Kept apart from `mod.rs` so
//! the backends and the configuration import it directly.

use crate::outbound::OutboundError;
use async_trait::async_trait;

/// A user as the custom database describes it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CustomUser {
    /// The custom database's id; the Vestibule user id is `auth0|<id>`.
    pub id: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub username: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
    /// The stored hash (SQL kind only); verified by the engine.
    pub password_hash: Option<String>,
}

impl std::fmt::Debug for CustomUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomUser")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("password_hash", &self.password_hash.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

/// What a login lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginLookup {
    /// No such user.
    NotFound,
    /// The user and their stored hash: the caller verifies the password.
    Verify(CustomUser),
    /// The custom database checked the password and accepted it.
    Authenticated(CustomUser),
    /// The custom database checked the password and refused it.
    WrongPassword,
}

/// A user to create in the custom database.
#[derive(Clone)]
pub struct NewCustomUser {
    pub id: String,
    pub email: String,
    pub username: Option<String>,
    /// For HTTP backends, which hash it themselves.
    pub password: String,
    /// argon2id, for SQL backends.
    pub password_hash: String,
}

impl std::fmt::Debug for NewCustomUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewCustomUser")
            .field("id", &self.id)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// Why the custom database could not be used. Messages name the problem
/// for logs and administrators; they never carry secrets or passwords.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomDbError {
    /// The connection's custom database settings are incomplete or invalid.
    #[error("custom database is not configured: {0}")]
    NotConfigured(String),
    /// The custom database could not be reached or failed.
    #[error("custom database unavailable: {0}")]
    Unavailable(String),
    /// The custom database answered something unusable.
    #[error("custom database answered an invalid response: {0}")]
    InvalidResponse(String),
    /// The operation is not configured for this connection.
    #[error("custom database operation `{0}` is not configured")]
    OperationMissing(&'static str),
    /// Create refused: the user already exists there.
    #[error("the user already exists in the custom database")]
    UserExists,
    /// The outbound guard refused the destination; the message names the
    /// rule and is safe to show to the tenant.
    #[error("custom database refused: {0}")]
    Refused(String),
}

impl From<OutboundError> for CustomDbError {
    fn from(error: OutboundError) -> Self {
        match error {
            OutboundError::Refused(refused) => Self::Refused(refused.to_string()),
            OutboundError::Unresolved(_) => Self::Unavailable(error.to_string()),
        }
    }
}

/// One way of reaching a customer's user store.
#[async_trait]
pub trait PasswordBackend: Send + Sync {
    /// Finds the user by the identifier typed at login (email or username).
    async fn login(&self, login: &str, password: &str) -> Result<LoginLookup, CustomDbError>;
    /// Finds a user by email (signup checks, password reset).
    async fn get_user(&self, email: &str) -> Result<Option<CustomUser>, CustomDbError>;
    async fn create(&self, user: &NewCustomUser) -> Result<(), CustomDbError>;
    /// Marks the email address verified.
    async fn verify(&self, email: &str) -> Result<(), CustomDbError>;
    /// Sets a new password; `false` when no user has this email.
    async fn change_password(
        &self,
        email: &str,
        password: &str,
        password_hash: &str,
    ) -> Result<bool, CustomDbError>;
    async fn delete(&self, id: &str) -> Result<(), CustomDbError>;
}
