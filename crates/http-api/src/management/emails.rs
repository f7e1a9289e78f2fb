//! `/api/v2/emails/provider`: the tenant's email provider (`smtp` only).
//! The SMTP password is write-only: no answer ever contains it.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Management};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use engine::email::provider::{self, ProviderInput};
use model::EmailProvider;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpCredentials {
    pub smtp_host: Option<String>,
    pub smtp_port: Option<i64>,
    pub smtp_user: Option<String>,
    /// Write-only.
    pub smtp_pass: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// Talk to the SMTP server without TLS (a relay on the same host only).
    pub allow_insecure_plaintext: Option<bool>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderBody {
    /// `smtp`.
    pub name: Option<String>,
    pub enabled: Option<bool>,
    pub default_from_address: Option<String>,
    pub credentials: Option<SmtpCredentials>,
    pub settings: Option<ProviderSettings>,
}

impl From<ProviderBody> for ProviderInput {
    fn from(body: ProviderBody) -> Self {
        let credentials = body.credentials.unwrap_or_default();
        Self {
            name: body.name,
            enabled: body.enabled,
            default_from_address: body.default_from_address,
            smtp_host: credentials.smtp_host,
            smtp_port: credentials.smtp_port,
            smtp_user: credentials.smtp_user,
            smtp_pass: credentials.smtp_pass,
            allow_insecure_plaintext: body.settings.and_then(|s| s.allow_insecure_plaintext),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialsView {
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_user: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsView {
    pub allow_insecure_plaintext: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderView {
    pub name: String,
    pub enabled: bool,
    pub default_from_address: String,
    pub credentials: CredentialsView,
    pub settings: SettingsView,
}

impl From<EmailProvider> for ProviderView {
    fn from(provider: EmailProvider) -> Self {
        Self {
            name: provider.name,
            enabled: provider.enabled,
            default_from_address: provider.default_from_address,
            credentials: CredentialsView {
                smtp_host: provider.smtp_host,
                smtp_port: provider.smtp_port,
                smtp_user: provider.smtp_user,
            },
            settings: SettingsView {
                allow_insecure_plaintext: provider.allow_insecure_plaintext,
            },
        }
    }
}

#[utoipa::path(get, path = "/api/v2/emails/provider", tag = "emails",
    responses((status = 200, body = ProviderView), (status = 404, description = "No provider")),
    security(("bearer" = ["read:email_provider"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
) -> Result<Json<ProviderView>, ApiError> {
    management.require("read:email_provider")?;
    Ok(Json(
        provider::get(&state.engine, management.tenant_id())
            .await?
            .into(),
    ))
}

#[utoipa::path(post, path = "/api/v2/emails/provider", tag = "emails", request_body = ProviderBody,
    responses((status = 201, body = ProviderView), (status = 409, description = "A provider exists")),
    security(("bearer" = ["create:email_provider"])))]
pub async fn create(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<ProviderBody>,
) -> Result<(StatusCode, Json<ProviderView>), ApiError> {
    management.require("create:email_provider")?;
    let created = provider::create(&state.engine, management.tenant_id(), body.into()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

#[utoipa::path(patch, path = "/api/v2/emails/provider", tag = "emails", request_body = ProviderBody,
    responses((status = 200, body = ProviderView), (status = 404, description = "No provider")),
    security(("bearer" = ["update:email_provider"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<ProviderBody>,
) -> Result<Json<ProviderView>, ApiError> {
    management.require("update:email_provider")?;
    Ok(Json(
        provider::update(&state.engine, management.tenant_id(), body.into())
            .await?
            .into(),
    ))
}

#[utoipa::path(delete, path = "/api/v2/emails/provider", tag = "emails",
    responses((status = 204, description = "Deleted"), (status = 404, description = "No provider")),
    security(("bearer" = ["delete:email_provider"])))]
pub async fn delete(
    State(state): State<AppState>,
    management: Management,
) -> Result<StatusCode, ApiError> {
    management.require("delete:email_provider")?;
    provider::delete(&state.engine, management.tenant_id()).await?;
    Ok(StatusCode::NO_CONTENT)
}
