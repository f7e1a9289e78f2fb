//! Reading one user, shared by the Management API handlers and jobs.

use crate::Engine;
use crate::error::{EngineError, Result};
use model::{TenantId, User};

pub async fn get_user(engine: &Engine, tenant: &TenantId, user_id: &str) -> Result<User> {
    engine
        .storage
        .get_user(tenant, user_id)
        .await?
        .ok_or(EngineError::NotFound("user"))
}
