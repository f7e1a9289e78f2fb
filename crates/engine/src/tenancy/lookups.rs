//! A short-lived cache of the records the token endpoint reads on every
//! request: clients (by id), resource servers (by identifier) and client
//! grants (by client and audience).
//!
//! Only records that exist are cached, so a record created on another node
//! is seen at once. Every change made through this node's engine forgets the
//! tenant's entries at once; a change made on another node (an update, a
//! secret rotation, a deletion) is seen within [`CACHE_TTL_MILLIS`], as
//! tenants (10 s) and signing keys (30 s) already are.

use crate::error::Result;
use model::{Client, ClientGrant, Clock, ResourceServer, TenantId, UnixMillis};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use storage::{ClientGrantFilter, Paging, Storage};

/// How long a cached record is trusted before storage is asked again.
pub const CACHE_TTL_MILLIS: i64 = 5_000;
/// Entries per tenant and kind before the kind is emptied (bounds memory).
const MAX_ENTRIES: usize = 10_000;

type Entries<V> = HashMap<String, (Arc<V>, UnixMillis)>;

#[derive(Default)]
struct TenantEntries {
    clients: Entries<Client>,
    resource_servers: Entries<ResourceServer>,
    /// Keyed by `client_id` + `\n` + audience.
    client_grants: Entries<ClientGrant>,
}

pub struct LookupCache {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    tenants: Mutex<HashMap<TenantId, TenantEntries>>,
}

fn fresh<V>(entries: &Entries<V>, key: &str, now: UnixMillis) -> Option<Arc<V>> {
    let (value, at) = entries.get(key)?;
    (now - at < CACHE_TTL_MILLIS).then(|| value.clone())
}

fn remember<V>(entries: &mut Entries<V>, key: String, value: Arc<V>, now: UnixMillis) {
    if entries.len() >= MAX_ENTRIES {
        entries.clear();
    }
    entries.insert(key, (value, now));
}

impl LookupCache {
    pub fn new(storage: Arc<dyn Storage>, clock: Arc<dyn Clock>) -> Self {
        Self {
            storage,
            clock,
            tenants: Mutex::new(HashMap::new()),
        }
    }

    fn cached<V>(
        &self,
        tenant: &TenantId,
        key: &str,
        kind: impl Fn(&TenantEntries) -> &Entries<V>,
    ) -> Option<Arc<V>> {
        let now = self.clock.now_millis();
        let tenants = self.tenants.lock().ok()?;
        fresh(kind(tenants.get(tenant)?), key, now)
    }

    fn store<V>(
        &self,
        tenant: &TenantId,
        key: String,
        value: Arc<V>,
        kind: impl Fn(&mut TenantEntries) -> &mut Entries<V>,
    ) {
        let now = self.clock.now_millis();
        if let Ok(mut tenants) = self.tenants.lock() {
            if tenants.len() >= MAX_ENTRIES && !tenants.contains_key(tenant) {
                tenants.clear();
            }
            remember(
                kind(tenants.entry(tenant.clone()).or_default()),
                key,
                value,
                now,
            );
        }
    }

    /// The client with this id, or `None` (never cached).
    pub async fn client(&self, tenant: &TenantId, client_id: &str) -> Result<Option<Arc<Client>>> {
        if let Some(client) = self.cached(tenant, client_id, |t| &t.clients) {
            return Ok(Some(client));
        }
        let Some(client) = self.storage.get_client(tenant, client_id).await? else {
            return Ok(None);
        };
        let client = Arc::new(client);
        self.store(tenant, client_id.to_owned(), client.clone(), |t| {
            &mut t.clients
        });
        Ok(Some(client))
    }

    /// The resource server with this identifier (audience), or `None`.
    pub async fn resource_server(
        &self,
        tenant: &TenantId,
        identifier: &str,
    ) -> Result<Option<Arc<ResourceServer>>> {
        if let Some(server) = self.cached(tenant, identifier, |t| &t.resource_servers) {
            return Ok(Some(server));
        }
        let Some(server) = self
            .storage
            .get_resource_server_by_identifier(tenant, identifier)
            .await?
        else {
            return Ok(None);
        };
        let server = Arc::new(server);
        self.store(tenant, identifier.to_owned(), server.clone(), |t| {
            &mut t.resource_servers
        });
        Ok(Some(server))
    }

    /// The grant of `client_id` for `audience`, or `None`.
    pub async fn client_grant(
        &self,
        tenant: &TenantId,
        client_id: &str,
        audience: &str,
    ) -> Result<Option<Arc<ClientGrant>>> {
        let key = format!("{client_id}\n{audience}");
        if let Some(grant) = self.cached(tenant, &key, |t| &t.client_grants) {
            return Ok(Some(grant));
        }
        let filter = ClientGrantFilter {
            client_id: Some(client_id.to_owned()),
            audience: Some(audience.to_owned()),
        };
        let page = self
            .storage
            .list_client_grants(tenant, &filter, &Paging::default())
            .await?;
        let Some(grant) = page.items.into_iter().next() else {
            return Ok(None);
        };
        let grant = Arc::new(grant);
        self.store(tenant, key, grant.clone(), |t| &mut t.client_grants);
        Ok(Some(grant))
    }

    /// Forgets everything cached for the tenant (after a change on this node).
    pub fn invalidate(&self, tenant: &TenantId) {
        if let Ok(mut tenants) = self.tenants.lock() {
            tenants.remove(tenant);
        }
    }
}

/// Forgets a tenant's cached lookups when dropped: held across a function
/// that writes clients, APIs or grants, every way out of it invalidates.
pub(crate) struct InvalidateOnDrop<'a> {
    cache: &'a LookupCache,
    tenant: TenantId,
}

impl LookupCache {
    pub(crate) fn invalidate_on_drop(&self, tenant: &TenantId) -> InvalidateOnDrop<'_> {
        InvalidateOnDrop {
            cache: self,
            tenant: tenant.clone(),
        }
    }
}

impl Drop for InvalidateOnDrop<'_> {
    fn drop(&mut self) {
        self.cache.invalidate(&self.tenant);
    }
}
