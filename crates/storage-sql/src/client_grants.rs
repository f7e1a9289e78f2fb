//! Client grants. `(client_id, audience)` is unique per tenant: a client has
//! at most one grant per API, which is what `client_credentials` looks up.

use crate::SqlStorage;
use crate::errors::SqlResultExt;
use crate::list::ListQuery;
use crate::pool::{Arg, args};
use crate::record::Record;
use async_trait::async_trait;
use model::{ClientGrant, TenantId};
use storage::{ClientGrantFilter, ClientGrantStore, Page, Paging, Result, StorageError, Updater};

impl Record for ClientGrant {
    const KIND: &'static str = "client grant";
    const KEY_FIELD: &'static str = "id";
    const SELECT: &'static str =
        "SELECT data, version FROM client_grants WHERE tenant_id = $1 AND id = $2";
    const INSERT: &'static str = "INSERT INTO client_grants \
         (tenant_id, data, version, id, client_id, audience) VALUES ($1, $2, $3, $4, $5, $6)";
    const UPDATE: &'static str = "UPDATE client_grants \
         SET data = $2, version = version + 1, client_id = $5, audience = $6 \
         WHERE tenant_id = $1 AND id = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.id
    }
    fn columns(&self) -> Vec<Arg> {
        args![
            self.id.as_str(),
            self.client_id.as_str(),
            self.audience.as_str()
        ]
    }
}

#[async_trait]
impl ClientGrantStore for SqlStorage {
    async fn create_client_grant(&self, grant: &ClientGrant) -> Result<()> {
        self.insert_record(grant, "create client grant").await
    }

    async fn get_client_grant(&self, tenant: &TenantId, id: &str) -> Result<Option<ClientGrant>> {
        self.get_record(tenant.as_str(), id, "get client grant")
            .await
    }

    async fn list_client_grants(
        &self,
        tenant: &TenantId,
        filter: &ClientGrantFilter,
        paging: &Paging,
    ) -> Result<Page<ClientGrant>> {
        let mut query = ListQuery::new("client_grants", "id", tenant.as_str());
        if let Some(client_id) = &filter.client_id {
            query = query.equals("client_id", client_id.as_str());
        }
        if let Some(audience) = &filter.audience {
            query = query.equals("audience", audience.as_str());
        }
        query.fetch(self, paging, "list client grants").await
    }

    async fn update_client_grant(
        &self,
        tenant: &TenantId,
        id: &str,
        updater: Updater<'_, ClientGrant>,
    ) -> Result<ClientGrant> {
        self.update_record(tenant.as_str(), id, updater, "update client grant")
            .await
    }

    async fn delete_client_grant(&self, tenant: &TenantId, id: &str) -> Result<()> {
        let deleted = self
            .pool
            .execute(
                "DELETE FROM client_grants WHERE tenant_id = $1 AND id = $2",
                args![tenant, id],
            )
            .await
            .ctx("delete client grant")?;
        if deleted == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }
}
