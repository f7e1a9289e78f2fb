//! One entry of an import file: its validation against Auth0's import
//! schema and the connection's rules ([`validate_entry`]), and how a bad
//! one is reported.

use crate::login::database_users::{self, is_valid_email, is_valid_username, username_bounds};
use crate::validation::{UrlKind, check_url};
use model::Connection;
use serde::Serialize;
use serde_json::{Map, Value};

/// Metadata objects are limited to 16 KiB of JSON each, as elsewhere.
const MAX_METADATA_BYTES: usize = 16 * 1024;

/// One problem with one entry, in Auth0's report shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EntryError {
    pub code: &'static str,
    pub message: String,
    pub path: String,
}

impl EntryError {
    pub(super) fn new(code: &'static str, path: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            path: path.to_owned(),
        }
    }
}

/// An entry that passed validation: the fields it sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportedUser {
    pub email: String,
    pub email_verified: Option<bool>,
    pub local_id: Option<String>,
    pub username: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    pub blocked: Option<bool>,
    pub user_metadata: Option<Map<String, Value>>,
    pub app_metadata: Option<Map<String, Value>>,
    /// The hash to store, already in Vestibule's stored form.
    pub password_hash: Option<String>,
}

const KNOWN_FIELDS: &[&str] = &[
    "email",
    "email_verified",
    "user_id",
    "username",
    "given_name",
    "family_name",
    "name",
    "nickname",
    "picture",
    "blocked",
    "user_metadata",
    "app_metadata",
    "password_hash",
    "custom_password_hash",
    "mfa_factors",
];

/// Reads one entry against Auth0's schema and the connection's rules;
/// every problem found is reported, not only the first.
pub fn validate_entry(
    entry: &Value,
    connection: &Connection,
) -> std::result::Result<ImportedUser, Vec<EntryError>> {
    let Some(object) = entry.as_object() else {
        return Err(vec![EntryError::new(
            "INVALID_TYPE",
            "",
            format!("Expected type object but found type {}", type_name(entry)),
        )]);
    };
    let mut errors = Vec::new();
    let unknown: Vec<&str> = object
        .keys()
        .map(String::as_str)
        .filter(|key| !KNOWN_FIELDS.contains(key))
        .collect();
    if !unknown.is_empty() {
        errors.push(EntryError::new(
            "OBJECT_ADDITIONAL_PROPERTIES",
            "",
            format!(
                "Additional properties not allowed: {}",
                truncate(&unknown.join(","), 200)
            ),
        ));
    }
    let mut reader = Reader {
        object,
        errors: &mut errors,
    };
    let email = reader.text("email", 254);
    let email_verified = reader.boolean("email_verified");
    let local_id = reader.text("user_id", 255);
    let username = reader.text("username", 128);
    let given_name = reader.text("given_name", 150);
    let family_name = reader.text("family_name", 150);
    let name = reader.text("name", 300);
    let nickname = reader.text("nickname", 300);
    let picture = reader.text("picture", 2_048);
    let blocked = reader.boolean("blocked");
    let user_metadata = reader.metadata("user_metadata");
    let app_metadata = reader.metadata("app_metadata");
    let bcrypt = reader.text("password_hash", 1_024);
    let custom = object.get("custom_password_hash");

    let email = email.map(|e| e.trim().to_owned());
    match &email {
        None if !object.contains_key("email") => errors.push(EntryError::new(
            "OBJECT_MISSING_REQUIRED_PROPERTY",
            "",
            "Missing required property: email",
        )),
        Some(email) if !is_valid_email(email) => errors.push(EntryError::new(
            "INVALID_FORMAT",
            "email",
            "Object didn't pass validation for format email",
        )),
        _ => {}
    }
    if let Some(id) = &local_id
        && !is_valid_local_id(id)
    {
        errors.push(EntryError::new(
            "INVALID_FORMAT",
            "user_id",
            "user_id must be 1 to 255 letters, digits, '-', '_' or '.' (without the 'auth0|' prefix)",
        ));
    }
    let username = username
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty());
    match (&username, database_users::requires_username(connection)) {
        (None, true) => errors.push(EntryError::new(
            "OBJECT_MISSING_REQUIRED_PROPERTY",
            "",
            "Missing required property: username (the connection requires usernames)",
        )),
        (Some(_), false) => errors.push(EntryError::new(
            "INVALID_FORMAT",
            "username",
            "The connection does not use usernames",
        )),
        (Some(name), true) if !is_valid_username(name, username_bounds(connection)) => {
            let (min, max) = username_bounds(connection);
            errors.push(EntryError::new(
                "INVALID_FORMAT",
                "username",
                format!(
                    "username must be {min} to {max} letters, digits or _+-.!#$^`~' characters"
                ),
            ));
        }
        _ => {}
    }
    if let Some(picture) = &picture
        && check_url("picture", picture, UrlKind::Http).is_err()
    {
        errors.push(EntryError::new(
            "INVALID_FORMAT",
            "picture",
            "picture must be an http(s) URL",
        ));
    }
    if object.contains_key("mfa_factors") {
        errors.push(EntryError::new(
            "UNSUPPORTED_PROPERTY",
            "mfa_factors",
            "mfa_factors cannot be imported: Vestibule does not support multi-factor enrolments yet",
        ));
    }
    let password_hash = match (bcrypt, custom) {
        (Some(_), Some(_)) => {
            errors.push(EntryError::new(
                "CONFLICTING_PROPERTIES",
                "",
                "password_hash and custom_password_hash cannot both be given",
            ));
            None
        }
        (Some(hash), None) => match hashes::bcrypt(&hash) {
            Ok(stored) => Some(stored),
            Err(reason) => {
                errors.push(EntryError::new("INVALID_FORMAT", "password_hash", reason));
                None
            }
        },
        (None, Some(custom)) => match hashes::custom(custom) {
            Ok(stored) => Some(stored),
            Err(reason) => {
                errors.push(EntryError::new(
                    "INVALID_FORMAT",
                    "custom_password_hash",
                    reason,
                ));
                None
            }
        },
        (None, None) => None,
    };
    match email {
        Some(email) if errors.is_empty() => Ok(ImportedUser {
            email,
            email_verified,
            local_id,
            username,
            given_name,
            family_name,
            name,
            nickname,
            picture,
            blocked,
            user_metadata,
            app_metadata,
            password_hash,
        }),
        _ => Err(errors),
    }
}

