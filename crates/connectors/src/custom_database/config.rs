//! Reading `options.custom_database` (and its secrets from
//! `options.configuration`) into a backend configuration, and the shape
//! checks run when a connection is created or updated.

use super::CustomDbError;
pub use crate::options::database::SqlQueries;
use crate::options::database::{CustomDatabase, CustomDatabaseKind, HttpEndpoints};
use serde_json::Value;
use std::time::Duration;

/// The `options.configuration` key holding the SQL kind's database URL.
pub const DATABASE_URL_SETTING: &str = "database_url";
/// The `options.configuration` key holding the HTTP kind's shared secret.
pub const HTTP_SECRET_SETTING: &str = "http_secret";
/// Per-operation timeout when `timeout_ms` is not set.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_QUERY_LEN: usize = 4096;

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

/// How many parameters each operation's query receives, and which must be
/// used: `login` ($1 = identifier typed), `get_user` ($1 = email), `create`
/// ($1 = id, $2 = email, $3 = argon2id hash, $4 = username or NULL),
/// `verify` ($1 = email), `change_password` ($1 = email, $2 = argon2id hash),
/// `delete` ($1 = id).
pub fn query_params(operation: &str) -> (usize, usize) {
    match operation {
        "create" => (4, 3),
        "change_password" => (2, 2),
        _ => (1, 1),
    }
}

/// The `$n` placeholders of `sql`, in order of appearance.
pub fn placeholders(sql: &str) -> Vec<(std::ops::Range<usize>, usize)> {
    let bytes = sql.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' {
            let start = i;
            let mut j = i + 1;
            while j < bytes.len() && bytes[j].is_ascii_digit() {
                j += 1;
            }
            if j > i + 1
                && let Ok(n) = sql[i + 1..j].parse::<usize>()
            {
                found.push((start..j, n));
            }
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

/// Checks one query's shape: one statement, placeholders `$1..$n` of the
/// operation only, the required ones present.
pub fn check_query(operation: &str, sql: &str) -> Result<(), String> {
    let trimmed = sql.trim().trim_end_matches(';');
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    if sql.len() > MAX_QUERY_LEN {
        return Err(format!("must be at most {MAX_QUERY_LEN} characters"));
    }
    if trimmed.contains(';') {
        return Err("must be a single statement".into());
    }
    let (max, required) = query_params(operation);
    let used: Vec<usize> = placeholders(trimmed).into_iter().map(|(_, n)| n).collect();
    if let Some(bad) = used.iter().find(|n| **n == 0 || **n > max) {
        return Err(format!(
            "uses ${bad}, but `{operation}` has {max} parameter(s) ($1..${max})"
        ));
    }
    if let Some(missing) = (1..=required).find(|n| !used.contains(n)) {
        return Err(format!("must use ${missing}"));
    }
    Ok(())
}

/// Checks an HTTP endpoint: `https`, or `http` to a loopback host.
pub fn check_endpoint(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|_| "must be an absolute URL".to_owned())?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("must use https (http only for localhost)".into()),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("must not contain credentials (use configuration.http_secret)".into());
    }
    if parsed.fragment().is_some() {
        return Err("must not contain a fragment".into());
    }
    Ok(())
}

/// Checks the database URL's scheme (PostgreSQL, MySQL/MariaDB, SQLite).
pub fn check_database_url(url: &str) -> Result<(), String> {
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    match scheme {
        "postgres" | "postgresql" | "mysql" | "mariadb" | "sqlite" => Ok(()),
        _ => Err("must be a postgres://, mysql://, mariadb:// or sqlite: URL".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_shapes() {
        assert!(check_query("login", "SELECT id, password_hash FROM u WHERE email = $1").is_ok());
        assert!(
            check_query(
                "login",
                "SELECT id FROM u WHERE email = $1 OR username = $1;"
            )
            .is_ok()
        );
        assert!(check_query("login", "SELECT id FROM u WHERE email = $2").is_err());
        assert!(check_query("login", "SELECT id FROM u").is_err());
        assert!(check_query("login", "SELECT 1 WHERE $1 = 'x'; DROP TABLE u").is_err());
        assert!(check_query("create", "INSERT INTO u VALUES ($1, $2, $3)").is_ok());
        assert!(check_query("create", "INSERT INTO u VALUES ($1, $2, $3, $4)").is_ok());
        assert!(check_query("create", "INSERT INTO u VALUES ($1, $2)").is_err());
        assert!(check_query("change_password", "UPDATE u SET h = $2 WHERE e = $1").is_ok());
        assert!(check_query("delete", "DELETE FROM u WHERE id = $1 AND $0 = 1").is_err());
        assert!(check_query("delete", "   ").is_err());
        assert_eq!(
            placeholders("a $1 b $12 c $ d $2")
                .into_iter()
                .map(|(_, n)| n)
                .collect::<Vec<_>>(),
            vec![1, 12, 2]
        );
    }

    #[test]
    fn endpoints_and_urls() {
        assert!(check_endpoint("https://users.example.com/login").is_ok());
        assert!(check_endpoint("http://127.0.0.1:8080/login").is_ok());
        assert!(check_endpoint("http://users.example.com/login").is_err());
        assert!(check_endpoint("https://u:p@users.example.com/login").is_err());
        assert!(check_endpoint("ftp://users.example.com").is_err());
        assert!(check_database_url("postgres://u@h/db").is_ok());
        assert!(check_database_url("mariadb://root@127.0.0.1/db").is_ok());
        assert!(check_database_url("redis://h").is_err());
    }
}
