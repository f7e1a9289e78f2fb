//! Tenants and the hosts that select them.
//!
//! Hosts live in their own `tenant_hosts` table, keyed by host, so the
//! database guarantees that a host selects at most one tenant. They are
//! rewritten in the same transaction as every tenant insert and update.
//! Host names are compared case-insensitively (as DNS names are).

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::pool::{Arg, args, retrying};
use crate::record::{Record, SideStatement};
use async_trait::async_trait;
use model::{Tenant, TenantId};
use storage::{Result, StorageError, TenantStore, Updater};

impl Record for Tenant {
    const KIND: &'static str = "tenant";
    const KEY_FIELD: &'static str = "id";
    const SELECT: &'static str = "SELECT data, version FROM tenants WHERE tenant_id = $1";
    const INSERT: &'static str =
        "INSERT INTO tenants (tenant_id, data, version) VALUES ($1, $2, $3)";
    const UPDATE: &'static str = "UPDATE tenants SET data = $2, version = version + 1 \
         WHERE tenant_id = $1 AND version = $3";

    fn select_args(tenant: &str, _key: &str) -> Vec<Arg> {
        args![tenant]
    }
    fn tenant(&self) -> &str {
        self.id.as_str()
    }
    fn key(&self) -> &str {
        self.id.as_str()
    }
    fn columns(&self) -> Vec<Arg> {
        Vec::new()
    }
    fn side_statements(&self) -> Vec<SideStatement> {
        let mut statements = vec![SideStatement {
            sql: "DELETE FROM tenant_hosts WHERE tenant_id = $1",
            args: args![&self.id],
            kind: "tenant host",
        }];
        let mut hosts: Vec<String> = self.hosts.iter().map(|h| h.to_ascii_lowercase()).collect();
        hosts.sort();
        hosts.dedup();
        statements.extend(hosts.into_iter().map(|host| SideStatement {
            sql: "INSERT INTO tenant_hosts (tenant_id, host) VALUES ($1, $2)",
            args: args![&self.id, host],
            kind: "tenant host",
        }));
        statements
    }
}

#[async_trait]
impl TenantStore for SqlStorage {
    async fn create_tenant(&self, tenant: &Tenant) -> Result<()> {
        self.insert_record(tenant, "create tenant").await
    }

    async fn get_tenant(&self, id: &TenantId) -> Result<Option<Tenant>> {
        self.get_record(id.as_str(), id.as_str(), "get tenant")
            .await
    }

    async fn get_tenant_by_host(&self, host: &str) -> Result<Option<Tenant>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT t.data FROM tenants t JOIN tenant_hosts h ON h.tenant_id = t.tenant_id \
                 WHERE h.host = $1",
                args![host.to_ascii_lowercase()],
            )
            .await
            .ctx("get tenant by host")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>> {
        let rows: Vec<(String,)> = self
            .pool
            .fetch_all("SELECT data FROM tenants ORDER BY tenant_id", args![])
            .await
            .ctx("list tenants")?;
        rows.iter().map(|(data,)| decode(data)).collect()
    }

    async fn update_tenant(&self, id: &TenantId, updater: Updater<'_, Tenant>) -> Result<Tenant> {
        self.update_record(id.as_str(), id.as_str(), updater, "update tenant")
            .await
    }

    /// One transaction, so no half-deleted tenant is ever visible.
    async fn delete_tenant(&self, id: &TenantId) -> Result<()> {
        const STATEMENTS: [&str; 17] = [
            "DELETE FROM connection_clients WHERE tenant_id = $1",
            "DELETE FROM client_grants WHERE tenant_id = $1",
            "DELETE FROM clients WHERE tenant_id = $1",
            "DELETE FROM connections WHERE tenant_id = $1",
            "DELETE FROM resource_servers WHERE tenant_id = $1",
            "DELETE FROM signing_keys WHERE tenant_id = $1",
            "DELETE FROM one_time WHERE tenant_id = $1",
            "DELETE FROM tenant_hosts WHERE tenant_id = $1",
            "DELETE FROM users WHERE tenant_id = $1",
            "DELETE FROM sessions WHERE tenant_id = $1",
            "DELETE FROM tokens WHERE tenant_id = $1",
            "DELETE FROM transactions WHERE tenant_id = $1",
            "DELETE FROM jobs WHERE tenant_id = $1",
            "DELETE FROM email_providers WHERE tenant_id = $1",
            "DELETE FROM email_templates WHERE tenant_id = $1",
            "DELETE FROM email_outbox WHERE tenant_id = $1",
            "DELETE FROM log_events WHERE tenant_id = $1",
        ];
        const CONTEXT: &str = "delete tenant";
        retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            let deleted = tx
                .conn()
                .execute("DELETE FROM tenants WHERE tenant_id = $1", args![id])
                .await
                .ctx(CONTEXT)?;
            if deleted == 0 {
                return Err(StorageError::NotFound);
            }
            for sql in STATEMENTS {
                tx.conn().execute(sql, args![id]).await.ctx(CONTEXT)?;
            }
            tx.commit().await.ctx(CONTEXT)
        })
        .await
    }
}
