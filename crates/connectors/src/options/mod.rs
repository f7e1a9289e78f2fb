//! Typed, validated connection options, one module per strategy family.
//!
//! [`validate_options`] is the one entry point: it applies the strategy's
//! defaults to keys the caller did not send, deserializes into the
//! strategy's options type (rejecting unknown names and wrong JSON types with
//! the path of the offending value), runs the cross-field checks, and returns
//! the normalised JSON re-serialised from the typed value.
//!
//! Normalisation drops `null` members: Auth0 treats `"x": null` like an absent
//! `x`, and the stored options then hold only what is set.

pub mod common;
pub mod database;
pub mod enterprise;
pub mod oidc;
pub mod passwordless;
pub mod saml;
pub mod social;
mod validation;

pub use validation::{OptionsError, ValidatedOptions};

use crate::strategy::Strategy;
use serde_json::{Map, Value};
use validation::normalise;

/// Validates `options` for `strategy` and applies its defaults.
///
/// Defaults (see [`default_options`]) fill top-level keys the caller did not
/// send; an explicit `null` is respected and removes the key. Call this on
/// create and whenever `options` is replaced (Auth0's PATCH replaces the whole
/// object). `null` options count as `{}`.
pub fn validate_options(
    strategy: Strategy,
    options: Value,
) -> Result<ValidatedOptions, OptionsError> {
    let mut object = match options {
        Value::Null => Map::new(),
        Value::Object(object) => object,
        _ => return Err(OptionsError::at("", "must be an object")),
    };
    if let Value::Object(defaults) = default_options(strategy) {
        for (key, value) in defaults {
            object.entry(key).or_insert(value);
        }
    }
    let input = Value::Object(object);
    match strategy {
        Strategy::Auth0 => normalise::<database::DatabaseOptions>(input),
        Strategy::Ad => normalise::<enterprise::AdOptions>(input),
        Strategy::Adfs => normalise::<saml::AdfsOptions>(input),
        Strategy::Samlp => normalise::<saml::SamlpOptions>(input),
        Strategy::PingFederate => normalise::<saml::PingFederateOptions>(input),
        Strategy::Oidc => normalise::<oidc::OidcOptions>(input),
        Strategy::Okta => normalise::<oidc::OktaOptions>(input),
        Strategy::Waad => normalise::<enterprise::WaadOptions>(input),
        Strategy::GoogleApps => normalise::<enterprise::GoogleAppsOptions>(input),
        Strategy::GoogleOAuth2 => normalise::<social::GoogleOAuth2Options>(input),
        Strategy::Github => normalise::<social::GithubOptions>(input),
        Strategy::Facebook => normalise::<social::FacebookOptions>(input),
        Strategy::Linkedin => normalise::<social::LinkedinOptions>(input),
        Strategy::WindowsLive => normalise::<social::WindowsLiveOptions>(input),
        Strategy::Apple => normalise::<social::AppleOptions>(input),
        Strategy::Amazon => normalise::<social::AmazonOptions>(input),
        Strategy::Bitbucket => normalise::<social::BitbucketOptions>(input),
        Strategy::Gitlab => normalise::<social::GitlabOptions>(input),
        Strategy::Twitter => normalise::<social::TwitterOptions>(input),
        Strategy::Discord => normalise::<social::DiscordOptions>(input),
        Strategy::Slack => normalise::<social::SlackOptions>(input),
        Strategy::OAuth2 => normalise::<social::OAuth2Options>(input),
        Strategy::Email => normalise::<passwordless::EmailOptions>(input),
        Strategy::Sms => normalise::<passwordless::SmsOptions>(input),
    }
}

/// JSON pointers (into the options object) of write-only values. The caller
/// seals them for storage and removes them from API responses.
pub fn secret_fields(strategy: Strategy) -> &'static [&'static str] {
    const CLIENT_SECRET: &[&str] = &["/client_secret"];
    match strategy {
        Strategy::Auth0 => &["/configuration"],
        Strategy::Ad => &["/bind_password"],
        Strategy::Samlp => &["/signing_key/key", "/decryptionKey/key"],
        Strategy::Adfs | Strategy::PingFederate => &[],
        Strategy::Apple => &["/app_secret"],
        Strategy::Sms => &["/twilio_token", "/gateway_authentication/secret"],
        Strategy::Email => &[],
        Strategy::Oidc => &["/client_secret", "/client_assertion_signing_key"],
        Strategy::Okta
        | Strategy::Waad
        | Strategy::GoogleApps
        | Strategy::GoogleOAuth2
        | Strategy::Github
        | Strategy::Facebook
        | Strategy::Linkedin
        | Strategy::WindowsLive
        | Strategy::Amazon
        | Strategy::Bitbucket
        | Strategy::Gitlab
        | Strategy::Twitter
        | Strategy::Discord
        | Strategy::Slack
        | Strategy::OAuth2 => CLIENT_SECRET,
    }
}

/// What a new connection's options hold when the caller sends none: Auth0's
/// documented defaults (and BRIEF §6.5 for the password policy).
pub fn default_options(strategy: Strategy) -> Value {
    match strategy {
        Strategy::Auth0 => serde_json::json!({
            "passwordPolicy": "good",
            "brute_force_protection": true,
        }),
        Strategy::Ad => serde_json::json!({ "brute_force_protection": true }),
        Strategy::Oidc => serde_json::json!({ "type": "front_channel" }),
        Strategy::Samlp => serde_json::json!({
            "signatureAlgorithm": "rsa-sha256",
            "digestAlgorithm": "sha256",
        }),
        Strategy::Email | Strategy::Sms => serde_json::json!({
            "brute_force_protection": true,
            "totp": { "time_step": 180, "length": 6 },
        }),
        _ => Value::Object(Map::new()),
    }
}

#[cfg(test)]
pub(crate) mod tests;
