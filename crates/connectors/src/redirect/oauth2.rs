//! Plain OAuth 2.0 upstreams: the code exchange every strategy shares, and
//! the custom social strategy `oauth2` (authorization, token and user-info
//! URLs, and a declarative `profile_mapping`).

use super::http::Upstreams;
use super::mapping;
use super::upstream::{
    CallbackParams, LoginRequest, RedirectConnector, RedirectError, UpstreamIdentity,
    UpstreamProfile, pkce_challenge, scope_or, with_query,
};
use crate::options::social::{OAuth2Options, ProfileAttribute};
use async_trait::async_trait;
use base64::Engine as _;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How the client authenticates at the upstream token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    SecretPost,
    /// HTTP Basic with the form-urlencoded id and secret (RFC 6749 §2.3.1).
    SecretBasic,
    /// A signed client assertion (`private_key_jwt`, RFC 7523 §2.2, OIDC
    /// Core §9), in [`ClientCredentials::client_assertion`].
    PrivateKeyJwt,
}

/// The client credentials of a connection.
#[derive(Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub auth: ClientAuth,
    /// The signed assertion for [`ClientAuth::PrivateKeyJwt`], fresh for
    /// this one request.
    pub client_assertion: Option<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The `Authorization: Basic` value for a client.
pub fn basic_authorization(client_id: &str, secret: &str) -> String {
    let pair = format!("{}:{}", form_encode(client_id), form_encode(secret));
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// RFC 7523 §2.2.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The tokens a code exchange returned.
pub(crate) struct Tokens {
    pub access_token: Option<String>,
    pub refresh_token: Option<String>,
    pub id_token: Option<String>,
}

/// Exchanges an authorization code at the token endpoint (back channel).
pub(crate) async fn exchange_code(
    upstreams: &Upstreams,
    token_endpoint: &str,
    credentials: &ClientCredentials,
    code: &str,
    request: &LoginRequest,
    send_verifier: bool,
) -> Result<Tokens, RedirectError> {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", request.callback_url.as_str()),
    ];
    if send_verifier {
        form.push(("code_verifier", request.pkce_verifier.as_str()));
    }
    let mut http = upstreams.client()?.post(token_endpoint);
    let secret = credentials.client_secret.as_deref().unwrap_or_default();
    match credentials.auth {
        ClientAuth::SecretPost => {
            form.push(("client_id", credentials.client_id.as_str()));
            if credentials.client_secret.is_some() {
                form.push(("client_secret", secret));
            }
        }
        ClientAuth::SecretBasic => {
            http = http.header(
                reqwest::header::AUTHORIZATION,
                basic_authorization(&credentials.client_id, secret),
            );
        }
        ClientAuth::PrivateKeyJwt => {
            let assertion = credentials.client_assertion.as_deref().ok_or_else(|| {
                RedirectError::Config("`private_key_jwt` needs a signing key".into())
            })?;
            form.push(("client_id", credentials.client_id.as_str()));
            form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
            form.push(("client_assertion", assertion));
        }
    }
    let answer = upstreams
        .json("token endpoint", http.form(&form), true)
        .await?;
    // GitHub answers errors with HTTP 200 and an `error` member.
    if let Some(error) = answer.get("error").and_then(Value::as_str) {
        return Err(RedirectError::Upstream(format!(
            "token endpoint refused the code: {}",
            error.chars().take(64).collect::<String>()
        )));
    }
    let text = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
    Ok(Tokens {
        access_token: text("access_token"),
        refresh_token: text("refresh_token"),
        id_token: text("id_token"),
    })
}

/// GETs a JSON API with the user's access token.
pub(crate) async fn get_with_token(
    upstreams: &Upstreams,
    what: &str,
    url: &str,
    access_token: &str,
    headers: &BTreeMap<String, String>,
) -> Result<Value, RedirectError> {
    let mut http = upstreams.client()?.get(url).bearer_auth(access_token);
    for (name, value) in headers {
        http = http.header(name.as_str(), value.as_str());
    }
    upstreams.json(what, http, false).await
}

