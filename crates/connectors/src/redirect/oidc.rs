//! The OpenID Connect engine, used by `oidc` and the OIDC presets
//! (`google-oauth2`).
//!
//! Two flows:
//! - **back channel**: `response_type=code` with PKCE S256, `state` and
//!   `nonce`; the code is exchanged at the token endpoint
//!   (`client_secret_post` or `client_secret_basic`), the ID token is
//!   verified, and user-info (when the provider has it) adds claims for the
//!   same `sub`;
//! - **front channel** (`oidc` `type: front_channel`): `response_type=id_token`
//!   with `response_mode=form_post`; the ID token arrives in a POST to the
//!   callback and is verified the same way. No client secret is involved.
//!
//! The provider's metadata comes from its discovery document (cached; its
//! `issuer` must equal the configured issuer, or the issuer the discovery URL
//! was derived from: OIDC Discovery §4.3) or from explicit options. An
//! authorization response carrying `iss` (RFC 9207) must name the issuer;
//! when the metadata says the provider always sends it, it is required.

use super::assertion::AssertionKey;
use super::http::Upstreams;
use super::id_token::{self, PROTOCOL_CLAIMS};
use super::mapping;
use super::oauth2::{self, ClientAuth, ClientCredentials};
use super::upstream::{
    CallbackMethod, CallbackParams, LoginRequest, RedirectConnector, RedirectError,
    UpstreamIdentity, UpstreamProfile, pkce_challenge, with_query,
};
use crate::options::common::HttpUrl;
use crate::options::oidc::{OidcOptions, OidcType, Pkce, TokenEndpointAuthMethod};
use async_trait::async_trait;
use crypto::SigningAlg;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where the provider's metadata comes from.
#[derive(Debug, Clone)]
pub enum ProviderSource {
    /// A discovery document; `issuer` (if set) must match it exactly.
    Discovery { url: String, issuer: Option<String> },
    /// A discovery document at a fixed, trusted location whose issuer
    /// cannot be known in advance (an Entra ID directory named by its
    /// domain: the issuer carries the directory's id). The issuer it names
    /// is then checked exactly in every ID token.
    DirectoryDiscovery { url: String },
    /// Everything configured by hand.
    Manual(Endpoints),
}

/// The provider metadata the engine uses.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: String,
    pub token_endpoint_auth_methods: Vec<String>,
    pub iss_parameter_supported: bool,
}

/// Explicit values that replace the discovered ones.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
}

/// How the login answer comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    BackChannel,
    FrontChannel,
}

/// A configured OpenID Provider.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub source: ProviderSource,
    pub overrides: Overrides,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// `None`: `client_secret_post` unless the provider supports only basic.
    pub auth: Option<ClientAuth>,
    pub flow: Flow,
    pub scope: Vec<String>,
    pub algs: Vec<SigningAlg>,
    pub alternate_issuer: Option<String>,
    pub pkce: bool,
    pub send_nonce: bool,
}

/// The OpenID Connect connector.
pub struct OidcConnector {
    upstreams: Arc<Upstreams>,
    config: OidcConfig,
    /// Signs `private_key_jwt` assertions when the client authenticates so.
    assertion_key: Option<AssertionKey>,
}

/// The default ID token algorithms: everything Vestibule verifies.
pub const DEFAULT_ALGS: &[SigningAlg] = &[SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

fn url_text(url: &Option<HttpUrl>) -> Option<String> {
    url.as_ref().map(|u| u.as_str().to_owned())
}

/// A metadata URL must be http(s) (https except on loopback) and carry no
/// credentials: the same rule as configured URLs.
fn checked_url(document: &Value, name: &str) -> Result<Option<String>, RedirectError> {
    match document.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => HttpUrl::parse(text)
            .map(|url| Some(url.as_str().to_owned()))
            .map_err(|e| RedirectError::Config(format!("discovery `{name}` {e}"))),
        Some(_) => Err(RedirectError::Config(format!(
            "discovery `{name}` is not a string"
        ))),
    }
}

impl OidcConnector {
    pub fn new(config: OidcConfig, upstreams: Arc<Upstreams>) -> Self {
        Self {
            upstreams,
            config,
            assertion_key: None,
        }
    }

