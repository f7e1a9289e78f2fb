//! Options of the database strategy `auth0`: the built-in user store,
//! optionally backed by a custom database with lazy migration.

use super::common::{SecretMap, SetUserRootAttributes, UpstreamParams};
use super::validation::{OptionsError, StrategyOptions};
use serde::{Deserialize, Serialize};

/// Auth0's password strength levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordPolicy {
    None,
    Low,
    Fair,
    Good,
    Excellent,
}

/// Options of an `auth0` connection.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseOptions {
    #[serde(rename = "passwordPolicy")]
    pub password_policy: Option<PasswordPolicy>,
    pub password_complexity_options: Option<PasswordComplexityOptions>,
    pub password_history: Option<PasswordHistory>,
    pub password_dictionary: Option<PasswordDictionary>,
    pub password_no_personal_info: Option<Toggle>,
    pub requires_username: Option<bool>,
    pub validation: Option<Validation>,
    pub attributes: Option<Attributes>,
    /// Order in which identifiers are looked up at login.
    pub precedence: Option<Vec<Identifier>>,
    pub disable_signup: Option<bool>,
    pub disable_self_service_change_password: Option<bool>,
    pub brute_force_protection: Option<bool>,
    /// Credentials live in the customer's own database.
    #[serde(rename = "enabledDatabaseCustomization")]
    pub enabled_database_customization: Option<bool>,
    /// Lazy migration: users found in the custom database are copied into
    /// the built-in store at their first successful login.
    pub import_mode: Option<bool>,
    #[serde(rename = "customScripts")]
    pub custom_scripts: Option<CustomScripts>,
    /// Vestibule's declarative replacement for `customScripts` (which hold
    /// JavaScript Vestibule does not run): how to reach the custom database.
    /// Its secrets live in `configuration` (`database_url`, `http_secret`).
    pub custom_database: Option<CustomDatabase>,
    /// Settings for the custom database scripts. Secret: every value is
    /// sealed as a whole.
    pub configuration: Option<SecretMap>,
    pub enable_script_context: Option<bool>,
    pub mfa: Option<Mfa>,
    pub set_user_root_attributes: Option<SetUserRootAttributes>,
    pub non_persistent_attrs: Option<Vec<String>>,
    pub upstream_params: Option<UpstreamParams>,
    pub strategy_version: Option<u32>,
    pub realm_fallback: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordComplexityOptions {
    /// 1..=128.
    pub min_length: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordHistory {
    pub enable: Option<bool>,
    /// How many previous passwords may not be reused, 0..=24.
    pub size: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordDictionary {
    pub enable: Option<bool>,
    /// Extra words refused on top of the bundled list.
    pub dictionary: Option<Vec<String>>,
}

/// `{ "enable": bool }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Toggle {
    pub enable: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    pub username: Option<LengthRange>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LengthRange {
    pub min: Option<u32>,
    pub max: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identifier {
    Email,
    PhoneNumber,
    Username,
}

/// Which identifiers the connection uses and how signup treats them
/// (Auth0's "flexible identifiers").
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attributes {
    pub email: Option<AttributeSettings>,
    pub phone_number: Option<AttributeSettings>,
    pub username: Option<AttributeSettings>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSettings {
    pub identifier: Option<AttributeIdentifier>,
    pub profile_required: Option<bool>,
    pub signup: Option<AttributeSignup>,
    /// `email` only.
    pub verification_method: Option<VerificationMethod>,
    /// `email` only.
    pub unique: Option<bool>,
    /// `username` only.
    pub validation: Option<UsernameValidation>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeIdentifier {
    pub active: Option<bool>,
    pub default_method: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeSignup {
    pub status: Option<SignupStatus>,
    pub verification: Option<ActiveFlag>,
}

/// `{ "active": bool }`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveFlag {
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignupStatus {
    Required,
    Optional,
    Inactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    Link,
    Otp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsernameValidation {
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub allowed_types: Option<AllowedTypes>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedTypes {
    pub email: Option<bool>,
    pub phone_number: Option<bool>,
}

/// The custom database scripts, by Auth0's operation names.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomScripts {
    pub login: Option<String>,
    pub get_user: Option<String>,
    pub create: Option<String>,
    pub verify: Option<String>,
    pub change_password: Option<String>,
    pub delete: Option<String>,
    pub change_email: Option<String>,
}

/// `options.custom_database`: a user store reached by SQL or HTTP.
///
/// ```json
/// {"kind": "sql", "timeout_ms": 5000,
///  "queries": {"login": "SELECT id, email, password_hash FROM users WHERE email = $1", …}}
/// {"kind": "http", "endpoints": {"login": "https://users.example.com/login", …}}
/// ```
///
/// SQL reads the database URL from `configuration.database_url`, HTTP its
/// bearer secret from `configuration.http_secret` (sealed, never returned).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomDatabase {
    pub kind: CustomDatabaseKind,
    /// `sql` only: one parameterised query per operation.
    pub queries: Option<SqlQueries>,
    /// `http` only: one URL per operation.
    pub endpoints: Option<HttpEndpoints>,
    /// Per-operation timeout, 100..=30000 ms (default 5000).
    pub timeout_ms: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomDatabaseKind {
    Sql,
    Http,
}

/// Queries by Auth0's script names; parameters are described in
/// `custom_database::checks::query_params`.
#[derive(Debug, Clone, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SqlQueries {
    pub login: Option<String>,
    pub get_user: Option<String>,
    pub create: Option<String>,
    pub verify: Option<String>,
    pub change_password: Option<String>,
    pub delete: Option<String>,
}

impl SqlQueries {
    fn all(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("login", self.login.as_deref()),
            ("get_user", self.get_user.as_deref()),
            ("create", self.create.as_deref()),
            ("verify", self.verify.as_deref()),
            ("change_password", self.change_password.as_deref()),
            ("delete", self.delete.as_deref()),
        ]
    }
}

/// Endpoint URLs by Auth0's script names.
#[derive(Debug, Clone, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpEndpoints {
    pub login: Option<String>,
    pub get_user: Option<String>,
    pub create: Option<String>,
    pub verify: Option<String>,
    pub change_password: Option<String>,
    pub delete: Option<String>,
}

impl HttpEndpoints {
    fn all(&self) -> [(&'static str, Option<&str>); 6] {
        [
            ("login", self.login.as_deref()),
            ("get_user", self.get_user.as_deref()),
            ("create", self.create.as_deref()),
            ("verify", self.verify.as_deref()),
            ("change_password", self.change_password.as_deref()),
            ("delete", self.delete.as_deref()),
        ]
    }
}

impl DatabaseOptions {
    fn check_custom_database(&self) -> Result<(), OptionsError> {
        use crate::custom_database::checks;
        let Some(custom) = &self.custom_database else {
            return Ok(());
        };
        if self.enabled_database_customization != Some(true) {
            return Err(OptionsError::at(
                "custom_database",
                "requires `enabledDatabaseCustomization: true`",
            ));
        }
        if let Some(ms) = custom.timeout_ms
            && !(100..=30_000).contains(&ms)
        {
            return Err(OptionsError::at(
                "custom_database.timeout_ms",
                "must be between 100 and 30000",
            ));
        }
        let setting = |key: &str| {
            self.configuration
                .as_ref()
                .and_then(|c| c.get(key))
                .map(|secret| secret.expose().to_owned())
        };
        match custom.kind {
            CustomDatabaseKind::Sql => {
                if custom.endpoints.is_some() {
                    return Err(OptionsError::at(
                        "custom_database.endpoints",
                        "is only valid with `kind: http`",
                    ));
                }
                let Some(queries) = &custom.queries else {
                    return Err(OptionsError::at(
                        "custom_database.queries",
                        "is required with `kind: sql`",
                    ));
                };
                if queries.login.is_none() {
                    return Err(OptionsError::at(
                        "custom_database.queries.login",
                        "is required",
                    ));
                }
                // The URL first: its server decides how the queries read.
                let dialect = match setting(checks::DATABASE_URL_SETTING) {
                    Some(url) => Some(
                        checks::check_database_url(&url)
                            .map_err(|message| {
                                OptionsError::at("configuration.database_url", message)
                            })?
                            .dialect(),
                    ),
                    None => None,
                };
                for (operation, sql) in queries.all() {
                    if let Some(sql) = sql {
                        checks::check_query(operation, sql, dialect).map_err(|message| {
                            OptionsError::at(
                                &format!("custom_database.queries.{operation}"),
                                message,
                            )
                        })?;
                    }
                }
            }
            CustomDatabaseKind::Http => {
                if custom.queries.is_some() {
                    return Err(OptionsError::at(
                        "custom_database.queries",
                        "is only valid with `kind: sql`",
                    ));
                }
                let Some(endpoints) = &custom.endpoints else {
                    return Err(OptionsError::at(
                        "custom_database.endpoints",
                        "is required with `kind: http`",
                    ));
                };
                if endpoints.login.is_none() {
                    return Err(OptionsError::at(
                        "custom_database.endpoints.login",
                        "is required",
                    ));
                }
                for (operation, url) in endpoints.all() {
                    if let Some(url) = url {
                        checks::check_endpoint(url).map_err(|message| {
                            OptionsError::at(
                                &format!("custom_database.endpoints.{operation}"),
                                message,
                            )
                        })?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mfa {
    pub active: Option<bool>,
    pub return_enroll_settings: Option<bool>,
}

impl StrategyOptions for DatabaseOptions {
    fn check(&self) -> Result<(), OptionsError> {
        if let Some(min_length) = self
            .password_complexity_options
            .as_ref()
            .and_then(|o| o.min_length)
            && !(1..=128).contains(&min_length)
        {
            return Err(OptionsError::at(
                "password_complexity_options.min_length",
                "must be between 1 and 128",
            ));
        }
        if let Some(size) = self.password_history.as_ref().and_then(|h| h.size)
            && size > 24
        {
            return Err(OptionsError::at(
                "password_history.size",
                "must be between 0 and 24",
            ));
        }
        if let Some(range) = self.validation.as_ref().and_then(|v| v.username.as_ref()) {
            check_length_range(range.min, range.max, "validation.username")?;
        }
        if let Some(validation) = self
            .attributes
            .as_ref()
            .and_then(|a| a.username.as_ref())
            .and_then(|u| u.validation.as_ref())
        {
            check_length_range(
                validation.min_length,
                validation.max_length,
                "attributes.username.validation",
            )?;
        }
        if self.attributes.is_some() && self.requires_username.is_some() {
            return Err(OptionsError::at(
                "requires_username",
                "cannot be combined with `attributes`",
            ));
        }
        if self.attributes.is_some() && self.validation.is_some() {
            return Err(OptionsError::at(
                "validation",
                "cannot be combined with `attributes`",
            ));
        }
        if let Some(precedence) = &self.precedence {
            let complete = precedence.len() == 3
                && [
                    Identifier::Email,
                    Identifier::PhoneNumber,
                    Identifier::Username,
                ]
                .iter()
                .all(|id| precedence.contains(id));
            if !complete {
                return Err(OptionsError::at(
                    "precedence",
                    "must list `email`, `phone_number` and `username` once each",
                ));
            }
        }
        if self.import_mode == Some(true) && self.enabled_database_customization != Some(true) {
            return Err(OptionsError::at(
                "import_mode",
                "requires `enabledDatabaseCustomization: true` (users are imported from the custom database)",
            ));
        }
        self.check_custom_database()?;
        Ok(())
    }
}

fn check_length_range(min: Option<u32>, max: Option<u32>, path: &str) -> Result<(), OptionsError> {
    let (min_name, max_name) = if path.starts_with("attributes") {
        ("min_length", "max_length")
    } else {
        ("min", "max")
    };
    if let Some(min) = min
        && !(1..=128).contains(&min)
    {
        return Err(OptionsError::at(
            &format!("{path}.{min_name}"),
            "must be between 1 and 128",
        ));
    }
    if let Some(max) = max
        && !(1..=128).contains(&max)
    {
        return Err(OptionsError::at(
            &format!("{path}.{max_name}"),
            "must be between 1 and 128",
        ));
    }
    if let (Some(min), Some(max)) = (min, max)
        && min > max
    {
        return Err(OptionsError::at(
            &format!("{path}.{min_name}"),
            format!("must not exceed `{max_name}`"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::options::tests::{assert_rejected, validate};
    use crate::strategy::Strategy;
    use serde_json::json;

    #[test]
    fn empty_options_get_the_good_policy_and_brute_force_protection() {
        let out = validate(Strategy::Auth0, json!({}));
        assert_eq!(
            out,
            json!({"passwordPolicy": "good", "brute_force_protection": true})
        );
    }

    #[test]
    fn defaults_do_not_override_what_the_caller_sent() {
        let out = validate(
            Strategy::Auth0,
            json!({"passwordPolicy": "excellent", "brute_force_protection": false}),
        );
        assert_eq!(out["passwordPolicy"], "excellent");
        assert_eq!(out["brute_force_protection"], false);
    }

    #[test]
    fn explicit_null_removes_a_default() {
        let out = validate(Strategy::Auth0, json!({"passwordPolicy": null}));
        assert!(out.get("passwordPolicy").is_none());
    }

    #[test]
    fn full_options_round_trip() {
        let full = crate::options::tests::full_options(Strategy::Auth0);
        assert_eq!(validate(Strategy::Auth0, full.clone()), full);
    }

    #[test]
    fn password_policy_is_an_exact_enum() {
        assert_rejected(
            Strategy::Auth0,
            json!({"passwordPolicy": "Good"}),
            "options.passwordPolicy",
        );
        assert_rejected(
            Strategy::Auth0,
            json!({"passwordPolicy": "strong"}),
            "options.passwordPolicy",
        );
    }

    #[test]
    fn min_length_is_bounded() {
        for bad in [0, 129] {
            assert_rejected(
                Strategy::Auth0,
                json!({"password_complexity_options": {"min_length": bad}}),
                "options.password_complexity_options.min_length",
            );
        }
        validate(
            Strategy::Auth0,
            json!({"password_complexity_options": {"min_length": 128}}),
        );
        assert_rejected(
            Strategy::Auth0,
            json!({"password_complexity_options": {"min_length": -1}}),
            "options.password_complexity_options.min_length",
        );
    }

    #[test]
    fn password_history_size_is_bounded() {
        validate(
            Strategy::Auth0,
            json!({"password_history": {"enable": true, "size": 24}}),
        );
        assert_rejected(
            Strategy::Auth0,
            json!({"password_history": {"enable": true, "size": 25}}),
            "options.password_history.size",
        );
    }

    #[test]
    fn username_length_range_is_checked() {
        assert_rejected(
            Strategy::Auth0,
            json!({"validation": {"username": {"min": 10, "max": 5}}}),
            "options.validation.username.min",
        );
        assert_rejected(
            Strategy::Auth0,
            json!({"validation": {"username": {"max": 500}}}),
            "options.validation.username.max",
        );
    }

    #[test]
    fn nested_unknown_field_is_reported_with_its_path() {
        assert_rejected(
            Strategy::Auth0,
            json!({"password_history": {"enable": true, "count": 5}}),
            "options.password_history.count",
        );
    }

    #[test]
    fn unknown_custom_script_is_rejected() {
        assert_rejected(
            Strategy::Auth0,
            json!({"enabledDatabaseCustomization": true, "customScripts": {"signin": "x"}}),
            "options.customScripts.signin",
        );
    }

    #[test]
    fn precedence_must_be_complete() {
        assert_rejected(
            Strategy::Auth0,
            json!({"precedence": ["email", "username"]}),
            "options.precedence",
        );
        assert_rejected(
            Strategy::Auth0,
            json!({"precedence": ["email", "phone", "username"]}),
            "options.precedence[1]",
        );
    }

    #[test]
    fn import_mode_requires_a_custom_database() {
        assert_rejected(
            Strategy::Auth0,
            json!({"import_mode": true}),
            "options.import_mode",
        );
        validate(
            Strategy::Auth0,
            json!({"import_mode": true, "enabledDatabaseCustomization": true}),
        );
    }

    #[test]
    fn custom_database_shapes_are_checked() {
        let sql = json!({
            "enabledDatabaseCustomization": true,
            "import_mode": true,
            "configuration": {"database_url": "postgres://u@127.0.0.1/db"},
            "custom_database": {"kind": "sql", "queries": {
                "login": "SELECT id, email, password_hash FROM users WHERE email = $1",
                "create": "INSERT INTO users (id, email, password_hash) VALUES ($1, $2, $3)"
            }}
        });
        let out = validate(Strategy::Auth0, sql.clone());
        assert_eq!(out["custom_database"]["kind"], "sql");
        let mut bad = sql.clone();
        bad["custom_database"]["queries"]["login"] = json!("SELECT id FROM users WHERE email = $2");
        assert_rejected(
            Strategy::Auth0,
            bad,
            "options.custom_database.queries.login",
        );
        let mut bad = sql.clone();
        bad["custom_database"]["queries"]["delete"] = json!("DELETE FROM users; DROP TABLE x");
        assert_rejected(
            Strategy::Auth0,
            bad,
            "options.custom_database.queries.delete",
        );
        let mut bad = sql.clone();
        bad["configuration"]["database_url"] = json!("redis://h");
        assert_rejected(Strategy::Auth0, bad, "options.configuration.database_url");
        let mut bad = sql.clone();
        bad["custom_database"]["queries"]["signin"] = json!("SELECT 1");
        assert_rejected(
            Strategy::Auth0,
            bad,
            "options.custom_database.queries.signin",
        );
        let mut bad = sql;
        bad["enabledDatabaseCustomization"] = json!(false);
        bad["import_mode"] = json!(false);
        assert_rejected(Strategy::Auth0, bad, "options.custom_database");
        let http = json!({
            "enabledDatabaseCustomization": true,
            "custom_database": {"kind": "http", "timeout_ms": 2000,
                "endpoints": {"login": "https://users.example.com/login"}}
        });
        validate(Strategy::Auth0, http.clone());
        let mut bad = http.clone();
        bad["custom_database"]["endpoints"]["login"] = json!("http://users.example.com/login");
        assert_rejected(
            Strategy::Auth0,
            bad,
            "options.custom_database.endpoints.login",
        );
        let mut bad = http.clone();
        bad["custom_database"]["timeout_ms"] = json!(60_000);
        assert_rejected(Strategy::Auth0, bad, "options.custom_database.timeout_ms");
        let mut bad = http;
        bad["custom_database"]["endpoints"] = json!({});
        assert_rejected(
            Strategy::Auth0,
            bad,
            "options.custom_database.endpoints.login",
        );
    }

    #[test]
    fn attributes_exclude_requires_username_and_validation() {
        let attributes = json!({"email": {"identifier": {"active": true}}});
        assert_rejected(
            Strategy::Auth0,
            json!({"attributes": attributes, "requires_username": true}),
            "options.requires_username",
        );
        assert_rejected(
            Strategy::Auth0,
            json!({"attributes": attributes, "validation": {"username": {"min": 1}}}),
            "options.validation",
        );
    }

    #[test]
    fn configuration_values_must_be_strings() {
        assert_rejected(
            Strategy::Auth0,
            json!({"configuration": {"db_password": 42}}),
            "options.configuration.db_password",
        );
    }
}
