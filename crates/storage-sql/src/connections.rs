//! Connections, and which clients enable them (`connection_clients`).
//!
//! `name` is a column with a per-tenant unique constraint (it is the
//! `connection=` parameter of `/authorize`); `strategy` is a column because
//! lists filter on it. Links reference both the connection and the client
//! with cascading foreign keys, and are also deleted explicitly, so no link
//! outlives either end.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::list::ListQuery;
use crate::pool::{Arg, args, retrying};
use crate::record::Record;
use async_trait::async_trait;
use model::{Connection, TenantId};
use storage::{ConnectionFilter, ConnectionStore, Page, Paging, Result, StorageError, Updater};

impl Record for Connection {
    const KIND: &'static str = "connection";
    const KEY_FIELD: &'static str = "id";
    const SELECT: &'static str =
        "SELECT data, version FROM connections WHERE tenant_id = $1 AND id = $2";
    const INSERT: &'static str = "INSERT INTO connections \
         (tenant_id, data, version, id, name, strategy) VALUES ($1, $2, $3, $4, $5, $6)";
    const UPDATE: &'static str = "UPDATE connections \
         SET data = $2, version = version + 1, name = $5, strategy = $6 \
         WHERE tenant_id = $1 AND id = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn columns(&self) -> Vec<Arg> {
        args![self.id.as_str(), self.name.as_str(), self.strategy.as_str()]
    }
}

#[async_trait]
impl ConnectionStore for SqlStorage {
    async fn create_connection(&self, connection: &Connection) -> Result<()> {
        self.insert_record(connection, "create connection").await
    }

    async fn get_connection(&self, tenant: &TenantId, id: &str) -> Result<Option<Connection>> {
        self.get_record(tenant.as_str(), id, "get connection").await
    }

    async fn get_connection_by_name(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> Result<Option<Connection>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM connections WHERE tenant_id = $1 AND name = $2",
                args![tenant, name],
            )
            .await
            .ctx("get connection by name")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn list_connections(
        &self,
        tenant: &TenantId,
        filter: &ConnectionFilter,
        paging: &Paging,
    ) -> Result<Page<Connection>> {
        let strategies = filter
            .strategies
            .iter()
            .map(|s| Arg::from(s.as_str()))
            .collect();
        let mut query =
            ListQuery::new("connections", "id", tenant.as_str()).any_of("strategy", strategies);
        if let Some(name) = &filter.name {
            query = query.equals("name", name.as_str());
        }
        query.fetch(self, paging, "list connections").await
    }

    async fn update_connection(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, Connection>,
    ) -> Result<Connection> {
        self.update_record(tenant.as_str(), id, updater, "update connection")
            .await
    }

    async fn delete_connection(&self, tenant: &TenantId, id: &str) -> Result<()> {
        const CONTEXT: &str = "delete connection";
        retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            let deleted = tx
                .conn()
                .execute(
                    "DELETE FROM connections WHERE tenant_id = $1 AND id = $2",
                    args![tenant, id],
                )
                .await
                .ctx(CONTEXT)?;
            if deleted == 0 {
                return Err(StorageError::NotFound);
            }
            tx.conn()
                .execute(
                    "DELETE FROM connection_clients WHERE tenant_id = $1 AND connection_id = $2",
                    args![tenant, id],
                )
                .await
                .ctx(CONTEXT)?;
            tx.commit().await.ctx(CONTEXT)
        })
        .await
    }

    async fn list_enabled_clients(
        &self,
        tenant: &TenantId,
        connection_id: &str,
    ) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = self
            .pool
            .fetch_all(
                "SELECT client_id FROM connection_clients \
                 WHERE tenant_id = $1 AND connection_id = $2 ORDER BY client_id",
                args![tenant, connection_id],
            )
            .await
            .ctx("list enabled clients")?;
        Ok(rows.into_iter().map(|(client_id,)| client_id).collect())
    }

    async fn set_connection_enabled(
        &self,
        tenant: &TenantId,
        connection_id: &str,
        client_id: &str,
        enabled: bool,
    ) -> Result<()> {
        const CONTEXT: &str = "set connection enabled";
        // Disabling must also report a missing end, so both are checked
        // up front; the foreign keys catch one deleted in the meantime.
        let (connections, clients): (i64, i64) = self
            .pool
            .fetch_one(
                "SELECT \
                 (SELECT COUNT(*) FROM connections WHERE tenant_id = $1 AND id = $2), \
                 (SELECT COUNT(*) FROM clients WHERE tenant_id = $1 AND client_id = $3)",
                args![tenant, connection_id, client_id],
            )
            .await
            .ctx(CONTEXT)?;
        if connections == 0 || clients == 0 {
            return Err(StorageError::NotFound);
        }
        let sql = if enabled {
            "INSERT INTO connection_clients (tenant_id, connection_id, client_id) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM connection_clients \
             WHERE tenant_id = $1 AND connection_id = $2 AND client_id = $3"
        };
        match self
            .pool
            .execute(sql, args![tenant, connection_id, client_id])
            .await
        {
            Err(sqlx::Error::Database(db)) if db.is_foreign_key_violation() => {
                Err(StorageError::NotFound)
            }
            other => other.map(|_| ()).ctx(CONTEXT),
        }
    }

    async fn list_client_connections(
        &self,
        tenant: &TenantId,
        client_id: &str,
    ) -> Result<Vec<Connection>> {
        let rows: Vec<(String,)> = self
            .pool
            .fetch_all(
                "SELECT c.data FROM connections c \
                 JOIN connection_clients l ON l.tenant_id = c.tenant_id AND l.connection_id = c.id \
                 WHERE l.tenant_id = $1 AND l.client_id = $2 ORDER BY c.name",
                args![tenant, client_id],
            )
            .await
            .ctx("list client connections")?;
        rows.iter().map(|(data,)| decode(data)).collect()
    }
}
