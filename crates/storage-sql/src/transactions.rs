//! Login transactions in progress.
//!
//! `expires_at` is a column so that reads can ignore, and `garbage_collect`
//! remove, expired transactions. Consumption is one `DELETE … RETURNING`
//! statement, like single-use records: the database hands the row to exactly
//! one of any number of concurrent callers.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::pool::{Arg, args};
use crate::record::Record;
use async_trait::async_trait;
use model::{LoginTransaction, TenantId, UnixMillis};
use storage::{Result, TransactionStore, Updater};

impl Record for LoginTransaction {
    const KIND: &'static str = "login transaction";
    const KEY_FIELD: &'static str = "id";
    const SELECT: &'static str =
        "SELECT data, version FROM transactions WHERE tenant_id = $1 AND id = $2";
    const INSERT: &'static str = "INSERT INTO transactions \
         (tenant_id, data, version, id, expires_at) VALUES ($1, $2, $3, $4, $5)";
    const UPDATE: &'static str = "UPDATE transactions \
         SET data = $2, version = version + 1, expires_at = $5 \
         WHERE tenant_id = $1 AND id = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn columns(&self) -> Vec<Arg> {
        args![self.id.as_str(), self.expires_at]
    }
}

#[async_trait]
impl TransactionStore for SqlStorage {
    async fn create_transaction(&self, transaction: &LoginTransaction) -> Result<()> {
        self.insert_record(transaction, "create login transaction")
            .await
    }

    async fn get_transaction(
        &self,
        tenant: &TenantId,
        id: &str,
        now: UnixMillis,
    ) -> Result<Option<LoginTransaction>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM transactions \
                 WHERE tenant_id = $1 AND id = $2 AND expires_at > $3",
                args![tenant, id, now],
            )
            .await
            .ctx("get login transaction")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn update_transaction(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, LoginTransaction>,
    ) -> Result<LoginTransaction> {
        self.update_record(tenant.as_str(), id, updater, "update login transaction")
            .await
    }

    async fn consume_transaction(
        &self,
        tenant: &TenantId,
        id: &str,
        now: UnixMillis,
    ) -> Result<Option<LoginTransaction>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "DELETE FROM transactions \
                 WHERE tenant_id = $1 AND id = $2 AND expires_at > $3 \
                 RETURNING data",
                args![tenant, id, now],
            )
            .await
            .ctx("consume login transaction")?;
        row.map(|(data,)| decode(&data)).transpose()
    }
}
