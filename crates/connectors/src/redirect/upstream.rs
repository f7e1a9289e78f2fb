//! What every redirect connector speaks: the [`RedirectConnector`] trait,
//! the login values the engine keeps, the identity and the error it gets
//! back, and the small URL and parameter helpers the connectors share.
//! Kept apart from `mod.rs` so the connectors import it directly.

use crate::options::common::StringOrList;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One login attempt's values, generated and kept by the engine.
#[derive(Clone)]
pub struct LoginRequest {
    /// Vestibule's callback URL (`{issuer}login/callback`).
    pub callback_url: String,
    /// The upstream `state`: random, single use.
    pub state: String,
    /// The upstream `nonce`: random, single use.
    pub nonce: String,
    /// The PKCE verifier (43–128 unreserved characters); S256 is sent.
    pub pkce_verifier: String,
    /// Extra parameters for the upstream authorization request
    /// (`upstream_params`, resolved by the engine).
    pub extra_params: Vec<(String, String)>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("callback_url", &self.callback_url)
            .finish_non_exhaustive()
    }
}

/// The parameters the upstream sent to the callback (query or form body).
pub type CallbackParams = BTreeMap<String, String>;

/// The normalized profile attributes an upstream provides (Auth0's root
/// attributes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpstreamProfile {
    pub email: Option<String>,
    pub email_verified: bool,
    pub username: Option<String>,
    pub name: Option<String>,
    pub nickname: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub picture: Option<String>,
}

/// Who logged in upstream.
#[derive(Clone)]
pub struct UpstreamIdentity {
    /// The upstream's stable user id (`sub`, GitHub's numeric id, …): the
    /// part after `{provider}|`.
    pub user_id: String,
    pub profile: UpstreamProfile,
    /// The raw profile (ID token claims merged with user-info, or the user
    /// API's answer), without protocol claims; becomes `profileData`.
    pub raw: Map<String, Value>,
    /// Upstream tokens, kept sealed by the engine and never shown.
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    /// Attributes the upstream sends only at the first authorization and
    /// outside anything signed (Sign in with Apple's `user` form field):
    /// they fill a user being created and are ignored for an existing one.
    pub first_login: UpstreamProfile,
}

impl std::fmt::Debug for UpstreamIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamIdentity")
            .field("user_id", &self.user_id)
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// How the upstream sends its answer back to the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackMethod {
    /// A redirect with the parameters in the query (`GET`).
    Query,
    /// An auto-submitted form (`POST`, `response_mode=form_post`).
    FormPost,
}

/// Why a redirect login failed. Messages never include tokens or secrets.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The connection cannot be used as configured (missing client id, an
    /// unsupported option, a discovery document for another issuer, …).
    #[error("connection misconfigured: {0}")]
    Config(String),
    /// The upstream answered the authorization request with an error
    /// (`error=access_denied`, …). `error` is the upstream's code.
    #[error("the identity provider refused the login: {error}")]
    Denied {
        error: String,
        description: Option<String>,
    },
    /// The callback is not a valid answer to this login (missing code, an
    /// `iss` of another issuer, …).
    #[error("invalid callback: {0}")]
    InvalidCallback(&'static str),
    /// The ID token failed verification.
    #[error("invalid ID token: {0}")]
    InvalidIdToken(String),
    /// The upstream could not be reached, was too slow, answered too much, or
    /// answered something unusable.
    #[error("upstream request failed: {0}")]
    Upstream(String),
}

/// A connection that authenticates by redirecting to an upstream provider.
#[async_trait]
pub trait RedirectConnector: Send + Sync {
    /// The URL to send the browser to.
    async fn authorization_url(&self, request: &LoginRequest) -> Result<String, RedirectError>;

    /// Verifies the upstream's answer and returns who logged in.
    /// `now_seconds` comes from `model::Clock`.
    async fn callback(
        &self,
        request: &LoginRequest,
        params: &CallbackParams,
        now_seconds: i64,
    ) -> Result<UpstreamIdentity, RedirectError>;

    /// How the answer arrives at the callback.
    fn callback_method(&self) -> CallbackMethod {
        CallbackMethod::Query
    }
}

/// The options of one strategy, typed; a misfit is a configuration error.
pub(super) fn parse<T: serde::de::DeserializeOwned>(options: &Value) -> Result<T, RedirectError> {
    serde_json::from_value(options.clone())
        .map_err(|e| RedirectError::Config(format!("options are not valid: {e}")))
}

/// A space-separated scope from the option value, or `default`.
pub(super) fn scope_or(scope: Option<&StringOrList>, default: &[&str]) -> Vec<String> {
    match scope {
        Some(scope) if !scope.items().is_empty() => {
            scope.items().into_iter().map(str::to_owned).collect()
        }
        _ => default.iter().map(|s| (*s).to_owned()).collect(),
    }
}

/// The S256 PKCE challenge of a verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    crypto::secrets::sha256_base64url(verifier.as_bytes())
}

/// Appends query parameters to an endpoint URL (keeping its own query).
pub(super) fn with_query(endpoint: &str, params: &[(&str, &str)]) -> Result<String, RedirectError> {
    let mut url = url::Url::parse(endpoint)
        .map_err(|_| RedirectError::Config("authorization endpoint is not a URL".into()))?;
    url.query_pairs_mut().extend_pairs(params.iter());
    Ok(url.into())
}

/// A `Denied` error when the callback carries `error=`.
pub(super) fn check_error_param(params: &CallbackParams) -> Result<(), RedirectError> {
    match params.get("error") {
        Some(error) => Err(RedirectError::Denied {
            error: error.chars().take(64).collect(),
            description: params
                .get("error_description")
                .map(|d| d.chars().take(256).collect()),
        }),
        None => Ok(()),
    }
}