    /// An `oidc` connection (Auth0's options).
    pub fn from_oidc_options(
        options: OidcOptions,
        upstreams: Arc<Upstreams>,
    ) -> Result<Self, RedirectError> {
        let client_id = options
            .client_id
            .clone()
            .ok_or_else(|| RedirectError::Config("`client_id` is required".into()))?;
        let flow = match options.kind.unwrap_or(OidcType::FrontChannel) {
            OidcType::FrontChannel => Flow::FrontChannel,
            OidcType::BackChannel => Flow::BackChannel,
        };
        let assertion_key = match options.token_endpoint_auth_method {
            Some(TokenEndpointAuthMethod::PrivateKeyJwt) => Some(AssertionKey::from_pem(
                options
                    .client_assertion_signing_key
                    .as_ref()
                    .map(|key| key.expose())
                    .ok_or_else(|| {
                        RedirectError::Config(
                            "`private_key_jwt` needs `client_assertion_signing_key`".into(),
                        )
                    })?,
                options.token_endpoint_auth_signing_alg.as_deref(),
                options.client_assertion_signing_kid.as_deref(),
            )?),
            _ => None,
        };
        let auth = match options.token_endpoint_auth_method {
            Some(TokenEndpointAuthMethod::PrivateKeyJwt) => Some(ClientAuth::PrivateKeyJwt),
            Some(TokenEndpointAuthMethod::ClientSecretPost) => Some(ClientAuth::SecretPost),
            None => None,
        };
        let algs = match &options.id_token_signed_response_algs {
            Some(names) => {
                let algs: Vec<SigningAlg> =
                    names.iter().filter_map(|n| SigningAlg::parse(n)).collect();
                if algs.is_empty() {
                    return Err(RedirectError::Config(
                        "`id_token_signed_response_algs` names no supported algorithm (RS256, ES256, EdDSA)".into(),
                    ));
                }
                algs
            }
            None => DEFAULT_ALGS.to_vec(),
        };
        let pkce = !matches!(
            options.connection_settings.as_ref().and_then(|s| s.pkce),
            Some(Pkce::Disabled)
        );
        let overrides = Overrides {
            authorization_endpoint: url_text(&options.authorization_endpoint),
            token_endpoint: url_text(&options.token_endpoint),
            userinfo_endpoint: url_text(&options.userinfo_endpoint),
            jwks_uri: url_text(&options.jwks_uri),
        };
        let source = match &options.discovery_url {
            Some(url) => ProviderSource::Discovery {
                url: url.as_str().to_owned(),
                issuer: url_text(&options.issuer),
            },
            None => {
                let required = |value: Option<String>, name: &str| {
                    value.ok_or_else(|| {
                        RedirectError::Config(format!(
                            "`{name}` is required without `discovery_url`"
                        ))
                    })
                };
                let metadata = options.oidc_metadata.clone().unwrap_or_default();
                ProviderSource::Manual(Endpoints {
                    issuer: required(url_text(&options.issuer), "issuer")?,
                    authorization_endpoint: required(
                        overrides.authorization_endpoint.clone(),
                        "authorization_endpoint",
                    )?,
                    token_endpoint: overrides.token_endpoint.clone(),
                    userinfo_endpoint: overrides.userinfo_endpoint.clone(),
                    jwks_uri: required(overrides.jwks_uri.clone(), "jwks_uri")?,
                    token_endpoint_auth_methods: string_list(
                        metadata.get("token_endpoint_auth_methods_supported"),
                    ),
                    iss_parameter_supported: metadata
                        .get("authorization_response_iss_parameter_supported")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
            }
        };
        let mut scope = vec!["openid".to_owned()];
        for item in options
            .scope
            .as_deref()
            .unwrap_or("openid profile email")
            .split(' ')
        {
            if !item.is_empty() && !scope.iter().any(|s| s == item) {
                scope.push(item.to_owned());
            }
        }
        let mut connector = Self::new(
            OidcConfig {
                source,
                overrides,
                client_id,
                client_secret: options.client_secret.map(|s| s.expose().to_owned()),
                auth,
                flow,
                scope,
                algs,
                alternate_issuer: None,
                pkce,
                send_nonce: true,
            },
            upstreams,
        );
        connector.assertion_key = assertion_key;
        Ok(connector)
    }

    /// The provider's metadata, discovered (cached) or configured.
    pub async fn endpoints(&self) -> Result<Endpoints, RedirectError> {
        let mut endpoints = match &self.config.source {
            ProviderSource::Manual(endpoints) => return Ok(endpoints.clone()),
            ProviderSource::Discovery { .. } | ProviderSource::DirectoryDiscovery { .. } => {
                let (url, issuer, any_issuer) = match &self.config.source {
                    ProviderSource::Discovery { url, issuer } => (url, issuer, false),
                    ProviderSource::DirectoryDiscovery { url } => (url, &None, true),
                    ProviderSource::Manual(_) => {
                        return Err(RedirectError::Config("no discovery document".into()));
                    }
                };
                let document = self.upstreams.discovery(url).await?;
                let Some(found) = document.get("issuer").and_then(Value::as_str) else {
                    return Err(RedirectError::Config(
                        "the discovery document has no issuer".into(),
                    ));
                };
                let expected_ok = match issuer {
                    _ if any_issuer => true,
                    Some(issuer) => issuer == found,
                    None => {
                        let derived = format!(
                            "{}/.well-known/openid-configuration",
                            found.trim_end_matches('/')
                        );
                        derived == *url
                    }
                };
                if !expected_ok {
                    return Err(RedirectError::Config(
                        "the discovery document names another issuer".into(),
                    ));
                }
                let required = |name: &str| -> Result<String, RedirectError> {
                    checked_url(&document, name)?.ok_or_else(|| {
                        RedirectError::Config(format!("the discovery document has no `{name}`"))
                    })
                };
                Endpoints {
                    issuer: found.to_owned(),
                    authorization_endpoint: required("authorization_endpoint")?,
                    token_endpoint: checked_url(&document, "token_endpoint")?,
                    userinfo_endpoint: checked_url(&document, "userinfo_endpoint")?,
                    jwks_uri: required("jwks_uri")?,
                    token_endpoint_auth_methods: string_list(
                        document.get("token_endpoint_auth_methods_supported"),
                    ),
                    iss_parameter_supported: document
                        .get("authorization_response_iss_parameter_supported")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                }
            }
        };
        let overrides = &self.config.overrides;
        if let Some(url) = &overrides.authorization_endpoint {
            endpoints.authorization_endpoint = url.clone();
        }
        if let Some(url) = &overrides.token_endpoint {
            endpoints.token_endpoint = Some(url.clone());
        }
        if let Some(url) = &overrides.userinfo_endpoint {
            endpoints.userinfo_endpoint = Some(url.clone());
        }
        if let Some(url) = &overrides.jwks_uri {
            endpoints.jwks_uri = url.clone();
        }
        Ok(endpoints)
    }

    fn client_auth(&self, endpoints: &Endpoints) -> ClientAuth {
        if let Some(auth) = self.config.auth {
            return auth;
        }
        let supports = |m: &str| endpoints.token_endpoint_auth_methods.iter().any(|s| s == m);
        // OIDC Discovery: the default when the provider says nothing is basic;
        // prefer post when listed (what Auth0 sends).
        if endpoints.token_endpoint_auth_methods.is_empty() || supports("client_secret_post") {
            ClientAuth::SecretPost
        } else {
            ClientAuth::SecretBasic
        }
    }

    fn check_iss_param(
        &self,
        endpoints: &Endpoints,
        params: &CallbackParams,
    ) -> Result<(), RedirectError> {
        match params.get("iss") {
            Some(iss) if *iss == endpoints.issuer => Ok(()),
            Some(iss) if Some(iss) == self.config.alternate_issuer.as_ref() => Ok(()),
            Some(_) => Err(RedirectError::InvalidCallback(
                "the response's iss names another issuer",
            )),
            None if endpoints.iss_parameter_supported => Err(RedirectError::InvalidCallback(
                "the response lacks the iss its provider always sends",
            )),
            None => Ok(()),
        }
    }

    async fn verify_id_token(
        &self,
        endpoints: &Endpoints,
        token: &str,
        request: &LoginRequest,
        now_seconds: i64,
    ) -> Result<Map<String, Value>, RedirectError> {
        let rules = id_token::Rules {
            issuer: &endpoints.issuer,
            alternate_issuer: self.config.alternate_issuer.as_deref(),
            client_id: &self.config.client_id,
            jwks_uri: &endpoints.jwks_uri,
            algs: &self.config.algs,
            nonce: &request.nonce,
        };
        id_token::verify(&self.upstreams, &rules, token, now_seconds).await
    }
}

fn string_list(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn identity_from_claims(
    mut claims: Map<String, Value>,
    access_token: Option<String>,
    refresh_token: Option<String>,
) -> Result<UpstreamIdentity, RedirectError> {
    let user_id = mapping::text(claims.get("sub"))
        .ok_or_else(|| RedirectError::InvalidIdToken("sub is missing".into()))?;
    for name in PROTOCOL_CLAIMS {
        claims.remove(*name);
    }
    Ok(UpstreamIdentity {
        user_id,
        profile: mapping::from_standard_claims(&claims),
        raw: claims,
        access_token,
        refresh_token,
        first_login: UpstreamProfile::default(),
    })
}

#[async_trait]
impl RedirectConnector for OidcConnector {
    async fn authorization_url(&self, request: &LoginRequest) -> Result<String, RedirectError> {
        let endpoints = self.endpoints().await?;
        let scope = self.config.scope.join(" ");
        let challenge = pkce_challenge(&request.pkce_verifier);
        let mut params: Vec<(&str, &str)> = vec![
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", request.callback_url.as_str()),
            ("scope", scope.as_str()),
            ("state", request.state.as_str()),
        ];
        if self.config.send_nonce || self.config.flow == Flow::FrontChannel {
            params.push(("nonce", request.nonce.as_str()));
        }
        match self.config.flow {
            Flow::BackChannel => {
                params.push(("response_type", "code"));
                if self.config.pkce {
                    params.push(("code_challenge", challenge.as_str()));
                    params.push(("code_challenge_method", "S256"));
                }
            }
            Flow::FrontChannel => {
                params.push(("response_type", "id_token"));
                params.push(("response_mode", "form_post"));
            }
        }
        for (name, value) in &request.extra_params {
            params.push((name.as_str(), value.as_str()));
        }
        with_query(&endpoints.authorization_endpoint, &params)
    }

    async fn callback(
        &self,
        request: &LoginRequest,
        params: &CallbackParams,
        now_seconds: i64,
    ) -> Result<UpstreamIdentity, RedirectError> {
        super::upstream::check_error_param(params)?;
        let endpoints = self.endpoints().await?;
        self.check_iss_param(&endpoints, params)?;
        if self.config.flow == Flow::FrontChannel {
            let token = params
                .get("id_token")
                .ok_or(RedirectError::InvalidCallback(
                    "the callback carries no ID token",
                ))?;
            let claims = self
                .verify_id_token(&endpoints, token, request, now_seconds)
                .await?;
            return identity_from_claims(claims, None, None);
        }
        let code = oauth2::code_param(params)?;
        let token_endpoint = endpoints
            .token_endpoint
            .clone()
            .ok_or_else(|| RedirectError::Config("the provider has no token endpoint".into()))?;
        let auth = self.client_auth(&endpoints);
        let client_assertion = match (&self.assertion_key, auth) {
            (Some(key), ClientAuth::PrivateKeyJwt) => {
                Some(key.sign(&self.config.client_id, &token_endpoint, now_seconds)?)
            }
            _ => None,
        };
        let credentials = ClientCredentials {
            client_id: self.config.client_id.clone(),
            client_secret: self.config.client_secret.clone(),
            auth,
            client_assertion,
        };
        let tokens = oauth2::exchange_code(
            &self.upstreams,
            &token_endpoint,
            &credentials,
            code,
            request,
            self.config.pkce,
        )
        .await?;
        let id_token = tokens.id_token.as_deref().ok_or_else(|| {
            RedirectError::Upstream("the token endpoint returned no ID token".into())
        })?;
        let mut claims = self
            .verify_id_token(&endpoints, id_token, request, now_seconds)
            .await?;
        if let (Some(userinfo), Some(access_token)) =
            (&endpoints.userinfo_endpoint, &tokens.access_token)
        {
            let info = oauth2::get_with_token(
                &self.upstreams,
                "user info",
                userinfo,
                access_token,
                &BTreeMap::new(),
            )
            .await?;
            // OIDC Core §5.3.2: user-info about another subject is discarded.
            if info.get("sub") != claims.get("sub") {
                return Err(RedirectError::Upstream(
                    "user info describes another subject".into(),
                ));
            }
            if let Value::Object(info) = info {
                for (name, value) in info {
                    if !PROTOCOL_CLAIMS.contains(&name.as_str()) {
                        claims.insert(name, value);
                    }
                }
            }
        }
        identity_from_claims(claims, tokens.access_token, tokens.refresh_token)
    }

    fn callback_method(&self) -> CallbackMethod {
        match self.config.flow {
            Flow::BackChannel => CallbackMethod::Query,
            Flow::FrontChannel => CallbackMethod::FormPost,
        }
    }
}
