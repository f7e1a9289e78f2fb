//! From an upstream's JSON profile to Auth0's normalized attributes.

use super::upstream::UpstreamProfile;
use crate::options::social::ProfileAttribute;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const MAX_TEXT: usize = 512;

/// A bounded, printable string (numbers are accepted and written out, as
/// upstream ids often are numbers).
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    let text = match value? {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    let text = text.trim();
    (!text.is_empty() && text.len() <= MAX_TEXT && !text.chars().any(char::is_control))
        .then(|| text.to_owned())
}

/// `true`, or the strings `"true"` (some providers send it so).
pub(crate) fn truthy(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true)))
        || matches!(value, Some(Value::String(s)) if s == "true")
}

/// The OpenID Connect standard claims.
pub(crate) fn from_standard_claims(claims: &Map<String, Value>) -> UpstreamProfile {
    let email = text(claims.get("email"));
    UpstreamProfile {
        email_verified: email.is_some() && truthy(claims.get("email_verified")),
        email,
        username: text(claims.get("preferred_username")),
        name: text(claims.get("name")),
        nickname: text(claims.get("nickname")).or_else(|| text(claims.get("preferred_username"))),
        given_name: text(claims.get("given_name")),
        family_name: text(claims.get("family_name")),
        picture: text(claims.get("picture")),
    }
}

/// Follows a dotted path (`emails.0.value`) into a JSON document.
pub(crate) fn at_path<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(document, |value, segment| match value {
            Value::Object(object) => object.get(segment),
            Value::Array(items) => segment.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

/// A declarative `profile_mapping` (custom `oauth2` connections): the user id
/// and the profile.
pub(crate) fn from_mapping(
    document: &Value,
    mapping: &BTreeMap<ProfileAttribute, String>,
) -> (Option<String>, UpstreamProfile) {
    let get = |attribute: ProfileAttribute| {
        mapping
            .get(&attribute)
            .and_then(|path| at_path(document, path))
    };
    let email = text(get(ProfileAttribute::Email));
    let profile = UpstreamProfile {
        email_verified: email.is_some() && truthy(get(ProfileAttribute::EmailVerified)),
        email,
        username: text(get(ProfileAttribute::Username)),
        name: text(get(ProfileAttribute::Name)),
        nickname: text(get(ProfileAttribute::Nickname)),
        given_name: text(get(ProfileAttribute::GivenName)),
        family_name: text(get(ProfileAttribute::FamilyName)),
        picture: text(get(ProfileAttribute::Picture)),
    };
    (text(get(ProfileAttribute::UserId)), profile)
}
