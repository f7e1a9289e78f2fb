//! Clients (applications).
//!
//! `app_type` and `is_first_party` are copied out of the JSON into columns
//! because the Management API filters on them. Deleting a client also deletes
//! its grants and its enabled-connection links, in one transaction.

use crate::SqlStorage;
use crate::errors::SqlResultExt;
use crate::list::ListQuery;
use crate::pool::{Arg, args, retrying};
use crate::record::Record;
use async_trait::async_trait;
use model::{AppType, Client, TenantId};
use storage::{ClientFilter, ClientStore, Page, Paging, Result, StorageError, Updater};

/// The `app_type` column: Auth0's wire name, as serde writes it.
fn app_type_name(app_type: AppType) -> &'static str {
    match app_type {
        AppType::Spa => "spa",
        AppType::Native => "native",
        AppType::RegularWeb => "regular_web",
        AppType::NonInteractive => "non_interactive",
    }
}

impl Record for Client {
    const KIND: &'static str = "client";
    const KEY_FIELD: &'static str = "client_id";
    const SELECT: &'static str =
        "SELECT data, version FROM clients WHERE tenant_id = $1 AND client_id = $2";
    const INSERT: &'static str = "INSERT INTO clients \
         (tenant_id, data, version, client_id, app_type, is_first_party) \
         VALUES ($1, $2, $3, $4, $5, $6)";
    const UPDATE: &'static str = "UPDATE clients \
         SET data = $2, version = version + 1, app_type = $5, is_first_party = $6 \
         WHERE tenant_id = $1 AND client_id = $4 AND version = $3";

    fn tenant(&self) -> &str {
        self.tenant_id.as_str()
    }
    fn key(&self) -> &str {
        &self.client_id
    }
    fn columns(&self) -> Vec<Arg> {
        args![
            self.client_id.as_str(),
            self.app_type.map(app_type_name),
            self.is_first_party
        ]
    }
}

#[async_trait]
impl ClientStore for SqlStorage {
    async fn create_client(&self, client: &Client) -> Result<()> {
        self.insert_record(client, "create client").await
    }

    async fn get_client(&self, tenant: &TenantId, client_id: &str) -> Result<Option<Client>> {
        self.get_record(tenant.as_str(), client_id, "get client")
            .await
    }

    async fn list_clients(
        &self,
        tenant: &TenantId,
        filter: &ClientFilter,
        paging: &Paging,
    ) -> Result<Page<Client>> {
        let app_types = filter
            .app_types
            .iter()
            .map(|t| Arg::from(t.as_str()))
            .collect();
        let mut query =
            ListQuery::new("clients", "client_id", tenant.as_str()).any_of("app_type", app_types);
        if let Some(first_party) = filter.is_first_party {
            query = query.equals("is_first_party", first_party);
        }
        query.fetch(self, paging, "list clients").await
    }

    async fn update_client(
        &self,
        tenant: &TenantId,
        client_id: &str,
        updater: Updater<'_, Client>,
    ) -> Result<Client> {
        self.update_record(tenant.as_str(), client_id, updater, "update client")
            .await
    }

    async fn delete_client(&self, tenant: &TenantId, client_id: &str) -> Result<()> {
        const CONTEXT: &str = "delete client";
        retrying(|| async {
            let mut tx = self.pool.begin().await.ctx(CONTEXT)?;
            let deleted = tx
                .conn()
                .execute(
                    "DELETE FROM clients WHERE tenant_id = $1 AND client_id = $2",
                    args![tenant, client_id],
                )
                .await
                .ctx(CONTEXT)?;
            if deleted == 0 {
                return Err(StorageError::NotFound);
            }
            for sql in [
                "DELETE FROM client_grants WHERE tenant_id = $1 AND client_id = $2",
                "DELETE FROM connection_clients WHERE tenant_id = $1 AND client_id = $2",
            ] {
                tx.conn()
                    .execute(sql, args![tenant, client_id])
                    .await
                    .ctx(CONTEXT)?;
            }
            tx.commit().await.ctx(CONTEXT)
        })
        .await
    }
}
