//! `/api/v2/tenants/settings`: the tenant's settings, Auth0's shape. Of
//! Auth0's many members Vestibule accepts those it applies or keeps (see
//! `engine::management::tenant_settings`); the others (`error_page`, `guardian_mfa_page`,
//! `change_password`, `device_flow`, `session_cookie`, the ephemeral
//! session lifetimes, …) configure features Vestibule does not have and are
//! refused as unknown members, rather than stored and silently ignored.

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{ApiJson, Management};
use axum::Json;
use axum::extract::State;
use engine::management::tenant_settings::{self, LifetimePatch, SettingsPatch, SettingsView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A PATCH body: absent (or `null`) members keep their value; an empty
/// string clears an optional text member.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsBody {
    pub friendly_name: Option<String>,
    /// Logo URL (http or https).
    pub picture_url: Option<String>,
    pub support_email: Option<String>,
    pub support_url: Option<String>,
    /// The API (resource server identifier) of tokens whose request names
    /// no `audience`.
    pub default_audience: Option<String>,
    /// The database connection of the `password` grant.
    pub default_directory: Option<String>,
    /// Hours an SSO session lives whatever its activity.
    pub session_lifetime: Option<f64>,
    /// Minutes; not together with `session_lifetime`.
    pub session_lifetime_in_minutes: Option<i64>,
    /// Hours an SSO session survives without activity.
    pub idle_session_lifetime: Option<f64>,
    /// Minutes; not together with `idle_session_lifetime`.
    pub idle_session_lifetime_in_minutes: Option<i64>,
    /// Where `/v2/logout` without `client_id` may return to.
    pub allowed_logout_urls: Option<Vec<String>>,
    /// Auth0 locale codes (`en`, `fr-CA`, …); kept, the pages are English.
    pub enabled_locales: Option<Vec<String>>,
    /// Auth0's documented flags (kept) and `oidc_standard_claim_types`
    /// (`updated_at` as seconds in ID tokens and `/userinfo`); merged into
    /// the stored flags.
    pub flags: Option<BTreeMap<String, bool>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SettingsResponse {
    pub friendly_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_audience: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_directory: Option<String>,
    /// Hours (a fraction when set in minutes).
    #[schema(value_type = f64)]
    pub session_lifetime: serde_json::Number,
    #[schema(value_type = f64)]
    pub idle_session_lifetime: serde_json::Number,
    pub allowed_logout_urls: Vec<String>,
    pub enabled_locales: Vec<String>,
    pub flags: BTreeMap<String, bool>,
}

/// Minutes as Auth0's hours: whole hours as integers.
fn hours(minutes: i64) -> serde_json::Number {
    if minutes % 60 == 0 {
        serde_json::Number::from(minutes / 60)
    } else {
        serde_json::Number::from_f64(minutes as f64 / 60.0)
            .unwrap_or_else(|| serde_json::Number::from(minutes / 60))
    }
}

impl From<SettingsView> for SettingsResponse {
    fn from(view: SettingsView) -> Self {
        let settings = view.settings;
        Self {
            friendly_name: view.friendly_name,
            picture_url: settings.picture_url,
            support_email: settings.support_email,
            support_url: settings.support_url,
            default_audience: settings.default_audience,
            default_directory: settings.default_directory,
            session_lifetime: hours(view.session_lifetime_minutes),
            idle_session_lifetime: hours(view.idle_session_lifetime_minutes),
            allowed_logout_urls: settings.allowed_logout_urls,
            enabled_locales: settings.enabled_locales,
            flags: settings.flags,
        }
    }
}

#[utoipa::path(get, path = "/api/v2/tenants/settings", tag = "tenants",
    responses((status = 200, body = SettingsResponse)),
    security(("bearer" = ["read:tenant_settings"])))]
pub async fn get(
    State(state): State<AppState>,
    management: Management,
) -> Result<Json<SettingsResponse>, ApiError> {
    management.require("read:tenant_settings")?;
    Ok(Json(
        tenant_settings::get(&state.engine, management.tenant_id())
            .await?
            .into(),
    ))
}

#[utoipa::path(patch, path = "/api/v2/tenants/settings", tag = "tenants", request_body = SettingsBody,
    responses((status = 200, body = SettingsResponse), (status = 400, description = "Invalid body")),
    security(("bearer" = ["update:tenant_settings"])))]
pub async fn update(
    State(state): State<AppState>,
    management: Management,
    ApiJson(body): ApiJson<SettingsBody>,
) -> Result<Json<SettingsResponse>, ApiError> {
    management.require("update:tenant_settings")?;
    let patch = SettingsPatch {
        friendly_name: body.friendly_name,
        picture_url: body.picture_url,
        support_email: body.support_email,
        support_url: body.support_url,
        default_audience: body.default_audience,
        default_directory: body.default_directory,
        session_lifetime: LifetimePatch {
            hours: body.session_lifetime,
            minutes: body.session_lifetime_in_minutes,
        },
        idle_session_lifetime: LifetimePatch {
            hours: body.idle_session_lifetime,
            minutes: body.idle_session_lifetime_in_minutes,
        },
        allowed_logout_urls: body.allowed_logout_urls,
        enabled_locales: body.enabled_locales,
        flags: body.flags,
    };
    Ok(Json(
        tenant_settings::update(&state.engine, management.tenant_id(), patch)
            .await?
            .into(),
    ))
}
