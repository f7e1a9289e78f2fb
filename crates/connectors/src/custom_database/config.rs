//! Reading `options.custom_database` (and its secrets from
//! `options.configuration`) into a backend configuration; the shape checks
//! run when a connection is created or updated are in [`super::checks`].

use super::backend::CustomDbError;
use super::checks::{DATABASE_URL_SETTING, check_database_url};
pub use crate::options::database::SqlQueries;
use crate::options::database::{CustomDatabase, CustomDatabaseKind, HttpEndpoints};
use serde_json::Value;
use std::time::Duration;

/// The `options.configuration` key holding the HTTP kind's shared secret.
pub const HTTP_SECRET_SETTING: &str = "http_secret";
/// Per-operation timeout when `timeout_ms` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Hash)]
pub enum BackendConfig {
    Sql(SqlConfig),
    Http(HttpConfig),
}

#[derive(Clone, Hash)]
pub struct SqlConfig {
    pub url: String,
    pub queries: SqlQueries,
    pub timeout: Duration,
}

#[derive(Clone, Hash)]
pub struct HttpConfig {
    pub secret: String,
    pub endpoints: HttpEndpoints,
    pub timeout: Duration,
}

/// The backend configuration of a connection, from its *unsealed* options.
pub fn parse_config(options: &Value) -> Result<BackendConfig, CustomDbError> {
    let not_configured = |m: &str| CustomDbError::NotConfigured(m.to_owned());
    let section = options
        .get("custom_database")
        .ok_or_else(|| not_configured("options.custom_database is missing"))?;
    let custom: CustomDatabase = serde_json::from_value(section.clone())
        .map_err(|e| CustomDbError::NotConfigured(format!("options.custom_database: {e}")))?;
    let setting = |key: &str| {
        options
            .pointer(&format!("/configuration/{key}"))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                CustomDbError::NotConfigured(format!("options.configuration.{key} is missing"))
            })
    };
    let timeout = custom
        .timeout_ms
        .map(|ms| Duration::from_millis(u64::from(ms)))
        .unwrap_or(DEFAULT_TIMEOUT);
    match custom.kind {
        CustomDatabaseKind::Sql => Ok(BackendConfig::Sql(SqlConfig {
            url: setting(DATABASE_URL_SETTING)?,
            queries: custom
                .queries
                .ok_or_else(|| not_configured("options.custom_database.queries is missing"))?,
            timeout,
        })),
        CustomDatabaseKind::Http => Ok(BackendConfig::Http(HttpConfig {
            secret: setting(HTTP_SECRET_SETTING)?,
            endpoints: custom
                .endpoints
                .ok_or_else(|| not_configured("options.custom_database.endpoints is missing"))?,
            timeout,
        })),
    }
}

/// The network destinations (`host`, `port`) the custom database options
/// name, with the option that names each; malformed values are left to
/// the shape checks.
pub fn destinations(options: &Value) -> Vec<(String, String, u16)> {
    let mut found = Vec::new();
    if let Some(url) = options
        .pointer(&format!("/configuration/{DATABASE_URL_SETTING}"))
        .and_then(Value::as_str)
        && let Ok(parsed) = check_database_url(url)
    {
        found.push((
            format!("configuration.{DATABASE_URL_SETTING}"),
            parsed.host,
            parsed.port,
        ));
    }
    if let Some(Value::Object(endpoints)) = options.pointer("/custom_database/endpoints") {
        for (operation, url) in endpoints {
            let Some(parsed) = url.as_str().and_then(|u| url::Url::parse(u).ok()) else {
                continue;
            };
            if let (Some(host), Some(port)) = (parsed.host_str(), parsed.port_or_known_default()) {
                found.push((
                    format!("custom_database.endpoints.{operation}"),
                    host.trim_matches(['[', ']']).to_owned(),
                    port,
                ));
            }
        }
    }
    found
}
