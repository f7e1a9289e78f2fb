//! SSO sessions, addressed by the hash of the cookie value.
//!
//! `user_id` is a column so that a user's sessions can be ended together;
//! `expires_at` so that reads can ignore, and `garbage_collect` remove,
//! expired sessions; `last_active_at` for later idle sweeps. Besides the
//! tenant and `id_hash`, an update may not change the public `sid`.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::pool::{Arg, args};
use crate::record::Record;
use async_trait::async_trait;
use model::{Session, TenantId, UnixMillis};
use storage::{Result, SessionStore, StorageError, Updater};

impl Record for Session {
    const KIND: &'static str = "session";
    const KEY_FIELD: &'static str = "id_hash";
    const SELECT: &'static str =
        "SELECT data, version FROM sessions WHERE tenant_id = $1 AND id_hash = $2";
    const INSERT: &'static str = "INSERT INTO sessions \
         (tenant_id, data, version, id_hash, user_id, expires_at, last_active_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    const UPDATE: &'static str = "UPDATE sessions \
         SET data = $2, version = version + 1, user_id = $5, expires_at = $6, \
             last_active_at = $7 \
         WHERE tenant_id = $1 AND id_hash = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.id_hash
    }
    fn fixed_fields(&self) -> Vec<(&'static str, &str)> {
        vec![("sid", self.sid.as_str())]
    }
    fn columns(&self) -> Vec<Arg> {
        args![
            self.id_hash.as_str(),
            self.user_id.as_str(),
            self.expires_at,
            self.last_active_at
        ]
    }
}

#[async_trait]
impl SessionStore for SqlStorage {
    async fn create_session(&self, session: &Session) -> Result<()> {
        self.insert_record(session, "create session").await
    }

    async fn get_session(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        now: UnixMillis,
    ) -> Result<Option<Session>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM sessions \
                 WHERE tenant_id = $1 AND id_hash = $2 AND expires_at > $3",
                args![tenant, id_hash, now],
            )
            .await
            .ctx("get session")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn update_session(
        &self,
        tenant: &TenantId,
        id_hash: &str,
        updater: Updater<'_, Session>,
    ) -> Result<Session> {
        self.update_record(tenant.as_str(), id_hash, updater, "update session")
            .await
    }

    async fn delete_session(&self, tenant: &TenantId, id_hash: &str) -> Result<()> {
        let deleted = self
            .pool
            .execute(
                "DELETE FROM sessions WHERE tenant_id = $1 AND id_hash = $2",
                args![tenant, id_hash],
            )
            .await
            .ctx("delete session")?;
        if deleted == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    async fn delete_user_sessions(&self, tenant: &TenantId, user_id: &str) -> Result<u64> {
        self.pool
            .execute(
                "DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2",
                args![tenant, user_id],
            )
            .await
            .ctx("delete user sessions")
    }
}
