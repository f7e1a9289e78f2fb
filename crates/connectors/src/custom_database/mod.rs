//! Custom databases: an `auth0` connection whose users live in the
//! customer's own user store (`enabledDatabaseCustomization: true`).
//!
//! Auth0 runs customer-written JavaScript ("custom database scripts") for
//! this. Vestibule runs no customer code; it offers two declarative kinds,
//! configured in `options.custom_database` (see
//! [`crate::options::database::CustomDatabase`]):
//!
//! * **`sql`** ([`sql`]): a PostgreSQL or MySQL/MariaDB URL (the secret
//!   `options.configuration.database_url`; never SQLite) and one parameterised
//!   query per operation. Vestibule reads the stored password hash and
//!   verifies it itself with [`crypto::legacy_hash`] (bcrypt, argon2,
//!   PBKDF2, scrypt, SHA-crypt, LDAP, …).
//! * **`http`** ([`http`]): one URL per operation, called with a JSON body
//!   and `Authorization: Bearer <options.configuration.http_secret>`; the
//!   customer's service checks the password.
//!
//! Both are a [`PasswordBackend`]. [`CustomDatabases`] keeps one backend
//! (for SQL, one small pool) per connection, rebuilt when the connection's
//! configuration changes. Every destination passes the outbound guard
//! ([`crate::outbound`]): the SQL host is resolved and checked before each
//! operation and the pool connects to the checked address, never to the
//! name; HTTP endpoints go through the guard's clients.

pub mod config;
pub mod http;
pub mod sql;
pub mod sql_text;

pub use config::{BackendConfig, SqlQueries, destinations, parse_config};

use crate::outbound::{OutboundError, OutboundPolicy, http::GuardedClients};
use async_trait::async_trait;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
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

/// A backend with the fingerprint of the configuration it was opened with
/// and, for SQL, the checked address its pool connects to.
type OpenBackend = (u64, Option<SocketAddr>, Arc<dyn PasswordBackend>);

/// Backends per connection, opened on first use and replaced when the
/// configuration changes (a new URL, new queries, a new secret) or the
/// database host now resolves to another (checked) address.
pub struct CustomDatabases {
    /// Guarded HTTP clients for the `http` kind, built on first use.
    http: Arc<GuardedClients>,
    open: Mutex<HashMap<String, OpenBackend>>,
}

impl std::fmt::Debug for CustomDatabases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomDatabases").finish_non_exhaustive()
    }
}

impl Default for CustomDatabases {
    fn default() -> Self {
        Self::new(OutboundPolicy::default())
    }
}

impl CustomDatabases {
    pub fn new(policy: OutboundPolicy) -> Self {
        Self {
            http: Arc::new(GuardedClients::new(policy, Box::new(http::configure))),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The backend for `connection_id` given its unsealed options. For the
    /// SQL kind the database host is resolved and checked on every call, so
    /// a name that now points inside is refused before any query runs.
    pub async fn backend(
        &self,
        connection_id: &str,
        unsealed_options: &serde_json::Value,
    ) -> Result<Arc<dyn PasswordBackend>, CustomDbError> {
        let config = parse_config(unsealed_options)?;
        let allowed = match &config {
            BackendConfig::Sql(sql) => {
                let url = config::check_database_url(&sql.url)
                    .map_err(|e| CustomDbError::NotConfigured(format!("database_url {e}")))?;
                self.http.policy().resolve(&url.host, url.port).await?
            }
            BackendConfig::Http(_) => Vec::new(),
        };
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        config.hash(&mut hasher);
        let fingerprint = hasher.finish();
        let mut open = self
            .open
            .lock()
            .map_err(|_| CustomDbError::Unavailable("backend cache poisoned".into()))?;
        // The pool keeps its address while that address is still allowed
        // (round-robin DNS does not rebuild it on every login).
        if let Some((known, address, backend)) = open.get(connection_id)
            && *known == fingerprint
            && address.is_none_or(|a| allowed.contains(&a))
        {
            return Ok(backend.clone());
        }
        let address = allowed.first().copied();
        let backend: Arc<dyn PasswordBackend> = match (config, address) {
            (BackendConfig::Sql(sql), Some(address)) => {
                Arc::new(sql::SqlBackend::open(sql, address)?)
            }
            (BackendConfig::Sql(_), None) => {
                return Err(CustomDbError::Unavailable(
                    "no address to connect to".into(),
                ));
            }
            (BackendConfig::Http(config), _) => {
                Arc::new(http::HttpBackend::new(self.http.clone(), config))
            }
        };
        open.insert(
            connection_id.to_owned(),
            (fingerprint, address, backend.clone()),
        );
        Ok(backend)
    }
}
