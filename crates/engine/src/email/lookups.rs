//! Lookups the email flows share: the tenant, client and user a message is
//! about, and a link's lifetime.

use super::templates;
use crate::Engine;
use crate::error::{EngineError, Result};
use model::{Client, Tenant, TenantId, User};

pub(super) async fn tenant_of(engine: &Engine, tenant: &TenantId) -> Result<Tenant> {
    engine
        .storage
        .get_tenant(tenant)
        .await?
        .ok_or(EngineError::NotFound("tenant"))
}

pub(super) async fn client_of(
    engine: &Engine,
    tenant: &TenantId,
    client_id: Option<&str>,
) -> Result<Option<Client>> {
    match client_id {
        Some(id) => Ok(engine.storage.get_client(tenant, id).await?),
        None => Ok(None),
    }
}

pub(super) async fn user_of(engine: &Engine, tenant: &TenantId, user_id: &str) -> Result<User> {
    engine
        .storage
        .get_user(tenant, user_id)
        .await?
        .ok_or(EngineError::NotFound("user"))
}

pub(super) fn lifetime(template: &templates::Effective, default: i64) -> i64 {
    template.url_lifetime_in_seconds.unwrap_or(default)
}
