//! Token signing keys and their rotation.
//!
//! `state` and `alg` are columns so that a partial unique index can guarantee
//! at most one `next`, `current` and `previous` key per tenant and algorithm.
//! Rotation rewrites up to four keys in one transaction, in an order that
//! never holds two keys in one state, so that index holds at every statement.

use crate::SqlStorage;
use crate::errors::{Refused, SqlResultExt, decode, encode};
use crate::pool::{Arg, Tx, args, retrying};
use crate::record::{Record, write_args};
use async_trait::async_trait;
use model::{KeyState, SigningAlg, SigningKey, TenantId, UnixMillis};
use storage::{Result, SigningKeyStore, StorageError};

const ROTATE: &str = "rotate signing keys";

impl Record for SigningKey {
    const KIND: &'static str = "signing key";
    const KEY_FIELD: &'static str = "kid";
    const SELECT: &'static str =
        "SELECT data, version FROM signing_keys WHERE tenant_id = $1 AND kid = $2";
    const INSERT: &'static str = "INSERT INTO signing_keys \
         (tenant_id, data, version, kid, alg, state, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const UPDATE: &'static str = "UPDATE signing_keys \
         SET data = $2, version = version + 1, alg = $5, state = $6, created_at = $7 \
         WHERE tenant_id = $1 AND kid = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.kid
    }
    fn columns(&self) -> Vec<Arg> {
        args![
            self.kid.as_str(),
            self.alg.as_str(),
            self.state.as_str(),
            self.created_at
        ]
    }
}

/// Rewrites one key inside the rotation transaction, which already holds it locked.
async fn overwrite(tx: &mut Tx, key: &SigningKey) -> Result<()> {
    tx.conn()
        .execute(
            "UPDATE signing_keys SET data = $2, state = $3, version = version + 1 \
             WHERE tenant_id = $1 AND kid = $4",
            args![
                &key.tenant_id,
                encode(key)?,
                key.state.as_str(),
                key.kid.as_str()
            ],
        )
        .await
        .unique(ROTATE, SigningKey::KIND)?;
    Ok(())
}

impl SqlStorage {
    async fn rotate_once(
        &self,
        tenant: &TenantId,
        alg: SigningAlg,
        new_next: &SigningKey,
        now: UnixMillis,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.ctx(ROTATE)?;
        // Touch every key of the algorithm first, revoked ones included: on
        // PostgreSQL this takes their row locks, so a concurrent rotation
        // waits for ours to commit and then reads the rotated keys (each
        // statement reads afresh under READ COMMITTED). Revoked keys are never
        // deleted, so every waiter keeps waiting on a row that stays; locking
        // only the live keys let a waiter whose rows had all been revoked run
        // alongside another rotation. SQLite's BEGIN IMMEDIATE already holds
        // the database's write lock.
        tx.conn()
            .execute(
                "UPDATE signing_keys SET version = version + 1 \
                 WHERE tenant_id = $1 AND alg = $2",
                args![tenant, alg.as_str()],
            )
            .await
            .ctx(ROTATE)?;
        let rows: Vec<(String,)> = tx
            .conn()
            .fetch_all(
                "SELECT data FROM signing_keys \
                 WHERE tenant_id = $1 AND alg = $2 AND state IN ('next', 'current', 'previous')",
                args![tenant, alg.as_str()],
            )
            .await
            .ctx(ROTATE)?;
        let live = rows
            .iter()
            .map(|(data,)| decode(data))
            .collect::<Result<Vec<SigningKey>>>()?;
        let in_state = |state| live.iter().find(|key| key.state == state).cloned();

        let Some(mut next) = in_state(KeyState::Next) else {
            return Err(StorageError::NotFound);
        };
        if let Some(mut previous) = in_state(KeyState::Previous) {
            previous.state = KeyState::Revoked;
            previous.revoked_at = Some(now);
            overwrite(&mut tx, &previous).await?;
        }
        if let Some(mut current) = in_state(KeyState::Current) {
            current.state = KeyState::Previous;
            current.current_until = Some(now);
            overwrite(&mut tx, &current).await?;
        }
        next.state = KeyState::Current;
        next.current_since = Some(now);
        overwrite(&mut tx, &next).await?;

        let mut new_next = new_next.clone();
        new_next.state = KeyState::Next;
        let data = encode(&new_next)?;
        tx.conn()
            .execute(SigningKey::INSERT, write_args(&new_next, data, 1))
            .await
            .unique(ROTATE, SigningKey::KIND)?;
        tx.commit().await.ctx(ROTATE)
    }
}

#[async_trait]
impl SigningKeyStore for SqlStorage {
    async fn create_signing_key(&self, key: &SigningKey) -> Result<()> {
        self.insert_record(key, "create signing key").await
    }

    async fn list_signing_keys(&self, tenant: &TenantId) -> Result<Vec<SigningKey>> {
        let rows: Vec<(String,)> = self
            .pool
            .fetch_all(
                "SELECT data FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at, kid",
                args![tenant],
            )
            .await
            .ctx("list signing keys")?;
        rows.iter().map(|(data,)| decode(data)).collect()
    }

    async fn rotate_signing_keys(
        &self,
        tenant: &TenantId,
        alg: SigningAlg,
        new_next: &SigningKey,
        now: UnixMillis,
    ) -> Result<()> {
        if new_next.tenant_id != *tenant || new_next.alg != alg {
            return Err(Refused::WrongNextKey.into());
        }
        retrying(|| self.rotate_once(tenant, alg, new_next, now)).await
    }

    async fn revoke_signing_key(
        &self,
        tenant: &TenantId,
        kid: &str,
        now: UnixMillis,
    ) -> Result<SigningKey> {
        let revoke = move |mut key: SigningKey| {
            // Revoking twice keeps the first revocation time.
            if key.state != KeyState::Revoked {
                key.state = KeyState::Revoked;
                key.revoked_at = Some(now);
            }
            Ok(key)
        };
        self.update_record(tenant.as_str(), kid, &revoke, "revoke signing key")
            .await
    }
}
