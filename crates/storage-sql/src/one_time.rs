//! Single-use records (authorization codes, tickets, one-time codes).
//!
//! Consumption is one `DELETE … RETURNING` statement: the database hands the
//! row to exactly one of any number of concurrent callers, with no lock or
//! transaction of our own. Expired records stay unconsumable until
//! `garbage_collect` removes them.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode, encode};
use crate::pool::{args, retrying};
use async_trait::async_trait;
use model::{OneTimeRecord, TenantId, UnixMillis};
use storage::{OneTimeStore, Result};

#[async_trait]
impl OneTimeStore for SqlStorage {
    async fn create_one_time(&self, record: &OneTimeRecord) -> Result<()> {
        const CONTEXT: &str = "create one-time record";
        const INSERT: &str = "INSERT INTO one_time (tenant_id, kind, key_hash, data, expires_at, subject) \
             VALUES ($1, $2, $3, $4, $5, $6)";
        let data = encode(record)?;
        let row = || {
            args![
                &record.tenant_id,
                record.kind.as_str(),
                record.key_hash.as_str(),
                data.as_str(),
                record.expires_at,
                record.subject.as_deref()
            ]
        };
        let Some(subject) = record.subject.as_deref() else {
            self.pool
                .execute(INSERT, row())
                .await
                .unique(CONTEXT, "one-time record")?;
            return Ok(());
        };
        retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            tx.conn()
                .execute(
                    "DELETE FROM one_time WHERE tenant_id = $1 AND kind = $2 AND subject = $3",
                    args![&record.tenant_id, record.kind.as_str(), subject],
                )
                .await
                .ctx(CONTEXT)?;
            tx.conn()
                .execute(INSERT, row())
                .await
                .unique(CONTEXT, "one-time record")?;
            tx.commit().await.ctx(CONTEXT)
        })
        .await
    }

    async fn consume_one_time(
        &self,
        tenant: &TenantId,
        kind: &str,
        key_hash: &str,
        now: UnixMillis,
    ) -> Result<Option<OneTimeRecord>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "DELETE FROM one_time \
                 WHERE tenant_id = $1 AND kind = $2 AND key_hash = $3 AND expires_at > $4 \
                 RETURNING data",
                args![tenant, kind, key_hash, now],
            )
            .await
            .ctx("consume one-time record")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn get_one_time(
        &self,
        tenant: &TenantId,
        kind: &str,
        key_hash: &str,
        now: UnixMillis,
    ) -> Result<Option<OneTimeRecord>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM one_time \
                 WHERE tenant_id = $1 AND kind = $2 AND key_hash = $3 AND expires_at > $4",
                args![tenant, kind, key_hash, now],
            )
            .await
            .ctx("get one-time record")?;
        row.map(|(data,)| decode(&data)).transpose()
    }
}
