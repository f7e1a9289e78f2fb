//! Client grants: permission for one client to get some scopes of one API
//! through `client_credentials`.

use crate::Engine;
use crate::error::{EngineError, Result, not_found_as, reject};
use model::{ClientGrant, ResourceServer, TenantId};
use serde::Deserialize;
use storage::{ClientGrantFilter, Page, Paging};

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantCreate {
    pub client_id: String,
    pub audience: String,
    #[serde(default)]
    pub scope: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientGrantUpdate {
    pub scope: Option<Vec<String>>,
}

fn check_scopes(server: &ResourceServer, scopes: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(scopes.len());
    for (index, scope) in scopes.iter().enumerate() {
        if !server.has_scope(scope) {
            return Err(EngineError::invalid(
                format!("scope[{index}]"),
                format!(
                    "scope[{index}]: {scope} is not a scope of {}",
                    server.identifier
                ),
            ));
        }
        if !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    Ok(out)
}

pub async fn create_client_grant(
    engine: &Engine,
    tenant: &TenantId,
    input: &ClientGrantCreate,
) -> Result<ClientGrant> {
    if engine
        .storage
        .get_client(tenant, &input.client_id)
        .await?
        .is_none()
    {
        return Err(EngineError::invalid(
            "client_id",
            format!("client {} does not exist", input.client_id),
        ));
    }
    let server = engine
        .storage
        .get_resource_server_by_identifier(tenant, &input.audience)
        .await?
        .ok_or_else(|| {
            EngineError::invalid(
                "audience",
                format!("no resource server has the identifier {}", input.audience),
            )
        })?;
    let scope = check_scopes(&server, &input.scope)?;
    let now = engine.now();
    let grant = ClientGrant {
        tenant_id: tenant.clone(),
        id: model::ids::new_id("cgr"),
        client_id: input.client_id.clone(),
        audience: input.audience.clone(),
        scope,
        created_at: now,
        updated_at: now,
    };
    match engine.storage.create_client_grant(&grant).await {
        Ok(()) => Ok(grant),
        Err(storage::StorageError::AlreadyExists(_)) => Err(EngineError::AlreadyExists(
            "A client grant for this client_id and audience already exists".into(),
        )),
        Err(error) => Err(error.into()),
    }
}

pub async fn get_client_grant(engine: &Engine, tenant: &TenantId, id: &str) -> Result<ClientGrant> {
    engine
        .storage
        .get_client_grant(tenant, id)
        .await?
        .ok_or(EngineError::NotFound("client grant"))
}

pub async fn list_client_grants(
    engine: &Engine,
    tenant: &TenantId,
    filter: &ClientGrantFilter,
    paging: &Paging,
) -> Result<Page<ClientGrant>> {
    Ok(engine
        .storage
        .list_client_grants(tenant, filter, paging)
        .await?)
}

pub async fn update_client_grant(
    engine: &Engine,
    tenant: &TenantId,
    id: &str,
    input: &ClientGrantUpdate,
) -> Result<ClientGrant> {
    let existing = get_client_grant(engine, tenant, id).await?;
    let Some(scopes) = &input.scope else {
        return Ok(existing);
    };
    let server = engine
        .storage
        .get_resource_server_by_identifier(tenant, &existing.audience)
        .await?
        .ok_or(EngineError::NotFound("resource server"))?;
    let scope = check_scopes(&server, scopes)?;
    let now = engine.now();
    let updated = engine
        .storage
        .update_client_grant(tenant, id, &|mut grant: ClientGrant| {
            if grant.audience != existing.audience {
                return Err(reject(EngineError::Conflict));
            }
            grant.scope = scope.clone();
            grant.updated_at = now;
            Ok(grant)
        })
        .await
        .map_err(not_found_as("client grant"));
    engine.lookups.invalidate(tenant);
    updated
}

pub async fn delete_client_grant(engine: &Engine, tenant: &TenantId, id: &str) -> Result<()> {
    let deleted = engine
        .storage
        .delete_client_grant(tenant, id)
        .await
        .map_err(not_found_as("client grant"));
    engine.lookups.invalidate(tenant);
    deleted
}
