//! Custom databases: an `auth0` connection whose users live in the
//! customer's own user store (`enabledDatabaseCustomization: true`).
//!
//! Auth0 runs customer-written JavaScript ("custom database scripts") for
//! this. Vestibule runs no customer code; it offers two declarative kinds,
//! configured in `options.custom_database` (see
//! [`crate::options::database::CustomDatabase`]):
//!
//! * **`sql`** ([`sql`]): a PostgreSQL, MySQL/MariaDB or SQLite URL (the
//!   secret `options.configuration.database_url`) and one parameterised
//!   query per operation. Vestibule reads the stored password hash and
//!   verifies it itself with [`crypto::legacy_hash`] (bcrypt, argon2,
//!   PBKDF2, scrypt, SHA-crypt, LDAP, …).
//! * **`http`** ([`http`]): one URL per operation, called with a JSON body
//!   and `Authorization: Bearer <options.configuration.http_secret>`; the
//!   customer's service checks the password.
//!
//! Both are a [`PasswordBackend`]. [`CustomDatabases`] keeps one backend
//! (for SQL, one small pool) per connection, rebuilt when the connection's
//! configuration changes.

pub mod config;
pub mod http;
pub mod sql;

pub use config::{BackendConfig, SqlQueries, parse_config};

use async_trait::async_trait;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

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

/// A backend with the fingerprint of the configuration it was opened with.
type OpenBackend = (u64, Arc<dyn PasswordBackend>);

/// Backends per connection, opened on first use and replaced when the
/// configuration changes (a new URL, new queries, a new secret).
#[derive(Default)]
pub struct CustomDatabases {
    /// Built when the first HTTP store is opened: building loads the
    /// system's root certificates, which start-up should not wait for.
    http: std::sync::OnceLock<Result<reqwest::Client, String>>,
    open: Mutex<HashMap<String, OpenBackend>>,
}

impl std::fmt::Debug for CustomDatabases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomDatabases").finish_non_exhaustive()
    }
}

impl CustomDatabases {
    /// The backend for `connection_id` given its unsealed options.
    pub fn backend(
        &self,
        connection_id: &str,
        unsealed_options: &serde_json::Value,
    ) -> Result<Arc<dyn PasswordBackend>, CustomDbError> {
        let config = parse_config(unsealed_options)?;
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        config.hash(&mut hasher);
        let fingerprint = hasher.finish();
        let mut open = self
            .open
            .lock()
            .map_err(|_| CustomDbError::Unavailable("backend cache poisoned".into()))?;
        if let Some((known, backend)) = open.get(connection_id)
            && *known == fingerprint
        {
            return Ok(backend.clone());
        }
        let backend: Arc<dyn PasswordBackend> = match config {
            BackendConfig::Sql(sql) => Arc::new(sql::SqlBackend::open(sql)?),
            BackendConfig::Http(http) => {
                let client = self
                    .http
                    .get_or_init(|| http::client().map_err(|e| e.to_string()))
                    .as_ref()
                    .map_err(|e| CustomDbError::NotConfigured(e.clone()))?;
                Arc::new(http::HttpBackend::new(client.clone(), http))
            }
        };
        open.insert(connection_id.to_owned(), (fingerprint, backend.clone()));
        Ok(backend)
    }
}
