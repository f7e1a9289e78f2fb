//! The tenant's prompt settings (`/api/v2/prompts`): Auth0's
//! `universal_login_experience`, `identifier_first` and
//! `webauthn_platform_first_factor`. They live in the tenant record, so
//! the login page reads them from the tenant it already resolved; a change
//! forgets this node's tenant cache at once (other nodes follow within the
//! cache's lifetime).

use crate::Engine;
use crate::error::Result;
use model::{LoginExperience, PromptSettings, Tenant, TenantId};

/// A PATCH: `None` keeps the current value.
#[derive(Debug, Clone, Copy, Default)]
pub struct PromptsPatch {
    pub universal_login_experience: Option<LoginExperience>,
    pub identifier_first: Option<bool>,
    pub webauthn_platform_first_factor: Option<bool>,
}

/// The tenant's settings.
pub async fn get(engine: &Engine, tenant: &TenantId) -> Result<PromptSettings> {
    Ok(engine
        .storage
        .get_tenant(tenant)
        .await?
        .ok_or(crate::error::EngineError::NotFound("tenant"))?
        .prompts)
}

/// Applies a patch and returns the new settings.
pub async fn update(
    engine: &Engine,
    tenant: &TenantId,
    patch: PromptsPatch,
) -> Result<PromptSettings> {
    let now = engine.now();
    let updated = engine
        .storage
        .update_tenant(tenant, &move |mut record: Tenant| {
            let prompts = &mut record.prompts;
            if let Some(experience) = patch.universal_login_experience {
                prompts.universal_login_experience = experience;
            }
            if let Some(on) = patch.identifier_first {
                prompts.identifier_first = on;
            }
            if let Some(on) = patch.webauthn_platform_first_factor {
                prompts.webauthn_platform_first_factor = on;
            }
            record.updated_at = now;
            Ok(record)
        })
        .await?;
    engine.tenants.invalidate();
    Ok(updated.prompts)
}
