//! The tenant's settings (`/api/v2/tenants/settings`), Auth0's members.
//! Applied at run time: `default_audience` (token endpoint and
//! `/authorize`), `default_directory` (the plain `password` grant),
//! `session_lifetime`/`idle_session_lifetime` (`sessions`),
//! `allowed_logout_urls` (`/v2/logout` without `client_id`) and the
//! `oidc_standard_claim_types` flag (`updated_at` in `tokens::user_claims`).
//! `picture_url`, `support_email`, `support_url`, `enabled_locales` and
//! Auth0's own flags are kept and returned for Auth0 tooling: Vestibule's
//! pages have one language and none of the features those flags switch.
//! Like the prompt settings they live in the tenant record, so a request
//! reads them from the tenant it already resolved; a change forgets this
//! node's tenant cache at once.

use crate::error::{EngineError, Result};
use crate::validation::{UrlKind, check_text, check_url, check_urls};
use crate::{Engine, login::database_users, login::sessions};
use model::tenant_settings::OIDC_STANDARD_CLAIM_TYPES;
use model::{Tenant, TenantId, TenantSettings};
use std::collections::BTreeMap;

/// The flags Auth0 documents for tenant settings (all booleans), which are
/// stored and returned, plus Vestibule's own. Other names are refused, as
/// Auth0 refuses unknown members.
pub const KNOWN_FLAGS: &[&str] = &[
    "change_pwd_flow_v1",
    "enable_apis_section",
    "disable_impersonation",
    "enable_client_connections",
    "enable_pipeline2",
    "allow_legacy_delegation_grant_types",
    "allow_legacy_ro_grant_types",
    "allow_legacy_tokeninfo_endpoint",
    "enable_legacy_profile",
    "enable_idtoken_api2",
    "enable_public_signup_user_exists_error",
    "enable_sso",
    "allow_changing_enable_sso",
    "disable_clickjack_protection_headers",
    "no_disclose_enterprise_connections",
    "enforce_client_authentication_on_passwordless_start",
    "enable_adfs_waad_email_verification",
    "revoke_refresh_token_grant",
    "dashboard_log_streams_next",
    "dashboard_insights_view",
    "disable_fields_map_fix",
    "mfa_show_factor_list_on_enrollment",
    "remove_alg_from_jwks",
    "improved_signup_bot_detection_in_classic",
    "genai_trial",
    "local_resource_discovery",
    "enable_dynamic_client_registration",
    "disable_management_api_sms_obfuscation",
    "trust_azure_adfs_email_verified_connection_property",
    "custom_domains_provisioning",
    OIDC_STANDARD_CLAIM_TYPES,
];

/// Auth0's supported locales (`enabled_locales`).
pub const LOCALES: &[&str] = &[
    "am", "ar", "ar-EG", "ar-SA", "az", "bg", "bn", "bs", "ca-ES", "cnr", "cs", "cy", "da", "de",
    "el", "en", "en-CA", "es", "es-419", "es-AR", "es-MX", "et", "eu-ES", "fa", "fi", "fr",
    "fr-CA", "fr-FR", "gl-ES", "gu", "he", "hi", "hr", "hu", "hy", "id", "is", "it", "ja", "ka",
    "kk", "kn", "ko", "lt", "lv", "mk", "ml", "mn", "mr", "ms", "my", "nb", "nl", "nn", "no", "pa",
    "pl", "pt", "pt-BR", "pt-PT", "ro", "ru", "sk", "sl", "so", "sq", "sr", "sv", "sw", "ta", "te",
    "th", "tl", "tr", "uk", "ur", "vi", "zgh", "zh-CN", "zh-HK", "zh-MO", "zh-TW",
];

/// Auth0's limits (its enterprise plans' ceilings): a session lives at most
/// 365 days, and survives at most 100 days of inactivity; at least a minute.
pub const MAX_SESSION_MINUTES: i64 = 365 * 24 * 60;
pub const MAX_IDLE_SESSION_MINUTES: i64 = 100 * 24 * 60;