/// How imported hashes become stored hashes (`crypto::legacy_hash` owns
/// every format; the login path verifies them and re-hashes to argon2id).
mod hashes {
    use crypto::legacy_hash;

    /// Auth0's `password_hash`: bcrypt, stored as is once validated.
    pub(super) fn bcrypt(hash: &str) -> Result<String, String> {
        legacy_hash::validate_bcrypt(hash)
            .map(|()| hash.to_owned())
            .map_err(|error| format!("password_hash: {error}"))
    }

    /// Auth0's `custom_password_hash` object, converted to a stored string.
    pub(super) fn custom(value: &serde_json::Value) -> Result<String, String> {
        let stored = legacy_hash::from_custom_password_hash(value).map_err(|e| e.to_string())?;
        legacy_hash::validate_stored(&stored).map_err(|e| e.to_string())?;
        Ok(stored)
    }
}

fn is_valid_local_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

/// Reads typed fields of one entry, recording type errors.
struct Reader<'a> {
    object: &'a Map<String, Value>,
    errors: &'a mut Vec<EntryError>,
}

impl Reader<'_> {
    fn wrong_type(&mut self, field: &str, expected: &str, found: &Value) {
        self.errors.push(EntryError::new(
            "INVALID_TYPE",
            field,
            format!(
                "Expected type {expected} but found type {}",
                type_name(found)
            ),
        ));
    }

    /// A string of at most `max` characters without control characters.
    fn text(&mut self, field: &str, max: usize) -> Option<String> {
        match self.object.get(field)? {
            Value::String(text) => {
                if text.chars().count() > max || text.chars().any(char::is_control) {
                    self.errors.push(EntryError::new(
                        "INVALID_FORMAT",
                        field,
                        format!("{field} must be at most {max} printable characters"),
                    ));
                    None
                } else {
                    Some(text.clone())
                }
            }
            other => {
                self.wrong_type(field, "string", other);
                None
            }
        }
    }

    fn boolean(&mut self, field: &str) -> Option<bool> {
        match self.object.get(field)? {
            Value::Bool(value) => Some(*value),
            other => {
                self.wrong_type(field, "boolean", other);
                None
            }
        }
    }

    fn metadata(&mut self, field: &str) -> Option<Map<String, Value>> {
        match self.object.get(field)? {
            Value::Object(map) => {
                let size = serde_json::to_vec(map).map(|v| v.len()).unwrap_or(0);
                if size > MAX_METADATA_BYTES {
                    self.errors.push(EntryError::new(
                        "INVALID_FORMAT",
                        field,
                        format!("{field} is larger than 16 KiB"),
                    ));
                    None
                } else {
                    Some(map.clone())
                }
            }
            other => {
                self.wrong_type(field, "object", other);
                None
            }
        }
    }
}

