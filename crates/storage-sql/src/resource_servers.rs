//! Resource servers (APIs). `identifier` (the audience) is a column with a
//! per-tenant unique constraint, because tokens are requested by audience.

use crate::SqlStorage;
use crate::errors::{SqlResultExt, decode};
use crate::list::ListQuery;
use crate::pool::{Arg, args};
use crate::record::Record;
use async_trait::async_trait;
use model::{ResourceServer, TenantId};
use storage::{Page, Paging, ResourceServerStore, Result, StorageError, Updater};

impl Record for ResourceServer {
    const KIND: &'static str = "resource server";
    const KEY_FIELD: &'static str = "id";
    const SELECT: &'static str =
        "SELECT data, version FROM resource_servers WHERE tenant_id = $1 AND id = $2";
    const INSERT: &'static str = "INSERT INTO resource_servers \
         (tenant_id, data, version, id, identifier) VALUES ($1, $2, $3, $4, $5)";
    const UPDATE: &'static str = "UPDATE resource_servers \
         SET data = $2, version = version + 1, identifier = $5 \
         WHERE tenant_id = $1 AND id = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn columns(&self) -> Vec<Arg> {
        args![self.id.as_str(), self.identifier.as_str()]
    }
}

#[async_trait]
impl ResourceServerStore for SqlStorage {
    async fn create_resource_server(&self, resource_server: &ResourceServer) -> Result<()> {
        self.insert_record(resource_server, "create resource server")
            .await
    }

    async fn get_resource_server(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<ResourceServer>> {
        self.get_record(tenant.as_str(), id, "get resource server")
            .await
    }

    async fn get_resource_server_by_identifier(
        &self,
        tenant: &TenantId,
        identifier: &str,
    ) -> Result<Option<ResourceServer>> {
        let row: Option<(String,)> = self
            .pool
            .fetch_optional(
                "SELECT data FROM resource_servers WHERE tenant_id = $1 AND identifier = $2",
                args![tenant, identifier],
            )
            .await
            .ctx("get resource server by identifier")?;
        row.map(|(data,)| decode(&data)).transpose()
    }

    async fn list_resource_servers(
        &self,
        tenant: &TenantId,
        paging: &Paging,
    ) -> Result<Page<ResourceServer>> {
        ListQuery::new("resource_servers", "id", tenant.as_str())
            .fetch(self, paging, "list resource servers")
            .await
    }

    async fn update_resource_server(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, ResourceServer>,
    ) -> Result<ResourceServer> {
        self.update_record(tenant.as_str(), id, updater, "update resource server")
            .await
    }

    async fn delete_resource_server(&self, tenant: &TenantId, id: &str) -> Result<()> {
        let deleted = self
            .pool
            .execute(
                "DELETE FROM resource_servers WHERE tenant_id = $1 AND id = $2",
                args![tenant, id],
            )
            .await
            .ctx("delete resource server")?;
        if deleted == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }
}