/// A lifetime as Auth0 accepts it: `…_lifetime` in hours (a number), or
/// `…_lifetime_in_minutes`, never both.
#[derive(Debug, Clone, Copy, Default)]
pub struct LifetimePatch {
    pub hours: Option<f64>,
    pub minutes: Option<i64>,
}

/// A PATCH: `None` keeps the current value; an empty string clears an
/// optional text member.
#[derive(Debug, Clone, Default)]
pub struct SettingsPatch {
    pub friendly_name: Option<String>,
    pub picture_url: Option<String>,
    pub support_email: Option<String>,
    pub support_url: Option<String>,
    pub default_audience: Option<String>,
    pub default_directory: Option<String>,
    pub session_lifetime: LifetimePatch,
    pub idle_session_lifetime: LifetimePatch,
    pub allowed_logout_urls: Option<Vec<String>>,
    pub enabled_locales: Option<Vec<String>>,
    /// Merged into the stored flags: flags left out keep their value.
    pub flags: Option<BTreeMap<String, bool>>,
}

/// The settings as they apply: lifetimes are the tenant's or the server's.
#[derive(Debug, Clone)]
pub struct SettingsView {
    pub friendly_name: String,
    pub settings: TenantSettings,
    pub session_lifetime_minutes: i64,
    pub idle_session_lifetime_minutes: i64,
}

fn view(engine: &Engine, tenant: Tenant) -> SettingsView {
    let mut settings = tenant.settings.clone();
    // Vestibule's own flag is always shown, so it can be found.
    settings
        .flags
        .entry(OIDC_STANDARD_CLAIM_TYPES.to_owned())
        .or_insert(false);
    SettingsView {
        session_lifetime_minutes: sessions::absolute_lifetime(engine, &tenant) / 60,
        idle_session_lifetime_minutes: sessions::idle_lifetime(engine, &tenant) / 60,
        friendly_name: tenant.friendly_name,
        settings,
    }
}

async fn tenant(engine: &Engine, id: &TenantId) -> Result<Tenant> {
    engine
        .storage
        .get_tenant(id)
        .await?
        .ok_or(EngineError::NotFound("tenant"))
}

/// The tenant's settings.
pub async fn get(engine: &Engine, id: &TenantId) -> Result<SettingsView> {
    Ok(view(engine, tenant(engine, id).await?))
}

/// Checks a patch, applies it and returns the new settings.
pub async fn update(engine: &Engine, id: &TenantId, patch: SettingsPatch) -> Result<SettingsView> {
    let session = lifetime(
        "session_lifetime",
        patch.session_lifetime,
        MAX_SESSION_MINUTES,
    )?;
    let idle = lifetime(
        "idle_session_lifetime",
        patch.idle_session_lifetime,
        MAX_IDLE_SESSION_MINUTES,
    )?;
    check(&patch)?;
    if let Some(name) = patch.default_directory.as_deref().filter(|n| !n.is_empty()) {
        let connection = engine.storage.get_connection_by_name(id, name).await?;
        if !connection.is_some_and(|c| database_users::is_database(&c)) {
            return Err(EngineError::invalid(
                "default_directory",
                format!("default_directory: no database connection is named {name}"),
            ));
        }
    }
    let now = engine.now();
    let updated = engine
        .storage
        .update_tenant(id, &|mut record: Tenant| {
            if let Some(name) = &patch.friendly_name {
                record.friendly_name = name.clone();
            }
            let settings = &mut record.settings;
            for (member, value) in [
                (&mut settings.picture_url, &patch.picture_url),
                (&mut settings.support_email, &patch.support_email),
                (&mut settings.support_url, &patch.support_url),
                (&mut settings.default_audience, &patch.default_audience),
                (&mut settings.default_directory, &patch.default_directory),
            ] {
                if let Some(value) = value {
                    *member = Some(value.clone()).filter(|v| !v.is_empty());
                }
            }
            if session.is_some() {
                settings.session_lifetime_minutes = session;
            }
            if idle.is_some() {
                settings.idle_session_lifetime_minutes = idle;
            }
            if let Some(urls) = &patch.allowed_logout_urls {
                settings.allowed_logout_urls = urls.clone();
            }
            if let Some(locales) = &patch.enabled_locales {
                settings.enabled_locales = locales.clone();
            }
            if let Some(flags) = &patch.flags {
                settings
                    .flags
                    .extend(flags.iter().map(|(k, v)| (k.clone(), *v)));
            }
            record.updated_at = now;
            Ok(record)
        })
        .await?;
    engine.tenants.invalidate();
    Ok(view(engine, updated))
}

