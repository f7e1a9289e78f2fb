//! `github`: GitHub's OAuth apps (plain OAuth 2.0, no ID token).
//!
//! The profile comes from `GET {api}/user`; the email **only** from
//! `GET {api}/user/emails`, as the address marked both `primary` and
//! `verified` (the `email` of `/user` is a public, unverified profile field
//! and is ignored). Without such an address the user has no email. Every
//! URL can be overridden (`authorization_endpoint`, `token_endpoint`,
//! `userinfo_endpoint` for `/user`, `api_base_url` for the API), so tests run
//! the same code against a local server speaking GitHub's documented API.

use super::http::Upstreams;
use super::mapping;
use super::oauth2::{self, ClientAuth, ClientCredentials};
use super::upstream::{
    CallbackParams, LoginRequest, RedirectConnector, RedirectError, UpstreamIdentity,
    UpstreamProfile, pkce_challenge, scope_or, with_query,
};
use crate::options::social::GithubOptions;
use async_trait::async_trait;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const AUTHORIZATION_ENDPOINT: &str = "https://github.com/login/oauth/authorize";
pub const TOKEN_ENDPOINT: &str = "https://github.com/login/oauth/access_token";
pub const API_BASE_URL: &str = "https://api.github.com";

/// The `github` connector.
pub struct GithubConnector {
    upstreams: Arc<Upstreams>,
    credentials: ClientCredentials,
    authorization_endpoint: String,
    token_endpoint: String,
    user_endpoint: String,
    emails_endpoint: String,
    scope: Vec<String>,
}

impl GithubConnector {
    pub fn new(options: GithubOptions, upstreams: Arc<Upstreams>) -> Result<Self, RedirectError> {
        let client_id = options.client_id.clone().ok_or_else(|| {
            RedirectError::Config(
                "`client_id` is required (Vestibule has no development keys)".into(),
            )
        })?;
        let api = options
            .api_base_url
            .as_ref()
            .map_or(API_BASE_URL, |url| url.as_str())
            .trim_end_matches('/')
            .to_owned();
        let pick = |value: &Option<crate::options::common::HttpUrl>, default: String| {
            value
                .as_ref()
                .map_or(default, |url| url.as_str().to_owned())
        };
        Ok(Self {
            upstreams,
            credentials: ClientCredentials {
                client_id,
                client_secret: options
                    .client_secret
                    .as_ref()
                    .map(|s| s.expose().to_owned()),
                auth: ClientAuth::SecretPost,
                client_assertion: None,
            },
            authorization_endpoint: pick(
                &options.authorization_endpoint,
                AUTHORIZATION_ENDPOINT.to_owned(),
            ),
            token_endpoint: pick(&options.token_endpoint, TOKEN_ENDPOINT.to_owned()),
            user_endpoint: pick(&options.userinfo_endpoint, format!("{api}/user")),
            emails_endpoint: format!("{api}/user/emails"),
            scope: scope_or(options.scope.as_ref(), &["read:user", "user:email"]),
        })
    }
}

/// The address both primary and verified, if any.
fn verified_primary_email(emails: &Value) -> Option<String> {
    emails.as_array()?.iter().find_map(|entry| {
        let primary = entry.get("primary") == Some(&Value::Bool(true));
        let verified = entry.get("verified") == Some(&Value::Bool(true));
        (primary && verified)
            .then(|| mapping::text(entry.get("email")))
            .flatten()
    })
}

fn api_headers() -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "Accept".to_owned(),
            "application/vnd.github+json".to_owned(),
        ),
        ("X-GitHub-Api-Version".to_owned(), "2022-11-28".to_owned()),
    ])
}

#[async_trait]
impl RedirectConnector for GithubConnector {
    async fn authorization_url(&self, request: &LoginRequest) -> Result<String, RedirectError> {
        let scope = self.scope.join(" ");
        let challenge = pkce_challenge(&request.pkce_verifier);
        let mut params = vec![
            ("client_id", self.credentials.client_id.as_str()),
            ("redirect_uri", request.callback_url.as_str()),
            ("scope", scope.as_str()),
            ("state", request.state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("allow_signup", "true"),
        ];
        for (name, value) in &request.extra_params {
            params.push((name.as_str(), value.as_str()));
        }
        with_query(&self.authorization_endpoint, &params)
    }

    async fn callback(
        &self,
        request: &LoginRequest,
        params: &CallbackParams,
        _now_seconds: i64,
    ) -> Result<UpstreamIdentity, RedirectError> {
        let code = oauth2::code_param(params)?;
        let tokens = oauth2::exchange_code(
            &self.upstreams,
            &self.token_endpoint,
            &self.credentials,
            code,
            request,
            true,
        )
        .await?;
        let access_token = tokens
            .access_token
            .ok_or_else(|| RedirectError::Upstream("GitHub returned no access token".into()))?;
        let headers = api_headers();
        let user = oauth2::get_with_token(
            &self.upstreams,
            "GitHub user API",
            &self.user_endpoint,
            &access_token,
            &headers,
        )
        .await?;
        let user_id = match user.get("id") {
            Some(Value::Number(id)) => id.to_string(),
            _ => {
                return Err(RedirectError::Upstream(
                    "GitHub user has no numeric id".into(),
                ));
            }
        };
        let emails = oauth2::get_with_token(
            &self.upstreams,
            "GitHub emails API",
            &self.emails_endpoint,
            &access_token,
            &headers,
        )
        .await?;
        let email = verified_primary_email(&emails);
        let login = mapping::text(user.get("login"));
        let mut raw = user.as_object().cloned().unwrap_or_default();
        // The public profile email is not verified: the verified one replaces it.
        raw.insert(
            "email".into(),
            email.clone().map_or(Value::Null, Value::String),
        );
        raw.insert("emails".into(), emails);
        let profile = UpstreamProfile {
            email_verified: email.is_some(),
            email,
            username: None,
            name: mapping::text(user.get("name")).or_else(|| login.clone()),
            nickname: login,
            given_name: None,
            family_name: None,
            picture: mapping::text(user.get("avatar_url")),
        };
        Ok(UpstreamIdentity {
            user_id,
            profile,
            raw,
            access_token: Some(access_token),
            refresh_token: tokens.refresh_token,
            first_login: UpstreamProfile::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_the_verified_primary_email_counts() {
        let emails = json!([
            {"email": "public@example.com", "primary": false, "verified": true},
            {"email": "primary@example.com", "primary": true, "verified": true},
        ]);
        assert_eq!(
            verified_primary_email(&emails).as_deref(),
            Some("primary@example.com")
        );
        let unverified = json!([
            {"email": "primary@example.com", "primary": true, "verified": false},
            {"email": "other@example.com", "primary": false, "verified": true},
        ]);
        assert_eq!(verified_primary_email(&unverified), None);
    }
}
