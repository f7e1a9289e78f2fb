//! `/api/v2/email-templates`: the tenant's email templates, Auth0's fields
//! (`template`, `body`, `from`, `subject`, `syntax`, `resultUrl`,
//! `urlLifetimeInSeconds`, `includeEmailInRedirect`, `enabled`).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Management};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use engine::email::templates::{self, SaveMode, TemplateInput};
use model::EmailTemplate;
use serde::{Deserialize, Deserializer, Serialize};

/// `null` and absent are different in a patch: `Some(None)` clears.
fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    pub template: Option<String>,
    pub body: Option<String>,
    pub from: Option<String>,
    pub subject: Option<String>,
    pub syntax: Option<String>,
    #[serde(rename = "resultUrl", default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub result_url: Option<Option<String>>,
    #[serde(
        rename = "urlLifetimeInSeconds",
        default,
        deserialize_with = "nullable"
    )]
    #[schema(value_type = Option<i64>)]
    pub url_lifetime_in_seconds: Option<Option<i64>>,
    #[serde(rename = "includeEmailInRedirect")]
    pub include_email_in_redirect: Option<bool>,
    pub enabled: Option<bool>,
}

impl From<TemplateBody> for TemplateInput {
    fn from(body: TemplateBody) -> Self {
        Self {
            template: body.template,
            body: body.body,
            from: body.from,
            subject: body.subject,
            syntax: body.syntax,
            result_url: body.result_url,
            url_lifetime_in_seconds: body.url_lifetime_in_seconds,
            include_email_in_redirect: body.include_email_in_redirect,
            enabled: body.enabled,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub template: String,
    pub body: String,
    pub from: String,
    pub subject: String,
    pub syntax: String,
    #[serde(rename = "resultUrl")]
    pub result_url: Option<String>,
    #[serde(rename = "urlLifetimeInSeconds")]
    pub url_lifetime_in_seconds: Option<i64>,
    #[serde(rename = "includeEmailInRedirect")]
    pub include_email_in_redirect: bool,
    pub enabled: bool,
}

impl From<EmailTemplate> for TemplateView {
    fn from(template: EmailTemplate) -> Self {
        Self {
            template: template.template,
            body: template.body,
            from: template.from,
            subject: template.subject,
            syntax: template.syntax,
            result_url: template.result_url,
            url_lifetime_in_seconds: template.url_lifetime_in_seconds,
            include_email_in_redirect: template.include_email_in_redirect,
            enabled: template.enabled,
        }
    }
}

#[utoipa::path(post, path = "/api/v2/email-templates", tag = "email-templates", request_body = TemplateBody,
    responses((status = 201, body = TemplateView), (status = 409, description = "The template exists")),
    security(("bearer" = ["create:email_templates"])))]
pub async fn create(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<(StatusCode, Json<TemplateView>), ApiError> {
    management.require("create:email_templates")?;
    let name = body.template.clone().ok_or_else(|| {
        ApiError::bad_request(
            "invalid_body",
            "Payload validation error: 'Missing required property: template' on property template",
        )
    })?;
    let saved = templates::save(
        &state.engine,
        management.tenant_id(),
        &name,
        body.into(),
        SaveMode::Create,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(saved.into())))
}

#[utoipa::path(get, path = "/api/v2/email-templates/{templateName}", tag = "email-templates",
    params(("templateName" = String, Path, description = "verify_email, reset_email, blocked_account or welcome_email")),
    responses((status = 200, body = TemplateView), (status = 400, description = "Not a template name"),
        (status = 404, description = "Not set")),
    security(("bearer" = ["read:email_templates"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
    Path(name): Path<String>,
) -> Result<Json<TemplateView>, ApiError> {
    management.require("read:email_templates")?;
    Ok(Json(
        templates::get(&state.engine, management.tenant_id(), &name)
            .await?
            .into(),
    ))
}

async fn save(
    state: &AppState,
    management: &Management,
    name: &str,
    body: TemplateBody,
    mode: SaveMode,
) -> Result<Json<TemplateView>, ApiError> {
    management.require("update:email_templates")?;
    Ok(Json(
        templates::save(
            &state.engine,
            management.tenant_id(),
            name,
            body.into(),
            mode,
        )
        .await?
        .into(),
    ))
}

#[utoipa::path(patch, path = "/api/v2/email-templates/{templateName}", tag = "email-templates",
    params(("templateName" = String, Path)), request_body = TemplateBody,
    responses((status = 200, body = TemplateView), (status = 404, description = "Not set")),
    security(("bearer" = ["update:email_templates"])))]
pub async fn patch(
    State(state): State<AppState>,
    management: Management,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<Json<TemplateView>, ApiError> {
    save(&state, &management, &name, body, SaveMode::Patch).await
}

#[utoipa::path(put, path = "/api/v2/email-templates/{templateName}", tag = "email-templates",
    params(("templateName" = String, Path)), request_body = TemplateBody,
    responses((status = 200, body = TemplateView)),
    security(("bearer" = ["update:email_templates"])))]
pub async fn put(
    State(state): State<AppState>,
    management: Management,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<TemplateBody>,
) -> Result<Json<TemplateView>, ApiError> {
    save(&state, &management, &name, body, SaveMode::Replace).await
}