/// A lifetime patch in minutes, within `1..=max`.
fn lifetime(field: &str, patch: LifetimePatch, max: i64) -> Result<Option<i64>> {
    let minutes = match (patch.hours, patch.minutes) {
        (Some(_), Some(_)) => {
            return Err(EngineError::invalid(
                field,
                format!("{field} and {field}_in_minutes cannot be specified together"),
            ));
        }
        (Some(hours), None) if hours.is_finite() => Some((hours * 60.0).round() as i64),
        (Some(_), None) => Some(0),
        (None, minutes) => minutes,
    };
    match minutes {
        Some(m) if !(1..=max).contains(&m) => Err(EngineError::invalid(
            field,
            format!(
                "{field} must be between 1 minute and {} hours ({max} minutes)",
                max / 60
            ),
        )),
        other => Ok(other),
    }
}

fn check(patch: &SettingsPatch) -> Result<()> {
    if let Some(name) = &patch.friendly_name {
        check_text("friendly_name", name, 255)?;
    }
    for (field, value) in [
        ("picture_url", &patch.picture_url),
        ("support_url", &patch.support_url),
    ] {
        if let Some(url) = value.as_deref().filter(|v| !v.is_empty()) {
            check_url(field, url, UrlKind::Http)?;
        }
    }
    if let Some(email) = patch.support_email.as_deref().filter(|v| !v.is_empty())
        && !database_users::is_valid_email(email)
    {
        return Err(EngineError::invalid(
            "support_email",
            "support_email must be an email address",
        ));
    }
    if let Some(audience) = patch.default_audience.as_deref().filter(|v| !v.is_empty()) {
        check_text("default_audience", audience, 600)?;
    }
    if let Some(urls) = &patch.allowed_logout_urls {
        check_urls("allowed_logout_urls", urls, UrlKind::Redirect)?;
    }
    if let Some(locales) = &patch.enabled_locales {
        if locales.is_empty() {
            return Err(EngineError::invalid(
                "enabled_locales",
                "enabled_locales must name at least one locale",
            ));
        }
        for (index, locale) in locales.iter().enumerate() {
            if !LOCALES.contains(&locale.as_str()) {
                return Err(EngineError::invalid(
                    "enabled_locales",
                    format!("enabled_locales[{index}]: {locale} is not a supported locale"),
                ));
            }
            if locales[..index].contains(locale) {
                return Err(EngineError::invalid(
                    "enabled_locales",
                    format!("enabled_locales[{index}]: {locale} is listed twice"),
                ));
            }
        }
    }
    if let Some(flags) = &patch.flags
        && let Some(unknown) = flags.keys().find(|f| !KNOWN_FLAGS.contains(&f.as_str()))
    {
        return Err(EngineError::invalid(
            "flags",
            format!("flags: {unknown} is not a known flag"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_come_in_hours_or_minutes_within_auth0s_range() {
        let hours = |h| LifetimePatch {
            hours: Some(h),
            minutes: None,
        };
        let minutes = |m| LifetimePatch {
            hours: None,
            minutes: Some(m),
        };
        assert_eq!(lifetime("s", hours(2.0), 600).unwrap(), Some(120));
        assert_eq!(lifetime("s", hours(0.5), 600).unwrap(), Some(30));
        assert_eq!(lifetime("s", minutes(600), 600).unwrap(), Some(600));
        assert_eq!(lifetime("s", LifetimePatch::default(), 600).unwrap(), None);
        for bad in [
            hours(0.0),
            hours(-1.0),
            hours(f64::NAN),
            hours(11.0),
            minutes(0),
            minutes(601),
            LifetimePatch {
                hours: Some(1.0),
                minutes: Some(60),
            },
        ] {
            assert!(lifetime("s", bad, 600).is_err(), "{bad:?}");
        }
    }
}