/// The `code` of a query callback, after the `error` check.
pub(crate) fn code_param(params: &CallbackParams) -> Result<&str, RedirectError> {
    super::upstream::check_error_param(params)?;
    params
        .get("code")
        .map(String::as_str)
        .filter(|code| !code.is_empty() && code.len() <= 4096)
        .ok_or(RedirectError::InvalidCallback(
            "the callback carries no code",
        ))
}

/// A custom social connection (`oauth2`).
pub struct OAuth2Connector {
    upstreams: Arc<Upstreams>,
    credentials: ClientCredentials,
    authorization_url: String,
    token_url: String,
    user_info_url: String,
    scope: Vec<String>,
    pkce: bool,
    mapping: BTreeMap<ProfileAttribute, String>,
    headers: BTreeMap<String, String>,
}

impl OAuth2Connector {
    pub fn from_options(
        options: OAuth2Options,
        upstreams: Arc<Upstreams>,
    ) -> Result<Self, RedirectError> {
        let missing = |name: &str| RedirectError::Config(format!("`{name}` is required"));
        if options
            .scripts
            .as_ref()
            .is_some_and(|s| s.fetch_user_profile.is_some())
            && options.profile_mapping.is_none()
        {
            return Err(RedirectError::Config(
                "`scripts.fetchUserProfile` is not supported: use `profile_mapping`".into(),
            ));
        }
        Ok(Self {
            upstreams,
            credentials: ClientCredentials {
                client_id: options.client_id.ok_or_else(|| missing("client_id"))?,
                client_secret: options.client_secret.map(|s| s.expose().to_owned()),
                auth: ClientAuth::SecretPost,
                client_assertion: None,
            },
            authorization_url: options
                .authorization_url
                .ok_or_else(|| missing("authorizationURL"))?
                .as_str()
                .to_owned(),
            token_url: options
                .token_url
                .ok_or_else(|| missing("tokenURL"))?
                .as_str()
                .to_owned(),
            user_info_url: options
                .user_info_url
                .ok_or_else(|| missing("userInfoURL"))?
                .as_str()
                .to_owned(),
            scope: scope_or(options.scope.as_ref(), &[]),
            pkce: options.pkce_enabled.unwrap_or(false),
            mapping: options
                .profile_mapping
                .ok_or_else(|| missing("profile_mapping"))?,
            headers: options.custom_headers.unwrap_or_default(),
        })
    }
}

#[async_trait]
impl RedirectConnector for OAuth2Connector {
    async fn authorization_url(&self, request: &LoginRequest) -> Result<String, RedirectError> {
        let scope = self.scope.join(" ");
        let challenge = pkce_challenge(&request.pkce_verifier);
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", self.credentials.client_id.as_str()),
            ("redirect_uri", request.callback_url.as_str()),
            ("state", request.state.as_str()),
        ];
        if !scope.is_empty() {
            params.push(("scope", scope.as_str()));
        }
        if self.pkce {
            params.push(("code_challenge", challenge.as_str()));
            params.push(("code_challenge_method", "S256"));
        }
        for (name, value) in &request.extra_params {
            params.push((name.as_str(), value.as_str()));
        }
        with_query(&self.authorization_url, &params)
    }

    async fn callback(
        &self,
        request: &LoginRequest,
        params: &CallbackParams,
        _now_seconds: i64,
    ) -> Result<UpstreamIdentity, RedirectError> {
        let code = code_param(params)?;
        let tokens = exchange_code(
            &self.upstreams,
            &self.token_url,
            &self.credentials,
            code,
            request,
            self.pkce,
        )
        .await?;
        let access_token = tokens.access_token.ok_or_else(|| {
            RedirectError::Upstream("token endpoint returned no access token".into())
        })?;
        let document = get_with_token(
            &self.upstreams,
            "user info",
            &self.user_info_url,
            &access_token,
            &self.headers,
        )
        .await?;
        let (user_id, profile) = mapping::from_mapping(&document, &self.mapping);
        let user_id =
            user_id.ok_or_else(|| RedirectError::Upstream("user info has no user id".into()))?;
        Ok(UpstreamIdentity {
            user_id,
            profile,
            raw: document.as_object().cloned().unwrap_or_default(),
            access_token: Some(access_token),
            refresh_token: tokens.refresh_token,
            first_login: UpstreamProfile::default(),
        })
    }
}
