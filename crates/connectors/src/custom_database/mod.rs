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

mod backend;
pub mod checks;
pub mod config;
pub mod http;
pub mod sql;
pub mod sql_text;

pub use backend::{CustomDbError, CustomUser, LoginLookup, NewCustomUser, PasswordBackend};
pub use config::{BackendConfig, SqlQueries, destinations, parse_config};

use crate::outbound::{OutboundPolicy, http::GuardedClients};
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

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
                let url = checks::check_database_url(&sql.url)
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
