//! User and app metadata as the Management API and imports change them.

use crate::error::{EngineError, Result};

/// Merges Auth0-style: top-level keys replace, `null` removes a key, and an
/// empty object clears everything.
pub fn merge_metadata(
    target: &mut serde_json::Map<String, serde_json::Value>,
    patch: &serde_json::Map<String, serde_json::Value>,
) {
    if patch.is_empty() {
        target.clear();
        return;
    }
    for (key, value) in patch {
        if value.is_null() {
            target.remove(key);
        } else {
            target.insert(key.clone(), value.clone());
        }
    }
}

/// Metadata objects are limited to 16 KiB of JSON, as at signup.
pub(crate) fn check_metadata_size(
    field: &'static str,
    metadata: &serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    let size = serde_json::to_vec(metadata).map(|v| v.len()).unwrap_or(0);
    if size > 16 * 1024 {
        return Err(EngineError::invalid(
            field,
            format!("{field} is larger than 16 KiB"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_merges_at_the_top_level() {
        let mut target = json!({"a": 1, "b": {"x": 1}, "c": 3})
            .as_object()
            .unwrap()
            .clone();
        let patch = json!({"a": 2, "b": {"y": 2}, "c": null, "d": 4});
        merge_metadata(&mut target, patch.as_object().unwrap());
        assert_eq!(
            serde_json::Value::Object(target.clone()),
            json!({"a": 2, "b": {"y": 2}, "d": 4})
        );
        merge_metadata(&mut target, &serde_json::Map::new());
        assert!(target.is_empty());
    }
}
