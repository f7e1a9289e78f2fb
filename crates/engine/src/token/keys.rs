//! Signing keys per tenant: creation, rotation, the JWKS, and a cache of
//! parsed private keys so that signing never re-parses a key.
//!
//! Each algorithm has a `current` key (signs), a `next` key (published ahead
//! of rotation so verifiers already know it) and, after a rotation, a
//! `previous` key (published so tokens it signed keep verifying). The cache
//! is refreshed from storage every [`CACHE_TTL_MILLIS`], so a rotation on one
//! node reaches the others within that time; tokens stay verifiable across
//! nodes throughout, because the next key is always published.

use crate::error::{EngineError, Result};
use bytes::Bytes;
use crypto::{KeyPair, MasterKey};
use model::{Clock, KeyState, SigningAlg, SigningKey, TenantId, UnixMillis};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use storage::Storage;
use tokio::sync::watch;

const CACHE_TTL_MILLIS: i64 = 30_000;

/// A signer ready to use: the key's id and its parsed private key.
#[derive(Clone)]
pub struct Signer {
    pub kid: String,
    pub alg: SigningAlg,
    pub key: Arc<KeyPair>,
}

/// What one tenant's keys look like, parsed.
struct TenantKeys {
    loaded_at: UnixMillis,
    /// Public keys of every non-revoked key, parsed once per load.
    verifiers: Arc<Vec<crypto::PublicKey>>,
    current: HashMap<SigningAlg, Signer>,
    /// `{"keys":[…]}`, serialised once per load; answers share it uncopied.
    jwks_json: Bytes,
}

pub struct KeyRing {
    storage: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
    master_key: Arc<MasterKey>,
    cache: RwLock<HashMap<TenantId, Arc<TenantKeys>>>,
    /// Tenants whose current keys are being created in the background (see
    /// [`KeyRing::create_in_background`]); the flag turns `true` once they
    /// exist, and every read of those tenants' keys waits for it.
    pending: Mutex<HashMap<TenantId, watch::Receiver<bool>>>,
    /// Whether background key generation may run (see
    /// [`KeyRing::hold_background_work`]).
    background: watch::Sender<bool>,
}

/// How long background key generation waits for
/// [`KeyRing::release_background_work`] at most: a start-up that never
/// releases it (an error on the way) must not leave a tenant without keys.
const BACKGROUND_HOLD_LIMIT: std::time::Duration = std::time::Duration::from_secs(2);

fn seal_context(tenant: &TenantId, kid: &str) -> String {
    format!("signing_key:{tenant}:{kid}")
}

/// A new key record in the given state, its private key sealed.
fn generate_key(
    clock: &dyn Clock,
    master_key: &MasterKey,
    tenant: &TenantId,
    alg: SigningAlg,
    state: KeyState,
) -> Result<SigningKey> {
    let key = KeyPair::generate(alg)?;
    let kid = key.thumbprint();
    let cert_pem = key
        .self_signed_cert_pem(&format!("vestibule-{tenant}"))
        .ok();
    let public_jwk = match &cert_pem {
        Some(pem) => key.public_jwk_with_cert(&kid, pem)?,
        None => key.public_jwk(&kid),
    };
    let now = clock.now_millis();
    Ok(SigningKey {
        tenant_id: tenant.clone(),
        private_sealed: master_key.seal(&seal_context(tenant, &kid), &key.pkcs8_der())?,
        kid,
        alg,
        state,
        public_jwk,
        cert_pem,
        created_at: now,
        current_since: (state == KeyState::Current).then_some(now),
        current_until: None,
        revoked_at: None,
    })
}

impl KeyRing {
    pub fn new(
        storage: Arc<dyn Storage>,
        clock: Arc<dyn Clock>,
        master_key: Arc<MasterKey>,
    ) -> Self {
        Self {
            storage,
            clock,
            master_key,
            cache: RwLock::new(HashMap::new()),
            pending: Mutex::new(HashMap::new()),
            background: watch::Sender::new(true),
        }
    }

    /// Holds background key generation until
    /// [`KeyRing::release_background_work`]: `serve` holds it while it
    /// starts, because an RSA-2048 key takes 50–400 ms of CPU and, on a
    /// small machine, generating it beside the start-up delayed readiness by
    /// as much (nothing on the way to ready needs a key).
    pub fn hold_background_work(&self) {
        self.background.send_replace(false);
    }

    pub fn release_background_work(&self) {
        self.background.send_replace(true);
    }

    /// Generates a key record in the given state, on the blocking pool: an
    /// RSA-2048 key takes 50–400 ms of CPU, which must not stall the
    /// runtime's workers (requests that need no key keep being served).
    async fn new_key(
        &self,
        tenant: &TenantId,
        alg: SigningAlg,
        state: KeyState,
    ) -> Result<SigningKey> {
        let (clock, master_key, tenant) =
            (self.clock.clone(), self.master_key.clone(), tenant.clone());
        tokio::task::spawn_blocking(move || generate_key(&*clock, &master_key, &tenant, alg, state))
            .await
            .map_err(|_| EngineError::Crypto(crypto::CryptoError::KeyGeneration))?
    }

