//! `/api/v2/prompts`: the tenant's login prompt settings, Auth0's shape.
//! `identifier_first` turns on the identifier-first login page with
//! home-realm discovery; `universal_login_experience` and
//! `webauthn_platform_first_factor` are kept and returned for Auth0
//! tooling (Vestibule has one hosted page and no passkeys yet).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Management};
use axum::Json;
use axum::extract::State;
use engine::management::prompts::{self, PromptsPatch};
use model::{LoginExperience, PromptSettings};
use serde::{Deserialize, Serialize};

/// Auth0's login experiences.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Experience {
    New,
    Classic,
}

impl From<Experience> for LoginExperience {
    fn from(experience: Experience) -> Self {
        match experience {
            Experience::New => LoginExperience::New,
            Experience::Classic => LoginExperience::Classic,
        }
    }
}

impl From<LoginExperience> for Experience {
    fn from(experience: LoginExperience) -> Self {
        match experience {
            LoginExperience::New => Experience::New,
            LoginExperience::Classic => Experience::Classic,
        }
    }
}

/// A PATCH body: absent (or `null`) members keep their value.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptsBody {
    pub universal_login_experience: Option<Experience>,
    /// Ask for the email first and send it to the enterprise connection
    /// whose `domain_aliases` list its domain.
    pub identifier_first: Option<bool>,
    pub webauthn_platform_first_factor: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PromptsView {
    pub universal_login_experience: Experience,
    pub identifier_first: bool,
    pub webauthn_platform_first_factor: bool,
}

impl From<PromptSettings> for PromptsView {
    fn from(settings: PromptSettings) -> Self {
        Self {
            universal_login_experience: settings.universal_login_experience.into(),
            identifier_first: settings.identifier_first,
            webauthn_platform_first_factor: settings.webauthn_platform_first_factor,
        }
    }
}

#[utoipa::path(get, path = "/api/v2/prompts", tag = "prompts",
    responses((status = 200, body = PromptsView)),
    security(("bearer" = ["read:prompts"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
) -> Result<Json<PromptsView>, ApiError> {
    management.require("read:prompts")?;
    Ok(Json(
        prompts::get(&state.engine, management.tenant_id())
            .await?
            .into(),
    ))
}

#[utoipa::path(patch, path = "/api/v2/prompts", tag = "prompts", request_body = PromptsBody,
    responses((status = 200, body = PromptsView), (status = 400, description = "Invalid body")),
    security(("bearer" = ["update:prompts"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<PromptsBody>,
) -> Result<Json<PromptsView>, ApiError> {
    management.require("update:prompts")?;
    let patch = PromptsPatch {
        universal_login_experience: body.universal_login_experience.map(Into::into),
        identifier_first: body.identifier_first,
        webauthn_platform_first_factor: body.webauthn_platform_first_factor,
    };
    Ok(Json(
        prompts::update(&state.engine, management.tenant_id(), patch)
            .await?
            .into(),
    ))
}
