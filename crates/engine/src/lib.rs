//! Vestibule's engine: the flows and policies of the product, over the
//! storage interface and the crypto primitives.
//!
//! The engine knows tenants, clients, connections, APIs, grants, keys and
//! tokens. It must not know HTTP (no request or response types, no status
//! codes) or SQL (it talks to `Arc<dyn Storage>` only), and it reads time only
//! through [`model::Clock`]. Errors are [`EngineError`] values; the HTTP layer
//! alone maps them to wire shapes.

pub mod authorize;
pub mod email;
pub mod error;
pub mod jobs;
pub mod login;
pub mod logs;
mod lucene;
pub mod management;
pub mod settings;
pub mod tenancy;
pub mod token;
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
    pub keys: Arc<token::keys::KeyRing>,
    pub tenants: Arc<tenancy::tenants::TenantDirectory>,
    pub passwords: Arc<login::passwords::PasswordService>,
    /// Outbound HTTP to upstream identity providers, and its caches.
    pub upstreams: Arc<connectors::redirect::Upstreams>,
    pub lookups: Arc<tenancy::lookups::LookupCache>,
    /// Failed client authentications per client id and IP (secret guessing).
    pub client_auth_throttle: Arc<token::client_auth::FailureThrottle>,
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
        let keys = Arc::new(token::keys::KeyRing::new(
            storage.clone(),
            clock.clone(),
            master_key.clone(),
        ));
        let tenants = Arc::new(tenancy::tenants::TenantDirectory::new(
            storage.clone(),
            clock.clone(),
            settings.default_tenant.clone(),
        ));
        let lookups = Arc::new(tenancy::lookups::LookupCache::new(
            storage.clone(),
            clock.clone(),
        ));
        let passwords = Arc::new(login::passwords::PasswordService::new(
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
