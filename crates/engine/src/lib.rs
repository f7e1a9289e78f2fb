//! Vestibule's engine: the flows and policies of the product, over the
//! storage interface and the crypto primitives.
//!
//! The engine knows tenants, clients, connections, APIs, grants, keys and
//! tokens. It must not know HTTP (no request or response types, no status
//! codes) or SQL (it talks to `Arc<dyn Storage>` only), and it reads time only
//! through [`model::Clock`]. Errors are [`EngineError`] values; the HTTP layer
//! alone maps them to wire shapes.

pub mod authorize;
pub mod client_auth;
pub mod client_credentials;
pub mod client_grants;
pub mod clients;
pub mod connections;
pub mod custom_database;
pub mod database_users;
pub mod email;
pub mod error;
pub mod grants;
pub mod jobs;
pub mod keys;
pub mod login_events;
pub mod login_protection;
pub mod logout;
pub mod logs;
pub mod lookups;
mod lucene;
pub mod management_token;
pub mod oauth_error;
pub mod opaque_tokens;
pub mod password_policy;
pub mod passwords;
pub mod prompts;
pub mod resource_servers;
pub mod scopes;
pub mod sessions;
pub mod settings;
pub mod tenant_settings;
pub mod tenants;
pub mod tokens;
pub mod upstream;
pub mod userinfo;
pub mod users;
pub mod validation;

pub use error::EngineError;
pub use settings::Settings;

use crypto::MasterKey;
use model::Clock;
use std::sync::Arc;
use storage::Storage;

/// Everything a flow needs, cheap to clone and shared by all requests.
#[derive(Clone)]
pub struct Engine {
    pub storage: Arc<dyn Storage>,
    pub clock: Arc<dyn Clock>,
    pub master_key: Arc<MasterKey>,
    pub settings: Arc<Settings>,
    pub keys: Arc<keys::KeyRing>,
    pub tenants: Arc<tenants::TenantDirectory>,
    pub passwords: Arc<passwords::PasswordService>,
    /// Outbound HTTP to upstream identity providers, and its caches.
    pub upstreams: Arc<connectors::redirect::Upstreams>,
    pub lookups: Arc<lookups::LookupCache>,
    /// Failed client authentications per client id and IP (secret guessing).
    pub client_auth_throttle: Arc<client_auth::FailureThrottle>,
    /// Custom database backends (pools, HTTP client) per connection.
    pub custom_databases: Arc<connectors::custom_database::CustomDatabases>,
}

impl Engine {
    pub fn new(
        storage: Arc<dyn Storage>,
        clock: Arc<dyn Clock>,
        master_key: MasterKey,
        settings: Settings,
    ) -> Result<Self, EngineError> {
        let master_key = Arc::new(master_key);
        let keys = Arc::new(keys::KeyRing::new(
            storage.clone(),
            clock.clone(),
            master_key.clone(),
        ));
        let tenants = Arc::new(tenants::TenantDirectory::new(
            storage.clone(),
            clock.clone(),
            settings.default_tenant.clone(),
        ));
        let lookups = Arc::new(lookups::LookupCache::new(storage.clone(), clock.clone()));
        let passwords = Arc::new(passwords::PasswordService::new(
            settings.password_params,
            settings.max_concurrent_hashes,
            settings.password_hash_queue,
        )?);
        let upstreams = Arc::new(connectors::redirect::Upstreams::new(
            connectors::redirect::UpstreamsConfig {
                policy: settings.outbound.clone(),
                ..connectors::redirect::UpstreamsConfig::default()
            },
        ));
        let custom_databases = Arc::new(connectors::custom_database::CustomDatabases::new(
            settings.outbound.clone(),
        ));
        Ok(Self {
            storage,
            clock,
            master_key,
            settings: Arc::new(settings),
            keys,
            tenants,
            passwords,
            upstreams,
            lookups,
            client_auth_throttle: Arc::default(),
            custom_databases,
        })
    }

    pub fn now(&self) -> model::UnixMillis {
        self.clock.now_millis()
    }
}
