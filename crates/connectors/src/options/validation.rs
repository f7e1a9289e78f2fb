//! The validation machinery every strategy family shares: the error that
//! names the offending field, the trait each family's options type
//! implements, and the typed round trip that normalises the JSON. Kept
//! apart from `mod.rs` so the family modules import it directly.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Options rejected, with the field at fault.
///
/// `field` is a path rooted at `options`, in the Management API's request
/// vocabulary: `options.client_id`,
/// `options.password_complexity_options.min_length`,
/// `options.precedence[1]`, or just `options` for the whole object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct OptionsError {
    pub field: String,
    pub message: String,
}

impl OptionsError {
    /// An error on `options.<path>` (`path` empty means the whole object).
    pub fn at(path: &str, message: impl Into<String>) -> OptionsError {
        let field = if path.is_empty() {
            "options".to_owned()
        } else {
            format!("options.{path}")
        };
        OptionsError {
            field,
            message: message.into(),
        }
    }

    fn from_serde(err: serde_path_to_error::Error<serde_json::Error>) -> OptionsError {
        let path = err.path().to_string();
        let path = if path == "." { String::new() } else { path };
        let message = err.into_inner().to_string();
        // A map key that failed to deserialize shows as `?`: name the key.
        if let Some(parent) = path.strip_suffix(".?") {
            let key = message
                .strip_prefix("unknown variant `")
                .and_then(|rest| rest.split('`').next());
            return match key {
                Some(key) => OptionsError::at(&format!("{parent}.{key}"), "unknown key"),
                None => OptionsError::at(parent, message),
            };
        }
        // serde lists every expected field after an unknown one; the list is
        // long for most strategies and adds nothing to "unknown field `x`".
        if let Some(rest) = message.strip_prefix("unknown field `") {
            let name = rest.split('`').next().unwrap_or_default();
            // The path may stop at the parent object; name the field itself.
            let already_named = path == name || path.ends_with(&format!(".{name}"));
            let field_path = match (path.is_empty(), already_named) {
                (_, true) => path,
                (true, false) => name.to_owned(),
                (false, false) => format!("{path}.{name}"),
            };
            return OptionsError::at(&field_path, format!("unknown field `{name}`"));
        }
        OptionsError::at(&path, message)
    }
}

/// Options that passed validation: normalised JSON, ready to have its secret
/// fields sealed and to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidatedOptions(Value);

impl ValidatedOptions {
    pub fn as_json(&self) -> &Value {
        &self.0
    }

    pub fn into_json(self) -> Value {
        self.0
    }
}

/// One strategy family's options type.
pub(crate) trait StrategyOptions: DeserializeOwned + Serialize {
    /// Cross-field checks, run after deserialization succeeded.
    fn check(&self) -> Result<(), OptionsError> {
        Ok(())
    }
}

/// Deserializes `input` as `T`, runs its checks and re-serializes it
/// without `null` members.
pub(super) fn normalise<T: StrategyOptions>(
    input: Value,
) -> Result<ValidatedOptions, OptionsError> {
    let typed: T = serde_path_to_error::deserialize(input).map_err(OptionsError::from_serde)?;
    typed.check()?;
    let mut output = serde_json::to_value(&typed)
        .map_err(|e| OptionsError::at("", format!("cannot be normalised: {e}")))?;
    drop_nulls(&mut output);
    Ok(ValidatedOptions(output))
}

fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.retain(|_, member| !member.is_null());
            object.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}