    /// Makes sure the tenant has a current and a next key for every algorithm.
    /// Concurrent nodes may race here; the storage's uniqueness rule lets one win.
    pub async fn ensure(&self, tenant: &TenantId) -> Result<()> {
        self.ensure_states(tenant, &[KeyState::Current, KeyState::Next])
            .await
    }

    /// Creates the tenant's missing keys on a background task, the `current`
    /// ones first, and returns at once. On a first start generating them
    /// (two of them RSA-2048) is most of the time to ready; meanwhile every
    /// read of this tenant's keys — signing, the JWKS, verification, the
    /// Management API's list — waits until the current keys exist, so no
    /// caller ever sees the tenant without keys, while requests that need no
    /// key (discovery, login pages, health) are answered already. The `next`
    /// keys only have to be published before the first rotation, which
    /// calls [`KeyRing::ensure`] itself.
    pub async fn create_in_background(self: &Arc<Self>, tenant: &TenantId) -> Result<()> {
        // Registered before looking, so no read can slip between the look
        // and the registration and cache a key set without the new keys.
        let (done, waiting) = watch::channel(false);
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(tenant.clone(), waiting.clone());
        }
        self.invalidate(tenant);
        let existing = match self.storage.list_signing_keys(tenant).await {
            Ok(existing) => existing,
            Err(error) => {
                self.finish_pending(tenant, &waiting, &done);
                return Err(error.into());
            }
        };
        let has = |state: KeyState| {
            SigningAlg::ALL
                .iter()
                .all(|&alg| existing.iter().any(|k| k.alg == alg && k.state == state))
        };
        let (has_current, has_next) = (has(KeyState::Current), has(KeyState::Next));
        if has_current {
            self.finish_pending(tenant, &waiting, &done);
            if has_next {
                return Ok(());
            }
        }
        let ring = self.clone();
        let tenant = tenant.clone();
        let mut released = self.background.subscribe();
        tokio::spawn(async move {
            // Bounded: a hold never released still ends.
            let _ = tokio::time::timeout(BACKGROUND_HOLD_LIMIT, released.wait_for(|go| *go)).await;
            if !has_current {
                if let Err(error) = ring.ensure_states(&tenant, &[KeyState::Current]).await {
                    tracing::warn!(%tenant, %error, "creating the current signing keys failed; the first signer retries");
                }
                ring.finish_pending(&tenant, &waiting, &done);
            }
            if let Err(error) = ring.ensure_states(&tenant, &[KeyState::Next]).await {
                tracing::warn!(%tenant, %error, "creating the next signing keys failed; the next rotation creates them");
            }
        });
        Ok(())
    }

    /// Ends one registration in `pending` (only its own: a later call for
    /// the same tenant may have replaced it) and wakes its waiters.
    fn finish_pending(
        &self,
        tenant: &TenantId,
        waiting: &watch::Receiver<bool>,
        done: &watch::Sender<bool>,
    ) {
        if let Ok(mut pending) = self.pending.lock()
            && pending
                .get(tenant)
                .is_some_and(|current| current.same_channel(waiting))
        {
            pending.remove(tenant);
        }
        // The keys are stored now (or their creation failed and the first
        // signer retries); either way nobody should wait any longer.
        let _ = done.send(true);
    }

    /// Waits while the tenant's current keys are being created in the background.
    async fn settled(&self, tenant: &TenantId) {
        let waiting = self
            .pending
            .lock()
            .ok()
            .and_then(|pending| pending.get(tenant).cloned());
        if let Some(mut done) = waiting {
            // An error means the creating task is gone: nothing left to wait for.
            let _ = done.wait_for(|done| *done).await;
        }
    }

    async fn ensure_states(&self, tenant: &TenantId, states: &[KeyState]) -> Result<()> {
        let existing = self.storage.list_signing_keys(tenant).await?;
        let mut created = false;
        for alg in SigningAlg::ALL {
            for &state in states {
                let present = existing
                    .iter()
                    .any(|key| key.alg == alg && key.state == state);
                if !present {
                    let record = self.new_key(tenant, alg, state).await?;
                    match self.storage.create_signing_key(&record).await {
                        Ok(()) | Err(storage::StorageError::AlreadyExists(_)) => {}
                        Err(error) => return Err(error.into()),
                    }
                    created = true;
                }
            }
        }
        if created {
            self.invalidate(tenant);
        }
        Ok(())
    }

    /// Rotates every algorithm's keys: next becomes current, and so on.
    pub async fn rotate(&self, tenant: &TenantId) -> Result<()> {
        self.ensure(tenant).await?;
        let now = self.clock.now_millis();
        for alg in SigningAlg::ALL {
            let next = self.new_key(tenant, alg, KeyState::Next).await?;
            self.storage
                .rotate_signing_keys(tenant, alg, &next, now)
                .await?;
        }
        self.invalidate(tenant);
        Ok(())
    }

    /// Revokes one key; it leaves the JWKS at once. The current key cannot be
    /// revoked (rotate first), so the tenant always has a key to sign with.
    pub async fn revoke(&self, tenant: &TenantId, kid: &str) -> Result<SigningKey> {
        let keys = self.storage.list_signing_keys(tenant).await?;
        let key = keys
            .iter()
            .find(|key| key.kid == kid)
            .ok_or(EngineError::NotFound("signing key"))?;
        if key.state == KeyState::Current {
            return Err(EngineError::Forbidden(
                "the current signing key cannot be revoked; rotate first".into(),
            ));
        }
        let revoked = self
            .storage
            .revoke_signing_key(tenant, kid, self.clock.now_millis())
            .await?;
        if key.state == KeyState::Next {
            // A tenant always needs a next key to rotate to.
            self.ensure(tenant).await?;
        }
        self.invalidate(tenant);
        Ok(revoked)
    }

    /// Makes the JWKS publish `alg` from now on (a client or API started
    /// signing with it). RS256 is always published; others only once used.
    pub async fn publish(&self, tenant: &TenantId, alg: SigningAlg) -> Result<()> {
        let Some(owner) = self.storage.get_tenant(tenant).await? else {
            return Ok(());
        };
        if owner.publishes(alg) {
            return Ok(());
        }
        let now = self.clock.now_millis();
        self.storage
            .update_tenant(tenant, &|mut owner: model::Tenant| {
                if !owner.publishes(alg) {
                    owner.published_algs.push(alg);
                    owner.updated_at = now;
                }
                Ok(owner)
            })
            .await?;
        self.invalidate(tenant);
        Ok(())
    }

    pub fn invalidate(&self, tenant: &TenantId) {
        if let Ok(mut cache) = self.cache.write() {
            cache.remove(tenant);
        }
    }

    async fn load(&self, tenant: &TenantId) -> Result<Arc<TenantKeys>> {
        let now = self.clock.now_millis();
        if let Ok(cache) = self.cache.read()
            && let Some(keys) = cache.get(tenant)
            && now - keys.loaded_at < CACHE_TTL_MILLIS
        {
            return Ok(keys.clone());
        }
        self.settled(tenant).await;
        let records = self.storage.list_signing_keys(tenant).await?;
        let owner = self.storage.get_tenant(tenant).await?;
        let publishes = |alg: SigningAlg| owner.as_ref().is_none_or(|t| t.publishes(alg));
        let mut current = HashMap::new();
        let mut published = Vec::new();
        for record in &records {
            if record.state != KeyState::Revoked && publishes(record.alg) {
                published.push(record.public_jwk.clone());
            }
            if record.state == KeyState::Current {
                let der = self
                    .master_key
                    .open(&seal_context(tenant, &record.kid), &record.private_sealed)?;
                let key = KeyPair::from_pkcs8(record.alg, &der)?;
                current.insert(
                    record.alg,
                    Signer {
                        kid: record.kid.clone(),
                        alg: record.alg,
                        key: Arc::new(key),
                    },
                );
            }
        }
        let jwks_json = serde_json::json!({ "keys": published }).to_string();
        let mut verifiers = Vec::new();
        for record in records.iter().filter(|r| r.state != KeyState::Revoked) {
            verifiers.push(
                crypto::PublicKey::from_jwk(&record.public_jwk).map_err(|_| {
                    EngineError::Crypto(crypto::CryptoError::InvalidKey("stored public key"))
                })?,
            );
        }
        let loaded = Arc::new(TenantKeys {
            loaded_at: now,
            verifiers: Arc::new(verifiers),
            current,
            jwks_json: Bytes::from(jwks_json),
        });
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(tenant.clone(), loaded.clone());
        }
        Ok(loaded)
    }

    /// The current signer for an algorithm.
    pub async fn signer(&self, tenant: &TenantId, alg: SigningAlg) -> Result<Signer> {
        let keys = self.load(tenant).await?;
        if let Some(signer) = keys.current.get(&alg) {
            return Ok(signer.clone());
        }
        self.ensure(tenant).await?;
        self.load(tenant)
            .await?
            .current
            .get(&alg)
            .cloned()
            .ok_or(EngineError::NotFound("signing key"))
    }

    /// The tenant's JWKS document, serialised.
    pub async fn jwks_json(&self, tenant: &TenantId) -> Result<Bytes> {
        Ok(self.load(tenant).await?.jwks_json.clone())
    }

    /// Every key record of the tenant (for the Management API).
    pub async fn records(&self, tenant: &TenantId) -> Result<Vec<SigningKey>> {
        self.settled(tenant).await;
        Ok(self.storage.list_signing_keys(tenant).await?)
    }

    /// Public keys that verify tokens this tenant signed; `refresh` reads
    /// storage again first (another node may have rotated).
    pub async fn verification_keys(
        &self,
        tenant: &TenantId,
        refresh: bool,
    ) -> Result<Arc<Vec<crypto::PublicKey>>> {
        if refresh {
            self.invalidate(tenant);
        }
        Ok(self.load(tenant).await?.verifiers.clone())
    }
}
