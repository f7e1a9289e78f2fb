//! Redirect connectors: users log in at an upstream OAuth 2.0 / OpenID
//! Connect provider and come back to Vestibule's one callback,
//! `/login/callback`.
//!
//! A [`RedirectConnector`] does two things: build the upstream authorization
//! URL for a [`LoginRequest`], and turn the callback parameters into an
//! [`UpstreamIdentity`]. It stores nothing: the engine keeps `state`, `nonce`
//! and the PKCE verifier (single use, bound to the browser's login
//! transaction) and hands the same [`LoginRequest`] back at the callback.
//!
//! One engine serves every strategy ([`oidc::OidcConnector`] for OpenID
//! Providers, [`oauth2::OAuth2Connector`] for plain OAuth 2.0 with a user-info
//! API); the presets (`github`, `google-oauth2`) are configurations of them
//! plus, for GitHub, the emails API. All outbound HTTP goes through
//! [`Upstreams`]: one pooled client with timeouts, no redirects and a size
//! limit, and the discovery and JWKS caches.
//!
//! This module knows no storage and no inbound HTTP types.

mod apple;
pub(crate) mod assertion;
mod enterprise;
mod github;
mod google;
mod http;
mod id_token;
mod mapping;
pub mod oauth2;
pub mod oidc;
mod presets;
mod upstream;

pub use http::{Upstreams, UpstreamsConfig};
pub use upstream::{
    CallbackMethod, CallbackParams, LoginRequest, RedirectConnector, RedirectError,
    UpstreamIdentity, UpstreamProfile, pkce_challenge,
};

use crate::options::common::SetUserRootAttributes;
use crate::strategy::Strategy;
use serde_json::Value;
use std::sync::Arc;
use upstream::parse;

/// True for the strategies [`open`] can build a connector for.
pub fn is_redirect(strategy: Strategy) -> bool {
    matches!(
        strategy,
        Strategy::Oidc
            | Strategy::OAuth2
            | Strategy::Github
            | Strategy::GoogleOAuth2
            | Strategy::Okta
            | Strategy::Waad
            | Strategy::GoogleApps
            | Strategy::Apple
    ) || presets::preset(strategy).is_some()
}

/// Builds the connector of a connection from its **unsealed** options
/// (secrets in clear; the engine unseals them just before).
pub fn open(
    strategy: Strategy,
    options: &Value,
    upstreams: Arc<Upstreams>,
) -> Result<Box<dyn RedirectConnector>, RedirectError> {
    match strategy {
        Strategy::Oidc => Ok(Box::new(oidc::OidcConnector::from_oidc_options(
            parse(options)?,
            upstreams,
        )?)),
        Strategy::GoogleOAuth2 => Ok(Box::new(google::connector(parse(options)?, upstreams)?)),
        Strategy::Github => Ok(Box::new(github::GithubConnector::new(
            parse(options)?,
            upstreams,
        )?)),
        Strategy::Okta => Ok(Box::new(enterprise::okta(parse(options)?, upstreams)?)),
        Strategy::Waad => Ok(Box::new(enterprise::waad(parse(options)?, upstreams)?)),
        Strategy::GoogleApps => Ok(Box::new(enterprise::GoogleAppsConnector::new(
            parse(options)?,
            upstreams,
        )?)),
        Strategy::Apple => Ok(Box::new(apple::AppleConnector::new(
            parse(options)?,
            upstreams,
        )?)),
        Strategy::OAuth2 => Ok(Box::new(oauth2::OAuth2Connector::from_options(
            parse(options)?,
            upstreams,
        )?)),
        other => match presets::preset(other) {
            Some(preset) => Ok(Box::new(presets::PresetConnector::new(
                preset, options, upstreams,
            )?)),
            None => Err(RedirectError::Config(format!(
                "login through {other} connections is not available"
            ))),
        },
    }
}

/// When root attributes are refreshed from the upstream profile, from the
/// options of any strategy (Auth0's default: `on_each_login`).
pub fn root_attributes_policy(options: &Value) -> SetUserRootAttributes {
    options
        .get("set_user_root_attributes")
        .cloned()
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or(SetUserRootAttributes::OnEachLogin)
}

#[cfg(test)]
mod tests;