/// The entry as the error report shows it: hashes are never repeated.
pub(super) fn reported_entry(entry: &Value) -> Value {
    match entry {
        Value::Object(map) => {
            let mut shown = map.clone();
            for secret in ["password_hash", "custom_password_hash"] {
                if shown.contains_key(secret) {
                    shown.insert(secret.to_owned(), Value::String("[redacted]".into()));
                }
            }
            Value::Object(shown)
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::TenantId;
    use serde_json::json;

    fn connection(requires_username: bool) -> Connection {
        Connection {
            tenant_id: TenantId::new("t"),
            id: "con_1".into(),
            name: "db".into(),
            display_name: None,
            strategy: "auth0".into(),
            options: json!({"requires_username": requires_username}),
            metadata: Default::default(),
            realms: vec!["db".into()],
            is_domain_connection: false,
            show_as_button: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn codes(result: std::result::Result<ImportedUser, Vec<EntryError>>) -> Vec<String> {
        match result {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .into_iter()
                .map(|e| format!("{}:{}", e.code, e.path))
                .collect(),
        }
    }

    #[test]
    fn a_complete_entry_is_accepted() {
        let entry = json!({
            "email": "ada@example.com", "email_verified": true, "user_id": "ada-1",
            "given_name": "Ada", "family_name": "Lovelace", "name": "Ada Lovelace",
            "nickname": "ada", "picture": "https://cdn.example.com/a.png", "blocked": false,
            "user_metadata": {"theme": "dark"}, "app_metadata": {"plan": "pro"},
            "password_hash": "$2b$10$C6UzMDM.H6dfI/f/IKxGhu2ktGk.ZM5bCDTgF9CxRcoDa7F3wS8X."
        });
        let user = validate_entry(&entry, &connection(false))
            .unwrap_or_else(|errors| panic!("{errors:?}"));
        assert_eq!(user.email, "ada@example.com");
        assert_eq!(user.local_id.as_deref(), Some("ada-1"));
        assert!(
            user.password_hash
                .as_deref()
                .is_some_and(|h| h.starts_with("$2b$10$"))
        );
    }

    #[test]
    fn every_problem_of_an_entry_is_reported() {
        let entry = json!({
            "email": "not-an-email", "email_verified": "yes", "user_id": "auth0|x",
            "picture": "javascript:alert(1)", "extra": 1, "mfa_factors": [],
            "password_hash": "plain", "app_metadata": []
        });
        assert_eq!(
            codes(validate_entry(&entry, &connection(false))),
            [
                "OBJECT_ADDITIONAL_PROPERTIES:",
                "INVALID_TYPE:email_verified",
                "INVALID_TYPE:app_metadata",
                "INVALID_FORMAT:email",
                "INVALID_FORMAT:user_id",
                "INVALID_FORMAT:picture",
                "UNSUPPORTED_PROPERTY:mfa_factors",
                "INVALID_FORMAT:password_hash",
            ]
        );
        assert_eq!(
            codes(validate_entry(&json!("x"), &connection(false))),
            ["INVALID_TYPE:"]
        );
        assert_eq!(
            codes(validate_entry(&json!({}), &connection(false))),
            ["OBJECT_MISSING_REQUIRED_PROPERTY:"]
        );
    }

    #[test]
    fn usernames_follow_the_connection() {
        let with = json!({"email": "a@b.co", "username": "ada"});
        let without = json!({"email": "a@b.co"});
        assert!(validate_entry(&with, &connection(true)).is_ok());
        assert_eq!(
            codes(validate_entry(&with, &connection(false))),
            ["INVALID_FORMAT:username"]
        );
        assert_eq!(
            codes(validate_entry(&without, &connection(true))),
            ["OBJECT_MISSING_REQUIRED_PROPERTY:"]
        );
        let bad = json!({"email": "a@b.co", "username": "<script>"});
        assert_eq!(
            codes(validate_entry(&bad, &connection(true))),
            ["INVALID_FORMAT:username"]
        );
    }

    #[test]
    fn reports_never_repeat_hashes() {
        let entry = json!({"email": "a@b.co", "password_hash": "$2b$secret"});
        let shown = reported_entry(&entry);
        assert_eq!(shown["password_hash"], "[redacted]");
        assert_eq!(shown["email"], "a@b.co");
    }
}
